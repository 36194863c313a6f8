"""HTTP routes for the audit log."""

from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, Query
from pydantic import BeforeValidator

from api import patterns
from api.audit import service
from api.audit.schemas import AuditEventOut, AuditFilter
from api.deps import DbSession, Manager
from api.errors import FieldError, Forbidden, Unauthorized, responses
from api.schemas import Cursor, Limit, Page, iso_instant
from api.vocabulary import ObjectType

router = APIRouter(prefix="/v1/audit", tags=["audit"])

IdFilter = Annotated[str | None, Query(max_length=36, pattern=patterns.ID)]


@router.get("", responses=responses(Unauthorized, Forbidden, FieldError))
def list_audit_events(
    session: DbSession,
    principal: Manager,
    object_type: ObjectType | None = None,
    object_id: IdFilter = None,
    actor_id: IdFilter = None,
    since: Annotated[
        datetime | None,
        BeforeValidator(iso_instant),
        Query(description="Only events at or after this instant (with zone)."),
    ] = None,
    limit: Limit = 50,
    cursor: Cursor = None,
) -> Page[AuditEventOut]:
    """Who wrote what, newest first: all of it for admins, their communities' for coordinators."""
    if since is not None:
        if since.tzinfo is None:
            raise FieldError(("query", "since"), "since must carry a time zone, e.g. Z or +01:00")
        try:
            since = since.astimezone(UTC)
        except OverflowError as error:  # year 1 or 9999 shifted out of range by its offset
            raise FieldError(("query", "since"), "since is out of range") from error
    return service.list_events(
        session,
        principal=principal,
        filters=AuditFilter(
            object_type=object_type, object_id=object_id, actor_id=actor_id, since=since
        ),
        limit=limit,
        cursor=cursor,
    )
