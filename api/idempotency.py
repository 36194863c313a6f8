"""``Idempotency-Key`` on creating POSTs: a client's retry returns the first outcome, never a twin.

Semantics follow Stripe and the IETF draft "The Idempotency-Key HTTP Header Field". The key is
scoped to the caller (``role:id``), so two callers' keys never meet. The record lives in the
request's own transaction: it is inserted *before* the work (the unique ``(scope, key)``
constraint makes a concurrent duplicate wait for the first to finish: a row lock on
PostgreSQL, the write lock on SQLite) and completed with the response before the commit. A
crash therefore never leaves a created object without its record or a record without its
object, and a failed request (4xx, 5xx) rolls its record back, so it is not remembered.

A secret in a response (the ``api_key`` of a new member, coordinator or agency) is never
stored: keys exist in clear only in the first response, so a replay shows ``api_key: null``.
"""

import hashlib
import json
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Annotated, Any

from fastapi import Depends, FastAPI, Header, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from sqlalchemy import delete, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from api import patterns
from api.db.models import IdempotencyRecord
from api.db.types import new_id, utcnow
from api.deps import AppSettings, CurrentPrincipal, DbSession
from api.errors import Conflict, FieldError

HEADER = "Idempotency-Key"
REPLAYED_HEADER = "Idempotent-Replayed"
PURGE_BATCH = 100
"""Expired records deleted, at most, each time a new one is stored (no background job)."""
SECRET_FIELDS = frozenset({"api_key"})

KeyHeader = Annotated[
    str | None,
    Header(
        alias=HEADER,
        min_length=1,
        max_length=255,
        pattern=patterns.PRINTABLE_ASCII,
        description=(
            "Optional. 1–255 visible ASCII characters, unique per intended creation (a UUID). "
            "A retry with the same key and body returns the first response with "
            f"`{REPLAYED_HEADER}: true` instead of creating again; the same key with a "
            "different request answers 422. Keys are remembered for `idempotency_ttl_hours`."
        ),
    ),
]


class Replay(Exception):
    """The request repeats a completed one: answer with the stored outcome, do nothing else."""

    def __init__(self, status_code: int, body: Any) -> None:
        super().__init__(f"replay of a {status_code} response")
        self.status_code = status_code
        self.body = body


async def request_fingerprint(request: Request) -> str:
    """SHA-256 of the body, canonicalised when it is JSON so key order does not matter.

    Async because reading the body is; empty when no key was sent (nothing to compare).
    """
    if HEADER not in request.headers:
        return ""
    body = await request.body()
    try:
        canonical = json.dumps(json.loads(body), sort_keys=True, separators=(",", ":")).encode()
    except (ValueError, UnicodeDecodeError, RecursionError):
        canonical = body
    return hashlib.sha256(canonical).hexdigest()


@dataclass
class Idempotency:
    """The idempotency record of this request, if it sent a key; routes ``save`` their result."""

    session: Session
    record_id: str | None = None

    def save(self, status_code: int, body: BaseModel) -> None:
        """Complete the record with the response, in the same transaction as the creation."""
        if self.record_id is None:
            return
        stored = _without_secrets(body.model_dump(mode="json", by_alias=True))
        self.session.execute(
            update(IdempotencyRecord)
            .where(IdempotencyRecord.id == self.record_id)
            .values(status_code=status_code, response_body=stored)
            .execution_options(synchronize_session=False)
        )


def _without_secrets(value: Any) -> Any:
    """``value`` with every secret field nulled, however deep (a multiplication answers with a
    key per new coordinator): a replay never shows a key twice."""
    if isinstance(value, dict):
        return {
            name: None if name in SECRET_FIELDS else _without_secrets(item)
            for name, item in value.items()
        }
    if isinstance(value, list):
        return [_without_secrets(item) for item in value]
    return value


def _insert_if_absent(session: Session, values: dict[str, Any]) -> bool:
    """Insert unless ``(scope, key)`` exists; waits for an in-flight twin to finish first."""
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    statement = (
        insert(IdempotencyRecord)
        .values(**values)
        .on_conflict_do_nothing(index_elements=["scope", "key"])
        .returning(IdempotencyRecord.id)
    )
    # RETURNING rather than rowcount, which drivers may report as -1 for this statement.
    return session.scalar(statement) is not None


def _purge_expired(session: Session, now: datetime) -> None:
    # SKIP LOCKED: two requests purging at once must not wait on, or deadlock over, each
    # other's batch (SQLite ignores the clause; its writers are serialised anyway).
    batch = (
        select(IdempotencyRecord.id)
        .where(IdempotencyRecord.expires_at <= now)
        .limit(PURGE_BATCH)
        .with_for_update(skip_locked=True)
    )
    session.execute(
        delete(IdempotencyRecord)
        .where(IdempotencyRecord.id.in_(batch))
        .execution_options(synchronize_session=False)
    )


def begin(
    request: Request,
    session: DbSession,
    principal: CurrentPrincipal,
    settings: AppSettings,
    fingerprint: Annotated[str, Depends(request_fingerprint)],
    key: KeyHeader = None,
) -> Idempotency:
    """Claim the key for this request, or replay / refuse when it was used before."""
    if key is None:
        return Idempotency(session)
    now = utcnow()
    scope = f"{principal.role}:{principal.id or '-'}"
    method, path = request.method, request.url.path
    mine = (IdempotencyRecord.scope == scope) & (IdempotencyRecord.key == key)
    # An expired record is forgotten: the key may run again.
    session.execute(
        delete(IdempotencyRecord)
        .where(mine, IdempotencyRecord.expires_at <= now)
        .execution_options(synchronize_session=False)
    )
    record_id = new_id()
    claimed = _insert_if_absent(
        session,
        {
            "id": record_id,
            "scope": scope,
            "key": key,
            "method": method,
            "path": path,
            "request_hash": fingerprint,
            "created_at": now,
            "expires_at": now + timedelta(hours=settings.idempotency_ttl_hours),
        },
    )
    if claimed:
        _purge_expired(session, now)
        return Idempotency(session, record_id)
    first = session.execute(
        select(
            IdempotencyRecord.method,
            IdempotencyRecord.path,
            IdempotencyRecord.request_hash,
            IdempotencyRecord.status_code,
            IdempotencyRecord.response_body,
        ).where(mine)
    ).one_or_none()
    if first is None:  # purged between the two statements: only if it expired meanwhile
        raise Conflict(f"this {HEADER} expired while being checked; retry")
    if (first.method, first.path, first.request_hash) != (method, path, fingerprint):
        raise FieldError(
            ("header", HEADER),
            f"this {HEADER} was already used for a different request "
            f"({first.method} {first.path}); use a new key for a new request",
        )
    if first.status_code is None:
        raise Conflict(f"a request with this {HEADER} is still being processed; retry shortly")
    raise Replay(first.status_code, first.response_body)


IdempotencyKey = Annotated[Idempotency, Depends(begin)]
"""Add to a creating POST; call ``.save(status, body)`` before returning the body."""


def install_replay_handler(app: FastAPI) -> None:
    """Answer a replay with the stored status and body, marked ``Idempotent-Replayed``."""

    async def on_replay(_request: Request, replay: Exception) -> JSONResponse:
        assert isinstance(replay, Replay)
        return JSONResponse(
            status_code=replay.status_code,
            content=replay.body,
            headers={REPLAYED_HEADER: "true"},
        )

    app.add_exception_handler(Replay, on_replay)
