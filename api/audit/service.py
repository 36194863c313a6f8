"""Recording writes in the audit log, and reading it back a page at a time.

``record`` is called by each domain's service inside the request's transaction, so an event
exists exactly when its write was committed: a failed write rolls both back. Events hold ids
and field *names* only, never values, so erasing a member needs no audit rewrite.
"""

from collections.abc import Iterable

from sqlalchemy.orm import Session

from api.audit import repository
from api.audit.schemas import AuditEventOut, AuditFilter
from api.auth.principal import Principal
from api.db.models import AuditEvent
from api.schemas import Page
from api.vocabulary import ActorRole, ObjectType

SYSTEM_ROLE: ActorRole = "system"
"""The actor of writes made outside a request (the CLI, the demo loader)."""


def record(
    session: Session,
    *,
    actor: Principal | None,
    action: str,
    object_type: ObjectType,
    object_id: str | None,
    fields: Iterable[str] = (),
    counts: dict[str, int] | None = None,
) -> None:
    """Add one audit event to the current transaction.

    ``action`` is ``<object>.<verb>`` (``need.create``, ``key.revoke``); ``fields`` are the
    names of the fields written, ``counts`` numbers such as released sign-ups. Pass values of
    neither kind that could identify a person: the log must stay free of personal data.
    """
    detail: dict[str, object] = {}
    names = sorted(set(fields))
    if names:
        detail["fields"] = names
    if counts:
        detail.update(counts)
    session.add(
        AuditEvent(
            actor_role=actor.role if actor is not None else SYSTEM_ROLE,
            actor_id=actor.id if actor is not None else None,
            action=action,
            object_type=object_type,
            object_id=object_id,
            detail=detail,
        )
    )


def to_out(event: AuditEvent) -> AuditEventOut:
    """The public shape of an event."""
    return AuditEventOut.model_validate(event, from_attributes=True)


def list_events(
    session: Session,
    *,
    principal: Principal,
    filters: AuditFilter,
    limit: int,
    cursor: str | None,
) -> Page[AuditEventOut]:
    """Events the caller may read, newest first, optionally filtered."""
    return repository.page_readable(
        session,
        principal=principal,
        filters=filters,
        limit=limit,
        cursor=cursor,
        to_out=to_out,
    )
