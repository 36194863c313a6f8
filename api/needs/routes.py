"""HTTP routes for needs."""

from typing import Annotated

from fastapi import APIRouter, Query, status

from api import patterns
from api.db.types import utcnow
from api.deps import AppGeocoder, AppSettings, CurrentPrincipal, DbSession, NeedPoster
from api.errors import (
    ADDRESS_ERRORS,
    Conflict,
    FieldError,
    Forbidden,
    NotFound,
    Unauthorized,
    responses,
)
from api.idempotency import IdempotencyKey
from api.needs import service
from api.needs.schemas import NeedCreate, NeedOut, NeedUpdate, Status
from api.schemas import Cursor, Limit, Page, ResourceId

router = APIRouter(prefix="/v1/needs", tags=["needs"])

Near = Annotated[
    str | None,
    Query(
        max_length=64,
        pattern=patterns.LAT_LON,
        description="`lat,lon` to search around, e.g. `51.5072,-0.1276`.",
    ),
]
RadiusKm = Annotated[float | None, Query(gt=0, le=500, description="Search radius in km.")]
DEFAULT_RADIUS_KM = 25.0


def parse_near(near: str | None, radius_km: float | None) -> tuple[float, float] | None:
    """The `near` point as (lat, lon), checked; `radius_km` without `near` is refused."""
    if near is None:
        if radius_km is not None:
            raise FieldError(("query", "radius_km"), "radius_km needs near=lat,lon")
        return None
    lat_text, lon_text = near.split(",")
    lat, lon = float(lat_text), float(lon_text)
    if not -90 <= lat <= 90:
        raise FieldError(("query", "near"), "latitude must be within [-90, 90]")
    if not -180 <= lon <= 180:
        raise FieldError(("query", "near"), "longitude must be within [-180, 180]")
    return lat, lon


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    responses=responses(Unauthorized, Forbidden, NotFound, Conflict, FieldError, *ADDRESS_ERRORS),
)
def create_need(
    body: NeedCreate,
    session: DbSession,
    principal: NeedPoster,
    settings: AppSettings,
    geocoder: AppGeocoder,
    idempotency: IdempotencyKey,
) -> NeedOut:
    """Post a need: coordinators for their community, agencies as their own request."""
    need = service.create(
        session,
        principal=principal,
        data=body,
        now=utcnow(),
        cell_km=settings.location_coarsening_km,
        geocoder=geocoder,
    )
    out = service.to_out(need, exact=True)
    idempotency.save(status.HTTP_201_CREATED, out)
    return out


@router.get("", responses=responses(Unauthorized, FieldError))
def list_needs(
    session: DbSession,
    principal: CurrentPrincipal,
    status: Status | None = None,
    near: Near = None,
    radius_km: RadiusKm = None,
    limit: Limit = 50,
    cursor: Cursor = None,
) -> Page[NeedOut]:
    """Needs the caller may see, soonest first; ``near`` + ``radius_km`` limit to an area."""
    return service.list_needs(
        session,
        principal=principal,
        status=status,
        near=parse_near(near, radius_km),
        radius_km=radius_km or DEFAULT_RADIUS_KM,
        limit=limit,
        cursor=cursor,
    )


@router.get("/{need_id}", responses=responses(Unauthorized, NotFound))
def get_need(need_id: ResourceId, session: DbSession, principal: CurrentPrincipal) -> NeedOut:
    """One need the caller may see."""
    need, exact = service.get(session, principal=principal, need_id=need_id)
    return service.to_out(need, exact=exact)


@router.patch(
    "/{need_id}",
    responses=responses(Unauthorized, Forbidden, NotFound, Conflict, FieldError, *ADDRESS_ERRORS),
)
def update_need(
    need_id: ResourceId,
    body: NeedUpdate,
    session: DbSession,
    principal: NeedPoster,
    settings: AppSettings,
    geocoder: AppGeocoder,
) -> NeedOut:
    """Edit a need you manage (still open or filled)."""
    need = service.update(
        session,
        principal=principal,
        need_id=need_id,
        data=body,
        now=utcnow(),
        cell_km=settings.location_coarsening_km,
        geocoder=geocoder,
    )
    return service.to_out(need, exact=True)


@router.post("/{need_id}/cancel", responses=responses(Unauthorized, Forbidden, NotFound, Conflict))
def cancel_need(need_id: ResourceId, session: DbSession, principal: NeedPoster) -> NeedOut:
    """Cancel a need you manage."""
    need = service.cancel(session, principal=principal, need_id=need_id)
    return service.to_out(need, exact=True)
