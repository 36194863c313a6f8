"""Sign-up use cases: take a place, invite someone to one, answer, give it back, list.

Every hard constraint is checked by the engine (``check_member_for_role``, through
``api.matching.service.signup_violations``), the same code that ranks candidates, so a
sign-up, an invitation and its acceptance are refused exactly when the member would not
have been suggested.

Places are taken under locks with conditional UPDATEs (``repository``): the member's lock,
then the need's, in that order everywhere. An invitation *holds* its place
(``need_roles.invited``) until it is accepted (the place becomes confirmed), declined or
withdrawn (released), or expires. Expiry is applied under the need's lock at the start of
every write that takes or answers a place on that need (:func:`_expire_due`), so an
invitation past its ``expires_at`` can never keep a place from a later sign-up; a sweep
(:func:`expire_overdue`, run by the app every minute) catches up the needs nobody writes to.
Reads judge expiry themselves against ``now``: matching counts only
invitations not yet expired (``api.matching.repository``), and a member's inbox shows an
overdue invitation as ``expired``. A CHECK (``filled + invited <= count``) and a unique index
on the sign-ups holding a place per (need, member) are the database's backstops.

A need becomes ``filled`` only when confirmed sign-ups fill every place; an open need whose
remaining places are all held by invitations takes no sign-ups (the role is full) until one
is declined or expires.

A *waiting* invitation (``status`` ``waiting``, ``waits_for_id`` set) is a new member's,
held until the invitation of the mentor they are paired with (``api.assignment``) is
accepted: it holds its place and the member's time like an invitation, but it is not sent —
the member neither sees nor answers it, and its ``expires_at`` is the need's start. In the
transaction that accepts the mentor's invitation, every invitation waiting for it is
released (:func:`_release_waiting`: ``invited``, its expiry counted from then); in the one
that declines, expires or withdraws it (erasure included), they are dropped
(:func:`_drop_waiting`: ``withdrawn``, places given back), so a new member is never asked to
serve without their mentor. A release or a drop changes a place's kind, never takes one, so
it needs only the need's lock, not the waiting member's.

An invitation *on standby* (``standby``, from a team or a batch sent with ``standby: true``)
is one more member asked for a need nobody has taken yet: ``invited`` and expiring like any
invitation, the member's time like any, but it holds **no** place (``need_roles.invited``
does not count it; :func:`_free_held` frees none for it). The first yes takes the place
(:func:`_take_for_standby`): a free one if there is one; else the one held by the role's
oldest sent invitation, which becomes ``superseded`` (a waiting one is never superseded);
else the standby is ``superseded`` and told so (409, :class:`api.errors.PlaceTaken`).
Whenever a role's places are all confirmed, its pending standbys are superseded in the same
transaction (:func:`_settle`). The invitations waiting for a superseded one are dropped as
when it is withdrawn: the new member was paired with that mentor, not with the standby, and
the next team or batch can pair them again (the simpler of the two correct rules).
"""

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Row
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from api.audit.service import record
from api.auth.principal import Principal
from api.db.models import Member, Need, NeedRole, Signup
from api.errors import Conflict, NotEligible, NotFound, PlaceTaken, Violation
from api.feedback import service as feedback
from api.feedback.schemas import EngineView
from api.matching import service as matching
from api.members import service as members
from api.needs import service as needs
from api.schemas import Page
from api.signups import repository
from api.signups.schemas import (
    Decline,
    InvitationCreate,
    MemberSignupOut,
    SignupCreate,
    SignupOut,
)
from api.vocabulary import HELD_STATUSES, SignupStatus
from matcher import CONFLICT_CODES


def _shown_status(signup: Signup, now: datetime | None) -> SignupStatus:
    """The status as of ``now``: an invitation past its expiry is expired, marked or not."""
    if (
        now is not None
        and signup.status == "invited"
        and signup.expires_at is not None
        and signup.expires_at <= now
    ):
        return "expired"
    return signup.status


