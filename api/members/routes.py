"""HTTP routes for members (erasing one is ``api.erasure``'s route)."""

from fastapi import APIRouter, status

from api.deps import AppGeocoder, CommunityPerson, DbSession, Manager
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
from api.members import service
from api.members.schemas import MemberCreate, MemberCreated, MemberManagerUpdate, MemberOut
from api.schemas import Cursor, Limit, Page, ResourceId

router = APIRouter(tags=["members"])

# Agencies never deal with members directly: 403, not the 404 of another tenant's member.


@router.post(
    "/v1/communities/{community_id}/members",
    status_code=status.HTTP_201_CREATED,
    responses=responses(Unauthorized, Forbidden, NotFound, Conflict, FieldError, *ADDRESS_ERRORS),
)
def create_member(
    community_id: ResourceId,
    body: MemberCreate,
    session: DbSession,
    principal: Manager,
    geocoder: AppGeocoder,
    idempotency: IdempotencyKey,
) -> MemberCreated:
    """Add a member (admin, or a coordinator of the community). The key is shown once.

    A replay (same ``Idempotency-Key``) shows ``api_key: null``: keys are never stored in clear.
    """
    member = service.create(
        session, principal=principal, community_id=community_id, data=body, geocoder=geocoder
    )
    idempotency.save(status.HTTP_201_CREATED, member)
    return member


@router.get(
    "/v1/communities/{community_id}/members",
    responses=responses(Unauthorized, Forbidden, NotFound, FieldError),
)
def list_members(
    community_id: ResourceId,
    session: DbSession,
    principal: Manager,
    limit: Limit = 50,
    cursor: Cursor = None,
) -> Page[MemberOut]:
    """A community's members, by name (admin, or a coordinator of the community)."""
    return service.list_for_community(
        session, principal=principal, community_id=community_id, limit=limit, cursor=cursor
    )


@router.get("/v1/members/{member_id}", responses=responses(Unauthorized, Forbidden, NotFound))
def get_member(member_id: ResourceId, session: DbSession, principal: CommunityPerson) -> MemberOut:
    """A member: themselves, their coordinators, or an admin. An erased member is 404."""
    return service.to_out(service.get(session, principal=principal, member_id=member_id))


@router.patch(
    "/v1/members/{member_id}",
    responses=responses(Unauthorized, Forbidden, NotFound, Conflict, *ADDRESS_ERRORS),
)
def update_member(
    member_id: ResourceId,
    body: MemberManagerUpdate,
    session: DbSession,
    principal: CommunityPerson,
    geocoder: AppGeocoder,
) -> MemberOut:
    """Edit a member. ``stage`` and ``checks`` are for coordinators and admins only."""
    member = service.update(
        session, principal=principal, member_id=member_id, data=body, geocoder=geocoder
    )
    return service.to_out(member)
