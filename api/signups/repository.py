"""Sign-up queries, scoped by role, and the locks that keep places from being overbooked."""

from sqlalchemy import Select, false, or_, select, update
from sqlalchemy.orm import Session

from api.auth.principal import Principal
from api.db.models import Member, Need, NeedRole, Signup


def readable(principal: Principal) -> Select[tuple[Signup, Member, NeedRole]]:
    """Sign-ups the caller may see: admins all; coordinators those of their members or their
    communities' needs; members their own; agencies none (volunteers' names stay in-house)."""
    statement = (
        select(Signup, Member, NeedRole)
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
    return bool(result.rowcount)  # type: ignore[attr-defined]


def free_place(session: Session, role_id: str) -> None:
    """Give a place back."""
    session.execute(
        update(NeedRole)
        .where(NeedRole.id == role_id, NeedRole.filled > 0)
        .values(filled=NeedRole.filled - 1)
        .execution_options(synchronize_session=False)
    )
