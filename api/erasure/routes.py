"""HTTP route for erasing a member (listed with the members in OpenAPI)."""

from fastapi import APIRouter, Response, status

from api.db.types import utcnow
from api.deps import CommunityPerson, DbSession
from api.erasure import service
from api.errors import Forbidden, NotFound, Unauthorized, responses
from api.schemas import ResourceId

router = APIRouter(tags=["members"])


@router.delete(
    "/v1/members/{member_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    responses=responses(Unauthorized, Forbidden, NotFound),
)
def delete_member(
    member_id: ResourceId, session: DbSession, principal: CommunityPerson
) -> Response:
    """Erase a member's personal data and revoke their keys (the member, their coordinators,
    or an admin). Past service stays, anonymous; places in future needs are given back.
    Erasing again answers 204 and changes nothing; the erased member then reads as 404."""
    service.erase(session, principal=principal, member_id=member_id, now=utcnow())
    return Response(status_code=status.HTTP_204_NO_CONTENT)
