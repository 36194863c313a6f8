"""Audit queries, scoped: admins read every event; coordinators those about their communities.

A coordinator's scope is decided by the object an event is about (the community itself, its
members, its needs, and sign-ups of either), through indexed id lookups; events about
coordinators, agencies and keys are for admins only.
"""

from collections.abc import Callable
from datetime import datetime
from typing import TypeVar

from sqlalchemy import Select, false, or_, select
from sqlalchemy.orm import Session

from api.auth.principal import Principal
from api.db.models import AuditEvent, Member, Need, Signup
from api.pagination import SortKey, paginate
from api.schemas import Page
from api.vocabulary import ObjectType

T = TypeVar("T")


def readable(principal: Principal) -> Select[AuditEvent]:
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


def page_readable(
    session: Session,
    *,
    principal: Principal,
    object_type: ObjectType | None,
    object_id: str | None,
    actor_id: str | None,
    since: datetime | None,
    limit: int,
    cursor: str | None,
    to_out: Callable[[AuditEvent], T],
) -> Page[T]:
    """A page of the events the caller may read, newest first, filtered by what is given."""
    statement = readable(principal)
    if object_type is not None:
        statement = statement.where(AuditEvent.object_type == object_type)
    if object_id is not None:
        statement = statement.where(AuditEvent.object_id == object_id)
    if actor_id is not None:
        statement = statement.where(AuditEvent.actor_id == actor_id)
    if since is not None:
        statement = statement.where(AuditEvent.at >= since)
    return paginate(
        session,
        statement,
        key=SortKey(AuditEvent.at, AuditEvent.id, descending=True),
        limit=limit,
        cursor=cursor,
        to_out=lambda row: to_out(row.AuditEvent),
    )