def _fields(signup: Signup, *, member_name: str, role: str, now: datetime | None) -> dict[str, Any]:
    return {
        "id": signup.id,
        "need_id": signup.need_id,
        "member_id": signup.member_id,
        "member_name": member_name,
        "role": role,
        "status": _shown_status(signup, now),
        "created_at": signup.created_at,
        "expires_at": signup.expires_at,
        "answered_at": signup.answered_at,
        "decline_reason": signup.decline_reason,
        "decline_note": signup.decline_note,
        "waits_for": signup.waits_for_id,
        "standby": signup.standby,
    }


def to_out(
    signup: Signup, *, member_name: str, role: str, now: datetime | None = None
) -> SignupOut:
    """A sign-up as its readers see it, with the member's and the role's names."""
    return SignupOut(**_fields(signup, member_name=member_name, role=role, now=now))


def lock_member(session: Session, *, member: Member) -> None:
    """Take the member's sign-up lock and reread them as of it (an erasure may have committed
    meanwhile). Taken before any need's lock: one order everywhere means no deadlocks."""
    repository.lock_member(session, member.id)
    session.refresh(member)


def _expire_due(session: Session, need: Need, now: datetime) -> None:
    """Mark the need's overdue invitations expired and give their places back (the caller
    holds the need's lock)."""
    for invitation in repository.due_invitations(session, need_id=need.id, now=now):
        invitation.status = "expired"
        invitation.answered_at = invitation.expires_at
        _free_held(session, need, invitation)
        feedback.expired(session, member_id=invitation.member_id, need_id=need.id, now=now)
        _by_the_system(session, "signup.expire", invitation)
        _drop_waiting(session, need, invitation, now)
    session.flush()


def _by_the_system(
    session: Session, action: str, signup: Signup, fields: Sequence[str] = ("status",)
) -> None:
    """Audit a change the service made to ``signup`` on its own (expiry, release, drop,
    supersession): it follows from someone's write, recorded under them."""
    record(
        session,
        actor=None,
        action=action,
        object_type="signup",
        object_id=signup.id,
        fields=fields,
    )


def _free_held(session: Session, need: Need, invitation: Signup) -> None:
    """Give back the place a pending invitation holds: every path that ends one (expiry,
    decline, withdrawal, erasure, a drop) comes here, and one on standby holds none."""
    if not invitation.standby:
        repository.free_held(session, invitation.role_id)
        _given_back(need)


KEEP_ASKING_HOLD_SHARE = 0.5
KEEP_ASKING_MIN_HOLD_H = 12.0
"""On a need that keeps asking, an invitation holds its place at most this share of the time
left before the need starts, but at least this many hours (and never past the TTL): a member
who stays silent on a need two days away frees it after a day, while someone else can still
be asked. In the simulation this took keep asking's weekly coverage 0.842 → 0.861 and fill
rate 0.724 → 0.757 (``docs/quality.md``); without keep asking it bought nothing, since
nobody asks again until the coordinator looks."""


def _expiry(need: Need, *, now: datetime, ttl_hours: float) -> datetime:
    """When an invitation sent ``now`` stops holding its place: after the TTL, or on a need
    that keeps asking after ``KEEP_ASKING_HOLD_SHARE`` of the time left when that is sooner
    (at least ``KEEP_ASKING_MIN_HOLD_H``); never after the need starts."""
    hold_h = ttl_hours
    if need.keep_asking_role is not None:
        left_h = (need.starts_at - now).total_seconds() / 3600
        hold_h = min(ttl_hours, max(KEEP_ASKING_HOLD_SHARE * left_h, KEEP_ASKING_MIN_HOLD_H))
    return min(now + timedelta(hours=hold_h), need.starts_at)


def _given_back(need: Need) -> None:
    """A place of the need is open again: if it keeps asking, the sweep asks again
    (``api.assignment.service.ask_again``)."""
    if need.keep_asking_role is not None:
        need.ask_again = True


