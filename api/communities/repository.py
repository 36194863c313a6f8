"""Community queries: every statement the communities domain runs, scoped to what the caller
may see or manage.

``readable`` and ``managed`` are the single definitions of who reaches a community; the
figures of a community (its members by stage, the hours they served) are read only inside
``managed``, so no query here answers for a community the caller does not manage.
"""

from collections.abc import Sequence
from datetime import datetime
from typing import Any, NamedTuple

from sqlalchemy import (
    ColumnElement,
    Select,
    case,
    exists,
    false,
    func,
    literal,
    or_,
    select,
    true,
)
from sqlalchemy.orm import InstrumentedAttribute, Session

from api.auth.principal import Principal
from api.db.models import (
    Community,
    Coordinator,
    Member,
    Membership,
    Need,
    Signup,
    StageChange,
    coordinator_communities,
)
from api.vocabulary import HELD_STATUSES, PENDING_STATUSES, Stage


def readable(principal: Principal) -> Select[Community]:
    """Admins: all; coordinators and members: their own; agencies: none."""
    statement = select(Community)
    if principal.is_admin:
        return statement
    if principal.role in ("coordinator", "member"):
        return statement.where(Community.id.in_(principal.community_ids))
    return statement.where(false())


def _managed_by(
    principal: Principal, community_id: InstrumentedAttribute[str]
) -> ColumnElement[bool]:
    """Rows whose ``community_id`` is one the caller manages: admin all, coordinators own."""
    if principal.is_admin:
        return true()
    if principal.role == "coordinator":
        return community_id.in_(principal.community_ids)
    return false()


def managed(principal: Principal) -> Select[Community]:
    """Communities whose members and needs the caller manages: admin all, coordinators own."""
    return select(Community).where(_managed_by(principal, Community.id))


def get_readable(session: Session, *, principal: Principal, community_id: str) -> Community | None:
    """The community if the caller may read it; else None."""
    return session.scalar(readable(principal).where(Community.id == community_id))


def get_managed(session: Session, *, principal: Principal, community_id: str) -> Community | None:
    """The community if the caller manages it; else None."""
    return session.scalar(managed(principal).where(Community.id == community_id))


def list_readable(session: Session, *, principal: Principal, limit: int) -> Sequence[Community]:
    """The communities the caller may read, by name, at most ``limit``."""
    return session.scalars(readable(principal).order_by("name", "id").limit(limit)).all()


def get_by_id(session: Session, community_id: str) -> Community | None:
    """Any community by id, unscoped: for the admin's and the system's own writes."""
    return session.get(Community, community_id)


def find_coordinator(session: Session, *, email: str) -> Coordinator | None:
    """The coordinator known by ``email``, if any."""
    return session.scalar(select(Coordinator).where(Coordinator.email == email))


def coordinates(session: Session, *, coordinator_id: str, community_id: str) -> bool:
    """Whether the coordinator already coordinates the community."""
    found = session.scalar(
        select(coordinator_communities.c.community_id).where(
            coordinator_communities.c.coordinator_id == coordinator_id,
            coordinator_communities.c.community_id == community_id,
        )
    )
    return found is not None


def count_coordinated(session: Session, *, coordinator_id: str) -> int:
    """How many communities the coordinator coordinates."""
    count = session.scalar(
        select(func.count()).where(coordinator_communities.c.coordinator_id == coordinator_id)
    )
    return count or 0


def appoint(session: Session, *, coordinator_id: str, community_id: str) -> None:
    """Make the coordinator one of the community's coordinators."""
    session.execute(
        coordinator_communities.insert().values(
            coordinator_id=coordinator_id, community_id=community_id
        )
    )


def coordinated_ids(session: Session, *, coordinator_id: str) -> list[str]:
    """The ids of the communities the coordinator coordinates, in id order."""
    ids = session.scalars(
        select(coordinator_communities.c.community_id)
        .where(coordinator_communities.c.coordinator_id == coordinator_id)
        .order_by(coordinator_communities.c.community_id)
    )
    return list(ids)


class StageCount(NamedTuple):
    """How many current members of a community are at one stage, and how many are active."""

    stage: Stage
    members: int
    active: int


def count_members_by_stage(
    session: Session, *, principal: Principal, community_id: str
) -> list[StageCount]:
    """Current (not erased) members of a community the caller manages, per stage present."""
    rows = session.execute(
        select(
            Member.stage,
            func.count().label("members"),
            func.count().filter(Member.active.is_(True)).label("active"),
        )
        .where(
            Member.community_id == community_id,
            Member.erased_at.is_(None),
            _managed_by(principal, Member.community_id),
        )
        .group_by(Member.stage)
    )
    return [StageCount(**row._mapping) for row in rows]


class ServiceFigures(NamedTuple):
    """Confirmed sign-ups of a community's members: on needs that ended in a window, their
    summed need durations in hours, and on needs not yet over."""

    served: int
    served_hours: float
    upcoming: int


