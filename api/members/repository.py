"""Member queries, scoped so a caller only ever reaches the members they may see."""

from sqlalchemy import Select, false, select

from api.auth.principal import Principal
from api.db.models import Member


def readable(principal: Principal) -> Select[tuple[Member]]:
    """Admins: all; coordinators: their communities' members; members: themselves."""
    statement = select(Member)
    if principal.is_admin:
        return statement
    if principal.role == "coordinator":
        return statement.where(Member.community_id.in_(principal.community_ids))
    if principal.role == "member":
        return statement.where(Member.id == principal.id)
    return statement.where(false())


writable = readable
"""Whoever may read a member may edit them; *what* they may edit is the schema's job."""
