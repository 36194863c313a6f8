"""Agency use cases."""

from sqlalchemy import select
from sqlalchemy.orm import Session

from api.agencies.schemas import AgencyCreate, AgencyCreated, AgencyOut
from api.audit.service import record
from api.auth.keys import issue_key
from api.auth.principal import Principal
from api.db.models import Agency
from api.errors import Conflict
from api.pagination import SortKey, paginate
from api.schemas import Page


def to_out(agency: Agency) -> AgencyOut:
    """An agency as admins see it."""
    return AgencyOut(
        id=agency.id, name=agency.name, email=agency.email, created_at=agency.created_at
    )


def create(
    session: Session, *, data: AgencyCreate, actor: Principal | None = None
) -> AgencyCreated:
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
    return AgencyCreated(**to_out(agency).model_dump(), api_key=api_key)


def list_agencies(session: Session, *, limit: int, cursor: str | None) -> Page[AgencyOut]:
    """Every agency by name (admins only: the route gates the role)."""
    return paginate(
        session,
        select(Agency),
        key=SortKey(Agency.name, Agency.id),
        limit=limit,
        cursor=cursor,
        to_out=lambda row: to_out(row[0]),
    )
