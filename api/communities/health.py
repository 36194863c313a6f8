"""A community's health figures: who its members are by stage, and how much they served.

Service hours are the summed durations of needs that ended in the window, once per confirmed
sign-up of the community's members, computed in SQL. Erased members are no longer counted as
members, but their past sign-ups stay confirmed on the anonymous stub, so the hours a
community served do not shrink when someone exercises their right to erasure.
"""

from datetime import datetime, timedelta
from typing import Annotated, Any

from pydantic import BaseModel, Field
from sqlalchemy import ColumnElement, func, select
from sqlalchemy.orm import Session

from api.db.models import Member, Need, Signup
from api.schemas import Count, Id
from api.vocabulary import Stage
from matcher.records import STAGES

WINDOW_DAYS = 90


class MemberCounts(BaseModel):
    """Current (not erased) members."""

    total: Count
    active: Count
    by_stage: dict[Stage, Count]


class CommunityHealth(BaseModel):
    """Figures for one community over the last ``window_days`` (ending at ``as_of``)."""

    community_id: Id
    as_of: datetime
    window_days: Annotated[int, Field(ge=1, le=366)]
    members: MemberCounts
    confirmed_signups: Count
    """Confirmed sign-ups of the community's members on needs that ended in the window."""
    service_hours: float
    """Their summed need durations, in hours."""
    upcoming_signups: Count
    """Confirmed sign-ups on needs not yet over."""


def _hours(dialect: str) -> ColumnElement[Any]:
    """A need's duration in hours, in the backend's own date arithmetic."""
    if dialect == "postgresql":
        return func.extract("epoch", Need.ends_at - Need.starts_at) / 3600.0
    # SQLite stores UTC instants as ISO text; julianday() reads them as days.
    return (func.julianday(Need.ends_at) - func.julianday(Need.starts_at)) * 24.0


def health(session: Session, *, community_id: str, now: datetime) -> CommunityHealth:
    """The community's figures as of ``now``."""
    current = Member.community_id == community_id, Member.erased_at.is_(None)
    stage_rows = session.execute(
        select(Member.stage, func.count(), func.count().filter(Member.active.is_(True)))
        .where(*current)
        .group_by(Member.stage)
    ).all()
    by_stage = dict.fromkeys(STAGES, 0)
    active = 0
    for stage, count, active_count in stage_rows:
        by_stage[stage] = count
        active += active_count
    since = now - timedelta(days=WINDOW_DAYS)
    ended = (Need.ends_at > since) & (Need.ends_at <= now)
    hours = _hours(session.get_bind().dialect.name)
    served, served_hours, upcoming = session.execute(
        select(
            func.count().filter(ended),
            func.coalesce(func.sum(hours).filter(ended), 0),
            func.count().filter(Need.ends_at > now),
        )
        .select_from(Signup)
        .join(Member, Member.id == Signup.member_id)
        .join(Need, Need.id == Signup.need_id)
        .where(
            Member.community_id == community_id,
            Signup.status == "confirmed",
            Need.ends_at > since,
        )
    ).one()
    return CommunityHealth(
        community_id=community_id,
        as_of=now,
        window_days=WINDOW_DAYS,
        members=MemberCounts(total=sum(by_stage.values()), active=active, by_stage=by_stage),
        confirmed_signups=served,
        service_hours=round(float(served_hours), 2),
        upcoming_signups=upcoming,
    )
