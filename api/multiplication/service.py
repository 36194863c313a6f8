"""Multiplication use cases: is a community ready to become two, how should it split, what
does a coordinator's own split look like, the multiplication itself, and the family tree.

The plan advises; members choose. Readiness and the plan come from the engine
(``matcher.multiplication``, ``matcher.split``) on the community's active members; a
coordinator may move members between groups and have the figures worked out again
(``evaluate``), and the multiplication takes whatever split they settle on as long as it keeps
households whole and gives every new community someone to lead it.
"""

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from api.audit.service import record
from api.auth.principal import Principal
from api.communities import service as communities
from api.communities.schemas import CommunityCreate, CoordinatorCreate
from api.db.models import Community
from api.errors import Conflict, FieldError
from api.multiplication import repository
from api.multiplication.repository import MemberRow
from api.multiplication.schemas import (
    MAX_LINEAGE,
    Comparison,
    Daughter,
    GroupMember,
    Lineage,
    LineageNode,
    MeetingPlace,
    Multiplication,
    MultiplyOut,
    MultiplyRequest,
    PlanGroup,
    PlanOut,
    RuleCheck,
    SplitOut,
    SplitViolation,
    Travel,
)
from api.schemas import LatLon
from api.settings import Settings
from geo.geocoding import Geocoder
from matcher.multiplication import (
    MeetingPlace as EngineMeetingPlace,
)
from matcher.multiplication import (
    SkillNeed,
    SplitFigures,
    SplitMember,
    SplitProblem,
    SplitRules,
    evaluate,
    readiness,
)
from matcher.split import SplitPlan, kmeans_split, plan_split, random_split

SKILLS_LOOKBACK_DAYS = 365
"""The needs whose skilled roles each group should still be able to fill: a year's."""
_ID = re.compile(r"[0-9a-z-]{36}")


@dataclass(frozen=True)
class Thresholds:
    """The readiness thresholds and the solver's time (from settings)."""

    min_members: int
    min_leaders: int
    min_group_size: int
    plan_seconds: float

    @classmethod
    def of(cls, settings: Settings) -> "Thresholds":
        """The service's settings' thresholds: the API's routes and the pages read the same."""
        return cls(
            min_members=settings.multiply_min_members,
            min_leaders=settings.multiply_min_leaders,
            min_group_size=settings.multiply_min_group_size,
            plan_seconds=settings.multiply_plan_seconds,
        )


@dataclass(frozen=True)
class _Community:
    """What the use cases read of a community to split: the engine's problem and the rows
    behind it (member ``i`` of the problem is ``members[i]``)."""

    community: Community
    members: list[MemberRow]
    problem: SplitProblem
    names: dict[str, str]
    """Member and household ids to names, to put messages in words."""

    index: dict[str, int]
    """Each active member's position in ``members`` (and in the problem), by id."""

    def member(self, member_id: str) -> MemberRow:
        """The active member of that id (ids come from the problem, so it is there)."""
        return self.members[self.index[member_id]]


def _load(
    session: Session,
    *,
    principal: Principal,
    community_id: str,
    groups: int,
    thresholds: Thresholds,
    now: datetime,
) -> _Community:
    community = communities.get_managed(session, principal=principal, community_id=community_id)
    members = repository.active_members(session, principal=principal, community_id=community_id)
    household_of: dict[str, str] = {}
    names = {member.id: member.name for member in members}
    for row in repository.households(session, community_id=community_id):
        household_of[row.member_id] = row.household_id
        names[row.household_id] = f"the {row.name} household"
    demands = repository.skill_demands(
        session, community_id=community_id, since=now - timedelta(days=SKILLS_LOOKBACK_DAYS)
    )
    problem = SplitProblem(
        members=tuple(
            SplitMember(
                id=member.id,
                lat=member.home_lat,
                lon=member.home_lon,
                stage=member.stage,
                apprentice=member.apprentice_of is not None,
                household=household_of.get(member.id),
                skills=member.skills,
            )
            for member in members
        ),
        meeting_point=EngineMeetingPlace(
            lat=community.meeting_lat, lon=community.meeting_lon, member_id=None
        ),
        skill_needs=tuple(SkillNeed(*demand) for demand in demands),
        rules=SplitRules(
            groups=groups,
            min_members=thresholds.min_members,
            min_leaders=thresholds.min_leaders,
            min_group_size=thresholds.min_group_size,
        ),
    )
    return _Community(
        community=community,
        members=members,
        problem=problem,
        names=names,
        index={member.id: i for i, member in enumerate(members)},
    )


def _in_words(message: str, names: dict[str, str]) -> str:
    """The engine names members and households by id; people read names."""
    return _ID.sub(lambda found: names.get(found.group(), found.group()), message)


def _travel(sum_km: float, median_km: float) -> Travel:
    return Travel(sum_km=round(sum_km, 2), median_km=round(median_km, 2))


def _leader_of(members: Sequence[GroupMember]) -> str | None:
    """Who would coordinate a group: its first leader by name, else its first apprentice."""
    leaders = [member.id for member in members if member.stage == "leader"]
    apprentices = [member.id for member in members if member.apprentice]
    return next(iter(leaders + apprentices), None)


