"""Agency use cases."""

from sqlalchemy.orm import Session

from api.agencies import repository
from api.agencies.schemas import AgencyCreate, AgencyCreated, AgencyOut
from api.audit.service import record
from api.auth.credentials import issue_key
from api.auth.principal import Principal
from api.db.models import Agency
from api.errors import Conflict
from api.schemas import Page


def to_out(agency: Agency) -> AgencyOut:
    """An agency as admins see it."""
    return AgencyOut.model_validate(agency, from_attributes=True)


def create(
    session: Session, *, data: AgencyCreate, actor: Principal | None = None
) -> AgencyCreated:
    """Register an agency and issue its first key. ``actor`` None: the system."""
    if repository.email_taken(session, email=data.email):
        raise Conflict(f"an agency with email {data.email} already exists")
    agency = Agency(name=data.name, email=data.email)
    session.add(agency)
    session.flush()
    api_key = issue_key(session, role="agency", principal_id=agency.id, name=agency.name)
    record(
        session,
        actor=actor,
        action="agency.create",
        object_type="agency",
        object_id=agency.id,
        fields=data.model_fields_set,
    )
    return AgencyCreated(**to_out(agency).model_dump(), api_key=api_key)


def list_agencies(
    session: Session, *, principal: Principal, limit: int, cursor: str | None
) -> Page[AgencyOut]:
    """Every agency by name, for admins (the route refuses others before they get here)."""
    return repository.page_readable(
        session, principal=principal, limit=limit, cursor=cursor, to_out=to_out
    )
