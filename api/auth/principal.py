"""Who is calling: the principal resolved from the bearer key, and role gates for routes."""

from dataclasses import dataclass
from typing import Literal

from fastapi import Request
from sqlalchemy import select
from sqlalchemy.orm import Session

from api.auth.keys import find_active_key
from api.db.models import Member, coordinator_communities
from api.db.types import utcnow
from api.errors import Unauthorized

Role = Literal["admin", "coordinator", "member", "agency"]


@dataclass(frozen=True, slots=True)
class Principal:
    """The caller. ``community_ids`` are a coordinator's communities or a member's own one."""

    role: Role
    id: str | None
    community_ids: frozenset[str] = frozenset()

    @classmethod
    def acting_as(cls, member: Member) -> "Principal":
        """The principal of ``member`` themself: what *they* may see, whoever is asking."""
        return cls(role="member", id=member.id, community_ids=frozenset([member.community_id]))

    @property
    def is_admin(self) -> bool:
        """Admins see and manage everything."""
        return self.role == "admin"


def _bearer_token(request: Request) -> str:
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Unauthorized("missing bearer key: send 'Authorization: Bearer <api_key>'")
    return token.strip()


def _communities_of(session: Session, role: str, principal_id: str | None) -> frozenset[str]:
    if role == "coordinator":
        rows = session.scalars(
            select(coordinator_communities.c.community_id).where(
                coordinator_communities.c.coordinator_id == principal_id
            )
        )
        return frozenset(rows)
    if role == "member":
        community_id = session.scalar(select(Member.community_id).where(Member.id == principal_id))
        return frozenset([community_id]) if community_id else frozenset()
    return frozenset()


def authenticate(request: Request, session: Session) -> Principal:
    """Resolve the request's key to a principal, or refuse with 401."""
    record = find_active_key(session, _bearer_token(request), now=utcnow())
    if record is None:
        raise Unauthorized("unknown, revoked or expired API key")
    role: Role = record.role  # type: ignore[assignment]  # CHECK constraint guarantees it
    return Principal(
        role=role,
        id=record.principal_id,
        community_ids=_communities_of(session, role, record.principal_id),
    )
