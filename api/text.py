"""Text written for people in responses (messages, reasons, place names), clipped to a bound.

The service composes these from parts it does not bound itself (a geocoder's place names, a
member's fifty weekly slots, the name of a rejected query parameter), so each is clipped to a
declared length: the published contract can say how long it is, and no response grows with
what a client sent.
"""

from typing import Annotated

from pydantic import BeforeValidator, Field

ELLIPSIS = "…"
MESSAGE_MAX_CHARS = 1000
PLACE_NAME_MAX_CHARS = 300


def _clipped(max_chars: int) -> BeforeValidator:
    def clip(value: object) -> object:
        if isinstance(value, str) and len(value) > max_chars:
            return value[: max_chars - len(ELLIPSIS)] + ELLIPSIS
        return value

    return BeforeValidator(clip)


Message = Annotated[str, _clipped(MESSAGE_MAX_CHARS), Field(max_length=MESSAGE_MAX_CHARS)]
"""A sentence or two for people: an error's detail, a refusal, a reason for a match."""

PlaceName = Annotated[str, _clipped(PLACE_NAME_MAX_CHARS), Field(max_length=PLACE_NAME_MAX_CHARS)]
"""A place, region or country name as a geocoder's data spells it."""
