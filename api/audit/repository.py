"""Audit queries, scoped: admins read every event; coordinators those about their communities.

A coordinator's scope is decided by the object an event is about (the community itself, its
members, its needs, its households, and sign-ups of either), through indexed id lookups;
events about coordinators, agencies and keys are for admins only.
"""

from collections.abc import Callable
from typing import TypeVar

from sqlalchemy import Select, false, or_, select
from sqlalchemy.orm import Session

from api.audit.schemas import AuditFilter
from api.auth.principal import Principal
from api.db.models import AuditEvent, Household, Member, Need, Signup
from api.pagination import SortKey, paginate
from api.schemas import Page

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
    households = select(Household.id).where(Household.community_id.in_(communities))
    signups = select(Signup.id).where(or_(Signup.need_id.in_(needs), Signup.member_id.in_(members)))
    about = AuditEvent.object_id
    return statement.where(
        or_(
            (AuditEvent.object_type == "community") & about.in_(communities),
            (AuditEvent.object_type == "member") & about.in_(members),
            (AuditEvent.object_type == "need") & about.in_(needs),
            (AuditEvent.object_type == "signup") & about.in_(signups),
            (AuditEvent.object_type == "household") & about.in_(households),
        )
    )


def page_readable(
    session: Session,
    *,
    principal: Principal,
    filters: AuditFilter,
    limit: int,
    cursor: str | None,
    to_out: Callable[[AuditEvent], T],
) -> Page[T]:
    """A page of the events the caller may read, newest first, narrowed by ``filters``."""
    statement = readable(principal)
    if filters.object_type is not None:
        statement = statement.where(AuditEvent.object_type == filters.object_type)
    if filters.object_id is not None:
        statement = statement.where(AuditEvent.object_id == filters.object_id)
    if filters.actor_id is not None:
        statement = statement.where(AuditEvent.actor_id == filters.actor_id)
    if filters.since is not None:
        statement = statement.where(AuditEvent.at >= filters.since)
    return paginate(
        session,
        statement,
        key=SortKey(AuditEvent.at, AuditEvent.id, descending=True),
        limit=limit,
        cursor=cursor,
        to_out=lambda row: to_out(row.AuditEvent),
    )
