"""Schema pieces shared by every domain: strict input models, points, pages and cursors."""

import base64
import binascii
import json
import re
from datetime import UTC, date, datetime
from typing import Annotated, Any, ClassVar, Generic, TypeVar

from fastapi import Path, Query
from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    GetJsonSchemaHandler,
    Strict,
    StringConstraints,
    ValidationInfo,
    field_validator,
)
from pydantic.json_schema import JsonSchemaValue
from pydantic_core import CoreSchema

from api import patterns
from api.errors import FieldError

T = TypeVar("T")

Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=120)]
Email = Annotated[
    str,
    StringConstraints(
        strip_whitespace=True,
        to_lower=True,
        max_length=254,
        pattern=patterns.EMAIL,
    ),
]
SLUG_MAX_CHARS = 40
Slug = Annotated[
    str,
    StringConstraints(strip_whitespace=True, max_length=SLUG_MAX_CHARS, pattern=patterns.SLUG),
]
Id = Annotated[str, StringConstraints(max_length=36, pattern=patterns.ID)]
"""An id the service gave (a UUID), as responses carry it."""
Count = Annotated[int, Field(ge=0, le=2**31 - 1)]
Flag = Annotated[bool, Strict()]
"""A yes/no in a request body: ``true`` or ``false`` only, as the published schema says
(pydantic would otherwise take 0, 1, "yes" or "off" too)."""
"""How many of something: people, sign-ups, places."""

UNIQUE_ITEMS = Field(json_schema_extra={"uniqueItems": True})
"""Says in the schema that the server refuses a list with repeated items."""


def unique(values: list[str]) -> list[str]:
    """Refuse a list with repeated items (use with ``UNIQUE_ITEMS``, which says so)."""
    if len(set(values)) != len(values):
        raise ValueError("values must be unique")
    return values


UniqueSlugs = Annotated[list[Slug], Field(max_length=20), AfterValidator(unique), UNIQUE_ITEMS]

FIRST_DAY, LAST_DAY = date(2000, 1, 1), date(2100, 12, 31)
"""Every date and instant the service takes lies in these years. Beyond them a value is a
typo, and it would break for everyone what reads it: an instant near year 9999 overflows when
converted to UTC, a far blackout date overflows the engine's day arithmetic."""
SERVICE_YEARS = f"between {FIRST_DAY.year} and {LAST_DAY.year}"


DATE_CHARS = len("2030-06-01")
INSTANT_MAX_CHARS = len("2030-06-01T10:00:00.123456789+01:00")
"""The longest instant taken: nanoseconds (as some languages write them) and an offset.
Responses are shorter still (microseconds at most), so both directions fit the bound the
published contract gives every date-time (see ``api.openapi``)."""


def at_most(max_chars: int, example: str) -> BeforeValidator:
    """Refuse a text longer than ``max_chars`` before parsing it as a date or an instant
    (pydantic would take any number of fractional digits, and dates given as instants)."""

    def check(value: object) -> object:
        if isinstance(value, str) and len(value) > max_chars:
            raise ValueError(f"must be written like {example} (at most {max_chars} characters)")
        return value

    return BeforeValidator(check)


def _day_in_service_years(day: date) -> date:
    if not FIRST_DAY <= day <= LAST_DAY:
        raise ValueError(f"must be a date {SERVICE_YEARS}")
    return day


def _instant_in_service_years(moment: datetime) -> datetime:
    # Checked on the local date, before converting: the conversion itself is what overflows.
    _day_in_service_years(moment.date())
    return moment.astimezone(UTC)


CalendarDate = Annotated[
    date,
    at_most(DATE_CHARS, "2030-06-01"),
    AfterValidator(_day_in_service_years),
    Field(description=f"A calendar date like 2030-06-01, {SERVICE_YEARS}."),
]
Instant = Annotated[
    AwareDatetime,
    at_most(INSTANT_MAX_CHARS, "2030-06-01T10:00:00+01:00"),
    AfterValidator(_instant_in_service_years),
    Field(
        description="An instant with its time zone, like 2030-06-01T10:00:00+01:00, "
        f"{SERVICE_YEARS}; answered in UTC."
    ),
]
"""A timezone-aware instant in the service's years, normalised to UTC so responses speak UTC."""


ISO_INSTANT = re.compile(r"^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}")


def iso_instant(value: object) -> object:
    """Refuse a text that is not ISO 8601: pydantic would read "0.5" or "1700000000" as Unix
    seconds, and the contract says date-time."""
    if isinstance(value, str) and not ISO_INSTANT.match(value):
        raise ValueError("must be an ISO 8601 date-time, e.g. 2030-06-01T10:00:00Z")
    return value


InstantParameter = Annotated[Instant, BeforeValidator(iso_instant)]
"""An instant given in the query string: ISO 8601 with its zone, in the service's years."""

ResourceId = Annotated[
    str,
    Path(max_length=36, pattern=patterns.ID, description="Opaque id (a UUID)."),
]
"""Every id in a path: letters, digits and dashes only, so nothing odd reaches the database."""

