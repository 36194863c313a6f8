"""Member use cases: join, read, edit, erase.

Erasure (the GDPR right to erasure) keeps the row as an anonymous stub rather than deleting
it: the member's past confirmed sign-ups are the community's service hours, and they must
still add up after the person is gone.
"""

from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy import update as update_rows
from sqlalchemy.orm import Session

from api.audit.service import record
from api.auth.cache import forget_after_commit
from api.auth.keys import issue_key
from api.auth.principal import Principal
from api.communities import repository as communities
from api.communities.service import find as find_community
from api.db.models import ApiKey, Community, Member
from api.errors import Conflict, Forbidden, NotFound
from api.geocoding.service import Located, located, required_place
from api.members import repository
from api.members.schemas import (
    MemberCreate,
    MemberCreated,
    MemberManagerUpdate,
    MemberOut,
    MemberSelfUpdate,
)
from api.pagination import SortKey, paginate
from api.schemas import Page, Point
from api.signups import repository as signups
from api.signups.service import release_member
from geo.geocoding import Geocoder

MANAGER_ONLY_FIELDS = set(MemberManagerUpdate.model_fields) - set(MemberSelfUpdate.model_fields)
ERASED_NAME = "Erased member"
ERASED_FIELDS = (
    "name",
    "email",
    "home",
    "address",
    "skills",
    "interests",
    "availability",
    "blackout_dates",
    "stage",
    "checks",
    "active",
)
"""What erasure overwrites (names only: the audit event lists them)."""


def to_out(member: Member) -> MemberOut:
    """The private view of a member (only ever built for readers allowed to see it)."""
    return MemberOut(
        id=member.id,
        community_id=member.community_id,
        name=member.name,
        email=member.email,
        home=Point(lat=member.home_lat, lon=member.home_lon),
        address=member.address,
        max_travel_km=member.max_travel_km,
        skills=member.skills,
        interests=member.interests,
        availability=member.availability,  # type: ignore[arg-type]  # validated on the way in
        blackout_dates=member.blackout_dates,  # type: ignore[arg-type]
        stage=member.stage,
        checks=member.checks,
        max_commitments_per_month=member.max_commitments_per_month,
        active=member.active,
        created_at=member.created_at,
        updated_at=member.updated_at,
    )


def _columns(data: dict[str, Any], home: Located | None) -> dict[str, Any]:
    """Schema fields to column values (the home is a point and the address it was given as;
    dates are ISO text)."""
    values = {name: value for name, value in data.items() if name not in ("home", "address")}
    if home is not None:
        values["home_lat"], values["home_lon"], values["address"] = home.lat, home.lon, home.address
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
    session: Session,
    *,
    principal: Principal,
    community_id: str,
    data: MemberCreate,
    geocoder: Geocoder,
) -> MemberCreated:
    """Add a member to a community the caller manages, and issue the member's key."""
    find_community(session, communities.managed(principal), community_id)
    _ensure_email_free(session, community_id, data.email, member_id="")
    home = required_place(
        session, geocoder, point=data.home, address=data.address, point_field="home"
    )
    member = Member(community_id=community_id, **_columns(data.model_dump(mode="json"), home))
    session.add(member)
    session.flush()
    api_key = issue_key(session, role="member", principal_id=member.id, name=member.name)
    record(
        session,
        actor=principal,
        action="member.create",
        object_type="member",
        object_id=member.id,
        fields=data.model_fields_set,
    )
    return MemberCreated(**to_out(member).model_dump(), api_key=api_key)


def get(session: Session, *, principal: Principal, member_id: str) -> Member:
    """A member the caller may see, or 404."""
    member = session.scalar(repository.readable(principal).where(Member.id == member_id))
    if member is None:
        raise NotFound(f"member {member_id} not found")
    return member


def update(
    session: Session,
    *,
    principal: Principal,
    member_id: str,
    data: MemberManagerUpdate,
    geocoder: Geocoder,
) -> Member:
    """Apply the fields the caller sent; members may not vouch for themselves."""
    member = session.scalar(repository.writable(principal).where(Member.id == member_id))
    if member is None:
        raise NotFound(f"member {member_id} not found")
    vouched = sorted(data.model_fields_set & MANAGER_ONLY_FIELDS)
    if principal.role == "member" and vouched:
        raise Forbidden(f"only a coordinator may change {', '.join(vouched)}")
    home = located(session, geocoder, point=data.home, address=data.address, point_field="home")
    changes = _columns(data.model_dump(mode="json", exclude_unset=True), home)
    if "email" in changes:
        _ensure_email_free(session, member.community_id, changes["email"], member.id)
    for column, value in changes.items():
        setattr(member, column, value)
    session.flush()
    record(
        session,
        actor=principal,
        action="member.update",
        object_type="member",
        object_id=member.id,
        fields=data.model_fields_set,
    )
    return member


def erase(session: Session, *, principal: Principal, member_id: str, now: datetime) -> None:
    """Erase a member's personal data and revoke their keys; a second erasure does nothing.

    Places in needs not yet over are given back; confirmed sign-ups of past needs stay, tied
    to the anonymous stub, so the community's service hours are unchanged. The home moves to
    the community's meeting point (public), the email to a unique placeholder built from the
    random id, so the row keeps its constraints without saying anything about the person.
    """
    member = session.scalar(repository.erasable(principal).where(Member.id == member_id))
    if member is None:
        raise NotFound(f"member {member_id} not found")
    # The sign-up lock: no sign-up can slip in for the member while they are being erased.
    signups.lock_member(session, member.id)
    session.refresh(member)
    if member.erased_at is not None:
        return
    released = release_member(session, member_id=member.id, now=now)
    meeting = session.execute(
        select(Community.meeting_lat, Community.meeting_lon).where(
            Community.id == member.community_id
        )
    ).one()
    member.name = ERASED_NAME
    member.email = f"erased-{member.id}@erased.invalid"
    member.home_lat, member.home_lon = meeting.meeting_lat, meeting.meeting_lon
    member.address = None
    member.skills, member.interests, member.availability = {}, "", []
    member.blackout_dates, member.checks, member.stage = [], [], "new"
    member.active = False
    member.erased_at = now
    # Keys were named after the member: revoke them and drop the name too.
    session.execute(
        update_rows(ApiKey)
        .where(ApiKey.principal_id == member.id, ApiKey.role == "member")
        .values(name=ERASED_NAME, revoked_at=func.coalesce(ApiKey.revoked_at, now))
        .execution_options(synchronize_session=False)
    )
    session.flush()
    forget_after_commit(session, principal_id=member.id)
    record(
        session,
        actor=principal,
        action="member.erase",
        object_type="member",
        object_id=member.id,
        fields=ERASED_FIELDS,
        counts={"released_signups": released},
    )


def list_for_community(
    session: Session, *, principal: Principal, community_id: str, limit: int, cursor: str | None
) -> Page[MemberOut]:
    """A community's members by name, for its coordinators and admins."""
    find_community(session, communities.managed(principal), community_id)
    return paginate(
        session,
        repository.readable(principal).where(Member.community_id == community_id),
        key=SortKey(Member.name, Member.id),
        limit=limit,
        cursor=cursor,
        to_out=lambda row: to_out(row[0]),
    )
