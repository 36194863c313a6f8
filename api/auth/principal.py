"""Who is calling: the principal resolved from the bearer key, and role gates for routes.

Resolving a key costs two queries (the key, then the principal's communities), so resolved
keys are cached in the process for ``auth_cache_ttl_s`` (see :mod:`api.auth.cache`). Every
request also passes the rate limits here, where the key is known (see :mod:`api.ratelimit`).
"""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from fastapi import Request
from sqlalchemy import select
from sqlalchemy.orm import Session

from api.auth import cache as principal_cache
from api.auth.credentials import ends_at, find_live_key, find_live_key_by_id, hash_key
from api.auth.last_used import PENDING_STATE, LastUseRecorder
from api.db.models import ApiKey, Member, coordinator_communities
from api.db.types import utcnow
from api.errors import Unauthorized
from api.ratelimit import QUOTA_STATE, RateLimits, bearer_token, client_address
from api.vocabulary import Role


class MemberIdentity(Protocol):
    """What acting as a member needs of them: a ``Member``, or a row that selected these."""

    @property
    def id(self) -> str:
        """The member's id."""

    @property
    def community_id(self) -> str:
        """The member's community."""


@dataclass(frozen=True, slots=True)
class Principal:
    """The caller. ``community_ids`` are a coordinator's communities or a member's own one."""

    role: Role
    id: str | None
    community_ids: frozenset[str] = frozenset()

    @classmethod
    def acting_as(cls, member: MemberIdentity) -> "Principal":
        """The principal of ``member`` themself: what *they* may see, whoever is asking."""
        return cls(role="member", id=member.id, community_ids=frozenset([member.community_id]))

    @property
    def is_admin(self) -> bool:
        """Admins see and manage everything."""
        return self.role == "admin"

    def owns(self, *, role: str, principal_id: str | None) -> bool:
        """Whether a key issued for ``role``/``principal_id`` is this caller's own."""
        return self.role == role and self.id == principal_id


def stored_principal(session: Session, *, role: Role, principal_id: str | None) -> Principal:
    """The principal a key, or a standing order (keep asking), was issued for, with the
    communities it manages as of now: acting later on someone's behalf sees what they
    would see today."""
    return Principal(
        role=role, id=principal_id, community_ids=_communities_of(session, role, principal_id)
    )


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


def is_cached(request: Request) -> bool:
    """Whether the request's key is in the principal cache, so authenticating needs no SQL."""
    key = bearer_token(request.headers.get("authorization", ""))
    cache: principal_cache.PrincipalCache = request.app.state.principal_cache
    return key is not None and cache.get(hash_key(key)) is not None


def authenticate(request: Request, session: Session) -> Principal:
    """Resolve the request's key to a principal, or refuse with 401 (429 when over a limit)."""
    key = bearer_token(request.headers.get("authorization", ""))
    if key is None:
        # Already charged to the address by the rate-limit middleware.
        raise Unauthorized("missing bearer key: send 'Authorization: Bearer <api_key>'")
    return sign_in(request, session, key).principal


def sign_in(request: Request, session: Session, key: str) -> principal_cache.CachedKey:
    """Resolve a key in clear (a bearer header, or the sign-in form) to its id and principal."""
    key_hash = hash_key(key)
    return _resolve(
        request, key_hash, lambda now: find_live_key(session, key_hash, now=now), session
    )


def authenticate_key_id(request: Request, session: Session, key_id: str) -> Principal:
    """Resolve a signed-in browser's key (its session holds the key's id, never the key) the
    way :func:`authenticate` resolves a bearer key: revoked or expired, it is refused."""
    return _resolve(
        request, f"id:{key_id}", lambda now: find_live_key_by_id(session, key_id, now=now), session
    ).principal


def _resolve(
    request: Request,
    cache_key: str,
    find: Callable[[datetime], ApiKey | None],
    session: Session,
) -> principal_cache.CachedKey:
    state = request.app.state
    cache: principal_cache.PrincipalCache = state.principal_cache
    limits: RateLimits = state.rate_limits
    recorder: LastUseRecorder = state.last_use
    address = client_address(request.scope)
    now = utcnow()
    refused = Unauthorized("unknown, revoked or expired API key")
    entry = cache.get(cache_key)
    last_used_at = None
    if entry is None:
        # An address that keeps failing is refused before its next guess is even looked up.
        limits.refuse_if_spent(address)
        generation = cache.generation
        stored_key = find(now)
        if stored_key is None:
            raise limits.fail(address, refused)
        principal = stored_principal(
            session, role=stored_key.role, principal_id=stored_key.principal_id
        )
        entry = principal_cache.CachedKey(
            key_id=stored_key.id, principal=principal, ends_at=ends_at(stored_key)
        )
        cache.put(cache_key, entry, generation=generation)
        last_used_at = stored_key.last_used_at
    elif not entry.is_live(now):
        raise limits.fail(address, refused)
    quota = limits.charge_key(entry.key_id)
    if quota is not None:
        setattr(request.state, QUOTA_STATE, quota)
    if recorder.is_due(entry.key_id, last_used_at=last_used_at, now=now):
        setattr(request.state, PENDING_STATE, (entry.key_id, now))
    return entry
