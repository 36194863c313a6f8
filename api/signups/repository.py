"""Sign-up queries, scoped by role, and the locks that keep places from being overbooked.

A role's places are held by confirmed sign-ups (``need_roles.filled``) and by pending
invitations (``need_roles.invited``). Every change to either is one conditional UPDATE taken
under the need's lock, and a CHECK (``filled + invited <= count``) backstops them.
"""

from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any, TypeVar, cast

from sqlalchemy import ColumnElement, CursorResult, Row, Select, and_, false, or_, select, update
from sqlalchemy.orm import Session

from api.auth.principal import Principal
from api.db.models import STANDING_BY, Member, Need, NeedRole, Signup
from api.pagination import SortKey, paginate
from api.schemas import Page
from api.vocabulary import HELD_STATUSES, SignupStatus
from matcher.inputs import EXPERIENCED_STAGES

T = TypeVar("T")


def readable(principal: Principal) -> Select[Signup, str, str]:
    """Sign-ups the caller may see, each with ``member_name`` and ``role`` (its name): admins
    all; coordinators those of their members or their communities' needs; members their own;
    agencies none (volunteers' names stay in-house)."""
    statement = (
        select(Signup, Member.name.label("member_name"), NeedRole.name.label("role"))
        .join(Member, Member.id == Signup.member_id)
        .join(NeedRole, NeedRole.id == Signup.role_id)
        .join(Need, Need.id == Signup.need_id)
    )
    if principal.is_admin:
        return statement
    if principal.role == "coordinator":
        return statement.where(
            or_(
                Member.community_id.in_(principal.community_ids),
                Need.community_id.in_(principal.community_ids),
            )
        )
    if principal.role == "member":
        return statement.where(Signup.member_id == principal.id)
    return statement.where(false())


def get_readable(
    session: Session, *, principal: Principal, need_id: str, signup_id: str
) -> Signup | None:
    """The sign-up of the need if the caller may see it; else None."""
    row = session.execute(
        readable(principal).where(Signup.id == signup_id, Signup.need_id == need_id)
    ).first()
    return None if row is None else row.Signup


def for_need(
    session: Session,
    *,
    principal: Principal,
    need_id: str,
    statuses: Sequence[SignupStatus],
    standbys: bool,
) -> Sequence[Row[Signup, str, str]]:
    """The need's sign-ups in ``statuses`` (and its pending standbys: ``standbys``) that the
    caller may see, oldest first: rows of ``Signup``, ``member_name`` and ``role``."""
    return session.execute(
        readable(principal)
        .where(
            Signup.need_id == need_id,
            or_(Signup.status.in_(statuses), STANDING_BY if standbys else false()),
        )
        .order_by(Signup.created_at, Signup.id)
    ).all()


def named(
    session: Session, *, principal: Principal, need_id: str, signup_ids: Sequence[str]
) -> Sequence[Row[Signup, str, str]]:
    """These sign-ups of the need, those the caller may see: rows of ``Signup``,
    ``member_name`` and ``role``."""
    if not signup_ids:
        return []
    return session.execute(
        readable(principal).where(Signup.need_id == need_id, Signup.id.in_(signup_ids))
    ).all()


def waiting_for(session: Session, *, need_id: str, signup_id: str) -> Sequence[Signup]:
    """The need's invitations waiting for invitation ``signup_id`` (the caller holds the
    need's lock; by need first, so ``ix_signups_need_id`` finds them)."""
    return session.scalars(
        select(Signup)
        .where(
            Signup.need_id == need_id,
            Signup.waits_for_id == signup_id,
            Signup.status == "waiting",
        )
        .order_by(Signup.created_at, Signup.id)
    ).all()


