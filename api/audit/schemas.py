"""Response bodies for the audit log."""

from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, StringConstraints

from api.auth.principal import Role
from api.schemas import Id

Action = Annotated[str, StringConstraints(max_length=64, pattern=r"^[a-z_]+\.[a-z_]+$")]
"""What was done, as ``object.verb``: ``need.create``, ``member.erase``."""
ObjectType = Literal["community", "coordinator", "agency", "member", "need", "signup", "api_key"]


class AuditEventOut(BaseModel):
    """One write. ``detail`` holds field names and counts, never values."""

    id: Id
    at: datetime
    actor_role: Literal[Role, "system"]
    actor_id: Id | None
    action: Action
    object_type: ObjectType
    object_id: Id | None
    detail: dict[str, Any]
