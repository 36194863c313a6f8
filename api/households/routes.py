"""HTTP routes for households."""

from fastapi import APIRouter, Response, status

from api.deps import CommunityPerson, DbSession, Manager
from api.errors import Conflict, FieldError, Forbidden, NotFound, Unauthorized, responses
from api.households import service
from api.households.schemas import HouseholdCreate, HouseholdOut, HouseholdUpdate
from api.idempotency import IdempotencyKey
from api.schemas import Cursor, Limit, Page, ResourceId

router = APIRouter(tags=["households"])

# Agencies never deal with members: 403. Members may read their own household, not change it.


@router.post(
    "/v1/communities/{community_id}/households",
    status_code=status.HTTP_201_CREATED,
    responses=responses(Unauthorized, Forbidden, NotFound, Conflict, FieldError),
)
def create_household(
    community_id: ResourceId,
    body: HouseholdCreate,
    session: DbSession,
    principal: Manager,
    idempotency: IdempotencyKey,
) -> HouseholdOut:
    """Form a household of two or more of the community's members (its coordinators, admins).

    422 naming ``member_ids`` when one is not a member of the community; 409 naming the member
    when one already belongs to another household."""
    household = service.create(session, principal=principal, community_id=community_id, data=body)
    idempotency.save(status.HTTP_201_CREATED, household)
    return household


@router.get(
    "/v1/communities/{community_id}/households",
    responses=responses(Unauthorized, Forbidden, NotFound, FieldError),
)
def list_households(
    community_id: ResourceId,
    session: DbSession,
    principal: CommunityPerson,
    limit: Limit = 50,
    cursor: Cursor = None,
) -> Page[HouseholdOut]:
    """A community's households by name: all of them for its coordinators and admins, their
    own for a member."""
    return service.list_for_community(
        session, principal=principal, community_id=community_id, limit=limit, cursor=cursor
    )


@router.get("/v1/households/{household_id}", responses=responses(Unauthorized, Forbidden, NotFound))
def get_household(
    household_id: ResourceId, session: DbSession, principal: CommunityPerson
) -> HouseholdOut:
    """A household: for its community's coordinators, admins, and its own members."""
    return service.get(session, principal=principal, household_id=household_id)


@router.patch(
    "/v1/households/{household_id}",
    responses=responses(Unauthorized, Forbidden, NotFound, Conflict, FieldError),
)
def update_household(
    household_id: ResourceId, body: HouseholdUpdate, session: DbSession, principal: Manager
) -> HouseholdOut:
    """Rename a household, change how it serves, or replace its members (the same rules as
    forming one)."""
    return service.update(session, principal=principal, household_id=household_id, data=body)


@router.delete(
    "/v1/households/{household_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    responses=responses(Unauthorized, Forbidden, NotFound),
)
def delete_household(household_id: ResourceId, session: DbSession, principal: Manager) -> Response:
    """Dissolve a household; its members stay members of the community."""
    service.delete(session, principal=principal, household_id=household_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
