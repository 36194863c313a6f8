"""Request and response bodies for agencies."""

from pydantic import BaseModel

from api.schemas import Email, Input, Name


class AgencyCreate(Input):
    """A new partner agency (admin)."""

    name: Name
    email: Email


class AgencyOut(BaseModel):
    """An agency; ``api_key`` appears once, in the response that created it."""

    id: str
    name: str
    email: str
    api_key: str | None = None
