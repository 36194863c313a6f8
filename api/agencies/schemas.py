"""Request and response bodies for agencies."""

from datetime import datetime

from pydantic import BaseModel

from api.auth.credentials import ApiKeyText
from api.schemas import Email, Id, Input, Name


class AgencyCreate(Input):
    """A new partner agency (admin)."""

    name: Name
    email: Email


class AgencyOut(BaseModel):
    """An agency as admins see it."""

    id: Id
    name: Name
    email: Email
    created_at: datetime


class AgencyCreated(AgencyOut):
    """The creation response: the agency's key, shown this once only (null in a replay)."""

    api_key: ApiKeyText | None