PLACE_TAKEN = "the place has been taken — thank you for saying yes"


def _supersede(session: Session, signup: Signup, now: datetime) -> None:
    """The place went to someone else who was asked for it (need locked): not an answer, so
    its feedback record is left as it is and training leaves it out (``api.feedback``)."""
    signup.status, signup.answered_at = "superseded", now
    _by_the_system(session, "signup.supersede", signup)


def _waiting_for(session: Session, need: Need, invitation: Signup) -> Sequence[Signup]:
    return repository.waiting_for(session, need_id=need.id, signup_id=invitation.id)


def _release_waiting(
    session: Session, need: Need, invitation: Signup, *, now: datetime, ttl_hours: float
) -> None:
    """Send every invitation waiting for ``invitation``, just accepted (need locked).

    Each becomes ``invited`` with its expiry counted from ``now`` (its ``created_at`` kept,
    its place already held), and its feedback record is marked sent now
    (``feedback.invitation_sent``). The audit's ``signup.release`` is the system's: it
    follows from the accept, which is recorded under the caller who accepted."""
    for waiting in _waiting_for(session, need, invitation):
        waiting.status = "invited"
        waiting.expires_at = _expiry(need, now=now, ttl_hours=ttl_hours)
        feedback.invitation_sent(session, member_id=waiting.member_id, need_id=need.id, now=now)
        _by_the_system(session, "signup.release", waiting, ("status", "expires_at"))
    session.flush()


def _drop_waiting(session: Session, need: Need, invitation: Signup, now: datetime) -> None:
    """Withdraw every invitation waiting for ``invitation``, which will not be accepted now
    (declined, expired, withdrawn), and give their places back (need locked). Their members
    were never asked: their feedback records are deleted, not answered."""
    for waiting in _waiting_for(session, need, invitation):
        _free_held(session, need, waiting)
        waiting.status, waiting.withdrawn_at = "withdrawn", now
        feedback.invitation_unsent(session, member_id=waiting.member_id, need_id=need.id)
        _by_the_system(session, "signup.withdraw", waiting)
    session.flush()


def expire_overdue(session: Session, *, now: datetime, limit: int) -> int:
    """Expire overdue invitations on up to ``limit`` needs, each under its lock; returns how
    many needs were swept. Run by the app's sweep (``api.sweep``) so a need's own
    ``roles[].invited`` and status catch up even when nobody writes to it."""
    need_ids = repository.needs_with_due_invitations(session, now=now, limit=limit)
    for need_id in need_ids:
        need = repository.lock_need(session, need_id)
        if need is not None:
            _expire_due(session, need, now)
            _settle(session, need, now)
    return len(need_ids)


def _open_need_for(
    session: Session, *, principal: Principal, member_id: str, need_id: str, now: datetime
) -> tuple[Member, Need]:
    """The member the caller acts for and the need, both locked, the need's overdue
    invitations expired; 404 unless the caller may see the member and the member the need."""
    member = members.get(session, principal=principal, member_id=member_id)
    lock_member(session, member=member)
    if member.erased_at is not None:
        raise NotFound(f"member {member_id} not found")
    need = repository.lock_need(session, need_id)
    if need is None:
        raise NotFound(f"need {need_id} not found")
    needs.get(session, principal=Principal.acting_as(member), need_id=need_id)
    _expire_due(session, need, now)
    return member, need


def _ensure_takes_places(need: Need, now: datetime) -> None:
    if need.status != "open":
        raise Conflict(f"need is {need.status}: no places to take")
    if need.starts_at <= now:
        raise Conflict("need has already started")


