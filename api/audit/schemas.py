"""Response bodies for the audit log."""

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel

ObjectType = Literal["community", "coordinator", "agency", "member", "need", "signup", "api_key"]


class AuditEventOut(BaseModel):
    """One write. ``detail`` holds field names and counts, never values."""

    id: str
    at: datetime
    actor_role: str
    actor_id: str | None
    action: str
    object_type: ObjectType
    object_id: str | None
    detail: dict[str, Any]
