"""Need use cases: post, read, list near a place, edit, cancel; a community's open needs."""

from collections.abc import Sequence
from datetime import datetime
from typing import Any, cast

from sqlalchemy.orm import Session

from api.audit.service import record
from api.auth.principal import Principal, stored_principal
from api.communities import service as communities
from api.db.models import Need, NeedRole
from api.errors import Conflict, FieldError, NotFound
from api.geocoding.service import Located, located, required_place
from api.needs import repository
from api.needs.schemas import NeedCreate, NeedFilter, NeedOut, NeedUpdate, RoleIn, RoleOut
from api.privacy import need_location, place_need
from api.schemas import Page
from api.vocabulary import Role
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
        roles=[RoleOut.model_validate(role, from_attributes=True) for role in need.roles],
        requirements=need.requirements,
        urgency=need.urgency,
        open_to_network=need.open_to_network,
        keep_asking=need.keep_asking_role is not None,
        status=need.status,
        created_at=need.created_at,
        updated_at=need.updated_at,
    )


ASK_AGAIN_NEEDS = 50
"""Needs asked again per transaction of the sweep (each is a team proposal)."""


def _keep_asking(need: Need, principal: Principal, on: bool) -> None:
    """Keep asking on the caller's behalf, or stop; only those who send teams may."""
    if on and principal.role not in ("coordinator", "admin"):
        raise FieldError(
            ("body", "keep_asking"), "only a coordinator or an admin can keep asking for a need"
        )
    need.keep_asking_role, need.keep_asking_by = (
        (principal.role, principal.id) if on else (None, None)
    )


def keep_asking(session: Session, *, principal: Principal, need_ids: Sequence[str]) -> None:
    """Keep asking on these needs on the caller's behalf (a team or batch sent with
    ``keep_asking``), flushed so the invitations sent next see it (their holds)."""
    for need in repository.by_ids(session, need_ids):
        _keep_asking(need, principal, True)
    session.flush()


def needs_to_ask_again(session: Session) -> list[tuple[str, Principal]]:
    """Needs with a place given back since they were last asked (taken off the list), and
    on whose behalf to ask: that caller as they are now (read once per caller)."""
    callers: dict[tuple[str, str | None], Principal] = {}
    due = []
    for need_id, role, by in repository.take_to_ask_again(session, limit=ASK_AGAIN_NEEDS):
        key = (str(role), by)
        if key not in callers:
            callers[key] = stored_principal(session, role=cast(Role, role), principal_id=by)
        due.append((need_id, callers[key]))
    return due


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
    communities.get_managed(session, principal=principal, community_id=community_id)
    return {"community_id": community_id}


def _ensure_not_over(ends_at: datetime, now: datetime) -> None:
    if ends_at <= now:
        raise FieldError(("body", "ends_at"), "ends_at is in the past: the need is already over")


def _role(position: int, spec: RoleIn) -> NeedRole:
    """A new role with no places taken yet."""
    return NeedRole(position=position, filled=0, invited=0, **spec.model_dump())


def refresh_status(need: Need) -> None:
    """An open need becomes filled when confirmed sign-ups fill every role, and reopens when
    a place frees. Places held by invitations do not fill it: they may still be declined."""
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
    found = repository.get_readable(session, principal=principal, need_id=need_id)
    if found is None:
        raise NotFound(f"need {need_id} not found")
    return found.need, found.exact


def _writable(session: Session, principal: Principal, need_id: str) -> Need:
    """The need, locked against its sign-ups while it changes; 404 if not the caller's."""
    need = repository.lock_writable(session, principal=principal, need_id=need_id)
    if need is None:
        raise NotFound(f"need {need_id} not found")
    return need


def _taken(role: NeedRole) -> str:
    return f"{role.filled} sign-ups and {role.invited} pending invitations"


def _replace_roles(need: Need, roles: list[RoleIn], standbys: dict[str, int]) -> None:
    """Match roles by name: keep places already taken or held by invitations, refuse to drop
    below them, and keep a role someone is asked on standby for (``standbys``: by role id)."""
    current = {role.name: role for role in need.roles}
    wanted = {spec.name for spec in roles}
    for name, role in current.items():
        if name not in wanted and role.filled + role.invited > 0:
            raise Conflict(f"role '{name}' has {_taken(role)} and cannot be removed")
        if name not in wanted and standbys.get(role.id, 0):
            raise Conflict(
                f"role '{name}' has {standbys[role.id]} member(s) asked on standby"
                " and cannot be removed"
            )
    kept: list[NeedRole] = []
    for position, spec in enumerate(roles):
        existing = current.get(spec.name)
        if existing is None:
            kept.append(_role(position, spec))
            continue
        if spec.count < existing.filled + existing.invited:
            raise Conflict(
                f"role '{spec.name}' already has {_taken(existing)}; count cannot be "
                f"lowered to {spec.count}"
            )
        existing.position, existing.skill, existing.min_level, existing.count = (
            position,
            spec.skill,
            spec.min_level,
            spec.count,
        )
        kept.append(existing)
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
        exclude_unset=True,
        exclude={"roles", "location", "address", "private_location", "keep_asking"},
    )
    if data.keep_asking is not None:
        _keep_asking(need, principal, data.keep_asking)
        # Turned on with places open: the sweep asks for them now, not at the next give-back.
        need.ask_again = data.keep_asking and any(
            role.filled + role.invited < role.count for role in need.roles
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
        _replace_roles(need, data.roles, repository.standbys_by_role(session, need_id=need.id))
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


def list_needs(
    session: Session,
    *,
    principal: Principal,
    filters: NeedFilter,
    limit: int,
    cursor: str | None,
) -> Page[NeedOut]:
    """Needs the caller may read, soonest first, optionally within a radius of a point."""
    return repository.page_readable(
        session,
        principal=principal,
        filters=filters,
        limit=limit,
        cursor=cursor,
        to_out=lambda need, exact: to_out(need, exact=exact),
    )


def open_in_community(
    session: Session, *, principal: Principal, community_id: str, limit: int
) -> list[Need]:
    """Up to ``limit`` open needs of a community that the caller may read, soonest first."""
    return repository.open_in_community(
        session, principal=principal, community_id=community_id, limit=limit
    )
