"""Request and response bodies for sign-ups."""

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, Field

from api.schemas import Input, Slug


class SignupCreate(Input):
    """Sign a member up for one role of a need."""

    member_id: str = Field(max_length=36)
    role: Slug


class SignupOut(BaseModel):
    """A member's place in a role."""

    id: str
    need_id: str
    member_id: str
    member_name: str
    role: str
    status: Literal["confirmed", "withdrawn"]
    created_at: datetime
