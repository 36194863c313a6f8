"""Database rows to the engine's plain records, in bulk.

The engine knows nothing of SQL; this module is the one place that translates. Per-member
history (commitments, recent services) is fetched with one grouped query per request, never
one query per member.
"""

from collections import defaultdict
from collections.abc import Iterator, Sequence
from dataclasses import replace
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import Row, func, select
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


def _service_history(
    session: Session, member_ids: Sequence[str], *, now: datetime
) -> dict[str, tuple[int, datetime | None]]:
    """Per member: services ended in the last 90 days, and when they last served."""
    dialect = session.get_bind().dialect.name
    history: dict[str, tuple[int, datetime | None]] = {}
    for batch in _batches(member_ids):
        rows = session.execute(
            select(
                Signup.member_id,
                func.count().filter(Need.ends_at >= now - FAIRNESS_WINDOW),
                func.max(Need.ends_at),
            )
            .join(Need, Need.id == Signup.need_id)
            .where(
                id_in(dialect, Signup.member_id, batch),
                Signup.status == "confirmed",
                Need.status != "cancelled",
                Need.ends_at < now,
            )
            .group_by(Signup.member_id)
        )
        history.update((member_id, (int(count), last)) for member_id, count, last in rows)
    return history


def member_records(
    session: Session,
    rows: Sequence[tuple[Member, str]],
    *,
    now: datetime,
    commitments_since: datetime,
) -> list[MemberRecord]:
    """Engine records for (member, community timezone) rows."""
    ids = [member.id for member, _ in rows]
    commitments = _commitments(session, ids, since=commitments_since)
    history = _service_history(session, ids, now=now)
    return [
        MemberRecord(
            id=member.id,
            community_id=member.community_id,
            name=member.name,
            lat=member.home_lat,
            lon=member.home_lon,
            max_travel_km=member.max_travel_km,
            skills=member.skills,
            interests=member.interests,
            availability=slots(member.availability),
            blackout_dates=frozenset(date.fromisoformat(day) for day in member.blackout_dates),
            timezone=timezone,
            stage=member.stage,
            checks=frozenset(member.checks),
            max_commitments_per_month=member.max_commitments_per_month,
            active=member.active,
            commitments=tuple(commitments.get(member.id, ())),
            services_last_90_days=history.get(member.id, (0, None))[0],
            last_served_at=history.get(member.id, (0, None))[1],
        )
        for member, timezone in rows
    ]


NEED_COLUMNS = (
    Need.id,
    Need.community_id,
    Need.agency_id,
    Need.title,
    Need.description,
    Need.category,
    Need.location_lat,
    Need.location_lon,
    Need.starts_at,
    Need.ends_at,
    Need.requirements,
    Need.urgency,
    Need.open_to_network,
)
"""What the engine needs of a need, selected as plain columns (no ORM objects per row)."""


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
    session: Session, member: Member, *, now: datetime, commitments_since: datetime
) -> MemberRecord:
    """The engine record of one member (their community gives the time zone)."""
    timezone = session.scalar(select(Community.timezone).where(Community.id == member.community_id))
    assert timezone is not None  # a member's community exists (foreign key)
    return member_records(
        session, [(member, timezone)], now=now, commitments_since=commitments_since
    )[0]


def need_specs_from_rows(session: Session, rows: Sequence[Row[Any]]) -> list[NeedSpec]:
    """Engine specs for rows selected with ``NEED_COLUMNS`` (in that order, first)."""
    roles = _roles_of(session, [row[0] for row in rows])
    return [
        NeedSpec(
            id=row[0],
            community_id=row[1],
            agency_id=row[2],
            title=row[3],
            description=row[4],
            category=row[5],
            lat=row[6],
            lon=row[7],
            starts_at=row[8],
            ends_at=row[9],
            roles=tuple(roles[row[0]]),
            requirements=frozenset(row[10]),
            urgency=row[11],
            open_to_network=row[12],
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
