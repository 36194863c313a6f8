"""Response bodies for the audit log."""

from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, Any

from pydantic import BaseModel, StringConstraints

from api.schemas import Id
from api.vocabulary import ActorRole, ObjectType

Action = Annotated[str, StringConstraints(max_length=64, pattern=r"^[a-z_]+\.[a-z_]+$")]
"""What was done, as ``object.verb``: ``need.create``, ``member.erase``."""


class AuditEventOut(BaseModel):
    """One write. ``detail`` holds field names and counts, never values."""

    id: Id
    at: datetime
    actor_role: ActorRole
    actor_id: Id | None
    action: Action
    object_type: ObjectType
    object_id: Id | None
    detail: dict[str, Any]


@dataclass(frozen=True, slots=True)
class AuditFilter:
    """What an audit list asks for; each field given narrows it."""

    object_type: ObjectType | None = None
    object_id: str | None = None
    actor_id: str | None = None
    since: datetime | None = None
