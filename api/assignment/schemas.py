"""Request and response bodies for team proposals and batch assignment."""

from datetime import datetime, timedelta
from typing import Annotated

from pydantic import BaseModel, Field, ValidationInfo, field_validator

from api.matching.schemas import Reasons
from api.needs.schemas import MAX_PLACES, MAX_ROLES
from api.schemas import Count, Flag, Id, Input, Instant, Name, Slug
from api.signups.schemas import SignupOut
from api.text import Message
from api.vocabulary import Stage

MAX_BATCH_SPAN = timedelta(days=31)
"""The longest window one batch fills: a month of needs is what a coordinator plans at once."""
MAX_BATCH_PLACES = 200_000
"""The most places one batch answer lists (assignments and unfilled places alike)."""
MAX_TIME_BUDGET_S = 60.0


STANDBY_DESCRIPTION = (
    "With `commit: true`: on each need nobody has taken yet (no confirmed place, nobody on "
    "standby), also ask one more member **on standby** for the role of the need's first "
    "invitation in this request: the best-scored eligible member not chosen here, not asked "
    "for the need before and not new. A standby invitation holds no place; the first of the "
    "two to say yes takes it and the other becomes `superseded`. Listed in "
    "`standby_invitations`."
)
KEEP_ASKING_DESCRIPTION = (
    "With `commit: true`: keep asking on the needs invited on. Whenever a place is given back "
    "(an invitation declined, expired or withdrawn, a place cancelled), the next best member "
    "never asked for the need is invited within a minute, on your behalf, until the need "
    "starts; and an invitation on such a need holds its place for half the time left before "
    "the need (at least 12 hours, at most the usual expiry), so a silent member frees it "
    "while someone else can still be asked. The need shows `keep_asking: true`; turn it off with "
    '`PATCH /v1/needs/{id}` `{"keep_asking": false}`.'
)
STANDBY_INVITATIONS_DESCRIPTION = (
    "The invitations on standby sent (`commit: true` and `standby: true` only; each has "
    "`standby: true`)."
)


class TeamRequest(Input):
    """Propose a team; ``commit: true`` sends the proposal as invitations."""

    commit: Flag = False
    standby: Flag = Field(default=False, description=STANDBY_DESCRIPTION)
    keep_asking: Flag = Field(default=False, description=KEEP_ASKING_DESCRIPTION)


class ProposedPlace(BaseModel):
    """One member proposed for one place, and why."""

    role: Slug
    member_id: Id
    name: Name
    stage: Stage
    score: float
    reasons: Reasons


class UnfilledRole(BaseModel):
    """Places of a role the proposal leaves open, and why."""

    role: Slug
    missing: Count
    why: Message


class Pair(BaseModel):
    """A new member and the mature member or leader they serve beside."""

    new_member_id: Id
    mentor_member_id: Id


class TeamProposal(BaseModel):
    """A member for every place that can be filled, with discipleship pairs."""

    need_id: Id
    proposal: Annotated[list[ProposedPlace], Field(max_length=MAX_PLACES)]
    unfilled: Annotated[list[UnfilledRole], Field(max_length=MAX_ROLES)]
    total_score: float
    pairs: Annotated[list[Pair], Field(max_length=MAX_PLACES)]
    invitations: Annotated[list[SignupOut], Field(max_length=MAX_PLACES)] = Field(
        default_factory=list,
        description="The invitations sent (``commit: true`` only).",
    )
    standby_invitations: Annotated[list[SignupOut], Field(max_length=MAX_PLACES)] = Field(
        default_factory=list, description=STANDBY_INVITATIONS_DESCRIPTION
    )


def _within_span(to: datetime, info: ValidationInfo) -> datetime:
    """Checked on ``to`` (not the whole model) so the 422 names that field."""
    start = info.data.get("from_")
    if start is None:
        return to
    if to <= start:
        raise ValueError("to must be after from")
    if to - start > MAX_BATCH_SPAN:
        raise ValueError(f"a batch covers at most {MAX_BATCH_SPAN.days} days; split longer ones")
    return to


class BatchRequest(Input):
    """Fill every open place of every open need starting in [from, to)."""

    community_id: Id | None = Field(
        default=None,
        description="The community whose members serve; only an admin may omit it (the network).",
    )
    from_: Instant = Field(alias="from")
    to: Instant
    commit: Flag = False
    standby: Flag = Field(default=False, description=STANDBY_DESCRIPTION)
    keep_asking: Flag = Field(default=False, description=KEEP_ASKING_DESCRIPTION)
    time_budget_s: float = Field(default=10.0, gt=0, le=MAX_TIME_BUDGET_S)

    _to_after_from = field_validator("to")(_within_span)


class BatchAssignment(BaseModel):
    """One member assigned to one place."""

    need_id: Id
    role: Slug
    member_id: Id
    score: float


class BatchUnfilled(BaseModel):
    """Places of a role left open."""

    need_id: Id
    role: Slug
    missing: Count


class BatchPair(Pair):
    """A pairing on one need."""

    need_id: Id


class Load(BaseModel):
    """How the batch spreads the places over members."""

    members_assigned: Count
    max_per_member: Count
    gini: float = Field(
        description="0: places spread evenly over assigned members; 1: one takes all."
    )


class BatchResult(BaseModel):
    """The assignment, its optimality and its load."""

    assignments: Annotated[list[BatchAssignment], Field(max_length=MAX_BATCH_PLACES)]
    unfilled: Annotated[list[BatchUnfilled], Field(max_length=MAX_BATCH_PLACES)]
    pairs: Annotated[list[BatchPair], Field(max_length=MAX_BATCH_PLACES)]
    total_score: float
    bound: float = Field(description="A proven upper bound on the solver's objective.")
    optimal: bool
    gap: float = Field(description="(bound - objective) / max(1, |objective|); 0 at the optimum.")
    load: Load
    solve_ms: float
    invitations: Annotated[list[SignupOut], Field(max_length=MAX_BATCH_PLACES)] = Field(
        default_factory=list,
        description="The invitations sent (``commit: true`` only).",
    )
    standby_invitations: Annotated[list[SignupOut], Field(max_length=MAX_BATCH_PLACES)] = Field(
        default_factory=list, description=STANDBY_INVITATIONS_DESCRIPTION
    )
