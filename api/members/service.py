"""Member use cases: join, read, edit, remove."""

from datetime import datetime
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from api.auth.keys import issue_key
from api.auth.principal import Principal
from api.communities import repository as communities
from api.communities.schemas import Point
from api.communities.service import find as find_community
from api.db.models import ApiKey, Member
from api.errors import Conflict, Forbidden, NotFound
from api.members import repository
from api.members.schemas import (
    MemberCreate,
    MemberCreated,
    MemberManagerUpdate,
    MemberOut,
    MemberSelfUpdate,
)
from api.schemas import Page, decode_cursor, encode_cursor
from api.signups.service import release_member

MANAGER_ONLY_FIELDS = set(MemberManagerUpdate.model_fields) - set(MemberSelfUpdate.model_fields)


def to_out(member: Member) -> MemberOut:
    """The private view of a member (only ever built for readers allowed to see it)."""
    return MemberOut(
        id=member.id,
        community_id=member.community_id,
        name=member.name,
        email=member.email,
        home=Point(lat=member.home_lat, lon=member.home_lon),
        max_travel_km=member.max_travel_km,
        skills=member.skills,
        interests=member.interests,
        availability=member.availability,  # type: ignore[arg-type]  # validated on the way in
        blackout_dates=member.blackout_dates,  # type: ignore[arg-type]
        stage=member.stage,  # type: ignore[arg-type]
        checks=member.checks,
        max_commitments_per_month=member.max_commitments_per_month,
        active=member.active,
        created_at=member.created_at,
        updated_at=member.updated_at,
    )


def _columns(data: dict[str, Any]) -> dict[str, Any]:
    """Schema fields to column values (the home point is two columns, dates are ISO text)."""
    values = dict(data)
    if "home" in values:
        home = values.pop("home")
        values["home_lat"], values["home_lon"] = home["lat"], home["lon"]
    if "blackout_dates" in values:
        # Already ISO strings (the data was dumped in JSON mode), so they sort by date.
        values["blackout_dates"] = sorted(set(values["blackout_dates"]))
    return values


def _ensure_email_free(session: Session, community_id: str, email: str, member_id: str) -> None:
    clash = session.scalar(
        select(Member.id).where(
            Member.community_id == community_id, Member.email == email, Member.id != member_id
        )
    )
    if clash is not None:
        raise Conflict(f"another member of this community already uses {email}")


def create(
    session: Session, *, principal: Principal, community_id: str, data: MemberCreate
) -> MemberCreated:
    """Add a member to a community the caller manages, and issue the member's key."""
    find_community(session, communities.managed(principal), community_id)
    _ensure_email_free(session, community_id, data.email, member_id="")
    member = Member(community_id=community_id, **_columns(data.model_dump(mode="json")))
    session.add(member)
    session.flush()
    api_key = issue_key(session, role="member", principal_id=member.id, name=member.name)
    return MemberCreated(**to_out(member).model_dump(), api_key=api_key)


def get(session: Session, *, principal: Principal, member_id: str) -> Member:
    """A member the caller may see, or 404."""
    member = session.scalar(repository.readable(principal).where(Member.id == member_id))
    if member is None:
        raise NotFound(f"member {member_id} not found")
    return member


def update(
    session: Session, *, principal: Principal, member_id: str, data: MemberManagerUpdate
) -> Member:
    """Apply the fields the caller sent; members may not vouch for themselves."""
    member = session.scalar(repository.writable(principal).where(Member.id == member_id))
    if member is None:
        raise NotFound(f"member {member_id} not found")
    vouched = sorted(data.model_fields_set & MANAGER_ONLY_FIELDS)
    if principal.role == "member" and vouched:
        raise Forbidden(f"only a coordinator may change {', '.join(vouched)}")
    changes = _columns(data.model_dump(mode="json", exclude_unset=True))
    if "email" in changes:
        _ensure_email_free(session, member.community_id, changes["email"], member.id)
    for column, value in changes.items():
        setattr(member, column, value)
    session.flush()
    return member


def remove(session: Session, *, principal: Principal, member_id: str, now: datetime) -> None:
    """Remove a member and their keys, first giving back the places they hold."""
    member = session.scalar(repository.writable(principal).where(Member.id == member_id))
    if member is None:
        raise NotFound(f"member {member_id} not found")
    release_member(session, member_id=member.id, now=now)
    session.execute(delete(ApiKey).where(ApiKey.principal_id == member.id))
    session.delete(member)
    session.flush()


def list_for_community(
    session: Session, *, principal: Principal, community_id: str, limit: int, cursor: str | None
) -> Page[MemberOut]:
    """A community's members by name, for its coordinators and admins."""
    find_community(session, communities.managed(principal), community_id)
    statement = (
        repository.readable(principal)
        .where(Member.community_id == community_id)
        .order_by(Member.name, Member.id)
        .limit(limit + 1)
    )
    if cursor is not None:
        name, member_id = decode_cursor(cursor, 2)
        statement = statement.where(
            (Member.name > name) | ((Member.name == name) & (Member.id > member_id))
        )
    members = list(session.scalars(statement))
    more = len(members) > limit
    members = members[:limit]
    next_cursor = encode_cursor(members[-1].name, members[-1].id) if more else None
    return Page[MemberOut](items=[to_out(member) for member in members], next_cursor=next_cursor)
