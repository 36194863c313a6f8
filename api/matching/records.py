"""Database rows to the engine's plain records, in bulk.

The engine knows nothing of SQL; this module is the one place that translates. Per-member
history (commitments, recent services) is fetched with one grouped query per request, never
one query per member.
"""

from collections import defaultdict
from collections.abc import Iterator, Sequence
from datetime import date, datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from api.db.models import Member, Need, NeedRole, Signup
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
    found: dict[str, list[Commitment]] = defaultdict(list)
    for batch in _batches(member_ids):
        rows = session.execute(
            select(Signup.member_id, Need.id, Need.starts_at, Need.ends_at)
            .join(Need, Need.id == Signup.need_id)
            .where(
                Signup.member_id.in_(batch),
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
                Signup.member_id.in_(batch),
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


def need_specs(session: Session, needs: Sequence[Need]) -> list[NeedSpec]:
    """Engine specs for needs, with the stages already signed up to each role."""
    stages: dict[str, list[str]] = defaultdict(list)
    if needs:
        rows = session.execute(
            select(Signup.role_id, Member.stage)
            .join(Member, Member.id == Signup.member_id)
            .where(Signup.need_id.in_([need.id for need in needs]), Signup.status == "confirmed")
        )
        for role_id, stage in rows:
            stages[role_id].append(stage)
    return [
        NeedSpec(
            id=need.id,
            community_id=need.community_id,
            agency_id=need.agency_id,
            title=need.title,
            description=need.description,
            category=need.category,
            lat=need.location_lat,
            lon=need.location_lon,
            starts_at=need.starts_at,
            ends_at=need.ends_at,
            roles=tuple(_role_spec(role, stages[role.id]) for role in need.roles),
            requirements=frozenset(need.requirements),
            urgency=need.urgency,
            open_to_network=need.open_to_network,
        )
        for need in needs
    ]


def _role_spec(role: NeedRole, stages: list[str]) -> RoleSpec:
    return RoleSpec(
        name=role.name,
        skill=role.skill,
        min_level=role.min_level,
        count=role.count,
        filled=role.filled,
        signed_up_stages=tuple(sorted(stages)),
    )


def month_start_before(moment: datetime) -> datetime:
    """A day before the start of ``moment``'s month: enough margin for any local month."""
    return moment.replace(day=1, hour=0, minute=0, second=0, microsecond=0) - timedelta(days=1)
