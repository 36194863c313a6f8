"""Request and response bodies for sign-ups."""

from datetime import datetime
from typing import Literal

from pydantic import BaseModel

from api.schemas import Id, Input, Name, Slug


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
    status: Literal["confirmed", "withdrawn"]
    created_at: datetime
