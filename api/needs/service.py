"""Need use cases: post, read, list near a place, edit, cancel."""

from datetime import datetime
from typing import Any

from sqlalchemy import Select
from sqlalchemy.orm import Session

from api.audit.service import record
from api.auth.principal import Principal
from api.communities import repository as communities
from api.communities.service import find as find_community
from api.db.models import Need, NeedRole
from api.errors import Conflict, FieldError, NotFound
from api.geocoding.service import Located, located, required_place
from api.needs import repository
from api.needs.schemas import NeedCreate, NeedOut, NeedUpdate, RoleIn, RoleOut
from api.pagination import SortKey, paginate
from api.privacy import need_location, needs_within_km, place_need
from api.schemas import Page
from api.vocabulary import NeedStatus
from geo.geocoding import Geocoder

EDITABLE_STATUSES = ("open", "filled")


def to_out(need: Need, *, exact: bool) -> NeedOut:
    """A need as the caller may see it; ``exact`` is False for outsiders of a private place."""
    location, approximate = need_location(need, exact=exact)
    return NeedOut(
        id=need.id,
        community_id=need.community_id,
        agency_id=need.agency_id,
        title=need.title,
        description=need.description,
        category=need.category,
        location=location,
        location_approximate=approximate,
        # An address says where the place is as surely as its coordinates do.
        address=None if approximate else need.address,
        private_location=need.private_location,
        starts_at=need.starts_at,
        ends_at=need.ends_at,
        roles=[
            RoleOut(
                name=role.name,
                skill=role.skill,
                min_level=role.min_level,
                count=role.count,
                filled=role.filled,
            )
            for role in need.roles
        ],
        requirements=need.requirements,
        urgency=need.urgency,
        open_to_network=need.open_to_network,
        status=need.status,
        created_at=need.created_at,
        updated_at=need.updated_at,
    )


def _source(session: Session, principal: Principal, community_id: str | None) -> dict[str, Any]:
    """Who a new need belongs to, from the caller's role."""
    if principal.role == "agency":
        if community_id is not None:
            raise FieldError(
                ("body", "community_id"),
                "an agency's need is its own: community_id is not allowed",
            )
        return {"agency_id": principal.id}
    if community_id is None:
        raise FieldError(("body", "community_id"), "community_id is required")
    find_community(session, communities.managed(principal), community_id)
    return {"community_id": community_id}


def _ensure_not_over(ends_at: datetime, now: datetime) -> None:
    if ends_at <= now:
        raise FieldError(("body", "ends_at"), "ends_at is in the past: the need is already over")


def _role(position: int, role: RoleIn) -> NeedRole:
    return NeedRole(position=position, filled=0, **role.model_dump())


def refresh_status(need: Need) -> None:
    """An open need becomes filled when every role is full, and reopens when a place frees."""
    if need.status in EDITABLE_STATUSES:
        full = all(role.filled >= role.count for role in need.roles)
        need.status = "filled" if full else "open"


def create(
    session: Session,
    *,
    principal: Principal,
    data: NeedCreate,
    now: datetime,
    cell_km: float,
    geocoder: Geocoder,
) -> Need:
    """Post a need for a community the caller coordinates, or as an agency."""
    _ensure_not_over(data.ends_at, now)
    source = _source(session, principal, data.community_id)
    place = required_place(
        session, geocoder, point=data.location, address=data.address, point_field="location"
    )
    fields = data.model_dump(
        exclude={"community_id", "location", "address", "private_location", "roles"}
    )
    need = Need(
        **fields,
        **source,
        status="open",
        roles=[_role(position, role) for position, role in enumerate(data.roles)],
    )
    place_need(
        need,
        lat=place.lat,
        lon=place.lon,
        address=place.address,
        private=data.private_location,
        cell_km=cell_km,
    )
    session.add(need)
    session.flush()
    record(
        session,
        actor=principal,
        action="need.create",
        object_type="need",
        object_id=need.id,
        fields=data.model_fields_set,
    )
    return need


def get(session: Session, *, principal: Principal, need_id: str) -> tuple[Need, bool]:
    """A need the caller may read, and whether they see it exactly; 404 otherwise."""
    row = session.execute(repository.readable(principal).where(Need.id == need_id)).first()
    if row is None:
        raise NotFound(f"need {need_id} not found")
    return row[0], bool(row[1])


def _writable(session: Session, principal: Principal, need_id: str) -> Need:
    """The need, locked like a sign-up locks it: edits and sign-ups on it take turns, so a
    count lowered to the places taken cannot race a sign-up past the CHECK (a 500)."""
    need = session.scalar(
        repository.writable(principal)
        .where(Need.id == need_id)
        .with_for_update(of=Need)
        .execution_options(populate_existing=True)
    )
    if need is None:
        raise NotFound(f"need {need_id} not found")
    return need


