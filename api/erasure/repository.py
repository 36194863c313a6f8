"""Erasure's own statement: revoking an erased member's keys.

Unscoped: it runs only inside :func:`api.erasure.service.erase`, after the caller was found
allowed to erase the member.
"""

from datetime import datetime

from sqlalchemy import func, update
from sqlalchemy.orm import Session

from api.db.models import ApiKey


def revoke_member_keys(session: Session, *, member_id: str, name: str, now: datetime) -> None:
    """Revoke the member's keys (a key revoked earlier keeps its instant) and rename them."""
    session.execute(
        update(ApiKey)
        .where(ApiKey.principal_id == member_id, ApiKey.role == "member")
        .values(name=name, revoked_at=func.coalesce(ApiKey.revoked_at, now))
        .execution_options(synchronize_session=False)
    )
