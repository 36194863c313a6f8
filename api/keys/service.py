"""Key use cases: list, issue, rotate, revoke. Services flush; the request commits.

Revoking or rotating a key drops it from this process's principal cache when the transaction
commits (:func:`api.auth.cache.forget_after_commit`), so it is refused at once here; other
workers refuse it within ``auth_cache_ttl_s``.
"""

from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from api.audit.service import record as audit
from api.auth.cache import forget_after_commit
from api.auth.keys import issue
from api.auth.principal import Principal
from api.db.models import Agency, ApiKey, Coordinator, Member
from api.errors import Conflict, FieldError, Forbidden, NotFound
from api.keys import repository
from api.keys.schemas import KeyCreate, KeyIssued, KeyOut, KeyRotate, KeyRotated
from api.pagination import SortKey, paginate
from api.schemas import Page
from api.vocabulary import Role


def to_out(record: ApiKey) -> KeyOut:
    """A key's metadata (never its digest)."""
    return KeyOut.model_validate(record, from_attributes=True)


def _issued(record: ApiKey, api_key: str) -> KeyIssued:
    return KeyIssued(**to_out(record).model_dump(), api_key=api_key)


def list_keys(
    session: Session,
    *,
    principal: Principal,
    role: Role | None,
    principal_id: str | None,
    limit: int,
    cursor: str | None,
) -> Page[KeyOut]:
    """The caller's keys (an admin's: every key, optionally filtered), newest first."""
    statement = repository.readable(principal)
    if role is not None:
        statement = statement.where(ApiKey.role == role)
    if principal_id is not None:
        statement = statement.where(ApiKey.principal_id == principal_id)
    return paginate(
        session,
        statement,
        key=SortKey(ApiKey.created_at, ApiKey.id, descending=True),
        limit=limit,
        cursor=cursor,
        to_out=lambda row: to_out(row[0]),
    )


def _principal_exists(session: Session, role: Role, principal_id: str) -> bool:
    if role == "coordinator":
        statement = select(Coordinator.id).where(Coordinator.id == principal_id)
    elif role == "agency":
        statement = select(Agency.id).where(Agency.id == principal_id)
    else:
        statement = select(Member.id).where(Member.id == principal_id, Member.erased_at.is_(None))
    return session.scalar(statement) is not None


def _owner(session: Session, principal: Principal, data: KeyCreate) -> tuple[Role, str | None]:
    """Whom the new key is for: the caller, or (admins only) the principal the body names."""
    role = data.role or principal.role
    principal_id = data.principal_id if data.role or data.principal_id else principal.id
    if data.role is None and data.principal_id is not None:
        raise FieldError(("body", "role"), "role is required with principal_id")
    if not principal.is_admin:
        if not principal.owns(role=role, principal_id=principal_id):
            raise Forbidden("only an admin may issue keys for another principal")
        # Another worker may still trust a cached key of a principal removed moments ago:
        # it must not be able to mint itself a fresh key that outlives the cache.
        if principal_id is None or not _principal_exists(session, role, principal_id):
            raise NotFound("your account no longer exists")
        return role, principal_id
    if role == "admin":
        if principal_id is not None:
            raise FieldError(("body", "principal_id"), "admin keys have no principal_id")
        return role, None
    if principal_id is None:
        raise FieldError(("body", "principal_id"), f"a {role} key needs principal_id")
    if not _principal_exists(session, role, principal_id):
        raise FieldError(("body", "principal_id"), f"no {role} with id {principal_id}")
    return role, principal_id


def create(session: Session, *, principal: Principal, data: KeyCreate) -> KeyIssued:
    """Issue a key for the caller, or for any principal when an admin asks."""
    role, principal_id = _owner(session, principal, data)
    record, api_key = issue(
        session, role=role, principal_id=principal_id, name=data.name, expires_at=data.expires_at
    )
    session.flush()
    audit(
        session,
        actor=principal,
        action="key.create",
        object_type="api_key",
        object_id=record.id,
        fields=data.model_fields_set,
    )
    return _issued(record, api_key)


def _find(session: Session, principal: Principal, key_id: str) -> ApiKey:
    record = session.scalar(repository.writable(principal).where(ApiKey.id == key_id))
    if record is None:
        raise NotFound(f"key {key_id} not found")
    return record


def rotate(
    session: Session, *, principal: Principal, key_id: str, data: KeyRotate, now: datetime
) -> KeyRotated:
    """Issue a replacement for the same principal and name; the old key stops after the grace."""
    old = _find(session, principal, key_id)
    if old.revoked_at is not None:
        raise Conflict(f"key {key_id} is already revoked (or being rotated); issue a new one")
    owner: Role = old.role
    if old.principal_id is not None and not _principal_exists(session, owner, old.principal_id):
        raise NotFound(f"key {key_id} not found")
    expires_at = data.expires_at
    if expires_at is None and old.expires_at is not None:
        expires_at = now + (old.expires_at - old.created_at)
    new, api_key = issue(
        session,
        role=old.role,
        principal_id=old.principal_id,
        name=old.name,
        expires_at=expires_at,
    )
    old.revoked_at = now + timedelta(seconds=data.grace_s)
    session.flush()
    forget_after_commit(session, key_id=old.id)
    for key, action in ((old, "key.rotate"), (new, "key.create")):
        audit(session, actor=principal, action=action, object_type="api_key", object_id=key.id)
    return KeyRotated(**_issued(new, api_key).model_dump(), replaced=to_out(old))


def revoke(session: Session, *, principal: Principal, key_id: str, now: datetime) -> KeyOut:
    """Stop a key now. Idempotent; cuts short a rotation's grace period."""
    record = _find(session, principal, key_id)
    if record.revoked_at is None or record.revoked_at > now:
        record.revoked_at = now
        session.flush()
        forget_after_commit(session, key_id=record.id)
        audit(
            session, actor=principal, action="key.revoke", object_type="api_key", object_id=key_id
        )
    return to_out(record)
