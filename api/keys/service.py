"""Key use cases: list, issue, rotate, revoke. Services flush; the request commits.

``principal=None`` is the system: the ``servematch keys`` commands, which reach every key
like an admin and are audited with the actor role ``system``.

Revoking or rotating a key drops it from this process's principal cache when the transaction
commits (:func:`api.auth.cache.forget_after_commit`), so it is refused at once here; other
workers refuse it within ``auth_cache_ttl_s``.
"""

from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from api.audit.service import record as audit
from api.auth.cache import forget_after_commit
from api.auth.credentials import issue
from api.auth.principal import Principal
from api.db.models import ApiKey
from api.errors import Conflict, FieldError, Forbidden, NotFound
from api.keys import repository
from api.keys.schemas import KeyCreate, KeyIssued, KeyOut, KeyRotate, KeyRotated
from api.schemas import Page
from api.vocabulary import Role


def to_out(key: ApiKey) -> KeyOut:
    """A key's metadata (never its digest)."""
    return KeyOut.model_validate(key, from_attributes=True)


def _issued(key: ApiKey, api_key: str) -> KeyIssued:
    return KeyIssued(**to_out(key).model_dump(), api_key=api_key)


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
    return repository.page_readable(
        session,
        principal=principal,
        role=role,
        principal_id=principal_id,
        limit=limit,
        cursor=cursor,
        to_out=to_out,
    )


def _owner(
    session: Session, principal: Principal | None, data: KeyCreate
) -> tuple[Role, str | None]:
    """Whom the new key is for: the caller, or (admins and the system) the principal the body
    names; the system's own keys are admin keys."""
    role: Role = data.role or (principal.role if principal is not None else "admin")
    caller_id = principal.id if principal is not None else None
    principal_id = data.principal_id if data.role or data.principal_id else caller_id
    if data.role is None and data.principal_id is not None:
        raise FieldError(("body", "role"), "role is required with principal_id")
    if principal is not None and not principal.is_admin:
        if not principal.owns(role=role, principal_id=principal_id):
            raise Forbidden("only an admin may issue keys for another principal")
        # Another worker may still trust a cached key of a principal removed moments ago:
        # it must not be able to mint itself a fresh key that outlives the cache.
        if principal_id is None or not repository.principal_exists(
            session, role=role, principal_id=principal_id
        ):
            raise NotFound("your account no longer exists")
        return role, principal_id
    if role == "admin":
        if principal_id is not None:
            raise FieldError(("body", "principal_id"), "admin keys have no principal_id")
        return role, None
    if principal_id is None:
        raise FieldError(("body", "principal_id"), f"a {role} key needs principal_id")
    if not repository.principal_exists(session, role=role, principal_id=principal_id):
        raise FieldError(("body", "principal_id"), f"no {role} with id {principal_id}")
    return role, principal_id


def create(session: Session, *, principal: Principal | None, data: KeyCreate) -> KeyIssued:
    """Issue a key for the caller, or for any principal when an admin (or the system) asks."""
    role, principal_id = _owner(session, principal, data)
    key, api_key = issue(
        session, role=role, principal_id=principal_id, name=data.name, expires_at=data.expires_at
    )
    session.flush()
    audit(
        session,
        actor=principal,
        action="key.create",
        object_type="api_key",
        object_id=key.id,
        fields=data.model_fields_set,
    )
    return _issued(key, api_key)


def _find(session: Session, principal: Principal | None, key_id: str) -> ApiKey:
    key = repository.get_writable(session, principal=principal, key_id=key_id)
    if key is None:
        raise NotFound(f"key {key_id} not found")
    return key


def find_by_id_or_prefix(
    session: Session, *, principal: Principal | None, id_or_prefix: str
) -> list[KeyOut]:
    """The keys the caller may revoke named by ``id_or_prefix``: an id, or a key's prefix (or
    the key itself). Empty or several when it names no key or is ambiguous."""
    found = repository.writable_by_id_or_prefix(
        session, principal=principal, id_or_prefix=id_or_prefix
    )
    return [to_out(key) for key in found]


def rotate(
    session: Session, *, principal: Principal, key_id: str, data: KeyRotate, now: datetime
) -> KeyRotated:
    """Issue a replacement for the same principal and name; the old key stops after the grace."""
    old = _find(session, principal, key_id)
    if old.revoked_at is not None:
        raise Conflict(f"key {key_id} is already revoked (or being rotated); issue a new one")
    owner: Role = old.role
    if old.principal_id is not None and not repository.principal_exists(
        session, role=owner, principal_id=old.principal_id
    ):
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


def revoke(session: Session, *, principal: Principal | None, key_id: str, now: datetime) -> KeyOut:
    """Stop a key now. Idempotent; cuts short a rotation's grace period."""
    key = _find(session, principal, key_id)
    if key.revoked_at is None or key.revoked_at > now:
        key.revoked_at = now
        session.flush()
        forget_after_commit(session, key_id=key.id)
        audit(
            session, actor=principal, action="key.revoke", object_type="api_key", object_id=key_id
        )
    return to_out(key)


def revoke_member_keys(session: Session, *, member_id: str, name: str, now: datetime) -> None:
    """Revoke an erased member's keys and give them the stub's name (keys were named after
    the person)."""
    repository.revoke_member_keys(session, member_id=member_id, name=name, now=now)
