"""Candidate retrieval: the spatial narrowing done by the database, before any scoring.

A member can only be a candidate if the need lies within *their* radius. Radii differ, so the
index is searched with the network's largest radius (an indexed MAX) and then narrowed to
each member's own radius in the same query.
"""

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Row, func, select, true
from sqlalchemy.orm import Session

from api.auth.principal import Principal
from api.db.models import Community, Member, Need, Signup
from api.db.spatial import within_km
from api.matching.records import NEED_COLUMNS
from api.members import repository as members
from api.needs import repository as needs

SUGGESTION_NEEDS_MAX = 5000
"""Needs considered for one member's suggestions (the soonest ones)."""


def _dialect(session: Session) -> str:
    return session.get_bind().dialect.name


def askable(need: Need) -> ColumnElement[bool]:
    """Members who may be asked: the community's own, or anyone for agency/network needs."""
    if need.community_id is not None and not need.open_to_network:
        return Member.community_id == need.community_id
    return true()


def candidate_rows(
    session: Session, *, principal: Principal, need: Need
) -> Sequence[tuple[Member, str]]:
    """Active members the caller may see and ask, whose radius reaches the need."""
    largest_radius = session.scalar(select(func.max(Member.max_travel_km)))
    if largest_radius is None:
        return []
    statement = (
        members.readable(principal)
        .add_columns(Community.timezone)
        .join(Community, Community.id == Member.community_id)
        .where(
            Member.active.is_(True),
            askable(need),
            within_km(
                _dialect(session),
                lat_column=Member.home_lat,
                lon_column=Member.home_lon,
                geography_column=Member.home_geog,
                lat=need.location_lat,
                lon=need.location_lon,
                radius_km=largest_radius,
                row_radius_km=Member.max_travel_km,
            ),
        )
    )
    return [(member, timezone) for member, timezone in session.execute(statement)]


def suggestable_needs(session: Session, *, member: Member, now: datetime) -> Sequence[Row[Any]]:
    """Open, future needs the member may see, within their radius, not yet signed up for.

    Rows of ``records.NEED_COLUMNS`` followed by ``private_location``.
    """
    signed_up = select(Signup.need_id).where(
        Signup.member_id == member.id, Signup.status == "confirmed"
    )
    statement = (
        select(*NEED_COLUMNS, Need.private_location)
        .where(
            needs.visible_to(Principal.acting_as(member)),
            Need.status == "open",
            Need.starts_at > now,
            Need.id.not_in(signed_up),
            within_km(
                _dialect(session),
                lat_column=Need.location_lat,
                lon_column=Need.location_lon,
                geography_column=Need.location_geog,
                lat=member.home_lat,
                lon=member.home_lon,
                radius_km=member.max_travel_km,
            ),
        )
        .order_by(Need.starts_at, Need.id)
        .limit(SUGGESTION_NEEDS_MAX)
    )
    return session.execute(statement).all()