def _hours(dialect: str) -> ColumnElement[Any]:
    """A need's duration in hours, in the backend's own date arithmetic."""
    if dialect == "postgresql":
        return func.extract("epoch", Need.ends_at - Need.starts_at) / 3600.0
    # SQLite stores UTC instants as ISO text; julianday() reads them as days.
    return (func.julianday(Need.ends_at) - func.julianday(Need.starts_at)) * 24.0


def service_figures(
    session: Session, *, principal: Principal, community_id: str, since: datetime, now: datetime
) -> ServiceFigures:
    """The confirmed sign-ups of the members (erased ones too) of a community the caller
    manages: those on needs that ended in (``since``, ``now``], and those not yet over."""
    ended = (Need.ends_at > since) & (Need.ends_at <= now)
    hours = _hours(session.get_bind().dialect.name)
    row = session.execute(
        select(
            func.count().filter(ended).label("served"),
            func.coalesce(func.sum(hours).filter(ended), 0).label("served_hours"),
            func.count().filter(Need.ends_at > now).label("upcoming"),
        )
        .select_from(Signup)
        .join(Member, Member.id == Signup.member_id)
        .join(Need, Need.id == Signup.need_id)
        .where(
            Member.community_id == community_id,
            _managed_by(principal, Member.community_id),
            Signup.status == "confirmed",
            Need.ends_at > since,
        )
    ).one()
    return ServiceFigures(
        served=row.served, served_hours=float(row.served_hours), upcoming=row.upcoming
    )


class ActiveMember(NamedTuple):
    """An active member of a community, as the load report lists them."""

    id: str
    name: str
    stage: Stage
    monthly_limit: int


def active_members(
    session: Session, *, principal: Principal, community_id: str
) -> list[ActiveMember]:
    """The active (not erased) members of a community the caller manages."""
    rows = session.execute(
        select(
            Member.id,
            Member.name,
            Member.stage,
            Member.max_commitments_per_month.label("monthly_limit"),
        ).where(
            Member.community_id == community_id,
            _managed_by(principal, Member.community_id),
            Member.active.is_(True),
            Member.erased_at.is_(None),
        )
    )
    return [ActiveMember(**row._mapping) for row in rows]


def _active_members_signups(principal: Principal, community_id: str) -> Select[Any]:
    """Sign-ups of the community's active members on needs not cancelled (a FROM to add
    columns to)."""
    return (
        select()
        .select_from(Signup)
        .join(Member, Member.id == Signup.member_id)
        .join(Need, Need.id == Signup.need_id)
        .where(
            Member.community_id == community_id,
            _managed_by(principal, Member.community_id),
            Member.active.is_(True),
            Member.erased_at.is_(None),
            Need.status != "cancelled",
        )
    )


class MonthLoad(NamedTuple):
    """One member's places in one calendar month: in the window (confirmed; invited) and in
    the whole month (both)."""

    member_id: str
    month: int
    confirmed: int
    invited: int
    committed: int


def month_loads(
    session: Session,
    *,
    principal: Principal,
    community_id: str,
    month_starts: Sequence[datetime],
    start: datetime,
    end: datetime,
) -> list[MonthLoad]:
    """Per active member and calendar month, their places in needs starting in that month
    (``month_starts`` are the months' first instants, the last one ending the last month) and
    how many of them start in [``start``, ``end``). One grouped query for the community."""
    whens = [(Need.starts_at < bound, index) for index, bound in enumerate(month_starts[1:-1])]
    last = len(month_starts) - 2
    month = case(*whens, else_=last) if whens else literal(last)
    in_window = (Need.starts_at >= start) & (Need.starts_at < end)
    # Grouped in an outer query over named columns: PostgreSQL would not see the CASE in
    # GROUP BY as the one selected (each carries its own bound parameters).
    placed = (
        _active_members_signups(principal, community_id)
        .add_columns(
            Signup.member_id,
            Signup.status,
            month.label("month"),
            in_window.label("in_window"),
        )
        .where(
            Signup.status.in_(HELD_STATUSES),
            Need.starts_at >= month_starts[0],
            Need.starts_at < month_starts[-1],
        )
        .subquery()
    )
    rows = session.execute(
        select(
            placed.c.member_id,
            placed.c.month,
            func.count()
            .filter(placed.c.in_window, placed.c.status == "confirmed")
            .label("confirmed"),
            func.count()
            .filter(placed.c.in_window, placed.c.status.in_(PENDING_STATUSES))
            .label("invited"),
            func.count().label("committed"),
        ).group_by(placed.c.member_id, placed.c.month)
    )
    return [MonthLoad(**row._mapping) for row in rows]


def last_served(
    session: Session, *, principal: Principal, community_id: str, now: datetime
) -> dict[str, datetime]:
    """When each active member's last need served (confirmed) ended, of needs over by ``now``;
    members who never served are absent."""
    rows = session.execute(
        _active_members_signups(principal, community_id)
        .add_columns(Signup.member_id, func.max(Need.ends_at).label("ended_at"))
        .where(Signup.status == "confirmed", Need.ends_at < now)
        .group_by(Signup.member_id)
    )
    return {row.member_id: row.ended_at for row in rows}


