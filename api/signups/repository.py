"""Sign-up queries, scoped by role, and the locks that keep places from being overbooked."""

from collections.abc import Sequence
from datetime import datetime
from typing import Any, cast

from sqlalchemy import CursorResult, Row, Select, false, or_, select, update
from sqlalchemy.orm import Session

from api.auth.principal import Principal
from api.db.models import Member, Need, NeedRole, Signup


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


def confirmed_for_need(
    session: Session, *, principal: Principal, need_id: str
) -> Sequence[Row[Signup, str, str]]:
    """The need's confirmed sign-ups the caller may see, oldest first: rows of ``Signup``,
    ``member_name`` and ``role``."""
    return session.execute(
        readable(principal)
        .where(Signup.need_id == need_id, Signup.status == "confirmed")
        .order_by(Signup.created_at, Signup.id)
    ).all()


def confirmed_not_over(
    session: Session, *, member_id: str, now: datetime
) -> Sequence[Row[Signup, Need]]:
    """The member's confirmed sign-ups of needs not yet over: rows of ``Signup`` and ``Need``.

    Unscoped: for the member's own erasure, already authorised by the caller."""
    return session.execute(
        select(Signup, Need)
        .join(Need, Need.id == Signup.need_id)
        .where(Signup.member_id == member_id, Signup.status == "confirmed", Need.ends_at > now)
    ).all()


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


def take_place(session: Session, role_id: str) -> bool:
    """Take one place if one is free, in a single conditional UPDATE (the CHECK backstops it)."""
    result = session.execute(
        update(NeedRole)
        .where(NeedRole.id == role_id, NeedRole.filled < NeedRole.count)
        .values(filled=NeedRole.filled + 1)
        .execution_options(synchronize_session=False)
    )
    # An UPDATE's result is a CursorResult, which counts the rows it changed.
    return bool(cast(CursorResult[Any], result).rowcount)


def free_place(session: Session, role_id: str) -> None:
    """Give a place back."""
    session.execute(
        update(NeedRole)
        .where(NeedRole.id == role_id, NeedRole.filled > 0)
        .values(filled=NeedRole.filled - 1)
        .execution_options(synchronize_session=False)
    )
