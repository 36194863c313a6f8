"""Multiplication queries: the members to split and what they can do, and the writes that
make one community two. Reads are scoped to members the caller may see (``member_readable``);
the service has already checked the caller manages the community.
"""

from collections.abc import Sequence
from datetime import datetime
from typing import Any, NamedTuple

from sqlalchemy import Select, func, literal, select, update
from sqlalchemy.orm import Session, aliased

from api.auth.principal import Principal
from api.db.models import (
    Community,
    Household,
    Member,
    Membership,
    Need,
    NeedRole,
    household_members,
)
from api.scopes import member_readable
from api.vocabulary import Stage


class MemberRow(NamedTuple):
    """An active member as the split reads them."""

    id: str
    name: str
    email: str
    stage: Stage
    apprentice_of: str | None
    home_lat: float
    home_lon: float
    skills: dict[str, int]


def active_members(session: Session, *, principal: Principal, community_id: str) -> list[MemberRow]:
    """The community's active members the caller may see, by name then id."""
    rows = session.execute(
        select(*(getattr(Member, field) for field in MemberRow._fields))
        .where(
            Member.community_id == community_id,
            Member.active.is_(True),
            member_readable(principal),
        )
        .order_by(Member.name, Member.id)
    )
    return [MemberRow(**row._mapping) for row in rows]


class HouseholdRow(NamedTuple):
    """A household of the community and one of its members."""

    household_id: str
    name: str
    member_id: str


def households(session: Session, *, community_id: str) -> list[HouseholdRow]:
    """Each (household, member) pair of the community's households."""
    rows = session.execute(
        select(Household.id.label("household_id"), Household.name, household_members.c.member_id)
        .join(household_members, household_members.c.household_id == Household.id)
        .where(Household.community_id == community_id)
    )
    return [HouseholdRow(**row._mapping) for row in rows]


class SkillDemand(NamedTuple):
    """A skill at a level the community's needs asked for, and the most places one asked."""

    skill: str
    min_level: int
    places: int


def skill_demands(session: Session, *, community_id: str, since: datetime) -> list[SkillDemand]:
    """The skilled roles of the community's needs starting since ``since`` (not cancelled)."""
    rows = session.execute(
        select(NeedRole.skill, NeedRole.min_level, func.max(NeedRole.count).label("places"))
        .join(Need, Need.id == NeedRole.need_id)
        .where(
            Need.community_id == community_id,
            Need.status != "cancelled",
            Need.starts_at >= since,
            NeedRole.skill.is_not(None),
        )
        .group_by(NeedRole.skill, NeedRole.min_level)
        .order_by(NeedRole.skill, NeedRole.min_level)
    )
    return [SkillDemand(**row._mapping) for row in rows]


def move_members(
    session: Session, *, member_ids: Sequence[str], from_id: str, to_id: str, now: datetime
) -> None:
    """Move members into another community: close their membership of the one, open one of
    the other, and take whole households along."""
    session.execute(
        update(Membership)
        .where(
            Membership.member_id.in_(member_ids),
            Membership.community_id == from_id,
            Membership.left_at.is_(None),
        )
        .values(left_at=now)
        .execution_options(synchronize_session=False)
    )
    session.add_all(
        Membership(member_id=member_id, community_id=to_id, joined_at=now)
        for member_id in member_ids
    )
    session.execute(
        update(Member)
        .where(Member.id.in_(member_ids))
        .values(community_id=to_id, updated_at=now)
        .execution_options(synchronize_session=False)
    )
    moved = select(household_members.c.household_id).where(
        household_members.c.member_id.in_(member_ids)
    )
    session.execute(
        update(Household)
        .where(Household.id.in_(moved))
        .values(community_id=to_id, updated_at=now)
        .execution_options(synchronize_session=False)
    )


def clear_apprenticeships_across(session: Session, *, community_ids: Sequence[str]) -> int:
    """Clear ``apprentice_of`` where apprentice and leader now belong to different
    communities (of ``community_ids``); how many were cleared."""
    leader = aliased(Member)
    across = (
        select(literal(1))
        .where(leader.id == Member.apprentice_of, leader.community_id != Member.community_id)
        .exists()
    )
    result = session.execute(
        update(Member)
        .where(Member.community_id.in_(community_ids), Member.apprentice_of.is_not(None), across)
        .values(apprentice_of=None)
        .execution_options(synchronize_session=False)
    )
    return int(getattr(result, "rowcount", 0) or 0)


class LineageRow(NamedTuple):
    """A community of a family tree and its depth from the start of the walk."""

    id: str
    name: str
    parent_id: str | None
    created_at: datetime
    depth: int


def _walk(community_id: str, *, upwards: bool) -> Select[Any]:
    """A recursive walk from a community to its ancestors (upwards) or descendants."""
    start = (
        select(
            Community.id,
            Community.name,
            Community.parent_id,
            Community.created_at,
            literal(0).label("depth"),
        )
        .where(Community.id == community_id)
        .cte("lineage", recursive=True)
    )
    step = Community.id == start.c.parent_id if upwards else Community.parent_id == start.c.id
    walk = start.union_all(
        select(
            Community.id,
            Community.name,
            Community.parent_id,
            Community.created_at,
            (start.c.depth + 1).label("depth"),
        ).where(step, start.c.depth < 1000)
    )
    return select(walk).order_by(walk.c.depth, walk.c.created_at, walk.c.id)


def lineage(session: Session, *, community_id: str, upwards: bool, limit: int) -> list[LineageRow]:
    """The community (depth 0) and its ancestors or descendants by depth, at most ``limit``
    + 1 rows."""
    rows = session.execute(_walk(community_id, upwards=upwards).limit(limit + 1))
    return [LineageRow(**row._mapping) for row in rows]


def active_counts(session: Session, community_ids: Sequence[str]) -> dict[str, int]:
    """Active (not erased) members of each community."""
    rows = session.execute(
        select(Member.community_id, func.count())
        .where(
            Member.community_id.in_(community_ids),
            Member.active.is_(True),
            Member.erased_at.is_(None),
        )
        .group_by(Member.community_id)
    )
    return {community_id: count for community_id, count in rows}
