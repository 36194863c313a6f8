"""Who may see what: the row filters that more than one domain joins on.

A repository scopes every statement it runs by the caller. Most scopes belong to one domain
and live in its repository; these two are joined into other domains' queries too (candidates
are the members a coordinator may see; suggestions are the needs a member may see; a radius
filter needs to know whose view of a place is exact), so they are defined once, here, as SQL
conditions, and the members and needs repositories build their statements on them.

The caller's id and communities enter each condition as the named parameters
``scope_principal_id`` and ``scope_communities``, carrying this caller's values. So a statement
built once for one caller's role can be run for another caller of that role by passing
``scope_parameters(principal)``; one built for a placeholder (``role_template``) matches
nobody until they are passed. One statement holds one caller's scopes.
"""

from typing import Any

from sqlalchemy import BindParameter, ColumnElement, and_, bindparam, exists, false, or_, true

from api.auth.principal import Principal
from api.db.models import Member, Need, Signup
from api.vocabulary import Role


def scope_parameters(principal: Principal) -> dict[str, Any]:
    """The values of ``principal`` for a statement built once per role (see the module)."""
    return {
        "scope_principal_id": principal.id,
        "scope_communities": sorted(principal.community_ids),
    }


def role_template(role: Role) -> Principal:
    """A caller of ``role`` with no id and no communities: scopes built for it match nobody
    but admins' until ``scope_parameters`` of a real caller are passed."""
    return Principal(role=role, id=None)


def _id(principal: Principal) -> BindParameter[str | None]:
    return bindparam("scope_principal_id", principal.id)


def _communities(principal: Principal) -> BindParameter[list[str]]:
    return bindparam("scope_communities", sorted(principal.community_ids), expanding=True)


def member_reachable(principal: Principal) -> ColumnElement[bool]:
    """Members the caller may act on, erased stubs included: admins all, coordinators their
    communities' members, members themselves, agencies none."""
    if principal.is_admin:
        return true()
    if principal.role == "coordinator":
        return Member.community_id.in_(_communities(principal))
    if principal.role == "member":
        return Member.id == _id(principal)
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
        return Need.community_id.in_(_communities(principal))
    if principal.role == "agency":
        return Need.agency_id == _id(principal)
    return false()


def need_visible_to(principal: Principal) -> ColumnElement[bool]:
    """Needs the caller may read: their own, plus agency requests and network-wide needs."""
    if principal.role in ("coordinator", "member"):
        return or_(
            Need.community_id.in_(_communities(principal)),
            Need.agency_id.is_not(None),
            Need.open_to_network.is_(True),
        )
    return need_owned_by(principal)


def need_seen_exactly_by(principal: Principal) -> ColumnElement[bool]:
    """Owners, and members signed up for the need: a private home is revealed to them only."""
    if principal.role != "member":
        return need_owned_by(principal)
    return exists().where(
        Signup.need_id == Need.id, Signup.member_id == _id(principal), Signup.status == "confirmed"
    )