def _split_out(loaded: _Community, figures: SplitFigures) -> SplitOut:
    """The engine's figures of a split, in the contract's shape and in words."""
    household_of = {member.id: member.household for member in loaded.problem.members}
    groups = []
    for group in figures.groups:
        members = [
            GroupMember(
                id=member_id,
                name=loaded.member(member_id).name,
                stage=loaded.member(member_id).stage,
                apprentice=loaded.member(member_id).apprentice_of is not None,
                household_id=household_of[member_id],
            )
            for member_id in sorted(group.member_ids, key=lambda i: (loaded.member(i).name, i))
        ]
        place = group.meeting_place
        groups.append(
            PlanGroup(
                members=members,
                size=group.size,
                leaders=group.leaders,
                apprentices=group.apprentices,
                mature=group.mature,
                growing=group.growing,
                new=group.new,
                leader_id=_leader_of(members),
                meeting_place=MeetingPlace(lat=place.lat, lon=place.lon, member_id=place.member_id),
                travel=_travel(group.travel_sum_km, group.travel_median_km),
            )
        )
    return SplitOut(
        groups=groups,
        travel_before=_travel(figures.travel_before_sum_km, figures.travel_before_median_km),
        travel_after=_travel(figures.travel_after_sum_km, figures.travel_after_median_km),
        violations=[
            SplitViolation.model_validate(
                {
                    "rule": violation.rule,
                    "group": violation.group,
                    "message": _in_words(violation.message, loaded.names),
                }
            )
            for violation in figures.violations
        ],
    )


def _comparison(method: str, plan: SplitPlan) -> Comparison:
    figures = plan.figures
    return Comparison.model_validate(
        {
            "method": method,
            "sizes": [group.size for group in figures.groups],
            "travel_after": _travel(figures.travel_after_sum_km, figures.travel_after_median_km),
            "violations": len(figures.violations),
            "rules_broken": sorted({violation.rule for violation in figures.violations}),
        }
    )


def _checks(loaded: _Community) -> tuple[bool, list[RuleCheck]]:
    result = readiness(loaded.problem.members, loaded.problem.rules)
    checks = [RuleCheck.model_validate(check, from_attributes=True) for check in result.checks]
    return result.ready, checks


def plan(
    session: Session,
    *,
    principal: Principal,
    community_id: str,
    groups: int,
    thresholds: Thresholds,
    now: datetime,
) -> Multiplication:
    """Readiness and, when ready, the advised split beside a random and a k-means one."""
    loaded = _load(
        session,
        principal=principal,
        community_id=community_id,
        groups=groups,
        thresholds=thresholds,
        now=now,
    )
    ready, checks = _checks(loaded)
    advice = None
    if ready:
        best = plan_split(loaded.problem, time_limit_s=thresholds.plan_seconds)
        others = {
            "random": random_split(loaded.problem),
            "kmeans": kmeans_split(loaded.problem),
        }
        advice = PlanOut(
            **_split_out(loaded, best.figures).model_dump(),
            optimal=best.optimal,
            solve_ms=round(best.solve_ms, 1),
            comparison=[
                _comparison("plan", best),
                *(_comparison(method, split) for method, split in others.items()),
            ],
        )
    return Multiplication(
        community_id=community_id, ready=ready, reasons=checks, groups=groups, plan=advice
    )


def _indices(loaded: _Community, groups: Sequence[Sequence[str]]) -> list[list[int]]:
    """Groups of member ids as indices into the problem; a 422 naming ``groups`` unless
    every active member is in exactly one group."""
    index = loaded.index
    seen: dict[str, int] = {}
    for number, group in enumerate(groups, start=1):
        for member_id in group:
            if member_id not in index:
                raise FieldError(
                    ("body", "groups"), f"{member_id} is not an active member of this community"
                )
            if member_id in seen:
                name = loaded.names[member_id]
                raise FieldError(
                    ("body", "groups"), f"{name} is in groups {seen[member_id]} and {number}"
                )
            seen[member_id] = number
    missing = [member.name for member in loaded.members if member.id not in seen]
    if missing:
        shown = ", ".join(missing[:3]) + (f" and {len(missing) - 3} more" if missing[3:] else "")
        raise FieldError(("body", "groups"), f"every active member needs a group: {shown}")
    return [[index[member_id] for member_id in group] for group in groups]


def evaluate_split(
    session: Session,
    *,
    principal: Principal,
    community_id: str,
    groups: Sequence[Sequence[str]],
    thresholds: Thresholds,
    now: datetime,
) -> SplitOut:
    """The figures of a split a coordinator edited: travel, meeting places, broken rules."""
    loaded = _load(
        session,
        principal=principal,
        community_id=community_id,
        groups=len(groups),
        thresholds=thresholds,
        now=now,
    )
    return _split_out(loaded, evaluate(loaded.problem, _indices(loaded, groups)))


def _same_length(data: MultiplyRequest) -> None:
    for field, values in (
        ("names", data.names),
        ("meeting_points", data.meeting_points),
        ("leader_ids", data.leader_ids),
    ):
        if values is not None and len(values) != len(data.groups):
            raise FieldError(("body", field), f"give one of {field} per group")


