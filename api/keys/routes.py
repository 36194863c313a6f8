"""HTTP routes for API keys. Every role manages its own keys; an admin manages everyone's."""

from typing import Annotated

from fastapi import APIRouter, Body, Query, status

from api import patterns
from api.db.types import utcnow
from api.deps import CurrentPrincipal, DbSession
from api.errors import Conflict, FieldError, Forbidden, NotFound, responses
from api.keys import service
from api.keys.schemas import KeyCreate, KeyIssued, KeyOut, KeyRotate, KeyRotated
from api.schemas import Cursor, Limit, Page, ResourceId
from api.vocabulary import Role

router = APIRouter(prefix="/v1/keys", tags=["keys"])

# Another principal's key answers 404, like any other tenant's object.


@router.get("", responses=responses(FieldError))
def list_keys(
    session: DbSession,
    principal: CurrentPrincipal,
    role: Annotated[Role | None, Query(description="Only keys of this role.")] = None,
    principal_id: Annotated[
        str | None,
        Query(max_length=36, pattern=patterns.ID, description="Only this one's keys."),
    ] = None,
    limit: Limit = 50,
    cursor: Cursor = None,
) -> Page[KeyOut]:
    """The caller's keys, newest first (an admin: every key). Revoked ones included."""
    return service.list_keys(
        session,
        principal=principal,
        role=role,
        principal_id=principal_id,
        limit=limit,
        cursor=cursor,
    )


@router.post(
    "", status_code=status.HTTP_201_CREATED, responses=responses(Forbidden, NotFound, FieldError)
)
def create_key(body: KeyCreate, session: DbSession, principal: CurrentPrincipal) -> KeyIssued:
    """Issue a key for yourself (an admin: for anyone). The key is shown in this response only."""
    return service.create(session, principal=principal, data=body)


@router.post(
    "/{key_id}/rotate",
    status_code=status.HTTP_201_CREATED,
    responses=responses(NotFound, Conflict, FieldError),
)
def rotate_key(
    key_id: ResourceId,
    session: DbSession,
    principal: CurrentPrincipal,
    body: Annotated[KeyRotate | None, Body()] = None,
) -> KeyRotated:
    """Replace a key: a new key for the same principal and name, shown once; the old key stops
    working now, or after ``grace_s`` seconds. One transaction: both happen, or neither."""
    return service.rotate(
        session, principal=principal, key_id=key_id, data=body or KeyRotate(), now=utcnow()
    )


@router.post("/{key_id}/revoke", responses=responses(NotFound))
def revoke_key(key_id: ResourceId, session: DbSession, principal: CurrentPrincipal) -> KeyOut:
    """Stop a key now (idempotent). Revoking the key you are calling with, even your last
    one, is allowed: you are then locked out until an admin issues you a new key."""
    return service.revoke(session, principal=principal, key_id=key_id, now=utcnow())
