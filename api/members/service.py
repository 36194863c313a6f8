"""Member use cases: join, read, edit, and wipe the personal data of an erased member.

Erasure itself (the GDPR right to erasure) is the ``api.erasure`` use case: it gives the
member's places back, revokes their keys and then calls :func:`erase_personal_data`, which
keeps the row as an anonymous stub rather than deleting it: the member's past confirmed
sign-ups are the community's service hours, and they must still add up after the person is gone.

Apprentices: ``apprentice_of`` always names a current leader of the member's own community,
not erased. So promoting an apprentice to leader ends their apprenticeship (it is cleared), and
a leader who leaves the leader stage or is erased releases their apprentices (theirs is cleared
too): a stale link would tell a coordinator someone is being trained by a person who no longer
leads. The audit event of the edit counts the apprentices released.
"""

from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from api.audit.service import record
from api.auth.credentials import issue_key
from api.auth.principal import Principal
from api.communities import service as communities
from api.db.models import Member, Membership, StageChange
from api.errors import Conflict, FieldError, Forbidden, NotFound
from api.geocoding.service import Located, located, required_place
from api.members import repository
from api.members.schemas import (
    MemberCreate,
    MemberCreated,
    MemberManagerUpdate,
    MemberOut,
    MemberSelfUpdate,
)
from api.schemas import Page, Point
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
    "apprentice_of",
)
"""What erasure overwrites (names only: the audit event lists them)."""
_AS_STORED = tuple(name for name in MemberOut.model_fields if name != "home")
"""The fields of ``MemberOut`` read straight from the member's columns (the home is a point)."""


def to_out(member: Member) -> MemberOut:
    """The private view of a member (only ever built for readers allowed to see it)."""
    values = {name: getattr(member, name) for name in _AS_STORED}
    home = Point(lat=member.home_lat, lon=member.home_lon)
    return MemberOut.model_validate({**values, "home": home})


def _not_found(member_id: str) -> NotFound:
    return NotFound(f"member {member_id} not found")


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
    if repository.email_taken(
        session, community_id=community_id, email=email, other_than=member_id
    ):
        raise Conflict(f"another member of this community already uses {email}")


APPRENTICE_OF = ("body", "apprentice_of")


def _check_apprentice_of(
    session: Session,
    *,
    principal: Principal,
    community_id: str,
    member_id: str | None,
    leader_id: str | None,
    stage: str,
) -> None:
    """422 naming ``apprentice_of`` unless ``leader_id`` (None: no apprenticeship) names a
    leader, not erased, of the member's community, other than the member, who is no leader."""
    if leader_id is None:
        return
    if leader_id == member_id:
        raise FieldError(APPRENTICE_OF, "apprentice_of: a member cannot be their own apprentice")
    if stage == "leader":
        raise FieldError(
            APPRENTICE_OF,
            "apprentice_of: a leader cannot be an apprentice (set apprentice_of to null, or "
            "another stage)",
        )
    leader = repository.get_readable_in_community(
        session, principal=principal, community_id=community_id, member_id=leader_id
    )
    if leader is None:
        raise FieldError(
            APPRENTICE_OF, f"apprentice_of: {leader_id} is not a member of this community"
        )
    if leader.stage != "leader":
        raise FieldError(
            APPRENTICE_OF,
            f"apprentice_of must name a leader: member {leader_id} is at stage {leader.stage}",
        )


def release_apprentices(session: Session, *, principal: Principal, leader_id: str) -> int:
    """End the apprenticeship of everyone apprenticed to ``leader_id`` (who stops leading or is
    erased); returns how many were released."""
    return repository.release_apprentices(session, principal=principal, leader_id=leader_id)


def create(
    session: Session,
    *,
    principal: Principal,
    community_id: str,
    data: MemberCreate,
    geocoder: Geocoder,
) -> MemberCreated:
    """Add a member to a community the caller manages, and issue the member's key."""
    communities.get_managed(session, principal=principal, community_id=community_id)
    _ensure_email_free(session, community_id, data.email, member_id="")
    _check_apprentice_of(
        session,
        principal=principal,
        community_id=community_id,
        member_id=None,
        leader_id=data.apprentice_of,
        stage=data.stage,
    )
    home = required_place(
        session, geocoder, point=data.home, address=data.address, point_field="home"
    )
    member = Member(community_id=community_id, **_columns(data.model_dump(mode="json"), home))
    session.add(member)
    session.flush()
    session.add_all(
        [
            Membership(member_id=member.id, community_id=community_id, joined_at=member.created_at),
            StageChange(member_id=member.id, stage=member.stage, changed_at=member.created_at),
        ]
    )
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
    """A member the caller may see (never an erased one); 404 otherwise."""
    member = repository.get_readable(session, principal=principal, member_id=member_id)
    if member is None:
        raise _not_found(member_id)
    return member


