"""HTTP routes for needs."""

from fastapi import APIRouter, status

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
from api.needs.schemas import (
    CategoryFilter,
    Near,
    NeedCreate,
    NeedFilter,
    NeedOut,
    NeedUpdate,
    RadiusKm,
    StartsBefore,
    StartsFrom,
)
from api.schemas import Cursor, Limit, Page, ResourceId
from api.vocabulary import NeedStatus

router = APIRouter(prefix="/v1/needs", tags=["needs"])


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
    status: NeedStatus | None = None,
    near: Near = None,
    radius_km: RadiusKm = None,
    category: CategoryFilter = None,
    from_: StartsFrom = None,
    to: StartsBefore = None,
    limit: Limit = 50,
    cursor: Cursor = None,
) -> Page[NeedOut]:
    """Needs the caller may see, soonest first; ``near`` + ``radius_km`` limit to an area,
    ``category`` to a kind, ``from`` and ``to`` to when they start (422 naming ``to`` unless
    it is after ``from``)."""
    return service.list_needs(
        session,
        principal=principal,
        filters=NeedFilter.from_query(
            status, near, radius_km, category=category, starts_from=from_, starts_before=to
        ),
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
