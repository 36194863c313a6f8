"""Audit queries, scoped: admins read every event; coordinators those about their communities.

A coordinator's scope is decided by the object an event is about (the community itself, its
members, its needs, and sign-ups of either), through indexed id lookups; events about
coordinators, agencies and keys are for admins only.
"""

from sqlalchemy import Select, false, or_, select

from api.auth.principal import Principal
from api.db.models import AuditEvent, Member, Need, Signup


def readable(principal: Principal) -> Select[tuple[AuditEvent]]:
    """Events the caller may read."""
    statement = select(AuditEvent)
    if principal.is_admin:
        return statement
    if principal.role != "coordinator" or not principal.community_ids:
        return statement.where(false())
    communities = principal.community_ids
    members = select(Member.id).where(Member.community_id.in_(communities))
    needs = select(Need.id).where(Need.community_id.in_(communities))
    signups = select(Signup.id).where(or_(Signup.need_id.in_(needs), Signup.member_id.in_(members)))
    about = AuditEvent.object_id
    return statement.where(
        or_(
            (AuditEvent.object_type == "community") & about.in_(communities),
            (AuditEvent.object_type == "member") & about.in_(members),
            (AuditEvent.object_type == "need") & about.in_(needs),
            (AuditEvent.object_type == "signup") & about.in_(signups),
        )
    )
