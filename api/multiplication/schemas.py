"""Request and response bodies for multiplication: readiness, the split plan, the figures of
a split a coordinator edits, the multiplication itself, and a community's lineage."""

from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, Field

from api.communities.schemas import CommunityOut, CoordinatorOut
from api.schemas import Count, Id, Input, LatLon, Name, Point
from api.vocabulary import Stage

MAX_GROUPS = 5
"""The most groups one multiplication makes (two is the usual)."""
MAX_GROUP_MEMBERS = 1_000
"""The most members one group lists (communities are 8–25 people; the bound keeps the
contract finite)."""
MAX_LINEAGE = 1_000
"""The most ancestors or descendants a lineage lists."""

Rule = Literal["members", "leaders", "group_size"]
SplitRule = Literal["size", "leader", "mature_spread", "new_with_mature", "household", "skills"]
Method = Literal["plan", "random", "kmeans"]
MemberIds = Annotated[list[Id], Field(min_length=1, max_length=MAX_GROUP_MEMBERS)]
Groups = Annotated[
    list[MemberIds],
    Field(
        min_length=2,
        max_length=MAX_GROUPS,
        description="Member ids per group; together, every active member exactly once.",
    ),
]


class RuleCheck(BaseModel):
    """One readiness rule, whether it holds, in words a coordinator reads."""

    rule: Rule
    holds: bool
    message: Annotated[str, Field(max_length=300)]


class Travel(BaseModel):
    """Distance from members' homes to where they meet, in km."""

    sum_km: float = Field(ge=0)
    median_km: float = Field(ge=0)


class MeetingPlace(Point):
    """Where a group would meet: a member's home (``member_id``) or the community's current
    meeting point (``member_id`` null)."""

    member_id: Id | None


class GroupMember(BaseModel):
    """A member as the plan places them."""

    id: Id
    name: Name
    stage: Stage
    apprentice: bool = Field(description="Apprentice of a leader: a leader-to-be.")
    household_id: Id | None


class PlanGroup(BaseModel):
    """One group of a split, with who is in it and where it would meet."""

    members: Annotated[list[GroupMember], Field(max_length=MAX_GROUP_MEMBERS)]
    size: Count
    leaders: Count
    apprentices: Count
    mature: Count
    growing: Count
    new: Count
    leader_id: Id | None = Field(
        description="Who would coordinate the group: a leader, else an apprentice; null if none."
    )
    meeting_place: MeetingPlace = Field(
        description="The member's home or the current meeting point that minimises the "
        "group's total travel."
    )
    travel: Travel


class SplitViolation(BaseModel):
    """A rule a split breaks; ``group`` is the group's index (from 0), null for the whole."""

    rule: SplitRule
    group: Annotated[int, Field(ge=0, lt=MAX_GROUPS)] | None
    message: Annotated[str, Field(max_length=500)]


class SplitOut(BaseModel):
    """A split's groups and figures: travel before (everyone to the current meeting point)
    and after (each to their group's place), and every rule it breaks."""

    groups: Annotated[list[PlanGroup], Field(min_length=2, max_length=MAX_GROUPS)]
    travel_before: Travel
    travel_after: Travel
    violations: Annotated[list[SplitViolation], Field(max_length=MAX_GROUP_MEMBERS)]


class Comparison(BaseModel):
    """A method's split of the same members, for comparison with the plan."""

    method: Method
    sizes: Annotated[list[Count], Field(max_length=MAX_GROUPS)]
    travel_after: Travel
    violations: Count
    rules_broken: Annotated[list[SplitRule], Field(max_length=6)]


class PlanOut(SplitOut):
    """The advised split, with how it compares to a random balanced split and plain k-means."""

    optimal: bool = Field(description="Proved optimal for the plan's model.")
    solve_ms: float = Field(ge=0)
    comparison: Annotated[list[Comparison], Field(max_length=3)]


class Multiplication(BaseModel):
    """Whether a community is ready to multiply, why, and (when ready) the plan."""

    community_id: Id
    ready: bool
    reasons: Annotated[list[RuleCheck], Field(max_length=10)]
    groups: Annotated[int, Field(ge=2, le=MAX_GROUPS)]
    plan: PlanOut | None


class SplitRequest(Input):
    """Groups a coordinator edited, to have the split's figures worked out again."""

    groups: Groups


class MultiplyRequest(Input):
    """Multiply: the first group stays in this community, each further one becomes a new
    community with its name, meeting point and coordinator."""

    groups: Groups
    names: Annotated[
        list[Name],
        Field(
            min_length=2,
            max_length=MAX_GROUPS,
            description="One per group; the first renames this community if it differs.",
        ),
    ]
    meeting_points: Annotated[
        list[LatLon],
        Field(
            min_length=2,
            max_length=MAX_GROUPS,
            description="One per group; the first moves this community's meeting point.",
        ),
    ]
    leader_ids: (
        Annotated[
            list[Id | None],
            Field(
                min_length=2,
                max_length=MAX_GROUPS,
                description="One per group: the leader or apprentice who coordinates each new "
                "community (the first entry, this community's, is ignored). Omitted or null: "
                "the group's leader, else its apprentice.",
            ),
        ]
        | None
    ) = None


class Daughter(BaseModel):
    """A community born of the multiplication, and its new coordinator."""

    community: CommunityOut
    members: Count
    coordinator: CoordinatorOut = Field(
        description="The appointed leader; `api_key` is present once, if they were not "
        "already a coordinator."
    )


class MultiplyOut(BaseModel):
    """The multiplication done: this community, the new ones, and the advice not followed."""

    community: CommunityOut
    daughters: Annotated[list[Daughter], Field(min_length=1, max_length=MAX_GROUPS - 1)]
    moved_members: Count
    warnings: Annotated[list[SplitViolation], Field(max_length=MAX_GROUP_MEMBERS)] = Field(
        description="The plan's rules this split breaks (households aside, which must stay "
        "whole): the coordinator chose so."
    )


class LineageNode(BaseModel):
    """A community in a family tree: its generation (0 for the first of its line)."""

    id: Id
    name: Name
    parent_id: Id | None
    generation: Annotated[int, Field(ge=0, le=MAX_LINEAGE)]
    active_members: Count
    created_at: datetime = Field(description="When it began (a daughter: when it multiplied).")


class Lineage(BaseModel):
    """A community's ancestors (oldest first) and descendants (by generation, then age)."""

    community: LineageNode
    ancestors: Annotated[list[LineageNode], Field(max_length=MAX_LINEAGE)]
    descendants: Annotated[list[LineageNode], Field(max_length=MAX_LINEAGE)]