class MembershipSpan(NamedTuple):
    """A member's time in the community, [``joined_at``, ``left_at``), their erasure and their
    stage now (for a member with no stage recorded)."""

    member_id: str
    joined_at: datetime
    left_at: datetime | None
    erased_at: datetime | None
    stage: Stage


def memberships(
    session: Session, *, principal: Principal, community_id: str, since: datetime, until: datetime
) -> list[MembershipSpan]:
    """The memberships of a community the caller manages that overlap [``since``, ``until``],
    erased members' included."""
    rows = session.execute(
        select(
            Membership.member_id,
            Membership.joined_at,
            Membership.left_at,
            Member.erased_at,
            Member.stage,
        )
        .join(Member, Member.id == Membership.member_id)
        .where(
            Membership.community_id == community_id,
            _managed_by(principal, Membership.community_id),
            Membership.joined_at < until,
            or_(Membership.left_at.is_(None), Membership.left_at >= since),
        )
    )
    return [MembershipSpan(**row._mapping) for row in rows]


class StageRecord(NamedTuple):
    """A stage a member held from ``changed_at`` on."""

    member_id: str
    stage: Stage
    changed_at: datetime


def _ever_members(principal: Principal, community_id: str) -> Select[Any]:
    """Ids of everyone who ever belonged to a community the caller manages."""
    return select(Membership.member_id).where(
        Membership.community_id == community_id,
        _managed_by(principal, Membership.community_id),
    )


def stage_records(
    session: Session, *, principal: Principal, community_id: str, until: datetime
) -> list[StageRecord]:
    """Every stage recorded before ``until`` for anyone who ever belonged to a community the
    caller manages, by member then time (the first is the stage they joined with)."""
    rows = session.execute(
        select(StageChange.member_id, StageChange.stage, StageChange.changed_at)
        .where(
            StageChange.member_id.in_(_ever_members(principal, community_id)),
            StageChange.changed_at < until,
        )
        .order_by(StageChange.member_id, StageChange.changed_at, StageChange.id)
    )
    return [StageRecord(**row._mapping) for row in rows]


def _stage_at(moment: InstrumentedAttribute[datetime]) -> ColumnElement[Any]:
    """The stage the sign-up's member held at ``moment``: their last recorded change at or
    before it, else (a need before they joined) the stage they joined with."""
    latest = (
        select(StageChange.stage)
        .where(StageChange.member_id == Signup.member_id, StageChange.changed_at <= moment)
        .order_by(StageChange.changed_at.desc(), StageChange.id.desc())
        .limit(1)
        .scalar_subquery()
    )
    first = (
        select(StageChange.stage)
        .where(StageChange.member_id == Signup.member_id)
        .order_by(StageChange.changed_at, StageChange.id)
        .limit(1)
        .scalar_subquery()
    )
    return func.coalesce(latest, first)


def _covers_need_end() -> ColumnElement[bool]:
    """The membership covered the need's end: a place counts for the community its member
    belonged to when the need ended."""
    return (Membership.joined_at < Need.ends_at) & (
        Membership.left_at.is_(None) | (Membership.left_at >= Need.ends_at)
    )


class ServedPlace(NamedTuple):
    """A confirmed place in a need over: whose, its need's end and length, the member's stage
    when the need started, and whether they belonged to the community when it ended."""

    need_id: str
    member_id: str
    ends_at: datetime
    hours: float
    stage: Stage
    ours: bool


def served_places(
    session: Session, *, principal: Principal, community_id: str, since: datetime, until: datetime
) -> list[ServedPlace]:
    """Every confirmed place in the needs that ended in [``since``, ``until``) with a place of
    someone who then belonged to a community the caller manages: theirs, and their fellow
    servers' (of any community, to tell who served beside whom). Erased members' too."""
    needs = (
        select(Signup.need_id)
        .join(Need, Need.id == Signup.need_id)
        .join(Membership, Membership.member_id == Signup.member_id)
        .where(
            Membership.community_id == community_id,
            _managed_by(principal, Membership.community_id),
            Signup.status == "confirmed",
            Need.ends_at >= since,
            Need.ends_at < until,
            _covers_need_end(),
        )
    )
    ours = (
        exists()
        .where(
            Membership.member_id == Signup.member_id,
            Membership.community_id == community_id,
            _covers_need_end(),
        )
        .correlate(Signup, Need)
    )
    rows = session.execute(
        select(
            Signup.need_id,
            Signup.member_id,
            Need.ends_at,
            _hours(session.get_bind().dialect.name).label("hours"),
            _stage_at(Need.starts_at).label("stage"),
            ours.label("ours"),
        )
        .join(Need, Need.id == Signup.need_id)
        .where(Signup.status == "confirmed", Signup.need_id.in_(needs))
    )
    return [
        ServedPlace(**{**row._mapping, "hours": float(row.hours), "ours": bool(row.ours)})
        for row in rows
    ]