def _ensure_eligible(
    session: Session,
    *,
    member: Member,
    need: Need,
    role: str,
    now: datetime,
    accepting: bool = False,
    standby: bool = False,
) -> NeedRole:
    """The role, if the member breaks no hard constraint for it; else the 409 or 422 that
    says every reason. ``accepting``: the member's own invitation to this need is no
    commitment; ``standby``: whether a place is free is the caller's to settle (a standby
    may take a held one), so it is not judged here."""
    violations = matching.signup_violations(
        session,
        member_id=member.id,
        need_id=need.id,
        role=role,
        now=now,
        accepting=accepting,
        standby=standby,
    )
    if violations:
        found = [Violation(code=v.code, message=v.message) for v in violations]
        message = "; ".join(v.message for v in violations)
        error = Conflict if {v.code for v in violations} & CONFLICT_CODES else NotEligible
        raise error(message, violations=found)
    return next(each for each in need.roles if each.name == role)


def _insert(session: Session, signup: Signup) -> None:
    session.add(signup)
    try:
        session.flush()
    except IntegrityError as error:  # the unique index caught a race the lock should prevent
        raise Conflict("member is already signed up for this need") from error


def _settle(session: Session, need: Need, now: datetime) -> None:
    """Reread the roles' counters after an UPDATE and bring the need's status in line; a role
    whose places are all confirmed has no use for a standby: those pending are superseded."""
    for role in need.roles:
        session.refresh(role, ["filled", "invited"])
    full = [role.id for role in need.roles if role.filled >= role.count]
    if full:
        for standby in repository.pending_standbys(session, need_id=need.id, role_ids=full):
            _supersede(session, standby, now)
    needs.refresh_status(need)
    session.flush()


def sign_up(
    session: Session, *, principal: Principal, need_id: str, data: SignupCreate, now: datetime
) -> SignupOut:
    """Give a member a place in a role, or say exactly why not."""
    member, need = _open_need_for(
        session, principal=principal, member_id=data.member_id, need_id=need_id, now=now
    )
    _ensure_takes_places(need, now)
    role = _ensure_eligible(session, member=member, need=need, role=data.role, now=now)
    if not repository.take_place(session, role.id):
        raise Conflict(f"role '{role.name}' is full")
    signup = Signup(need_id=need.id, role_id=role.id, member_id=member.id, status="confirmed")
    _insert(session, signup)
    _settle(session, need, now)
    feedback.signed_up(session, member_id=member.id, need_id=need.id, now=now)
    record(
        session, actor=principal, action="signup.create", object_type="signup", object_id=signup.id
    )
    return to_out(signup, member_name=member.name, role=role.name)


def invite(
    session: Session,
    *,
    principal: Principal,
    need_id: str,
    data: InvitationCreate,
    now: datetime,
    ttl_hours: float,
    engine: EngineView | None = None,
    waits_for: str | None = None,
    standby: bool = False,
) -> SignupOut:
    """Hold a place in a role for a member until they answer, or say exactly why not.

    ``engine``: what the engine said of the member for this place (a team's or a batch's
    row), recorded with the invitation so the learned re-ranker can train on the answer.
    ``waits_for``: the id of a mentor's pending invitation on the same need; the invitation
    is then ``waiting`` (held, not sent) until that one is answered (module docstring). Its
    feedback record is written now, engine view and all, and marked sent on release.
    ``standby``: ask the member on standby, holding no place (module docstring); only on a
    need where nobody holds a confirmed place and nobody else is on standby (409 otherwise).

    For coordinators and admins (the route's gate), on the terms of a sign-up made for the
    member: the caller must see the member and the member the need. The invitation expires
    after ``ttl_hours`` (sooner on a need that keeps asking: :func:`_expiry`), never later
    than the need's start. Flushes; the caller commits.
    """
    member, need = _open_need_for(
        session, principal=principal, member_id=data.member_id, need_id=need_id, now=now
    )
    _ensure_takes_places(need, now)
    role = _ensure_eligible(
        session, member=member, need=need, role=data.role, now=now, standby=standby
    )
    if waits_for is not None:
        _ensure_waitable(session, need=need, signup_id=waits_for)
    if standby:
        if not wants_standby(session, need_id=need.id):
            raise Conflict("a standby is asked only while nobody has taken a place or stands by")
    elif not repository.hold_place(session, role.id):
        raise Conflict(f"role '{role.name}' is full")
    signup = Signup(
        need_id=need.id,
        role_id=role.id,
        member_id=member.id,
        status="invited" if waits_for is None else "waiting",
        invited_by=principal.id,
        # A waiting invitation's clock starts when it is sent; until then the need's start.
        expires_at=(
            _expiry(need, now=now, ttl_hours=ttl_hours) if waits_for is None else need.starts_at
        ),
        waits_for_id=waits_for,
        standby=standby,
    )
    _insert(session, signup)
    _settle(session, need, now)
    feedback.record_invitation(
        session, member_id=member.id, need=need, role=role.name, now=now, engine=engine
    )
    record(
        session, actor=principal, action="signup.invite", object_type="signup", object_id=signup.id
    )
    return to_out(signup, member_name=member.name, role=role.name)


