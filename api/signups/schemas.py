"""Request and response bodies for sign-ups."""

from datetime import datetime

from pydantic import BaseModel

from api.schemas import Id, Input, Name, Slug
from api.vocabulary import SignupStatus


class SignupCreate(Input):
    """Sign a member up for one role of a need."""

    member_id: Id
    role: Slug


class SignupOut(BaseModel):
    """A member's place in a role."""

    id: Id
    need_id: Id
    member_id: Id
    member_name: Name
    role: Slug
    status: SignupStatus
    created_at: datetime
