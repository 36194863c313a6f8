"""Member queries: every statement the members domain runs, scoped so a caller only ever
reaches the members they may see.

Erased members (``erased_at`` set) are stubs kept for the community's service hours: no list,
candidate search, suggestion or read reaches them; only a repeated erasure does.
"""

from collections.abc import Callable, Sequence
from typing import TypeVar

from sqlalchemy import Select, select, update
from sqlalchemy.orm import Session

from api.auth.principal import Principal
from api.db.models import Member
from api.pagination import SortKey, paginate
from api.schemas import Page
from api.scopes import member_reachable, member_readable

T = TypeVar("T")


def readable(principal: Principal) -> Select[Member]:
    """Members the caller may see, never an erased one."""
    return select(Member).where(member_readable(principal))


writable = readable
"""Whoever may read a member may edit them; *what* they may edit is the schema's job."""


def erasable(principal: Principal) -> Select[Member]:
    """Members the caller may erase, already erased ones included (erasing is idempotent)."""
    return select(Member).where(member_reachable(principal))


def get_readable(session: Session, *, principal: Principal, member_id: str) -> Member | None:
    """The member if the caller may see them; else None."""
    return session.scalar(readable(principal).where(Member.id == member_id))


def get_writable(session: Session, *, principal: Principal, member_id: str) -> Member | None:
    """The member if the caller may edit them; else None."""
    return session.scalar(writable(principal).where(Member.id == member_id))


def get_erasable(session: Session, *, principal: Principal, member_id: str) -> Member | None:
    """The member, erased or not, if the caller may erase them; else None."""
    return session.scalar(erasable(principal).where(Member.id == member_id))


def email_taken(session: Session, *, community_id: str, email: str, other_than: str) -> bool:
    """Whether a member of the community other than ``other_than`` (an id) uses ``email``."""
    clash = session.scalar(
        select(Member.id).where(
            Member.community_id == community_id, Member.email == email, Member.id != other_than
        )
    )
    return clash is not None


def page_in_community(
    session: Session,
    *,
    principal: Principal,
    community_id: str,
    limit: int,
    cursor: str | None,
    to_out: Callable[[Member], T],
) -> Page[T]:
    """A page of the community's members the caller may see, by name, each passed to
    ``to_out``."""
    return paginate(
        session,
        readable(principal).where(Member.community_id == community_id),
        key=SortKey(Member.name, Member.id),
        limit=limit,
        cursor=cursor,
        to_out=lambda row: to_out(row.Member),
    )


def active_in_community(
    session: Session, *, principal: Principal, community_id: str, limit: int
) -> Sequence[Member]:
    """The community's active members the caller may see, by name, at most ``limit``."""
    return session.scalars(
        readable(principal)
        .where(Member.community_id == community_id, Member.active.is_(True))
        .order_by(Member.name, Member.id)
        .limit(limit)
    ).all()


def get_readable_in_community(
    session: Session, *, principal: Principal, community_id: str, member_id: str
) -> Member | None:
    """The member if the caller may see them and they belong to ``community_id``; else None."""
    return session.scalar(
        readable(principal).where(Member.id == member_id, Member.community_id == community_id)
    )


def release_apprentices(session: Session, *, principal: Principal, leader_id: str) -> int:
    """Clear ``apprentice_of`` of the leader's apprentices the caller may reach (erased stubs
    included); returns how many there were."""
    # RETURNING rather than rowcount, which drivers may report as -1.
    released = session.scalars(
        update(Member)
        .where(Member.apprentice_of == leader_id, member_reachable(principal))
        .values(apprentice_of=None)
        .returning(Member.id)
    )
    return len(released.all())