def pending_mentor_invitations(session: Session, *, need_ids: Sequence[str]) -> dict[str, str]:
    """Per need with no mature member or leader holding a confirmed place: the oldest sent
    invitation of one still to be answered (not on standby), by need id; what a new member
    invited now waits for (``api.assignment``). Two queries, whatever the number of needs."""
    if not need_ids:
        return {}
    mentors = (
        select(Signup.need_id, Signup.id)
        .join(Member, Member.id == Signup.member_id)
        .where(Signup.need_id.in_(need_ids), Member.stage.in_(sorted(EXPERIENCED_STAGES)))
    )
    confirmed = set(
        session.scalars(
            mentors.with_only_columns(Signup.need_id).where(Signup.status == "confirmed")
        )
    )
    found: dict[str, str] = {}
    pending = mentors.where(Signup.status == "invited", Signup.standby.is_(False)).order_by(
        Signup.created_at, Signup.id
    )
    for need_id, signup_id in session.execute(pending):
        if need_id not in confirmed:
            found.setdefault(need_id, signup_id)
    return found


def pending_standbys(
    session: Session, *, need_id: str, role_ids: Sequence[str]
) -> Sequence[Signup]:
    """The need's invitations on standby still pending for any of these roles (the caller
    holds the need's lock)."""
    return session.scalars(
        select(Signup)
        .where(Signup.need_id == need_id, Signup.role_id.in_(role_ids), STANDING_BY)
        .order_by(Signup.created_at, Signup.id)
    ).all()


def oldest_holder(session: Session, *, need_id: str, role_id: str) -> Signup | None:
    """The role's oldest sent invitation holding a place (not on standby, not waiting), whose
    place a standby's yes may take (the caller holds the need's lock, expiry applied)."""
    return session.scalar(
        select(Signup)
        .where(
            Signup.need_id == need_id,
            Signup.role_id == role_id,
            Signup.status == "invited",
            Signup.standby.is_(False),
        )
        .order_by(Signup.created_at, Signup.id)
        .limit(1)
    )


def has_confirmed_or_standby(session: Session, *, need_id: str) -> bool:
    """Whether anyone holds a confirmed place on the need or is on standby for it."""
    found = session.scalar(
        select(Signup.id)
        .where(
            Signup.need_id == need_id,
            or_(Signup.status == "confirmed", STANDING_BY),
        )
        .limit(1)
    )
    return found is not None


def asked_on_standby(session: Session, *, need_id: str) -> bool:
    """Whether the need has a sign-up asked on standby, whatever became of it."""
    found = select(Signup.id).where(Signup.need_id == need_id, Signup.standby).limit(1)
    return session.scalar(found) is not None


def asked_member_ids(session: Session, *, need_id: str) -> set[str]:
    """Every member with a sign-up of any kind on the need: taken, asked, answered or not."""
    return set(session.scalars(select(Signup.member_id).where(Signup.need_id == need_id)))


def held_not_over(
    session: Session, *, member_id: str, now: datetime
) -> Sequence[Row[Signup, Need]]:
    """The member's sign-ups holding a place (confirmed, invited, waiting) in needs not yet over:
    rows of ``Signup`` and ``Need``.

    Unscoped: for the member's own erasure, already authorised by the caller."""
    return session.execute(
        select(Signup, Need)
        .join(Need, Need.id == Signup.need_id)
        .where(Signup.member_id == member_id, Signup.status.in_(HELD_STATUSES), Need.ends_at > now)
    ).all()


def needs_with_due_invitations(session: Session, *, now: datetime, limit: int) -> list[str]:
    """Up to ``limit`` needs holding a pending invitation whose time is up (unscoped: for the
    sweep, which acts as the system)."""
    return list(
        session.scalars(
            select(Signup.need_id)
            .where(Signup.status == "invited", Signup.expires_at <= now)
            .distinct()
            .limit(limit)
        )
    )


def due_invitations(session: Session, *, need_id: str, now: datetime) -> Sequence[Signup]:
    """The need's pending invitations whose time is up (the caller holds the need's lock)."""
    return session.scalars(
        select(Signup).where(
            Signup.need_id == need_id, Signup.status == "invited", Signup.expires_at <= now
        )
    ).all()


