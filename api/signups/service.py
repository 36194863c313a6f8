"""Sign-up use cases: take a place, give it back, list who is coming.

Every hard constraint is checked by the engine (``check_member_for_role``), the same code that
ranks candidates, so a sign-up is refused exactly when the member would not have been
suggested. Places are taken under a lock with a conditional UPDATE; a CHECK constraint and a
unique index on confirmed (need, member) are the database's backstops.
"""

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from api.audit.service import record
from api.auth.principal import Principal
from api.db.models import Member, Need, Signup
from api.errors import Conflict, NotEligible, NotFound, Violation
from api.matching import records
from api.members import repository as member_scope
from api.needs import repository as needs
from api.needs.service import refresh_status
from api.signups import repository
from api.signups.schemas import SignupCreate, SignupOut
from matcher import check_member_for_role

CONFLICTS = frozenset({"role_full", "already_signed_up", "overlap", "monthly_limit"})


def _out(signup: Signup, member_name: str, role_name: str) -> SignupOut:
    return SignupOut(
        id=signup.id,
        need_id=signup.need_id,
        member_id=signup.member_id,
        member_name=member_name,
        role=role_name,
        status=signup.status,
        created_at=signup.created_at,
    )


def sign_up(
    session: Session, *, principal: Principal, need_id: str, data: SignupCreate, now: datetime
) -> SignupOut:
    """Give a member a place in a role, or say exactly why not."""
    member = session.scalar(member_scope.readable(principal).where(Member.id == data.member_id))
    if member is None:
        raise NotFound(f"member {data.member_id} not found")
    repository.lock_member(session, member.id)
    session.refresh(member)  # as of the lock: an erasure may have committed meanwhile
    if member.erased_at is not None:
        raise NotFound(f"member {data.member_id} not found")
    need = repository.lock_need(session, need_id)
    as_member = Principal.acting_as(member)
    visible = session.scalar(select(Need.id).where(Need.id == need_id, needs.visible_to(as_member)))
    if need is None or visible is None:
        raise NotFound(f"need {need_id} not found")
    if need.status != "open":
        raise Conflict(f"need is {need.status}: no places to take")
    if need.starts_at <= now:
        raise Conflict("need has already started")
    engine_record = records.member_record(
        session, member.id, now=now, commitments_since=records.month_start_before(need.starts_at)
    )
    spec = records.need_spec(session, need.id)
    violations = check_member_for_role(engine_record, spec, data.role, now=now)
    if violations:
        found = [Violation(code=v.code, message=v.message) for v in violations]
        message = "; ".join(v.message for v in violations)
        error = Conflict if {v.code for v in violations} & CONFLICTS else NotEligible
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
    refresh_status(need)
    session.flush()
    record(
        session, actor=principal, action="signup.create", object_type="signup", object_id=signup.id
    )
    return _out(signup, member.name, role.name)


def withdraw(
    session: Session, *, principal: Principal, need_id: str, signup_id: str, now: datetime
) -> None:
    """Give a place back (the member, their coordinator, or an admin); reopens a full need."""
    row = session.execute(
        repository.readable(principal).where(Signup.id == signup_id, Signup.need_id == need_id)
    ).first()
    if row is None:
        raise NotFound(f"sign-up {signup_id} not found")
    signup = row[0]
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
    refresh_status(need)
    session.flush()


def release_member(session: Session, *, member_id: str, now: datetime) -> int:
    """Free the places a member holds in needs not yet over; returns how many were freed.

    Sign-ups of needs already over stay confirmed: they are the community's service hours.
    """
    rows = session.execute(
        select(Signup, Need)
        .join(Need, Need.id == Signup.need_id)
        .where(Signup.member_id == member_id, Signup.status == "confirmed", Need.ends_at > now)
    ).all()
    for signup, need in rows:
        repository.lock_need(session, need.id)
        _release(session, need, signup, now)
    return len(rows)


def list_for_need(session: Session, *, principal: Principal, need_id: str) -> list[SignupOut]:
    """Confirmed sign-ups of a need that the caller may see."""
    rows = session.execute(
        repository.readable(principal)
        .where(Signup.need_id == need_id, Signup.status == "confirmed")
        .order_by(Signup.created_at, Signup.id)
    )
    return [_out(signup, member.name, role.name) for signup, member, role in rows]
