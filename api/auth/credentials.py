"""API keys as credentials: random, shown once, stored only as a SHA-256 digest.

Keys carry 256 bits of randomness, so a fast hash is enough (no password stretching needed)
and lookups stay a single indexed equality.

A key is live until it is revoked or expires. ``revoked_at`` may lie in the future: a rotated
key keeps working through its grace period and stops at that instant, with no further write.

This is the credential itself, shared by every domain that issues one (members, coordinators,
agencies); listing, rotating and revoking keys is the keys domain, :mod:`api.keys`.
"""

import hashlib
import secrets
from datetime import datetime
from typing import Annotated

from pydantic import StringConstraints
from sqlalchemy import select
from sqlalchemy.orm import Session

from api.db.models import ApiKey

KEY_PREFIX = "sm_"
KEY_RANDOM_BYTES = 32
KEY_CHARS = len(KEY_PREFIX) + len(secrets.token_urlsafe(KEY_RANDOM_BYTES))
SHOWN_PREFIX_CHARS = 10
"""How much of a key its metadata shows, to recognise it by."""
_KEY_CHARACTER = "[A-Za-z0-9_-]"  # token_urlsafe's alphabet (URL-safe base64, unpadded)

ApiKeyText = Annotated[
    str,
    StringConstraints(
        max_length=KEY_CHARS,
        pattern=f"^{KEY_PREFIX}{_KEY_CHARACTER}{{{KEY_CHARS - len(KEY_PREFIX)}}}$",
    ),
]
"""A key in clear, as the one response that issues it shows it."""
KeyPrefix = Annotated[
    str,
    StringConstraints(
        max_length=SHOWN_PREFIX_CHARS,
        pattern=f"^{KEY_PREFIX}{_KEY_CHARACTER}{{{SHOWN_PREFIX_CHARS - len(KEY_PREFIX)}}}$",
    ),
]


def hash_key(key: str) -> str:
    """The digest we store and look keys up by."""
    return hashlib.sha256(key.encode()).hexdigest()


def issue(
    session: Session,
    *,
    role: str,
    principal_id: str | None,
    name: str,
    expires_at: datetime | None = None,
) -> tuple[ApiKey, str]:
    """Create a key for a principal: its stored row, and the key in clear (shown this once)."""
    key = KEY_PREFIX + secrets.token_urlsafe(KEY_RANDOM_BYTES)
    stored_key = ApiKey(
        key_hash=hash_key(key),
        prefix=key[:SHOWN_PREFIX_CHARS],
        role=role,
        principal_id=principal_id,
        name=name,
        expires_at=expires_at,
    )
    session.add(stored_key)
    return stored_key, key


def issue_key(
    session: Session,
    *,
    role: str,
    principal_id: str | None,
    name: str,
    expires_at: datetime | None = None,
) -> str:
    """Create a key for a principal and return it in clear: the only time it exists so."""
    _record, key = issue(
        session, role=role, principal_id=principal_id, name=name, expires_at=expires_at
    )
    return key


def ends_at(stored_key: ApiKey) -> datetime | None:
    """When the key stops working: its expiry or its revocation, whichever comes first."""
    ends = [
        instant for instant in (stored_key.expires_at, stored_key.revoked_at) if instant is not None
    ]
    return min(ends, default=None)


def is_live(stored_key: ApiKey, *, now: datetime) -> bool:
    """Whether the key still authenticates at ``now``."""
    end = ends_at(stored_key)
    return end is None or now < end


def find_live_key(session: Session, key_hash: str, *, now: datetime) -> ApiKey | None:
    """The live stored key with digest ``key_hash``, or None if unknown, revoked or expired."""
    stored_key = session.scalar(select(ApiKey).where(ApiKey.key_hash == key_hash))
    return stored_key if stored_key is not None and is_live(stored_key, now=now) else None


def find_live_key_by_id(session: Session, key_id: str, *, now: datetime) -> ApiKey | None:
    """The live stored key with this id (a signed-in browser's), or None if gone or stopped."""
    stored_key = session.get(ApiKey, key_id)
    return stored_key if stored_key is not None and is_live(stored_key, now=now) else None
