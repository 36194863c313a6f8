"""HTTP routes for partner agencies."""

from fastapi import APIRouter, status

from api.agencies import service
from api.agencies.schemas import AgencyCreate, AgencyOut
from api.deps import Admin, DbSession
from api.errors import Conflict, Forbidden, Unauthorized, responses

router = APIRouter(prefix="/v1/agencies", tags=["agencies"])


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    responses=responses(Unauthorized, Forbidden, Conflict),
)
def create_agency(body: AgencyCreate, session: DbSession, _: Admin) -> AgencyOut:
    """Register a partner agency (admin). The key in the response is shown this once only."""
    return service.create(session, data=body)
