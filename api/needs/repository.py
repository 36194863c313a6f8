"""Need queries, scoped by role.

``owned_by`` is the single definition of who manages a need; it limits writes and, with
sign-ups, decides who sees a private location exactly.
"""

from sqlalchemy import ColumnElement, Select, exists, false, or_, select, true

from api.auth.principal import Principal
from api.db.models import Need, Signup


def owned_by(principal: Principal) -> ColumnElement[bool]:
    """Needs the caller manages: admin all, coordinators their communities', agencies theirs."""
    if principal.is_admin:
        return true()
    if principal.role == "coordinator":
        return Need.community_id.in_(principal.community_ids)
    if principal.role == "agency":
        return Need.agency_id == principal.id
    return false()


def visible_to(principal: Principal) -> ColumnElement[bool]:
    """Needs the caller may read: their own, plus agency requests and network-wide needs."""
    if principal.role in ("coordinator", "member"):
        return or_(
            Need.community_id.in_(principal.community_ids),
            Need.agency_id.is_not(None),
            Need.open_to_network.is_(True),
        )
    return owned_by(principal)


def sees_exact_location(principal: Principal) -> ColumnElement[bool]:
    """Owners, and members signed up for the need: a private home is revealed to them only."""
    if principal.role != "member":
        return owned_by(principal)
    return exists().where(
        Signup.need_id == Need.id, Signup.member_id == principal.id, Signup.status == "confirmed"
    )


def readable(principal: Principal) -> Select[tuple[Need, bool]]:
    """Needs the caller may read, each with whether the caller may see its exact location."""
    return select(Need, sees_exact_location(principal).label("exact")).where(visible_to(principal))


def writable(principal: Principal) -> Select[tuple[Need]]:
    """Needs the caller may change."""
    return select(Need).where(owned_by(principal))
