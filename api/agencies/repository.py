"""Agency queries. Only admins read agencies; ``readable`` says so for any caller."""

from collections.abc import Callable
from typing import TypeVar

from sqlalchemy import Select, false, select
from sqlalchemy.orm import Session

from api.auth.principal import Principal
from api.db.models import Agency
from api.pagination import SortKey, paginate
from api.schemas import Page

T = TypeVar("T")


def readable(principal: Principal) -> Select[Agency]:
    """Agencies the caller may read: all for admins, none for anyone else."""
    statement = select(Agency)
    return statement if principal.is_admin else statement.where(false())


def email_taken(session: Session, *, email: str) -> bool:
    """Whether an agency already has this email (whoever asks: emails are unique)."""
    return session.scalar(select(Agency.id).where(Agency.email == email)) is not None


def page_readable(
    session: Session,
    *,
    principal: Principal,
    limit: int,
    cursor: str | None,
    to_out: Callable[[Agency], T],
) -> Page[T]:
    """A page of the agencies the caller may read, by name."""
    return paginate(
        session,
        readable(principal),
        key=SortKey(Agency.name, Agency.id),
        limit=limit,
        cursor=cursor,
        to_out=lambda row: to_out(row.Agency),
    )
