"""The words ServeMatch stores: one list per concept, shared by the models, schemas and services.

Each is a ``Literal`` so mypy checks every use and OpenAPI shows the allowed values; the
database keeps the same list as a CHECK constraint (``values(...)`` in ``api/db/models.py``).
The engine's own words (stages, urgencies) are defined by the engine and re-exported here.
"""

from typing import Any, Literal, get_args

from matcher.inputs import Stage, Urgency

__all__ = [
    "HELD_STATUSES",
    "PENDING_STATUSES",
    "TAKEN_OUTCOMES",
    "ActorRole",
    "Category",
    "DeclineReason",
    "FeedbackVerdict",
    "HouseholdServe",
    "MatchEventKind",
    "MatchOutcome",
    "NeedStatus",
    "ObjectType",
    "Role",
    "SignupStatus",
    "Stage",
    "Urgency",
    "values",
]

Role = Literal["admin", "coordinator", "member", "agency"]
Category = Literal[
    "meals", "tutoring", "visiting", "cleanup", "transport", "repair", "prayer", "other"
]
NeedStatus = Literal["open", "filled", "cancelled", "done"]
SignupStatus = Literal[
    "confirmed", "withdrawn", "invited", "declined", "expired", "waiting", "superseded"
]
"""``invited`` holds a place until answered (``confirmed`` or ``declined``) or ``expired``.
``waiting``: an invitation that holds its place but is not sent yet: it waits for a mentor's
invitation on the same need to be accepted (then it is ``invited``), and is ``withdrawn`` if
that one is not (``api.signups``). ``superseded``: the place went to someone else who was
asked for it (an invitation whose place a standby took by saying yes first, or a standby
whose role was filled before they said yes); not an answer."""
HELD_STATUSES: tuple[SignupStatus, ...] = ("confirmed", "invited", "waiting")
"""Sign-ups that count as the member's commitment at that time; each holds a place, except an
invitation on standby (``signups.standby``: asked besides the one holding it)."""
PENDING_STATUSES: tuple[SignupStatus, ...] = ("invited", "waiting")
"""Invitations unanswered; ``need_roles.invited`` counts those not on standby."""
DeclineReason = Literal["busy", "not_for_me", "other"]
ActorRole = Literal[Role, "system"]
"""Who did a write: a caller's role, or ``system`` for the command line and jobs."""
ObjectType = Literal[
    "community", "coordinator", "agency", "member", "need", "signup", "api_key", "household"
]
MatchEventKind = Literal["suggestion", "invitation"]
"""What a member was shown: a need suggested to them, or an invitation from a coordinator."""
FeedbackVerdict = Literal["not_for_me", "maybe_later"]
"""A member's word on a suggestion: hide it for good, or snooze it for a few days."""
MatchOutcome = Literal[
    "signed_up", "accepted", "declined", "not_for_me", "maybe_later", "ignored", "expired"
]
"""What became of a shown match (``signed_up`` and ``accepted`` count as taken)."""
TAKEN_OUTCOMES: tuple[MatchOutcome, ...] = ("signed_up", "accepted")
HouseholdServe = Literal["together", "apart", "either"]
"""How a household serves: on the same need where they can (``together``, a preference),
never on overlapping windows (``apart``, hard: one stays with the children), or as it comes."""


def values(words: Any) -> tuple[str, ...]:
    """The allowed values of one of the ``Literal`` types above, in their stated order."""
    return tuple(get_args(words))
