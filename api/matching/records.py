"""Database rows to the engine's plain records, in bulk.

The engine knows nothing of SQL; this module is the one place that translates. Members come
with their service history in one query (correlated subqueries) and their commitments in one
more, however many there are: never one query per member.
"""

from collections import defaultdict
from collections.abc import Iterator, Sequence
from dataclasses import replace
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import Row, Select, func, select
from sqlalchemy.orm import Session

from api.db.ids import id_in
from api.db.models import Community, Member, Need, NeedRole, Signup
from matcher import Commitment, MemberRecord, NeedSpec, RoleSpec, Slot

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
FAIRNESS_WINDOW = timedelta(days=90)


def _minute(clock: str) -> int:
    hours, minutes = clock.split(":")
    return int(hours) * 60 + int(minutes)


def slots(availability: list[dict[str, str]]) -> tuple[Slot, ...]:
    """Stored weekly slots ({day, start, end}) as engine slots."""
    return tuple(
        Slot(
            day=DAYS.index(slot["day"]),
            start_minute=_minute(slot["start"]),
            end_minute=_minute(slot["end"]),
        )
        for slot in availability
    )


ID_BATCH = 5_000
"""Ids per ``IN (…)`` list: PostgreSQL takes at most 65,535 parameters, SQLite 32,766."""


def _batches(ids: Sequence[str]) -> Iterator[Sequence[str]]:
    for start in range(0, len(ids), ID_BATCH):
        yield ids[start : start + ID_BATCH]


def _commitments(
    session: Session, member_ids: Sequence[str], *, since: datetime
) -> dict[str, list[Commitment]]:
    """Confirmed sign-ups of these members for needs ending after ``since``."""
    dialect = session.get_bind().dialect.name
    found: dict[str, list[Commitment]] = defaultdict(list)
    for batch in _batches(member_ids):
        rows = session.execute(
            select(Signup.member_id, Need.id, Need.starts_at, Need.ends_at)
            .join(Need, Need.id == Signup.need_id)
            .where(
                id_in(dialect, Signup.member_id, batch),
                Signup.status == "confirmed",
                Need.status != "cancelled",
                Need.ends_at > since,
            )
        )
        for member_id, need_id, starts_at, ends_at in rows:
            commitment = Commitment(need_id=need_id, starts_at=starts_at, ends_at=ends_at)
            found[member_id].append(commitment)
    return found


MEMBER_COLUMNS = (
    Member.id,
    Member.community_id,
    Member.name,
    Member.home_lat,
    Member.home_lon,
    Member.max_travel_km,
    Member.skills,
    Member.interests,
    Member.availability,
    Member.blackout_dates,
    Member.stage,
    Member.checks,
    Member.max_commitments_per_month,
    Member.active,
)
"""What the engine needs of a member, selected as plain columns (no ORM objects per row)."""


def _served(now: datetime) -> Any:
    """Confirmed services of the outer query's member that have ended (correlated)."""
    return (
        select()
        .select_from(Signup)
        .join(Need, Need.id == Signup.need_id)
        .where(
            Signup.member_id == Member.id,
            Signup.status == "confirmed",
            Need.status != "cancelled",
            Need.ends_at < now,
        )
        .correlate(Member)
    )


def member_select(scope: Select[Any], *, now: datetime) -> Select[Any]:
    """``scope``'s members as engine columns, with time zone and service history in one query.

    The history (services in the last 90 days, last served) comes from correlated subqueries:
    one index probe per selected member, inside the same round trip.
    """
    served = _served(now)
    return (
        scope.with_only_columns(
            *MEMBER_COLUMNS,
            Community.timezone,
            served.add_columns(func.count())
            .where(Need.ends_at >= now - FAIRNESS_WINDOW)
            .scalar_subquery()
            .label("services_last_90_days"),
            served.add_columns(func.max(Need.ends_at)).scalar_subquery().label("last_served_at"),
        )
        .select_from(Member)
        .join(Community, Community.id == Member.community_id)
    )