def _status_is(status: SignupStatus, now: datetime) -> ColumnElement[bool]:
    """Sign-ups whose status, as of ``now``, is ``status``: an invitation past its expiry is
    ``expired`` even before a write on its need has marked it so."""
    if status == "invited":
        return and_(Signup.status == "invited", Signup.expires_at > now)
    if status == "expired":
        return or_(
            Signup.status == "expired", and_(Signup.status == "invited", Signup.expires_at <= now)
        )
    return Signup.status == status


def page_for_member(
    session: Session,
    *,
    principal: Principal,
    member_id: str,
    statuses: Sequence[SignupStatus],
    hidden: Sequence[SignupStatus],
    now: datetime,
    limit: int,
    cursor: str | None,
    to_out: Callable[[Row[*tuple[Any, ...]]], T],
) -> Page[T]:
    """A page of the member's sign-ups the caller may see, newest first, with their need's
    ``title``, ``starts_at`` and ``ends_at``; only those in ``statuses`` (as of ``now``) if
    any are given, never those in ``hidden``."""
    statement = (
        readable(principal)
        .add_columns(Need.title, Need.starts_at, Need.ends_at)
        .where(Signup.member_id == member_id)
    )
    if hidden:
        statement = statement.where(Signup.status.not_in(hidden))
    if statuses:
        statement = statement.where(or_(*(_status_is(status, now) for status in statuses)))
    return paginate(
        session,
        statement,
        key=SortKey(Signup.created_at, Signup.id, descending=True),
        limit=limit,
        cursor=cursor,
        to_out=to_out,
    )


def lock_member(session: Session, member_id: str) -> None:
    """Serialise one member's sign-ups (no double booking across needs).

    Always taken before the need's lock: one order everywhere means no deadlocks. SQLite needs
    no row locks: write transactions there are serialised by BEGIN IMMEDIATE.
    """
    session.execute(select(Member.id).where(Member.id == member_id).with_for_update())


def lock_need(session: Session, need_id: str) -> Need | None:
    """The need, locked against concurrent sign-ups and withdrawals."""
    return session.scalar(
        select(Need)
        .where(Need.id == need_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )


def _update_role(role_id: str, when: ColumnElement[bool], **values: Any) -> Any:
    return (
        update(NeedRole)
        .where(NeedRole.id == role_id, when)
        .values(**values)
        .execution_options(synchronize_session=False)
    )


def _changed(session: Session, statement: Any) -> bool:
    # An UPDATE's result is a CursorResult, which counts the rows it changed.
    return bool(cast(CursorResult[Any], session.execute(statement)).rowcount)


_FREE = NeedRole.filled + NeedRole.invited < NeedRole.count
"""A place neither confirmed nor held by an invitation."""


def take_place(session: Session, role_id: str) -> bool:
    """Confirm one free place, in a single conditional UPDATE (the CHECK backstops it)."""
    return _changed(session, _update_role(role_id, _FREE, filled=NeedRole.filled + 1))


def hold_place(session: Session, role_id: str) -> bool:
    """Hold one free place for an invitation, in a single conditional UPDATE."""
    return _changed(session, _update_role(role_id, _FREE, invited=NeedRole.invited + 1))


def confirm_held(session: Session, role_id: str) -> None:
    """Turn a place held by an invitation into a confirmed one (the total is unchanged)."""
    session.execute(
        _update_role(
            role_id,
            NeedRole.invited > 0,
            filled=NeedRole.filled + 1,
            invited=NeedRole.invited - 1,
        )
    )


def free_place(session: Session, role_id: str) -> None:
    """Give a confirmed place back."""
    session.execute(_update_role(role_id, NeedRole.filled > 0, filled=NeedRole.filled - 1))


def free_held(session: Session, role_id: str) -> None:
    """Give a place held by an invitation back."""
    session.execute(_update_role(role_id, NeedRole.invited > 0, invited=NeedRole.invited - 1))
