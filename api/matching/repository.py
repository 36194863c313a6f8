"""Every query matching runs: candidate retrieval, the engine's inputs, the text model's sample.

Rows are read by name (``row.home_lat``), never by position; ``api.matching.inputs`` turns
them into the engine's plain inputs without touching SQL.

Candidate retrieval is the spatial narrowing done by the database, before any scoring. A
member can only be a candidate if the need lies within *their* radius. Radii differ, so the
index is searched with the network's largest radius (an indexed MAX) and then narrowed to
each member's own radius in the same query.

Members come with their service history in one query (correlated subqueries) and their
commitments in one more, however many there are: never one query per member.
"""

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cache
from typing import Any

from sqlalchemy import (
    BindParameter,
    ColumnElement,
    Float,
    Row,
    Select,
    and_,
    bindparam,
    false,
    func,
    literal,
    null,
    or_,
    select,
    true,
)
from sqlalchemy.orm import Session, aliased

from api.auth.principal import Principal
from api.db.ids import id_in, id_in_parameter
from api.db.models import Community, MatchEvent, Member, Need, NeedRole, Signup
from api.db.spatial import nearest_within, postgis_point, within_km

# Two scopes are joined into matching's own queries, where loading them first would cost a
# query per row: which members the caller may see, which needs a member may see.
from api.scopes import member_readable, need_visible_to, role_template, scope_parameters
from api.vocabulary import PENDING_STATUSES, Role
from geo.distance import SPHERE_MARGIN
from matcher import NeedSpec

AnySelect = Select[*tuple[Any, ...]]
EngineRow = Row[*tuple[Any, ...]]
"""A row of engine columns, read by name (``row.home_lat``) in ``api.matching.inputs``."""

SUGGESTION_NEEDS_MAX = 200
"""Needs ranked for one member's suggestions: the nearest ones within their radius.

A member with a wide radius in a city can reach thousands of open needs; ranking all of them
costs hundreds of milliseconds for a list of ten. Nearness is the strongest single part of
the score, and the 200 nearest leave ample room for skill, time and urgency to reorder.
"""

FAIRNESS_WINDOW = timedelta(days=90)
"""How far back ``services_last_90_days`` counts."""

ID_BATCH = 5_000
"""Ids per ``IN (…)`` list: PostgreSQL takes at most 65,535 parameters, SQLite 32,766."""

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

Each is labelled with its attribute's name, so a row reads like a ``Need`` (``row.shown_lat``).
Matching sees every need at its *shown* point, whoever asks (see ``api.privacy``): a private
place is ranked, filtered and explained from its coarse cell, so no candidate list,
suggestion or refused sign-up can reveal more of it than the cell.
"""


def _dialect(session: Session) -> str:
    return session.get_bind().dialect.name


def _batches(ids: Sequence[str]) -> Iterator[Sequence[str]]:
    for start in range(0, len(ids), ID_BATCH):
        yield ids[start : start + ID_BATCH]


Instant = datetime | BindParameter[datetime]
"""A moment as a value, or as a parameter of a statement built once."""


def _served(now: Instant) -> AnySelect:
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


def _history(now: Instant, window_start: Instant) -> tuple[ColumnElement[Any], ColumnElement[Any]]:
    """Services since ``window_start`` (``now - FAIRNESS_WINDOW``) and when last served, as
    correlated subqueries: one index probe per selected member, inside the same round trip."""
    served = _served(now)
    return (
        served.add_columns(func.count())
        .where(Need.ends_at >= window_start)
        .scalar_subquery()
        .label("services_last_90_days"),
        served.add_columns(func.max(Need.ends_at)).scalar_subquery().label("last_served_at"),
    )


NO_HISTORY = (
    literal(0).label("services_last_90_days"),
    null().label("last_served_at"),
)
"""The history columns of a member who never served: what a resident snapshot holds."""


def _member_select(
    scope: AnySelect, *, history: tuple[ColumnElement[Any], ColumnElement[Any]]
) -> AnySelect:
    """``scope``'s members as engine columns, with time zone and ``history`` in one query."""
    return (
        scope.with_only_columns(*MEMBER_COLUMNS, Community.timezone, *history)
        .select_from(Member)
        .join(Community, Community.id == Member.community_id)
    )


