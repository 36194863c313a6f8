"""Key queries, scoped so a caller only ever reaches keys they may manage.

``principal=None`` is the system (the ``servematch keys`` commands, run by whoever holds the
database): like an admin, it reaches every key.
"""

from collections.abc import Callable
from datetime import datetime
from typing import TypeVar

from sqlalchemy import Select, func, or_, select, update
from sqlalchemy.orm import Session

from api.auth.credentials import SHOWN_PREFIX_CHARS
from api.auth.principal import Principal
from api.db.models import Agency, ApiKey, Coordinator, Member
from api.pagination import SortKey, paginate
from api.schemas import Page
from api.vocabulary import Role

T = TypeVar("T")


def readable(principal: Principal | None) -> Select[ApiKey]:
    """Admins and the system: every key; anyone else: the keys issued for themselves."""
    statement = select(ApiKey)
    if principal is None or principal.is_admin:
        return statement
    return statement.where(ApiKey.role == principal.role, ApiKey.principal_id == principal.id)


writable = readable
"""Whoever may see a key may rotate or revoke it."""


def page_readable(
    session: Session,
    *,
    principal: Principal,
    role: Role | None,
    principal_id: str | None,
    limit: int,
    cursor: str | None,
    to_out: Callable[[ApiKey], T],
) -> Page[T]:
    """A page of the keys the caller may see, newest first, filtered by what is given."""
    statement = readable(principal)
    if role is not None:
        statement = statement.where(ApiKey.role == role)
    if principal_id is not None:
        statement = statement.where(ApiKey.principal_id == principal_id)
    return paginate(
        session,
        statement,
        key=SortKey(ApiKey.created_at, ApiKey.id, descending=True),
        limit=limit,
        cursor=cursor,
        to_out=lambda row: to_out(row.ApiKey),
    )


def get_writable(session: Session, *, principal: Principal | None, key_id: str) -> ApiKey | None:
    """The key ``key_id`` if the caller may rotate or revoke it."""
    return session.scalar(writable(principal).where(ApiKey.id == key_id))


def writable_by_id_or_prefix(
    session: Session, *, principal: Principal | None, id_or_prefix: str
) -> list[ApiKey]:
    """The keys the caller may revoke whose id is ``id_or_prefix`` or whose shown prefix starts
    it (a key in clear names itself by its first characters)."""
    statement = writable(principal).where(
        or_(ApiKey.id == id_or_prefix, ApiKey.prefix == id_or_prefix[:SHOWN_PREFIX_CHARS])
    )
    return list(session.scalars(statement))


def principal_exists(session: Session, *, role: Role, principal_id: str) -> bool:
    """Whether the coordinator, agency or (unerased) member a key would be for exists."""
    if role == "coordinator":
        statement = select(Coordinator.id).where(Coordinator.id == principal_id)
    elif role == "agency":
        statement = select(Agency.id).where(Agency.id == principal_id)
    else:
        statement = select(Member.id).where(Member.id == principal_id, Member.erased_at.is_(None))
    return session.scalar(statement) is not None


def revoke_member_keys(session: Session, *, member_id: str, name: str, now: datetime) -> None:
    """Revoke a member's keys (one revoked earlier keeps its instant) and rename them.

    Unscoped: only erasure calls it, after the caller was found allowed to erase the member.
    """
    session.execute(
        update(ApiKey)
        .where(ApiKey.principal_id == member_id, ApiKey.role == "member")
        .values(name=name, revoked_at=func.coalesce(ApiKey.revoked_at, now))
        .execution_options(synchronize_session=False)
    )
