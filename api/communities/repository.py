"""Community queries, scoped to what the caller may see or manage."""

from sqlalchemy import Select, false, select

from api.auth.principal import Principal
from api.db.models import Community


def readable(principal: Principal) -> Select[tuple[Community]]:
    """Admins: all; coordinators and members: their own; agencies: none."""
    statement = select(Community)
    if principal.is_admin:
        return statement
    if principal.role in ("coordinator", "member"):
        return statement.where(Community.id.in_(principal.community_ids))
    return statement.where(false())


def managed(principal: Principal) -> Select[tuple[Community]]:
    """Communities whose members and needs the caller manages: admin all, coordinators own."""
    statement = select(Community)
    if principal.is_admin:
        return statement
    if principal.role == "coordinator":
        return statement.where(Community.id.in_(principal.community_ids))
    return statement.where(false())