def pending_mentor_invitations(session: Session, *, need_ids: Sequence[str]) -> dict[str, str]:
    """By need id: the mentor's invitation a new member invited now should wait for, on the
    needs whose only mentors were asked earlier and have not answered (none confirmed)."""
    return repository.pending_mentor_invitations(session, need_ids=need_ids)


def wants_standby(session: Session, *, need_id: str) -> bool:
    """Whether the need may have a member asked on standby: nobody holds a confirmed place on
    it and nobody is on standby for it yet (the caller holds the need's lock)."""
    return not repository.has_confirmed_or_standby(session, need_id=need_id)


def asked_on_standby(session: Session, *, need_id: str) -> bool:
    """Whether anyone was ever asked on standby for the need: its coordinator chose standby
    for it, so asking again asks the same way."""
    return repository.asked_on_standby(session, need_id=need_id)


def asked_member_ids(session: Session, *, need_id: str) -> set[str]:
    """Members already asked for the need, or signed up to it, whatever became of it."""
    return repository.asked_member_ids(session, need_id=need_id)


def _ensure_waitable(session: Session, *, need: Need, signup_id: str) -> None:
    """An invitation may wait only for a pending invitation on the same need."""
    mentor = session.get(Signup, signup_id)
    if mentor is None or mentor.need_id != need.id or mentor.status != "invited" or mentor.standby:
        raise Conflict(f"sign-up {signup_id} is not a pending invitation on this need")


def _invitation(
    session: Session, *, principal: Principal, need_id: str, signup_id: str, now: datetime
) -> tuple[Signup, Member, Need]:
    """A pending invitation the caller may answer (the member, or a coordinator or admin who
    sees them), with its member and need locked; 404 or 409 (answered, expired) otherwise."""
    signup = repository.get_readable(
        session, principal=principal, need_id=need_id, signup_id=signup_id
    )
    if signup is None:
        raise NotFound(f"sign-up {signup_id} not found")
    member, need = _open_need_for(
        session, principal=principal, member_id=signup.member_id, need_id=need_id, now=now
    )
    session.refresh(signup)
    if signup.status == "expired":
        raise Conflict("invitation expired: its place was given back")
    if signup.status == "superseded":
        raise Conflict(PLACE_TAKEN)
    if signup.status == "waiting":
        mentor_role = _mentor_role(session, need, signup)
        raise Conflict(f"invitation is waiting for the {mentor_role} invitation to be accepted")
    if signup.status != "invited":
        raise Conflict(f"sign-up is {signup.status}: only a pending invitation can be answered")
    return signup, member, need


def _role_of(need: Need, signup: Signup) -> NeedRole:
    return next(role for role in need.roles if role.id == signup.role_id)


def _mentor_role(session: Session, need: Need, waiting: Signup) -> str:
    """The role of the invitation a waiting one waits for, in words (no name: the caller may
    be the waiting member, who has no business reading another member's invitation)."""
    mentor = None if waiting.waits_for_id is None else session.get(Signup, waiting.waits_for_id)
    return "mentor" if mentor is None else _role_of(need, mentor).name