def get_erasable(session: Session, *, principal: Principal, member_id: str) -> Member:
    """A member the caller may erase, already erased ones included; 404 otherwise."""
    member = repository.get_erasable(session, principal=principal, member_id=member_id)
    if member is None:
        raise _not_found(member_id)
    return member


def update(
    session: Session,
    *,
    principal: Principal,
    member_id: str,
    data: MemberManagerUpdate,
    geocoder: Geocoder,
) -> Member:
    """Apply the fields the caller sent; members may not vouch for themselves.

    Promoting a member to leader clears their ``apprentice_of`` (unless the request sets it,
    which is a 422: a leader cannot be an apprentice); a leader moved to another stage releases
    their apprentices."""
    member = repository.get_writable(session, principal=principal, member_id=member_id)
    if member is None:
        raise _not_found(member_id)
    vouched = sorted(data.model_fields_set & MANAGER_ONLY_FIELDS)
    if principal.role == "member" and vouched:
        raise Forbidden(f"only a coordinator may change {', '.join(vouched)}")
    home = located(session, geocoder, point=data.home, address=data.address, point_field="home")
    changes = _columns(data.model_dump(mode="json", exclude_unset=True), home)
    if "email" in changes:
        _ensure_email_free(session, member.community_id, changes["email"], member.id)
    stage = changes.get("stage", member.stage)
    if "apprentice_of" in changes:
        _check_apprentice_of(
            session,
            principal=principal,
            community_id=member.community_id,
            member_id=member.id,
            leader_id=changes["apprentice_of"],
            stage=stage,
        )
    elif stage == "leader":
        changes["apprentice_of"] = None  # promoted: the apprenticeship is over
    was_leader = member.stage == "leader"
    if stage != member.stage:
        session.add(StageChange(member_id=member.id, stage=stage, changed_by=principal.id))
    for column, value in changes.items():
        setattr(member, column, value)
    session.flush()
    released = 0
    if was_leader and stage != "leader":
        released = release_apprentices(session, principal=principal, leader_id=member.id)
    record(
        session,
        actor=principal,
        action="member.update",
        object_type="member",
        object_id=member.id,
        fields=data.model_fields_set,
        counts={"released_apprentices": released} if released else None,
    )
    return member


def erase_personal_data(member: Member, *, home: Point, now: datetime) -> None:
    """Overwrite what erasure overwrites (``ERASED_FIELDS``) and mark the member erased.

    The home moves to ``home`` (the community's meeting point, public), the email to a unique
    placeholder built from the random id, so the row keeps its constraints without saying
    anything about the person.
    """
    member.name = ERASED_NAME
    member.email = f"erased-{member.id}@erased.invalid"
    member.home_lat, member.home_lon = home.lat, home.lon
    member.address = None
    member.skills, member.interests, member.availability = {}, "", []
    member.blackout_dates, member.checks, member.stage = [], [], "new"
    member.apprentice_of = None
    member.active = False
    member.erased_at = now


def list_for_community(
    session: Session, *, principal: Principal, community_id: str, limit: int, cursor: str | None
) -> Page[MemberOut]:
    """A community's members by name, for its coordinators and admins."""
    communities.get_managed(session, principal=principal, community_id=community_id)
    return repository.page_in_community(
        session,
        principal=principal,
        community_id=community_id,
        limit=limit,
        cursor=cursor,
        to_out=to_out,
    )


def active_in_community(
    session: Session, *, principal: Principal, community_id: str, limit: int
) -> list[Member]:
    """The community's active members the caller may see, by name then id, at most ``limit``."""
    return list(
        repository.active_in_community(
            session, principal=principal, community_id=community_id, limit=limit
        )
    )
