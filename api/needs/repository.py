"""Need queries, scoped by role: every statement the needs domain runs.

Who manages, sees and sees exactly a need is defined once in ``api.scopes``.
"""

from collections.abc import Callable, Sequence
from typing import NamedTuple, TypeVar

from sqlalchemy import Row, Select, func, select, update
from sqlalchemy.orm import Session

from api.auth.principal import Principal
from api.db.models import STANDING_BY, Need, Signup
from api.needs.schemas import NeedFilter
from api.pagination import SortKey, paginate
from api.privacy import needs_within_km
from api.schemas import Page
from api.scopes import need_owned_by, need_seen_exactly_by, need_visible_to

T = TypeVar("T")


def readable(principal: Principal) -> Select[Need, bool]:
    """Needs the caller may read, each with whether the caller may see its exact location."""
    return select(Need, need_seen_exactly_by(principal).label("exact")).where(
        need_visible_to(principal)
    )


def writable(principal: Principal) -> Select[Need]:
    """Needs the caller may change."""
    return select(Need).where(need_owned_by(principal))


class ReadableNeed(NamedTuple):
    """A need the caller may read, and whether they see its location exactly."""

    need: Need
    exact: bool


def get_readable(session: Session, *, principal: Principal, need_id: str) -> ReadableNeed | None:
    """The need if the caller may read it, with their exact-location flag; else None."""
    row = session.execute(readable(principal).where(Need.id == need_id)).first()
    if row is None:
        return None
    return ReadableNeed(need=row.Need, exact=bool(row.exact))


def lock_writable(session: Session, *, principal: Principal, need_id: str) -> Need | None:
    """The need if the caller may change it, row-locked and freshly loaded; else None.

    Locked like a sign-up locks it: edits and sign-ups on a need take turns, so a count
    lowered to the places taken cannot race a sign-up past the CHECK (a 500).
    """
    return session.scalar(
        writable(principal)
        .where(Need.id == need_id)
        .with_for_update(of=Need)
        .execution_options(populate_existing=True)
    )


def page_readable(
    session: Session,
    *,
    principal: Principal,
    filters: NeedFilter,
    limit: int,
    cursor: str | None,
    to_out: Callable[[Need, bool], T],
) -> Page[T]:
    """A page of the needs the caller may read that pass ``filters``, soonest first, each
    passed to ``to_out`` with its exact-location flag."""
    statement = readable(principal)
    if filters.status is not None:
        statement = statement.where(Need.status == filters.status)
    if filters.category is not None:
        statement = statement.where(Need.category == filters.category)
    if filters.starts_from is not None:
        statement = statement.where(Need.starts_at >= filters.starts_from)
    if filters.starts_before is not None:
        statement = statement.where(Need.starts_at < filters.starts_before)
    if filters.near is not None:
        lat, lon = filters.near
        dialect = session.get_bind().dialect.name
        statement = statement.where(
            needs_within_km(dialect, principal, lat=lat, lon=lon, radius_km=filters.radius_km)
        )
    return paginate(
        session,
        statement,
        key=SortKey(Need.starts_at, Need.id),
        limit=limit,
        cursor=cursor,
        to_out=lambda row: to_out(row.Need, bool(row.exact)),
    )


def open_in_community(
    session: Session, *, principal: Principal, community_id: str, limit: int
) -> list[Need]:
    """Up to ``limit`` open needs of a community that the caller may read, soonest first."""
    statement = (
        select(Need)
        .where(need_visible_to(principal), Need.community_id == community_id, Need.status == "open")
        .order_by(Need.starts_at, Need.id)
        .limit(limit)
    )
    return list(session.scalars(statement))


def standbys_by_role(session: Session, *, need_id: str) -> dict[str, int]:
    """Per role id of the need: members asked on standby still to answer. They hold no
    place, so the role's counters do not show them (``api.signups``)."""
    rows = session.execute(
        select(Signup.role_id, func.count())
        .where(Signup.need_id == need_id, STANDING_BY)
        .group_by(Signup.role_id)
    )
    return {str(role_id): int(count) for role_id, count in rows}


def by_ids(session: Session, need_ids: Sequence[str]) -> Sequence[Need]:
    """These needs (unscoped: the ids come from the caller's own, scoped work)."""
    return session.scalars(select(Need).where(Need.id.in_(need_ids))).all()


def take_to_ask_again(
    session: Session, *, limit: int
) -> Sequence[Row[str, str | None, str | None]]:
    """Up to ``limit`` needs with a place given back since they were last asked, flagged
    no longer: (id, role, by) of whoever keeps asking. Rows another sweep holds are
    skipped (PostgreSQL; SQLite has one writer)."""
    rows = session.execute(
        select(Need.id, Need.keep_asking_role, Need.keep_asking_by)
        .where(Need.ask_again, Need.keep_asking_role.is_not(None))
        .order_by(Need.starts_at)
        .limit(limit)
        .with_for_update(skip_locked=True)
    ).all()
    session.execute(
        update(Need)
        .where(Need.id.in_([row.id for row in rows]))
        .values(ask_again=False)
        .execution_options(synchronize_session=False)
    )
    return rows
