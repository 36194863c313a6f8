"""Member queries, scoped so a caller only ever reaches the members they may see.

Erased members (``erased_at`` set) are stubs kept for the community's service hours: no list,
candidate search, suggestion or read reaches them; only a repeated erasure does.
"""

from sqlalchemy import Select, false, select

from api.auth.principal import Principal
from api.db.models import Member


def _scoped(principal: Principal) -> Select[tuple[Member]]:
    """Admins: all; coordinators: their communities' members; members: themselves."""
    statement = select(Member)
    if principal.is_admin:
        return statement
    if principal.role == "coordinator":
        return statement.where(Member.community_id.in_(principal.community_ids))
    if principal.role == "member":
        return statement.where(Member.id == principal.id)
    return statement.where(false())


def readable(principal: Principal) -> Select[tuple[Member]]:
    """Members the caller may see, never an erased one."""
    return _scoped(principal).where(Member.erased_at.is_(None))


writable = readable
"""Whoever may read a member may edit them; *what* they may edit is the schema's job."""


def erasable(principal: Principal) -> Select[tuple[Member]]:
    """Members the caller may erase, already erased ones included (erasing is idempotent)."""
    return _scoped(principal)