def member_row(session: Session, *, member_id: str, now: datetime) -> EngineRow:
    """One member as an engine row (unscoped: the caller has already checked access)."""
    scope = select(Member).where(Member.id == member_id)
    return session.execute(
        _member_select(scope, history=_history(now, now - FAIRNESS_WINDOW))
    ).one()


def readable_member_row(
    session: Session, *, principal: Principal, member_id: str, now: datetime
) -> EngineRow | None:
    """One member the caller may see, as an engine row (``MEMBER_COLUMNS``, ``timezone``,
    service history), in one query; None when absent or not the caller's to see."""
    parameters = {
        **scope_parameters(principal),
        "member_id": member_id,
        "now": now,
        "window_start": now - FAIRNESS_WINDOW,
    }
    return session.execute(_readable_member_statement(principal.role), parameters).first()


@cache
def _readable_member_statement(role: Role) -> AnySelect:
    """``readable_member_row``'s query for callers of ``role``, built once: building a
    statement and its cache key costs more Python than running it."""
    scope = select(Member).where(
        Member.id == bindparam("member_id"), member_readable(role_template(role))
    )
    return _member_select(scope, history=_history(bindparam("now"), bindparam("window_start")))


def readable_need_row(session: Session, *, principal: Principal, need_id: str) -> EngineRow | None:
    """One need the caller may see, as a ``NEED_COLUMNS`` row with its ``status``, in one
    query; None when absent or not the caller's to see."""
    parameters = {**scope_parameters(principal), "need_id": need_id}
    return session.execute(_readable_need_statement(principal.role), parameters).first()


@cache
def _readable_need_statement(role: Role) -> AnySelect:
    """``readable_need_row``'s query for callers of ``role``, built once (see
    ``_readable_member_statement``)."""
    statement: AnySelect = select(*NEED_COLUMNS, Need.status)
    return statement.where(Need.id == bindparam("need_id"), need_visible_to(role_template(role)))


def readable_need_with_roles(
    session: Session, *, principal: Principal, need_id: str, now: datetime
) -> tuple[EngineRow, list[EngineRow]] | None:
    """``readable_need_row`` and the need's ``role_rows`` (as of ``now``), in one query; None
    when absent or not the caller's to see."""
    parameters = {**scope_parameters(principal), "need_id": need_id, "now": now}
    rows = session.execute(_readable_need_with_roles_statement(principal.role), parameters).all()
    if not rows:
        return None
    return rows[0], [row for row in rows if row.name is not None]  # a need without roles: one row


@cache
def _readable_need_with_roles_statement(role: Role) -> AnySelect:
    """``readable_need_with_roles``'s query for callers of ``role``, built once: the need's
    columns on each of its ``role_rows`` (a need has a few roles and sign-ups)."""
    return (
        _readable_need_statement(role)
        .add_columns(*_ROLE_COLUMNS)
        .outerjoin(NeedRole, NeedRole.need_id == Need.id)
        .outerjoin(Signup, (Signup.role_id == NeedRole.id) & (Signup.status == "confirmed"))
        .outerjoin(Member, Member.id == Signup.member_id)
        .order_by(NeedRole.position, Member.stage)
    )


def _community_only(need: NeedSpec) -> bool:
    """Whether only the need's own community may be asked."""
    return need.community_id is not None and not need.open_to_network


def _askable(need: NeedSpec) -> ColumnElement[bool]:
    """Members who may be asked: the community's own, or anyone for agency/network needs."""
    if _community_only(need):
        return Member.community_id == need.community_id
    return true()


def _largest_radius_km(session: Session) -> float | None:
    """The network's largest travel radius (an indexed MAX): nobody farther can be asked."""
    return session.scalar(_largest_radius_statement())


@cache
def _largest_radius_statement() -> Select[float]:
    """``_largest_radius_km``'s query, built once (see ``_readable_member_statement``)."""
    return select(func.max(Member.max_travel_km))


def _reachable(session: Session, need: NeedSpec, largest_radius_km: float) -> ColumnElement[bool]:
    """Members whose own radius reaches the need (the index searched with the largest)."""
    return within_km(
        _dialect(session),
        lat_column=Member.home_lat,
        lon_column=Member.home_lon,
        geography_column=Member.home_geog,
        lat=need.lat,
        lon=need.lon,
        radius_km=largest_radius_km,
        row_radius_km=Member.max_travel_km,
    )


