"""HTTP routes for partner agencies."""

from fastapi import APIRouter, status

from api.agencies import service
from api.agencies.schemas import AgencyCreate, AgencyCreated, AgencyOut
from api.deps import Admin, DbSession
from api.errors import Conflict, FieldError, Forbidden, Unauthorized, responses
from api.idempotency import IdempotencyKey
from api.schemas import Cursor, Limit, Page

router = APIRouter(prefix="/v1/agencies", tags=["agencies"])


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    responses=responses(Unauthorized, Forbidden, Conflict, FieldError),
)
def create_agency(
    body: AgencyCreate, session: DbSession, principal: Admin, idempotency: IdempotencyKey
) -> AgencyCreated:
    """Register a partner agency (admin). The key in the response is shown this once only."""
    agency = service.create(session, data=body, actor=principal)
    idempotency.save(status.HTTP_201_CREATED, agency)
    return agency


@router.get("", responses=responses(Unauthorized, Forbidden, FieldError))
def list_agencies(
    session: DbSession, principal: Admin, limit: Limit = 50, cursor: Cursor = None
) -> Page[AgencyOut]:
    """The partner agencies, by name (admin)."""
    return service.list_agencies(session, principal=principal, limit=limit, cursor=cursor)
