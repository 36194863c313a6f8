"""Who may see what: the row filters that more than one domain joins on.

A repository scopes every statement it runs by the caller. Most scopes belong to one domain
and live in its repository; these two are joined into other domains' queries too (candidates
are the members a coordinator may see; suggestions are the needs a member may see; a radius
filter needs to know whose view of a place is exact), so they are defined once, here, as SQL
conditions, and the members and needs repositories build their statements on them.
"""

from sqlalchemy import ColumnElement, and_, exists, false, or_, true

from api.auth.principal import Principal
from api.db.models import Member, Need, Signup


def member_reachable(principal: Principal) -> ColumnElement[bool]:
    """Members the caller may act on, erased stubs included: admins all, coordinators their
    communities' members, members themselves, agencies none."""
    if principal.is_admin:
        return true()
    if principal.role == "coordinator":
        return Member.community_id.in_(principal.community_ids)
    if principal.role == "member":
        return Member.id == principal.id
    return false()


def member_readable(principal: Principal) -> ColumnElement[bool]:
    """Members the caller may see: reachable and not erased."""
    return and_(member_reachable(principal), Member.erased_at.is_(None))


def need_owned_by(principal: Principal) -> ColumnElement[bool]:
    """Needs the caller manages: admin all, coordinators their communities', agencies theirs.

    The single definition of who manages a need: it limits writes and, with sign-ups, decides
    who sees a private location exactly.
    """
    if principal.is_admin:
        return true()
    if principal.role == "coordinator":
        return Need.community_id.in_(principal.community_ids)
    if principal.role == "agency":
        return Need.agency_id == principal.id
    return false()


def need_visible_to(principal: Principal) -> ColumnElement[bool]:
    """Needs the caller may read: their own, plus agency requests and network-wide needs."""
    if principal.role in ("coordinator", "member"):
        return or_(
            Need.community_id.in_(principal.community_ids),
            Need.agency_id.is_not(None),
            Need.open_to_network.is_(True),
        )
    return need_owned_by(principal)


def need_seen_exactly_by(principal: Principal) -> ColumnElement[bool]:
    """Owners, and members signed up for the need: a private home is revealed to them only."""
    if principal.role != "member":
        return need_owned_by(principal)
    return exists().where(
        Signup.need_id == Need.id, Signup.member_id == principal.id, Signup.status == "confirmed"
    )
