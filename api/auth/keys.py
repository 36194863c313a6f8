"""API keys: random, shown once, stored only as a SHA-256 digest.

Keys carry 256 bits of randomness, so a fast hash is enough (no password stretching needed)
and lookups stay a single indexed equality.
"""

import hashlib
import secrets
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from api.db.models import ApiKey

KEY_PREFIX = "sm_"


def hash_key(key: str) -> str:
    """The digest we store and look keys up by."""
    return hashlib.sha256(key.encode()).hexdigest()


def issue_key(session: Session, *, role: str, principal_id: str | None, name: str) -> str:
    """Create a key for a principal and return it in clear: the only time it exists so."""
    key = KEY_PREFIX + secrets.token_urlsafe(32)
    session.add(
        ApiKey(
            key_hash=hash_key(key),
            prefix=key[:10],
            role=role,
            principal_id=principal_id,
            name=name,
        )
    )
    return key


def find_active_key(session: Session, key: str, *, now: datetime) -> ApiKey | None:
    """The live key record for ``key``, or None if unknown, revoked or expired."""
    record = session.scalar(select(ApiKey).where(ApiKey.key_hash == hash_key(key)))
    if record is None or record.revoked_at is not None:
        return None
    if record.expires_at is not None and record.expires_at <= now:
        return None
    return record