MAX_PAGE_SIZE = 200
Limit = Annotated[int, Query(ge=1, le=MAX_PAGE_SIZE, description="Page size.")]
CURSOR_MAX_CHARS = 1024
"""Enough for the longest sort key: a 120-character name (each character up to 6 bytes of
JSON, as a control character's escape), an id and the brackets, in unpadded base64."""
Cursor = Annotated[
    str | None,
    Query(
        max_length=CURSOR_MAX_CHARS,
        pattern=patterns.CURSOR,
        description="`next_cursor` of the previous page.",
    ),
]
NextCursor = Annotated[str, StringConstraints(max_length=CURSOR_MAX_CHARS, pattern=patterns.CURSOR)]
"""What to pass as ``cursor`` for the next page: opaque, URL-safe."""


def _holds_nul(value: object) -> bool:
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, dict):
        return any(_holds_nul(key) or _holds_nul(item) for key, item in value.items())
    if isinstance(value, list):
        return any(_holds_nul(item) for item in value)
    return False


class Input(BaseModel):
    """Base of request bodies: unknown fields are refused, so nothing is mass-assigned."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    @field_validator("*", mode="before")
    @classmethod
    def _no_nul_characters(cls, value: object) -> object:
        # SQLite stores NUL in text but PostgreSQL refuses it with an error; refusing it here
        # makes both backends answer the same 422 instead of one of them answering 500.
        if _holds_nul(value):
            raise ValueError("must not contain NUL (\\u0000) characters")
        return value


NULL = {"type": "null"}


def without_null(field_schema: dict[str, Any]) -> None:
    """Make an ``anyOf [X, null]`` field schema plain X (keeping its title and description)."""
    branches = [branch for branch in field_schema.pop("anyOf", []) if branch != NULL]
    if len(branches) == 1:
        field_schema.update(branches[0])
    elif branches:
        field_schema["anyOf"] = branches
    if field_schema.get("default", ...) is None:
        del field_schema["default"]


class Patch(Input):
    """Base of partial updates: omit a field to keep it; an explicit null is refused, except
    on the fields ``CLEARABLE`` names, where null clears the value."""

    CLEARABLE: ClassVar[frozenset[str]] = frozenset()

    @field_validator("*", mode="before")
    @classmethod
    def _no_nulls(cls, value: object, info: ValidationInfo) -> object:
        # A field validator rather than a model one, so the 422 names the field in ``loc``.
        if value is None and info.field_name not in cls.CLEARABLE:
            raise ValueError("cannot be null; omit the field to keep its value")
        return value

    @classmethod
    def __get_pydantic_json_schema__(
        cls, core_schema: CoreSchema, handler: GetJsonSchemaHandler
    ) -> JsonSchemaValue:
        """Every field optional but not nullable, as the validator above has it: the ``| None``
        in the annotations only marks "omitted", which clients must not read as "send null"."""
        json_schema = handler(core_schema)
        properties = handler.resolve_ref_schema(json_schema).get("properties", {})
        for name, field_schema in properties.items():
            if name not in cls.CLEARABLE:
                without_null(field_schema)
        return json_schema


AddressText = Annotated[str, StringConstraints(strip_whitespace=True, min_length=2, max_length=300)]
"""An address as given, as responses carry it."""
Address = Annotated[
    AddressText,
    Field(
        description="Where it is, as words: 'Bristol, United Kingdom' or 'Springfield, "
        "Illinois, US' (the geocoder in settings decides how detailed it may be). Give this "
        "or the coordinates, not both."
    ),
]


class LatLon(Input):
    """A WGS84 point."""

    lat: float = Field(ge=-90, le=90, allow_inf_nan=False)
    lon: float = Field(ge=-180, le=180, allow_inf_nan=False)


class Point(BaseModel):
    """A point as returned to clients."""

    lat: float
    lon: float


class Page(BaseModel, Generic[T]):
    """One page of a list; pass ``next_cursor`` back as ``cursor`` for the next one."""

    items: Annotated[list[T], Field(max_length=MAX_PAGE_SIZE)]
    next_cursor: NextCursor | None


def encode_cursor(*values: Any) -> str:
    """An opaque cursor for keyset pagination (the sort key of the last item).

    Compact UTF-8 JSON rather than ASCII escapes, which take up to 12 bytes a character and
    made a long non-Latin name's cursor longer than ``cursor`` accepts."""
    text = json.dumps(values, ensure_ascii=False, separators=(",", ":"))
    return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")


def decode_cursor(cursor: str, size: int) -> list[Any]:
    """The sort key back from a cursor, or a 422 naming ``cursor``."""
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        values = json.loads(base64.urlsafe_b64decode(padded.encode()))
    except (binascii.Error, ValueError, UnicodeDecodeError) as error:
        raise FieldError(("query", "cursor"), "invalid cursor") from error
    if not isinstance(values, list) or len(values) != size:
        raise FieldError(("query", "cursor"), "invalid cursor")
    if not all(isinstance(value, str) and "\x00" not in value for value in values):
        raise FieldError(("query", "cursor"), "invalid cursor")
    return values


def decode_instant_cursor(cursor: str) -> tuple[datetime, str]:
    """A cursor of (aware instant, id), the sort key of every time-ordered list; else 422."""
    instant_text, row_id = decode_cursor(cursor, 2)
    try:
        instant = datetime.fromisoformat(instant_text)
        if instant.tzinfo is None:
            raise ValueError("naive instant")
        return instant.astimezone(UTC), row_id
    except (ValueError, OverflowError) as error:
        raise FieldError(("query", "cursor"), "invalid cursor") from error