def member_records(
    session: Session, rows: Sequence[Row[Any]], *, commitments_since: datetime
) -> list[MemberRecord]:
    """Engine records for rows selected by ``member_select`` (one more query: commitments)."""
    commitments = _commitments(session, [row.id for row in rows], since=commitments_since)
    return [
        MemberRecord(
            id=row.id,
            community_id=row.community_id,
            name=row.name,
            lat=row.home_lat,
            lon=row.home_lon,
            max_travel_km=row.max_travel_km,
            skills=row.skills,
            interests=row.interests,
            availability=slots(row.availability),
            blackout_dates=frozenset(date.fromisoformat(day) for day in row.blackout_dates),
            timezone=row.timezone,
            stage=row.stage,
            checks=frozenset(row.checks),
            max_commitments_per_month=row.max_commitments_per_month,
            active=row.active,
            commitments=tuple(commitments.get(row.id, ())),
            services_last_90_days=row.services_last_90_days,
            last_served_at=row.last_served_at,
        )
        for row in rows
    ]


NEED_COLUMNS = (
    Need.id,
    Need.community_id,
    Need.agency_id,
    Need.title,
    Need.description,
    Need.category,
    Need.shown_lat,
    Need.shown_lon,
    Need.shown_precision_km,
    Need.starts_at,
    Need.ends_at,
    Need.requirements,
    Need.urgency,
    Need.open_to_network,
)
"""What the engine needs of a need, selected as plain columns (no ORM objects per row).

Matching sees every need at its *shown* point, whoever asks (see ``api.privacy``): a private
place is ranked, filtered and explained from its coarse cell, so no candidate list,
suggestion or refused sign-up can reveal more of it than the cell.
"""


def _roles_of(session: Session, need_ids: Sequence[str]) -> dict[str, list[RoleSpec]]:
    """Each need's roles, with the stages of the members already signed up to each."""
    dialect = session.get_bind().dialect.name
    rows = session.execute(
        select(
            NeedRole.need_id,
            NeedRole.name,
            NeedRole.skill,
            NeedRole.min_level,
            NeedRole.count,
            NeedRole.filled,
            Member.stage,
        )
        .outerjoin(Signup, (Signup.role_id == NeedRole.id) & (Signup.status == "confirmed"))
        .outerjoin(Member, Member.id == Signup.member_id)
        .where(id_in(dialect, NeedRole.need_id, need_ids))
        .order_by(NeedRole.need_id, NeedRole.position, Member.stage)
    )
    roles: dict[str, list[RoleSpec]] = defaultdict(list)
    for need_id, name, skill, min_level, count, filled, stage in rows:
        current = roles[need_id]
        if current and current[-1].name == name:
            if stage is not None:  # one more signed-up member on the same role
                last = current[-1]
                current[-1] = replace(last, signed_up_stages=(*last.signed_up_stages, stage))
            continue
        stages = (stage,) if stage is not None else ()
        current.append(RoleSpec(name, skill, min_level, count, filled, stages))
    return roles


def member_record(
    session: Session, member_id: str, *, now: datetime, commitments_since: datetime
) -> MemberRecord:
    """The engine record of one member, by id (the caller has already checked access)."""
    row = session.execute(
        member_select(select(Member).where(Member.id == member_id), now=now)
    ).one()
    return member_records(session, [row], commitments_since=commitments_since)[0]


def need_specs_from_rows(session: Session, rows: Sequence[Row[Any]]) -> list[NeedSpec]:
    """Engine specs for rows selected with ``NEED_COLUMNS`` (read by name)."""
    roles = _roles_of(session, [row.id for row in rows])
    return [
        NeedSpec(
            id=row.id,
            community_id=row.community_id,
            agency_id=row.agency_id,
            title=row.title,
            description=row.description,
            category=row.category,
            lat=row.shown_lat,
            lon=row.shown_lon,
            location_precision_km=row.shown_precision_km,
            starts_at=row.starts_at,
            ends_at=row.ends_at,
            roles=tuple(roles[row.id]),
            requirements=frozenset(row.requirements),
            urgency=row.urgency,
            open_to_network=row.open_to_network,
        )
        for row in rows
    ]


def need_spec(session: Session, need_id: str) -> NeedSpec:
    """The engine spec of one need."""
    row = session.execute(select(*NEED_COLUMNS).where(Need.id == need_id)).one()
    return need_specs_from_rows(session, [row])[0]


def month_start_before(moment: datetime) -> datetime:
    """A day before the start of ``moment``'s month: enough margin for any local month."""
    return moment.replace(day=1, hour=0, minute=0, second=0, microsecond=0) - timedelta(days=1)
