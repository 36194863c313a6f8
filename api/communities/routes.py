"""HTTP routes for communities and their coordinators."""

from typing import Annotated

from fastapi import APIRouter, Query, Response, status
from pydantic import Field

from api.communities import service
from api.communities.schemas import (
    MAX_LISTED,
    CommunityCreate,
    CommunityHealth,
    CommunityLoad,
    CommunityOut,
    CoordinatorCreate,
    CoordinatorOut,
    Interval,
)
from api.db.types import utcnow
from api.deps import Admin, AppGeocoder, CommunityPerson, DbSession, Manager
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
from api.schemas import InstantParameter, ResourceId

router = APIRouter(prefix="/v1/communities", tags=["communities"])

# Agencies belong to no community and never read one: 403, not an empty answer or a 404.


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    responses=responses(Unauthorized, Forbidden, Conflict, FieldError, *ADDRESS_ERRORS),
)
def create_community(
    body: CommunityCreate,
    session: DbSession,
    principal: Admin,
    geocoder: AppGeocoder,
    idempotency: IdempotencyKey,
) -> CommunityOut:
    """Create a community (admin), at a meeting point or an address."""
    community = service.create(session, data=body, geocoder=geocoder, actor=principal)
    out = service.to_out(community)
    idempotency.save(status.HTTP_201_CREATED, out)
    return out


@router.get("", responses=responses(Unauthorized, Forbidden))
def list_communities(
    session: DbSession, principal: CommunityPerson
) -> Annotated[list[CommunityOut], Field(max_length=MAX_LISTED)]:
    """The communities the caller belongs to or coordinates (all, for admins)."""
    return service.list_readable(session, principal=principal)


@router.get("/{community_id}", responses=responses(Unauthorized, Forbidden, NotFound))
def get_community(
    community_id: ResourceId, session: DbSession, principal: CommunityPerson
) -> CommunityOut:
    """One community the caller may see."""
    return service.to_out(service.get(session, principal=principal, community_id=community_id))


@router.get(
    "/{community_id}/health", responses=responses(Unauthorized, Forbidden, NotFound, FieldError)
)
def community_health(
    community_id: ResourceId,
    session: DbSession,
    principal: Manager,
    from_: Annotated[
        InstantParameter | None,
        Query(
            alias="from",
            description="Start of the series, with zone (default: the start of the interval "
            "eleven before the one `to` falls in: 12 points).",
        ),
    ] = None,
    to: Annotated[
        InstantParameter | None, Query(description="End of the series, exclusive (default: now).")
    ] = None,
    interval: Annotated[
        Interval,
        Query(
            description="One point per local calendar month, or per week from Monday, in the "
            "community's time zone."
        ),
    ] = "month",
) -> CommunityHealth:
    """Members by stage, and confirmed sign-ups and service hours of the last 90 days
    (admins, and the community's coordinators). Erased members' past hours still count.

    ``series``: the community over [from, to), one point per month or week: members and their
    stages at each point's end, who joined and left, who served and how long, places filled,
    new members serving and serving beside a mature one, stage changes. 422 naming ``to`` when
    it does not end after it starts, ``from`` past 60 points, ``interval`` unless month or
    week."""
    return service.health(
        session,
        principal=principal,
        community_id=community_id,
        now=utcnow(),
        start=from_,
        end=to,
        interval=interval,
    )


@router.get(
    "/{community_id}/load", responses=responses(Unauthorized, Forbidden, NotFound, FieldError)
)
def community_load(
    community_id: ResourceId,
    session: DbSession,
    principal: Manager,
    from_: Annotated[
        InstantParameter | None,
        Query(alias="from", description="Start of the window, with zone (default: now)."),
    ] = None,
    to: Annotated[
        InstantParameter | None,
        Query(description="End of the window, exclusive (default: 28 days after `from`)."),
    ] = None,
) -> CommunityLoad:
    """Who carries the community's load in [from, to) (admins, its coordinators): each active
    member's confirmed places and pending invitations, their monthly limit and whether a month
    breaks it, days since they last served; the Gini coefficient and the share who serve.

    422 naming ``to`` when the window does not end after it starts or spans over 366 days."""
    return service.load(
        session,
        principal=principal,
        community_id=community_id,
        start=from_,
        end=to,
        now=utcnow(),
    )


@router.post(
    "/{community_id}/coordinators",
    status_code=status.HTTP_201_CREATED,
    responses={
        200: {"model": CoordinatorOut, "description": "Existing coordinator attached; no key"},
        **responses(Unauthorized, Forbidden, NotFound, Conflict, FieldError),
    },
)
def add_coordinator(
    community_id: ResourceId,
    body: CoordinatorCreate,
    session: DbSession,
    response: Response,
    principal: Admin,
    idempotency: IdempotencyKey,
) -> CoordinatorOut:
    """Appoint a coordinator (admin). The key in the response is shown this once only."""
    coordinator, created = service.add_coordinator(
        session, community_id=community_id, data=body, actor=principal
    )
    response.status_code = status.HTTP_201_CREATED if created else status.HTTP_200_OK
    idempotency.save(response.status_code, coordinator)
    return coordinator
