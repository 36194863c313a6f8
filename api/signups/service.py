"""Sign-up use cases: take a place, give it back, list who is coming.

Every hard constraint is checked by the engine (``check_member_for_role``, through
``api.matching.service.signup_violations``), the same code that ranks candidates, so a
sign-up is refused exactly when the member would not have been suggested. Places are taken
under a lock with a conditional UPDATE; a CHECK constraint and a unique index on confirmed
(need, member) are the database's backstops.
"""

from datetime import datetime

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from api.audit.service import record
from api.auth.principal import Principal
from api.db.models import Member, Need, Signup
from api.errors import Conflict, NotEligible, NotFound, Violation
from api.matching import service as matching
from api.members import service as members
from api.needs import service as needs
from api.signups import repository
from api.signups.schemas import SignupCreate, SignupOut
from matcher import CONFLICT_CODES


def to_out(signup: Signup, *, member_name: str, role: str) -> SignupOut:
    """A sign-up as its readers see it, with the member's and the role's names."""
    return SignupOut(
        id=signup.id,
        need_id=signup.need_id,
        member_id=signup.member_id,
        member_name=member_name,
        role=role,
        status=signup.status,
        created_at=signup.created_at,
    )


def lock_member(session: Session, *, member: Member) -> None:
    """Take the member's sign-up lock and reread them as of it (an erasure may have committed
    meanwhile). Taken before any need's lock: one order everywhere means no deadlocks."""
    repository.lock_member(session, member.id)
    session.refresh(member)


def sign_up(
    session: Session, *, principal: Principal, need_id: str, data: SignupCreate, now: datetime
) -> SignupOut:
    """Give a member a place in a role, or say exactly why not."""
    member = members.get(session, principal=principal, member_id=data.member_id)
    lock_member(session, member=member)
    if member.erased_at is not None:
        raise NotFound(f"member {data.member_id} not found")
    need = repository.lock_need(session, need_id)
    if need is None:
        raise NotFound(f"need {need_id} not found")
    needs.get(session, principal=Principal.acting_as(member), need_id=need_id)
    if need.status != "open":
        raise Conflict(f"need is {need.status}: no places to take")
    if need.starts_at <= now:
        raise Conflict("need has already started")
    violations = matching.signup_violations(
        session, member_id=member.id, need_id=need.id, role=data.role, now=now
    )
    if violations:
        found = [Violation(code=v.code, message=v.message) for v in violations]
        message = "; ".join(v.message for v in violations)
        error = Conflict if {v.code for v in violations} & CONFLICT_CODES else NotEligible
        raise error(message, violations=found)
    role = next(role for role in need.roles if role.name == data.role)
    if not repository.take_place(session, role.id):
        raise Conflict(f"role '{role.name}' is full")
    signup = Signup(need_id=need.id, role_id=role.id, member_id=member.id, status="confirmed")
    session.add(signup)
    try:
        session.flush()
    except IntegrityError as error:  # the unique index caught a race the lock should prevent
        raise Conflict("member is already signed up for this need") from error
    session.refresh(role, ["filled"])
    needs.refresh_status(need)
    session.flush()
    record(
        session, actor=principal, action="signup.create", object_type="signup", object_id=signup.id
    )
    return to_out(signup, member_name=member.name, role=role.name)


def withdraw(
    session: Session, *, principal: Principal, need_id: str, signup_id: str, now: datetime
) -> None:
    """Give a place back (the member, their coordinator, or an admin); reopens a full need."""
    signup = repository.get_readable(
        session, principal=principal, need_id=need_id, signup_id=signup_id
    )
    if signup is None:
        raise NotFound(f"sign-up {signup_id} not found")
    if signup.status == "withdrawn":
        return
    repository.lock_member(session, signup.member_id)
    need = repository.lock_need(session, need_id)
    assert need is not None  # the sign-up references it
    if need.ends_at <= now:
        raise Conflict("need is over; its sign-ups are history")
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
    signup.status = "withdrawn"
    signup.withdrawn_at = now
    repository.free_place(session, signup.role_id)
    session.flush()
    for role in need.roles:
        session.refresh(role, ["filled"])
    needs.refresh_status(need)
    session.flush()


def release_member(session: Session, *, member_id: str, now: datetime) -> int:
    """Free the places a member holds in needs not yet over; returns how many were freed.

    For erasure: the caller holds the member's sign-up lock (:func:`lock_member`). Sign-ups
    of needs already over stay confirmed: they are the community's service hours.
    """
    rows = repository.confirmed_not_over(session, member_id=member_id, now=now)
    for row in rows:
        repository.lock_need(session, row.Need.id)
        _release(session, row.Need, row.Signup, now)
    return len(rows)


def list_for_need(session: Session, *, principal: Principal, need_id: str) -> list[SignupOut]:
    """Confirmed sign-ups of a need that the caller may see."""
    rows = repository.confirmed_for_need(session, principal=principal, need_id=need_id)
    return [to_out(row.Signup, member_name=row.member_name, role=row.role) for row in rows]
