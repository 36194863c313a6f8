"""Agency use cases."""

from sqlalchemy import select
from sqlalchemy.orm import Session

from api.agencies.schemas import AgencyCreate, AgencyOut
from api.audit.service import record
from api.auth.keys import issue_key
from api.auth.principal import Principal
from api.db.models import Agency
from api.errors import Conflict


def create(session: Session, *, data: AgencyCreate, actor: Principal | None = None) -> AgencyOut:
    """Register an agency and issue its first key. ``actor`` None: the system."""
    if session.scalar(select(Agency.id).where(Agency.email == data.email)) is not None:
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
    return AgencyOut(id=agency.id, name=agency.name, email=agency.email, api_key=api_key)