def _replace_roles(need: Need, roles: list[RoleIn]) -> None:
    """Match roles by name: keep places already taken, refuse to drop below them."""
    current = {role.name: role for role in need.roles}
    wanted = {role.name for role in roles}
    for name, role in current.items():
        if name not in wanted and role.filled > 0:
            raise Conflict(f"role '{name}' has {role.filled} sign-ups and cannot be removed")
    kept = []
    for position, spec in enumerate(roles):
        role = current.get(spec.name)
        if role is None:
            kept.append(_role(position, spec))
            continue
        if spec.count < role.filled:
            raise Conflict(
                f"role '{spec.name}' already has {role.filled} sign-ups; count cannot be "
                f"lowered to {spec.count}"
            )
        role.position, role.skill, role.min_level, role.count = (
            position,
            spec.skill,
            spec.min_level,
            spec.count,
        )
        kept.append(role)
    need.roles = kept


def update(
    session: Session,
    *,
    principal: Principal,
    need_id: str,
    data: NeedUpdate,
    now: datetime,
    cell_km: float,
    geocoder: Geocoder,
) -> Need:
    """Edit a need that is still open or filled."""
    # Geocoded before the need is locked: a slow geocoder must not hold up its sign-ups.
    place = located(
        session, geocoder, point=data.location, address=data.address, point_field="location"
    )
    need = _writable(session, principal, need_id)
    if need.status not in EDITABLE_STATUSES:
        raise Conflict(f"need is {need.status} and can no longer be edited")
    changes = data.model_dump(
        exclude_unset=True, exclude={"roles", "location", "address", "private_location"}
    )
    starts_at = changes.get("starts_at", need.starts_at)
    ends_at = changes.get("ends_at", need.ends_at)
    if ends_at <= starts_at:
        field = "ends_at" if "ends_at" in changes else "starts_at"
        raise FieldError(("body", field), "ends_at must be after starts_at")
    if "ends_at" in changes:
        _ensure_not_over(ends_at, now)
    for column, value in changes.items():
        setattr(need, column, value)
    if place is None:
        place = Located(lat=need.location_lat, lon=need.location_lon, address=need.address)
    private = need.private_location if data.private_location is None else data.private_location
    place_need(
        need, lat=place.lat, lon=place.lon, address=place.address, private=private, cell_km=cell_km
    )
    if data.roles is not None:
        _replace_roles(need, data.roles)
    refresh_status(need)
    session.flush()
    record(
        session,
        actor=principal,
        action="need.update",
        object_type="need",
        object_id=need.id,
        fields=data.model_fields_set,
    )
    return need


def cancel(session: Session, *, principal: Principal, need_id: str) -> Need:
    """Cancel a need; cancelling twice is harmless, a need already done cannot be."""
    need = _writable(session, principal, need_id)
    if need.status == "done":
        raise Conflict("need is done and cannot be cancelled")
    if need.status == "cancelled":
        return need
    need.status = "cancelled"
    session.flush()
    record(
        session,
        actor=principal,
        action="need.cancel",
        object_type="need",
        object_id=need.id,
        fields=["status"],
    )
    return need


def _page_statement(
    session: Session,
    statement: Select[tuple[Need, bool]],
    *,
    principal: Principal,
    status: NeedStatus | None,
    near: tuple[float, float] | None,
    radius_km: float,
) -> Select[tuple[Need, bool]]:
    if status is not None:
        statement = statement.where(Need.status == status)
    if near is not None:
        dialect = session.get_bind().dialect.name
        lat, lon = near
        statement = statement.where(
            needs_within_km(dialect, principal, lat=lat, lon=lon, radius_km=radius_km)
        )
    return statement


def list_needs(
    session: Session,
    *,
    principal: Principal,
    status: NeedStatus | None,
    near: tuple[float, float] | None,
    radius_km: float,
    limit: int,
    cursor: str | None,
) -> Page[NeedOut]:
    """Needs the caller may read, soonest first, optionally within a radius of a point."""
    statement = _page_statement(
        session,
        repository.readable(principal),
        principal=principal,
        status=status,
        near=near,
        radius_km=radius_km,
    )
    return paginate(
        session,
        statement,
        key=SortKey(Need.starts_at, Need.id),
        limit=limit,
        cursor=cursor,
        to_out=lambda row: to_out(row[0], exact=bool(row[1])),
    )