def _coordinators(split: SplitOut, data: MultiplyRequest) -> list[GroupMember]:
    """Who coordinates each new community (groups 2 onwards): the one named, else the group's
    leader or apprentice; a 422 naming ``leader_ids`` when nobody can."""
    chosen = []
    for number, group in enumerate(split.groups[1:], start=2):
        wanted = data.leader_ids[number - 1] if data.leader_ids else None
        leader_id = wanted or group.leader_id
        leader = next((member for member in group.members if member.id == leader_id), None)
        if leader is None or not (leader.stage == "leader" or leader.apprentice):
            reason = (
                f"{leader_id} is not a leader or apprentice in group {number}"
                if wanted
                else f"group {number} has no leader or apprentice to coordinate it"
            )
            raise FieldError(("body", "leader_ids"), reason)
        chosen.append(leader)
    return chosen


def multiply(
    session: Session,
    *,
    principal: Principal,
    community_id: str,
    data: MultiplyRequest,
    thresholds: Thresholds,
    geocoder: Geocoder,
    now: datetime,
) -> MultiplyOut:
    """Make one community two (or more): the first group stays, each further one becomes a
    daughter community (``parent_id``) with its members, their households and a coordinator.

    Members keep their ids, keys and sign-ups; their membership of this community closes
    and one of the daughter opens, so both communities' histories stay true. 409 when the
    community is not ready; 422 when the split leaves a member out, splits a household or
    gives a new community nobody to lead it.
    """
    _same_length(data)
    loaded = _load(
        session,
        principal=principal,
        community_id=community_id,
        groups=len(data.groups),
        thresholds=thresholds,
        now=now,
    )
    ready, checks = _checks(loaded)
    if not ready:
        missing = "; ".join(check.message for check in checks if not check.holds)
        raise Conflict(f"this community is not ready to multiply: {missing}")
    split = _split_out(loaded, evaluate(loaded.problem, _indices(loaded, data.groups)))
    for violation in split.violations:
        if violation.rule == "household":
            raise FieldError(("body", "groups"), violation.message)
    coordinators = _coordinators(split, data)
    mother = loaded.community
    _move_meeting(mother, data.names[0], data.meeting_points[0])
    daughters = []
    moved = 0
    for group, name, point, leader in zip(
        data.groups[1:], data.names[1:], data.meeting_points[1:], coordinators, strict=True
    ):
        daughter = communities.create(
            session,
            data=CommunityCreate(
                name=name, meeting_point=point, timezone=mother.timezone, parent_id=mother.id
            ),
            geocoder=geocoder,
            actor=principal,
        )
        repository.move_members(
            session, member_ids=group, from_id=mother.id, to_id=daughter.id, now=now
        )
        coordinator, _ = communities.add_coordinator(
            session,
            community_id=daughter.id,
            data=CoordinatorCreate(name=leader.name, email=loaded.member(leader.id).email),
            actor=principal,
        )
        moved += len(group)
        daughters.append(
            Daughter(
                community=communities.to_out(daughter), members=len(group), coordinator=coordinator
            )
        )
    repository.clear_apprenticeships_across(
        session, community_ids=[mother.id, *(d.community.id for d in daughters)]
    )
    session.flush()
    record(
        session,
        actor=principal,
        action="community.multiply",
        object_type="community",
        object_id=mother.id,
        fields=data.model_fields_set,
        counts={"daughters": len(daughters), "moved_members": moved},
    )
    return MultiplyOut(
        community=communities.to_out(mother),
        daughters=daughters,
        moved_members=moved,
        warnings=split.violations,
    )


def _move_meeting(community: Community, name: str, point: LatLon) -> None:
    """Rename the mother community and move its meeting point, if they changed."""
    community.name = name
    if (point.lat, point.lon) != (community.meeting_lat, community.meeting_lon):
        community.meeting_lat, community.meeting_lon = point.lat, point.lon
        community.address = None


def lineage(session: Session, *, principal: Principal, community_id: str) -> Lineage:
    """A community's ancestors and descendants, with sizes and dates, for anyone who may read
    the community (names and sizes only: no place of another community)."""
    communities.get(session, principal=principal, community_id=community_id)
    up = repository.lineage(session, community_id=community_id, upwards=True, limit=MAX_LINEAGE)
    down = repository.lineage(session, community_id=community_id, upwards=False, limit=MAX_LINEAGE)
    sizes = repository.active_counts(session, [row.id for row in (*up, *down)])
    generation = len(up) - 1

    def node(row: repository.LineageRow, depth: int) -> LineageNode:
        return LineageNode(
            id=row.id,
            name=row.name,
            parent_id=row.parent_id,
            generation=generation + depth,
            active_members=sizes.get(row.id, 0),
            created_at=row.created_at,
        )

    return Lineage(
        community=node(up[0], 0),
        ancestors=[node(row, -row.depth) for row in reversed(up[1 : MAX_LINEAGE + 1])],
        descendants=[node(row, row.depth) for row in down[1 : MAX_LINEAGE + 1]],
    )
