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
from api.db.models import Member, Need, Signup
from api.db.spatial import nearest_within, within_km
from api.matching.records import NEED_COLUMNS, member_select
from api.members import repository as members
from api.needs import repository as needs
from matcher import NeedSpec

SUGGESTION_NEEDS_MAX = 200
"""Needs ranked for one member's suggestions: the nearest ones within their radius.

A member with a wide radius in a city can reach thousands of open needs; ranking all of them
costs hundreds of milliseconds for a list of ten. Nearness is the strongest single part of
the score, and the 200 nearest leave ample room for skill, time and urgency to reorder.
"""


def _dialect(session: Session) -> str:
    return session.get_bind().dialect.name


def askable(need: NeedSpec) -> ColumnElement[bool]:
    """Members who may be asked: the community's own, or anyone for agency/network needs."""
    if need.community_id is not None and not need.open_to_network:
        return Member.community_id == need.community_id
    return true()


def candidate_rows(
    session: Session, *, principal: Principal, need: NeedSpec, now: datetime
) -> Sequence[Row[Any]]:
    """Active members the caller may see and ask, whose radius reaches the need.

    Rows of ``records.member_select``: engine columns, time zone and service history.
    """
    largest_radius = session.scalar(select(func.max(Member.max_travel_km)))
    if largest_radius is None:
        return []
    scope = members.readable(principal).where(
        Member.active.is_(True),
        askable(need),
        within_km(
            _dialect(session),
            lat_column=Member.home_lat,
            lon_column=Member.home_lon,
            geography_column=Member.home_geog,
            lat=need.lat,
            lon=need.lon,
            radius_km=largest_radius,
            row_radius_km=Member.max_travel_km,
        ),
    )
    return session.execute(member_select(scope, now=now)).all()


def suggestable_needs(session: Session, *, member: Row[Any], now: datetime) -> Sequence[Row[Any]]:
    """Open, future needs the member may see, within their radius, not yet signed up for.

    ``member`` is a ``records.member_select`` row. Rows of ``records.NEED_COLUMNS``, nearest
    first, measured to each need's shown point (a private place's cell, see ``api.privacy``).
    """
    signed_up = select(Signup.need_id).where(
        Signup.member_id == member.id, Signup.status == "confirmed"
    )
    open_needs = select(*NEED_COLUMNS).where(
        needs.visible_to(Principal.acting_as(member)),
        Need.status == "open",
        Need.starts_at > now,
        Need.id.not_in(signed_up),
    )
    statement = nearest_within(
        _dialect(session),
        open_needs,
        lat_column=Need.shown_lat,
        lon_column=Need.shown_lon,
        geography_column=Need.shown_geog,
        lat=member.home_lat,
        lon=member.home_lon,
        radius_km=member.max_travel_km,
        limit=SUGGESTION_NEEDS_MAX,
    )
    return session.execute(statement).all()