def accept(
    session: Session,
    *,
    principal: Principal,
    need_id: str,
    signup_id: str,
    now: datetime,
    ttl_hours: float,
) -> SignupOut:
    """Confirm an invitation, re-checking every hard constraint as of ``now``; invitations
    waiting for it are sent, to expire after ``ttl_hours``. One on standby takes a place as
    :func:`_take_for_standby` says, or is superseded (409)."""
    signup, member, need = _invitation(
        session, principal=principal, need_id=need_id, signup_id=signup_id, now=now
    )
    role = _role_of(need, signup)
    if signup.standby and role.filled >= role.count:
        raise _place_taken(session, signup, now)
    _ensure_takes_places(need, now)
    _ensure_eligible(
        session,
        member=member,
        need=need,
        role=role.name,
        now=now,
        accepting=True,
        standby=signup.standby,
    )
    if signup.standby:
        _take_for_standby(session, need, role, signup, now)
    else:
        repository.confirm_held(session, role.id)
    signup.status, signup.answered_at = "confirmed", now
    _release_waiting(session, need, signup, now=now, ttl_hours=ttl_hours)
    _settle(session, need, now)
    feedback.accepted(session, member_id=member.id, need_id=need.id, now=now)
    record(
        session,
        actor=principal,
        action="signup.accept",
        object_type="signup",
        object_id=signup.id,
        fields=["status"],
    )
    return to_out(signup, member_name=member.name, role=role.name)


def _take_for_standby(
    session: Session, need: Need, role: NeedRole, standby: Signup, now: datetime
) -> None:
    """Give the accepting standby a place (need locked, expiry applied): a free one; else the
    one held by the role's oldest sent invitation, which is superseded (and the invitations
    waiting for it dropped, module docstring); else none: :class:`PlaceTaken`."""
    if repository.take_place(session, role.id):
        return
    holder = repository.oldest_holder(session, need_id=need.id, role_id=role.id)
    if holder is None:
        raise _place_taken(session, standby, now)
    repository.confirm_held(session, role.id)  # the holder's place, now the standby's
    _supersede(session, holder, now)
    _drop_waiting(session, need, holder, now)


def _place_taken(session: Session, standby: Signup, now: datetime) -> PlaceTaken:
    """Supersede a standby who said yes too late; the 409 to raise (the request commits)."""
    _supersede(session, standby, now)
    session.flush()
    return PlaceTaken(PLACE_TAKEN)


def decline(
    session: Session,
    *,
    principal: Principal,
    need_id: str,
    signup_id: str,
    data: Decline,
    now: datetime,
) -> SignupOut:
    """Turn an invitation down, saying why; its place is given back."""
    signup, member, need = _invitation(
        session, principal=principal, need_id=need_id, signup_id=signup_id, now=now
    )
    _free_held(session, need, signup)
    signup.status, signup.answered_at = "declined", now
    signup.decline_reason, signup.decline_note = data.reason, data.note
    _drop_waiting(session, need, signup, now)
    _settle(session, need, now)
    feedback.declined(session, member_id=member.id, need_id=need.id, reason=data.reason, now=now)
    record(
        session,
        actor=principal,
        action="signup.decline",
        object_type="signup",
        object_id=signup.id,
        fields=data.model_fields_set | {"status"},
    )
    return to_out(signup, member_name=member.name, role=_role_of(need, signup).name)


def withdraw(
    session: Session, *, principal: Principal, need_id: str, signup_id: str, now: datetime
) -> None:
    """Give a place back, or take an invitation back (the member, their coordinator, or an
    admin); reopens a full need. A sign-up holding no place is left as it is."""
    signup = repository.get_readable(
        session, principal=principal, need_id=need_id, signup_id=signup_id
    )
    if signup is None:
        raise NotFound(f"sign-up {signup_id} not found")
    if signup.status not in HELD_STATUSES:
        return
    repository.lock_member(session, signup.member_id)
    need = repository.lock_need(session, need_id)
    assert need is not None  # the sign-up references it
    if need.ends_at <= now:
        raise Conflict("need is over; its sign-ups are history")
    _expire_due(session, need, now)
    session.refresh(signup)
    if signup.status not in HELD_STATUSES:
        return
    _release(session, need, signup, now)
    record(
        session,
        actor=principal,
        action="signup.withdraw",
        object_type="signup",
        object_id=signup.id,
        fields=["status"],
    )