def _askable_by(principal: Principal, need: NeedSpec) -> ColumnElement[bool]:
    return and_(member_readable(principal), Member.active.is_(True), _askable(need))


def candidate_rows(
    session: Session, *, principal: Principal, need: NeedSpec, now: datetime
) -> Sequence[EngineRow]:
    """Every active member the caller may see and ask whose radius reaches the need.

    Rows as ``member_rows`` gives them: engine columns, time zone and service history.
    On PostGIS the statement is built once per role and kind of need (community-only or
    not); SQLite's bounding boxes are computed from the point, so it is built per need.
    """
    largest_radius = _largest_radius_km(session)
    if largest_radius is None:
        return []
    if _dialect(session) == "postgresql":
        parameters = {
            **scope_parameters(principal),
            "community_id": need.community_id,
            "lat": need.lat,
            "lon": need.lon,
            "radius_km": largest_radius,
            "now": now,
            "window_start": now - FAIRNESS_WINDOW,
        }
        statement = _candidates_statement_postgis(principal.role, _community_only(need))
        return session.execute(statement, parameters).all()
    scope = select(Member).where(
        _askable_by(principal, need), _reachable(session, need, largest_radius)
    )
    return session.execute(
        _member_select(scope, history=_history(now, now - FAIRNESS_WINDOW))
    ).all()


@cache
def _candidates_statement_postgis(role: Role, community_only: bool) -> AnySelect:
    """``candidate_rows``'s PostGIS query for callers of ``role``, built once (see
    ``_readable_member_statement``). The largest radius stays a value read beforehand: as a
    subquery inside it, PostgreSQL plans without knowing it and scanned the spatial index
    where the community's index alone was 50 times faster (10 ms against 0.2 ms)."""
    askable = Member.community_id == bindparam("community_id") if community_only else true()
    reachable = within_km(
        "postgresql",
        lat_column=Member.home_lat,
        lon_column=Member.home_lon,
        geography_column=Member.home_geog,
        lat=bindparam("lat", type_=Float),
        lon=bindparam("lon", type_=Float),
        radius_km=bindparam("radius_km", type_=Float),
        row_radius_km=Member.max_travel_km,
    )
    scope = select(Member).where(
        member_readable(role_template(role)), Member.active.is_(True), askable, reachable
    )
    return _member_select(scope, history=_history(bindparam("now"), bindparam("window_start")))


OUTLINE_COLUMNS = (
    Member.id,
    Member.community_id,
    Member.home_lat,
    Member.home_lon,
    Member.max_travel_km,
    Member.stage,
)
"""What ``matcher.member_ceilings`` needs of a member, with their levels in the need's skills:
a fraction of a full engine row, without the service history whose
correlated subqueries are most of a full row's cost, and without decoding the skills JSON."""


def _level(skill: str) -> ColumnElement[int]:
    return func.coalesce(Member.skills[skill].as_integer(), 0)


def _could_take_a_role(need: NeedSpec) -> ColumnElement[bool]:
    """Members at the skill level of at least one open role (no role, or one without a
    skill: everyone); the engine's own check decides, this only spares loading the rest."""
    open_roles = [role for role in need.roles if role.filled < role.count]
    if any(role.skill is None for role in open_roles):
        return true()
    return or_(
        false(), *(_level(role.skill) >= role.min_level for role in open_roles if role.skill)
    )


def _roughly_reachable(
    session: Session, need: NeedSpec, largest_radius_km: float
) -> ColumnElement[bool]:
    """A cheap superset of ``_reachable``: on PostGIS each member's own radius is tested on
    the sphere with a margin (a fraction of the spheroid's cost per row); the engine's exact
    distances then decide."""
    if _dialect(session) != "postgresql":
        return _reachable(session, need, largest_radius_km)
    point = postgis_point(need.lat, need.lon)
    return and_(
        func.ST_DWithin(Member.home_geog, point, largest_radius_km * 1000.0),
        func.ST_DWithin(
            Member.home_geog, point, Member.max_travel_km * (1000.0 * (1 + SPHERE_MARGIN)), False
        ),
    )


