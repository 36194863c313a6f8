"""Household queries: every statement the households domain runs, scoped by the caller.

``readable`` and ``managed`` are the single definitions of who reaches a household: admins
all; a community's coordinators its households; a member only their own (read-only).
``households_of`` is the one unscoped read, for matching, whose caller has already
authorised the members it asks about.
"""

from collections.abc import Sequence
from typing import NamedTuple

from sqlalchemy import ColumnElement, Row, Select, delete, false, func, select, true
from sqlalchemy.orm import Session

from api.auth.principal import Principal
from api.db.ids import in_batches
from api.db.models import Household, Member, household_members
from api.households.schemas import HouseholdLink
from api.pagination import SortKey, paginate
from api.vocabulary import HouseholdServe, Stage


def _managed_by(principal: Principal) -> ColumnElement[bool]:
    if principal.is_admin:
        return true()
    if principal.role == "coordinator":
        return Household.community_id.in_(principal.community_ids)
    return false()


def readable(principal: Principal) -> Select[Household]:
    """Households the caller may read: those they manage, and a member's own."""
    if principal.role == "member":
        own = select(household_members.c.household_id).where(
            household_members.c.member_id == principal.id
        )
        return select(Household).where(Household.id.in_(own))
    return select(Household).where(_managed_by(principal))


def managed(principal: Principal) -> Select[Household]:
    """Households the caller may change: admins all, coordinators their communities'."""
    return select(Household).where(_managed_by(principal))


def get_readable(session: Session, *, principal: Principal, household_id: str) -> Household | None:
    """The household if the caller may read it; else None."""
    return session.scalar(readable(principal).where(Household.id == household_id))


def get_managed(session: Session, *, principal: Principal, household_id: str) -> Household | None:
    """The household, locked for the change, if the caller manages it; else None."""
    return session.scalar(managed(principal).where(Household.id == household_id).with_for_update())


def page_in_community(
    session: Session, *, principal: Principal, community_id: str, limit: int, cursor: str | None
) -> tuple[list[Household], str | None]:
    """A page of the community's households the caller may read, by name, and the cursor of
    the next page (None: this is the last)."""
    page = paginate(
        session,
        readable(principal).where(Household.community_id == community_id),
        key=SortKey(Household.name, Household.id),
        limit=limit,
        cursor=cursor,
        to_out=lambda row: row.Household,
    )
    return page.items, page.next_cursor


class HouseholdMemberRow(NamedTuple):
    """A member of a household: which household, and who."""

    household_id: str
    id: str
    name: str
    stage: Stage


def members_of(session: Session, household_ids: Sequence[str]) -> list[HouseholdMemberRow]:
    """The members of these households, by name then id (ids the caller may already read)."""
    if not household_ids:
        return []
    rows = session.execute(
        select(household_members.c.household_id, Member.id, Member.name, Member.stage)
        .join(Member, Member.id == household_members.c.member_id)
        .where(household_members.c.household_id.in_(household_ids))
        .order_by(Member.name, Member.id)
    )
    return [HouseholdMemberRow(**row._mapping) for row in rows]


def current_members(session: Session, *, community_id: str, member_ids: Sequence[str]) -> set[str]:
    """Those of ``member_ids`` who are members of the community and not erased."""
    found = session.scalars(
        select(Member.id).where(
            Member.id.in_(member_ids),
            Member.community_id == community_id,
            Member.erased_at.is_(None),
        )
    )
    return set(found)


def households_holding(
    session: Session, *, member_ids: Sequence[str], other_than: str | None
) -> Sequence[Row[str, str]]:
    """(``member_id``, ``household_id``) of those of ``member_ids`` in a household other than
    ``other_than``, by member id."""
    statement = (
        select(household_members.c.member_id, household_members.c.household_id)
        .where(household_members.c.member_id.in_(member_ids))
        .order_by(household_members.c.member_id)
    )
    if other_than is not None:
        statement = statement.where(household_members.c.household_id != other_than)
    return session.execute(statement).all()


def set_members(session: Session, *, household_id: str, member_ids: Sequence[str]) -> None:
    """Make ``member_ids`` the household's members (the key refuses one held elsewhere)."""
    session.execute(
        delete(household_members).where(household_members.c.household_id == household_id)
    )
    session.execute(
        household_members.insert(),
        [{"household_id": household_id, "member_id": member_id} for member_id in member_ids],
    )


def household_of(session: Session, *, member_id: str) -> Household | None:
    """The household the member belongs to, locked for the change, if any (unscoped: for the
    member's erasure, already authorised)."""
    return session.scalar(
        select(Household)
        .join(household_members, household_members.c.household_id == Household.id)
        .where(household_members.c.member_id == member_id)
        .with_for_update(of=Household)
    )


def leave(session: Session, *, member_id: str) -> None:
    """Take the member out of their household."""
    session.execute(delete(household_members).where(household_members.c.member_id == member_id))


def count_members(session: Session, *, household_id: str) -> int:
    """How many members the household has."""
    count = session.scalar(
        select(func.count()).where(household_members.c.household_id == household_id)
    )
    return count or 0


def remove(session: Session, household: Household) -> None:
    """Delete the household (its member links go with it)."""
    session.delete(household)


def households_of(session: Session, member_ids: Sequence[str]) -> list[HouseholdLink]:
    """The households of any of ``member_ids``, each with *all* its members (sorted ids), in
    household id order. Unscoped: the caller has already authorised these members.

    Any number of ids, a few thousand per statement; a household met in two batches is read
    once.
    """
    members: dict[str, set[str]] = {}
    serves: dict[str, HouseholdServe] = {}
    for batch in in_batches(list(member_ids)):
        touched = select(household_members.c.household_id).where(
            household_members.c.member_id.in_(batch)
        )
        rows = session.execute(
            select(Household.id, Household.serve, household_members.c.member_id)
            .join(household_members, household_members.c.household_id == Household.id)
            .where(Household.id.in_(touched))
        )
        for row in rows:
            serves[row.id] = row.serve
            members.setdefault(row.id, set()).add(row.member_id)
    return [
        HouseholdLink(household_id, serves[household_id], tuple(sorted(members[household_id])))
        for household_id in sorted(members)
    ]