def _release(session: Session, need: Need, signup: Signup, now: datetime) -> None:
    """Give back the place a confirmed sign-up or an invitation holds (need locked); the
    invitations waiting for it are dropped with it."""
    if signup.status == "confirmed":
        repository.free_place(session, signup.role_id)
        _given_back(need)
    else:
        _free_held(session, need, signup)
        if signup.status == "waiting":  # never sent: nothing to learn from
            feedback.invitation_unsent(session, member_id=signup.member_id, need_id=need.id)
    signup.status = "withdrawn"
    signup.withdrawn_at = now
    _drop_waiting(session, need, signup, now)
    _settle(session, need, now)


def release_member(session: Session, *, member_id: str, now: datetime) -> int:
    """Free the places a member holds or is invited to in needs not yet over; returns how
    many were freed.

    For erasure: the caller holds the member's sign-up lock (:func:`lock_member`). Sign-ups
    of needs already over stay confirmed: they are the community's service hours.
    """
    rows = repository.held_not_over(session, member_id=member_id, now=now)
    for row in rows:
        repository.lock_need(session, row.Need.id)
        _release(session, row.Need, row.Signup, now)
    return len(rows)


def _unsent(principal: Principal) -> tuple[SignupStatus, ...]:
    """Statuses a member does not see of their own: a waiting invitation is not sent yet."""
    return ("waiting",) if principal.role == "member" else ()


def list_for_need(session: Session, *, principal: Principal, need_id: str) -> list[SignupOut]:
    """Confirmed sign-ups of a need that the caller may see, and for coordinators and admins
    its waiting invitations (``waits_for`` says whose answer they wait for) and its pending
    invitations on standby (``standby``) too."""
    manager = principal.role != "member"
    rows = repository.for_need(
        session,
        principal=principal,
        need_id=need_id,
        statuses=("confirmed", "waiting") if manager else ("confirmed",),
        standbys=manager,
    )
    return [to_out(row.Signup, member_name=row.member_name, role=row.role) for row in rows]


def member_names(
    session: Session, *, principal: Principal, need_id: str, signup_ids: Sequence[str]
) -> dict[str, str]:
    """The member's name of each of these sign-ups of the need that the caller may see, by
    sign-up id (what a waiting invitation waits for, in words)."""
    rows = repository.named(session, principal=principal, need_id=need_id, signup_ids=signup_ids)
    return {row.Signup.id: row.member_name for row in rows}


def list_for_member(
    session: Session,
    *,
    principal: Principal,
    member_id: str,
    statuses: Sequence[SignupStatus],
    now: datetime,
    limit: int,
    cursor: str | None,
) -> Page[MemberSignupOut]:
    """A member's invitations and commitments, newest first (the member, their coordinators,
    admins; 404 for anyone else), only those in ``statuses`` as of ``now`` if any are given.
    The member does not see their waiting invitations (not sent yet); their managers do."""
    members.get(session, principal=principal, member_id=member_id)

    def to_inbox(row: Row[*tuple[Any, ...]]) -> MemberSignupOut:
        return MemberSignupOut(
            **_fields(row.Signup, member_name=row.member_name, role=row.role, now=now),
            need_title=row.title,
            starts_at=row.starts_at,
            ends_at=row.ends_at,
        )

    return repository.page_for_member(
        session,
        principal=principal,
        member_id=member_id,
        statuses=statuses,
        hidden=_unsent(principal),
        now=now,
        limit=limit,
        cursor=cursor,
        to_out=to_inbox,
    )