@dataclass(frozen=True, slots=True)
class Outlines:
    """``OUTLINE_COLUMNS`` as columns (one entry per member), and each member's level in each
    skill the need asks for: what ``matcher.member_ceilings`` takes, without a row object
    per member on the way."""

    ids: tuple[str, ...]
    community_ids: tuple[str, ...]
    lat: tuple[float, ...]
    lon: tuple[float, ...]
    max_travel_km: tuple[float, ...]
    stages: tuple[str, ...]
    levels: dict[str, tuple[int, ...]]


def candidate_outlines(session: Session, *, principal: Principal, need: NeedSpec) -> Outlines:
    """The active members the caller may ask who might reach the need and take a role, as
    outlines: the first of the two steps an exact top-k takes (see ``matcher.topk``)."""
    skills = sorted({role.skill for role in need.roles if role.skill})
    largest_radius = _largest_radius_km(session)
    rows: Sequence[EngineRow] = []
    if largest_radius is not None:
        statement: AnySelect = select(*OUTLINE_COLUMNS, *(_level(skill) for skill in skills))
        rows = session.execute(
            statement.where(
                _askable_by(principal, need),
                _roughly_reachable(session, need, largest_radius),
                _could_take_a_role(need),
            )
        ).all()
    # One transposition in C rather than a Python loop per column over every member in reach.
    columns = list(zip(*rows, strict=True)) or [()] * (len(OUTLINE_COLUMNS) + len(skills))
    ids, community_ids, lat, lon, max_travel_km, stages, *levels = columns
    return Outlines(
        ids=ids,
        community_ids=community_ids,
        lat=lat,
        lon=lon,
        max_travel_km=max_travel_km,
        stages=stages,
        levels=dict(zip(skills, levels, strict=True)),
    )


def member_rows_by_id(
    session: Session, member_ids: Sequence[str], *, now: datetime
) -> list[EngineRow]:
    """Engine rows for these members, in no particular order (unscoped: the ids come from a
    scoped query such as ``candidate_outlines``)."""
    dialect = _dialect(session)
    rows: list[EngineRow] = []
    for batch in _batches(member_ids):
        scope = select(Member).where(id_in(dialect, Member.id, batch))
        rows.extend(
            session.execute(
                _member_select(scope, history=_history(now, now - FAIRNESS_WINDOW))
            ).all()
        )
    return rows


def resident_member_rows(session: Session, *, batch: int) -> Iterator[Sequence[EngineRow]]:
    """Every active member as an engine row without service history or commitments, by
    latitude, ``batch`` rows at a time (streamed: a server-side cursor on PostgreSQL): what a
    worker's snapshot is built from (``api.matching.member_snapshot``)."""
    scope = select(Member).where(Member.active.is_(True)).order_by(Member.home_lat, Member.id)
    result = session.execute(
        _member_select(scope, history=NO_HISTORY), execution_options={"yield_per": batch}
    )
    yield from result.partitions()


def member_ids_changed_since(session: Session, since: datetime) -> list[str]:
    """Members created, edited or erased after ``since`` (the index on ``updated_at``)."""
    return list(session.scalars(select(Member.id).where(Member.updated_at > since)))


def commitment_rows(
    session: Session, *, member_ids: Sequence[str], since: datetime, now: datetime
) -> list[EngineRow]:
    """Confirmed sign-ups of these members, and their invitations pending at ``now``, for
    needs ending after ``since``: a member invited at a time is busy then.

    Rows of ``member_id``, ``need_id``, ``starts_at``, ``ends_at``, in batches of ``ID_BATCH``.
    """
    statement = _commitments_statement(_dialect(session))
    found: list[EngineRow] = []
    for batch in _batches(member_ids):
        parameters = {"member_ids": list(batch), "since": since, "now": now}
        found.extend(session.execute(statement, parameters))
    return found


def _pending_invitation(signup: Any) -> ColumnElement[bool]:
    """``signup`` (the model or an alias of it) is an invitation still holding its place at
    the statement's ``now`` (sent, or waiting for a mentor's answer): one past its expiry
    holds nothing, marked expired yet or not."""
    return and_(signup.status.in_(PENDING_STATUSES), signup.expires_at > bindparam("now"))


