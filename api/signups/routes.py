"""HTTP routes for sign-ups."""

from typing import Annotated

from fastapi import APIRouter, Response, status
from pydantic import Field

from api.db.types import utcnow
from api.deps import CommunityPerson, CurrentPrincipal, DbSession
from api.errors import Conflict, Forbidden, NotEligible, NotFound, Unauthorized, responses
from api.idempotency import IdempotencyKey
from api.needs.schemas import MAX_PLACES
from api.schemas import ResourceId
from api.signups import service
from api.signups.schemas import SignupCreate, SignupOut

router = APIRouter(prefix="/v1/needs/{need_id}/signups", tags=["signups"])


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    responses=responses(Unauthorized, Forbidden, NotFound, Conflict, NotEligible),
)
def sign_up(
    need_id: ResourceId,
    body: SignupCreate,
    session: DbSession,
    principal: CommunityPerson,
    idempotency: IdempotencyKey,
) -> SignupOut:
    """Take a place: the member themselves, or their coordinator for them.

    409 when the role is full, the member is already signed up, overlaps another sign-up or
    reached their monthly limit; 422 when they lack a required check or skill level, live
    beyond their radius, or are not free then.
    """
    signup = service.sign_up(session, principal=principal, need_id=need_id, data=body, now=utcnow())
    idempotency.save(status.HTTP_201_CREATED, signup)
    return signup


@router.get("", responses=responses(Unauthorized))
def list_signups(
    need_id: ResourceId, session: DbSession, principal: CurrentPrincipal
) -> Annotated[list[SignupOut], Field(max_length=MAX_PLACES)]:
    """Who is coming: all of them for the need's coordinators, your own for a member."""
    return service.list_for_need(session, principal=principal, need_id=need_id)


@router.delete(
    "/{signup_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    responses=responses(Unauthorized, Forbidden, NotFound, Conflict),
)
def withdraw(
    need_id: ResourceId, signup_id: ResourceId, session: DbSession, principal: CommunityPerson
) -> Response:
    """Give the place back; a filled need reopens."""
    service.withdraw(
        session, principal=principal, need_id=need_id, signup_id=signup_id, now=utcnow()
    )
    return Response(status_code=status.HTTP_204_NO_CONTENT)