@cache
def _commitments_statement(dialect: str) -> AnySelect:
    """``commitment_rows``'s query, built once per dialect (see ``_readable_member_statement``)."""
    return (
        select(Signup.member_id, Need.id.label("need_id"), Need.starts_at, Need.ends_at)
        .join(Need, Need.id == Signup.need_id)
        .where(
            id_in_parameter(dialect, Signup.member_id, "member_ids"),
            or_(Signup.status == "confirmed", _pending_invitation(Signup)),
            Need.status != "cancelled",
            Need.ends_at > bindparam("since"),
        )
    )


def need_row(session: Session, *, need_id: str) -> EngineRow:
    """One need as a ``NEED_COLUMNS`` row (unscoped: the caller has checked access)."""
    statement: AnySelect = select(*NEED_COLUMNS)
    return session.execute(statement.where(Need.id == need_id)).one()


def role_rows(session: Session, *, need_ids: Sequence[str], now: datetime) -> Sequence[EngineRow]:
    """The roles of these needs, once per member signed up to each (``stage``; None if nobody).

    Ordered by need, then role position, then stage, so a need's roles come together and in
    order. Rows of ``need_id``, ``name``, ``skill``, ``min_level``, ``count``, ``filled``,
    ``invited`` (invitations pending at ``now``), ``stage``.
    """
    statement = _roles_statement(_dialect(session))
    return session.execute(statement, {"need_ids": list(need_ids), "now": now}).all()


def _pending_invitations() -> ColumnElement[int]:
    """Invitations holding a place in the outer query's role at ``now``, counted from the
    sign-ups rather than read from ``need_roles.invited``: that counter still includes
    invitations past their expiry until a write on the need releases them, and a read must
    not hide a place that is free. One on standby holds none (it is the member's time all
    the same: ``_commitments_statement`` counts it)."""
    invitation = aliased(Signup)
    return (
        select(func.count())
        .select_from(invitation)
        .where(
            invitation.need_id == NeedRole.need_id,  # ix_signups_need_id
            invitation.role_id == NeedRole.id,
            _pending_invitation(invitation),
            invitation.standby.is_(False),
        )
        .correlate(NeedRole)
        .scalar_subquery()
        .label("invited")
    )


_ROLE_COLUMNS = (
    NeedRole.need_id,
    NeedRole.name,
    NeedRole.skill,
    NeedRole.min_level,
    NeedRole.count,
    NeedRole.filled,
    _pending_invitations(),
    Member.stage,
)
"""A ``role_rows`` row: a role, with the stage of one member signed up to it."""


@cache
def _roles_statement(dialect: str) -> AnySelect:
    """``role_rows``'s query, built once per dialect (see ``_readable_member_statement``)."""
    return (
        select(*_ROLE_COLUMNS)
        .outerjoin(Signup, (Signup.role_id == NeedRole.id) & (Signup.status == "confirmed"))
        .outerjoin(Member, Member.id == Signup.member_id)
        .where(id_in_parameter(dialect, NeedRole.need_id, "need_ids"))
        .order_by(NeedRole.need_id, NeedRole.position, Member.stage)
    )


def suggestable_need_versions(
    session: Session, *, member: EngineRow, now: datetime
) -> Sequence[EngineRow]:
    """Open, future needs the member may see, within their radius, not yet signed up for, nor
    hidden by the member (``not_for_me``) or snoozed (``maybe_later``) as of ``now``.

    Rows of ``id`` and ``updated_at`` only, nearest first, measured to each need's shown point
    (a private place's cell, see ``api.privacy``): the rest of each need comes from the
    worker's cache (``api.matching.need_cache``), or ``need_rows_by_id`` when it has changed.
    """
    dialect = _dialect(session)
    parameters = {
        **scope_parameters(Principal.acting_as(member)),
        "member_id": member.id,
        "now": now,
    }
    if dialect == "postgresql":  # the KNN walk takes the point and radius as parameters
        statement = _suggestable_statement_postgis()
        parameters |= {
            "lat": member.home_lat,
            "lon": member.home_lon,
            "radius_km": member.max_travel_km,
        }
    else:  # SQLite's bounding boxes are computed from the point: a statement per member
        statement = _suggestable_statement(
            dialect, lat=member.home_lat, lon=member.home_lon, radius_km=member.max_travel_km
        )
    return session.execute(statement, parameters).all()


def _suggestable_statement(
    dialect: str,
    *,
    lat: float | BindParameter[float],
    lon: float | BindParameter[float],
    radius_km: float | BindParameter[float],
) -> AnySelect:
    """``suggestable_need_versions``'s query; the member and ``now`` are its parameters."""
    signed_up = select(Signup.need_id).where(
        Signup.member_id == bindparam("member_id"), Signup.status == "confirmed"
    )
    # A member has answered few suggestions: the unique (member, need, kind) index finds them.
    set_aside = select(MatchEvent.need_id).where(
        MatchEvent.member_id == bindparam("member_id"),
        MatchEvent.kind == "suggestion",
        or_(
            MatchEvent.outcome == "not_for_me",
            and_(MatchEvent.outcome == "maybe_later", MatchEvent.snoozed_until > bindparam("now")),
        ),
    )
    open_needs: AnySelect = select(Need.id, Need.updated_at).where(
        need_visible_to(role_template("member")),
        Need.status == "open",
        Need.starts_at > bindparam("now"),
        Need.id.not_in(signed_up),
        Need.id.not_in(set_aside),
    )
    return nearest_within(
        dialect,
        open_needs,
        lat_column=Need.shown_lat,
        lon_column=Need.shown_lon,
        geography_column=Need.shown_geog,
        lat=lat,
        lon=lon,
        radius_km=radius_km,
        limit=SUGGESTION_NEEDS_MAX,
    )


@cache
def _suggestable_statement_postgis() -> AnySelect:
    """``_suggestable_statement`` on PostGIS, built once (see ``_readable_member_statement``)."""
    return _suggestable_statement(
        "postgresql",
        lat=bindparam("lat", type_=Float),
        lon=bindparam("lon", type_=Float),
        radius_km=bindparam("radius_km", type_=Float),
    )


def need_rows_by_id(session: Session, need_ids: Sequence[str]) -> list[EngineRow]:
    """``NEED_COLUMNS`` rows with their ``updated_at``, in no particular order (unscoped: the
    ids come from a scoped query such as ``suggestable_need_versions``)."""
    dialect = _dialect(session)
    rows: list[EngineRow] = []
    for batch in _batches(need_ids):
        statement: AnySelect = select(*NEED_COLUMNS, Need.updated_at)
        rows.extend(session.execute(statement.where(id_in(dialect, Need.id, batch))).all())
    return rows


def recent_need_texts(session: Session, *, limit: int) -> Sequence[EngineRow]:
    """Title, description and category of the ``limit`` most recently created needs."""
    return session.execute(
        select(Need.title, Need.description, Need.category)
        .order_by(Need.created_at.desc())
        .limit(limit)
    ).all()


def recent_interests(session: Session, *, limit: int) -> list[str]:
    """The non-empty interests of the ``limit`` most recently created members."""
    return list(
        session.scalars(
            select(Member.interests)
            .where(Member.interests != "")
            .order_by(Member.created_at.desc())
            .limit(limit)
        )
    )


def community_member_rows(
    session: Session, *, community_id: str, now: datetime
) -> Sequence[EngineRow]:
    """A community's active members as engine rows (unscoped: the caller manages it)."""
    scope = select(Member).where(Member.community_id == community_id, Member.active.is_(True))
    return session.execute(
        _member_select(scope, history=_history(now, now - FAIRNESS_WINDOW))
    ).all()


def open_need_rows_starting(
    session: Session,
    *,
    starts_from: datetime,
    starts_to: datetime,
    community_id: str | None,
    limit: int,
) -> Sequence[EngineRow]:
    """Open needs starting in [starts_from, starts_to), soonest first, as ``NEED_COLUMNS`` rows
    (unscoped: the caller manages what it asks for). With ``community_id``, the needs that
    community's members could be asked to serve: its own, agencies' and those open to the
    network; without, every open need."""
    statement: AnySelect = select(*NEED_COLUMNS).where(
        Need.status == "open", Need.starts_at >= starts_from, Need.starts_at < starts_to
    )
    if community_id is not None:
        statement = statement.where(
            or_(
                Need.community_id == community_id,
                Need.community_id.is_(None),
                Need.agency_id.is_not(None),
                Need.open_to_network,
            )
        )
    return session.execute(statement.order_by(Need.starts_at, Need.id).limit(limit)).all()
