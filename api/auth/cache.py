"""In-process cache of resolved principals, so most authenticated requests cost no SQL.

Entries are keyed by the key's SHA-256 (the clear key is never kept), or for a signed-in
browser by ``id:`` and the key's id, and hold the resolved
:class:`~api.auth.principal.Principal` with the instant the key stops working (expiry, or the
end of a rotation's grace period), which is checked on every hit: caching never extends a key.

Staleness, and its bound:

* In this process, anything that changes who a caller is drops the affected entries when its
  transaction commits. Code that knows it did so calls :func:`forget_after_commit`; as a
  safety net the session is also watched (see :func:`install`): changed or deleted key rows,
  deleted coordinators, agencies or members, a member's community or erasure, and any bulk
  UPDATE/DELETE (or coordinator appointment) on those tables.
* Another worker process does not hear of it: it may accept a revoked key, or use a stale
  principal, for at most ``auth_cache_ttl_s`` seconds (0 disables the cache).

Thread-safe: sync routes run on a thread pool. A lookup that raced a revocation cannot put a
stale entry back: :meth:`PrincipalCache.put` is refused if anything was forgotten since the
lookup began (a generation counter).
"""

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import Table, event, inspect
from sqlalchemy.orm import ORMExecuteState, Session, UOWTransaction, sessionmaker

from api.db.models import Agency, ApiKey, Coordinator, Member, coordinator_communities

if TYPE_CHECKING:
    from api.auth.principal import Principal

PENDING = "servematch_forget_after_commit"
"""``session.info`` entry collecting what to forget once the transaction commits."""

EVERYTHING = ("all", None)

WATCHED_TABLES = frozenset(
    [
        ApiKey.__tablename__,
        Member.__tablename__,
        Coordinator.__tablename__,
        Agency.__tablename__,
        coordinator_communities.name,
    ]
)
"""Bulk writes to these may change who a cached key stands for."""

MEMBER_IDENTITY = ("community_id", "erased_at")
"""Member columns a principal is derived from."""


@dataclass(frozen=True, slots=True)
class CachedKey:
    """A key resolved to its principal, and when it stops working (None: never)."""

    key_id: str
    principal: "Principal"
    ends_at: datetime | None

    def is_live(self, now: datetime) -> bool:
        """Whether the key still authenticates at ``now``."""
        return self.ends_at is None or now < self.ends_at


class PrincipalCache:
    """Key digest → :class:`CachedKey`, each entry trusted for ``ttl_s`` seconds."""

    def __init__(
        self,
        *,
        ttl_s: float,
        max_entries: int = 100_000,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.ttl_s = ttl_s
        self.max_entries = max_entries
        self._clock = clock
        self._entries: dict[str, tuple[CachedKey, float]] = {}  # digest -> (entry, cached until)
        self._lock = threading.Lock()
        self._generation = 0
        self._prune_at = min(max_entries, 1024)

    @property
    def enabled(self) -> bool:
        """A TTL of 0 turns the cache off."""
        return self.ttl_s > 0

    @property
    def generation(self) -> int:
        """Read before a lookup, pass to :meth:`put`: changes whenever anything is forgotten."""
        return self._generation

    def get(self, key_hash: str) -> CachedKey | None:
        """The cached entry for a key digest, if still within its TTL."""
        if not self.enabled:
            return None
        with self._lock:
            found = self._entries.get(key_hash)
            if found is None:
                return None
            entry, cached_until = found
            if self._clock() >= cached_until:
                del self._entries[key_hash]
                return None
            return entry

    def put(self, key_hash: str, entry: CachedKey, *, generation: int) -> None:
        """Cache ``entry`` unless something was forgotten since ``generation`` was read."""
        if not self.enabled:
            return
        now = self._clock()
        with self._lock:
            if generation != self._generation:
                return
            if len(self._entries) >= self._prune_at:
                self._entries = {
                    digest: found for digest, found in self._entries.items() if found[1] > now
                }
                # Prune again only after as many puts again (amortised O(1)), and never grow
                # past max_entries: a full cache just stops caching until entries go stale.
                self._prune_at = min(self.max_entries, max(1024, 2 * len(self._entries)))
                if len(self._entries) >= self.max_entries:
                    return
            self._entries[key_hash] = (entry, now + self.ttl_s)

    def forget(
        self,
        *,
        principal_ids: frozenset[str] = frozenset(),
        key_ids: frozenset[str] = frozenset(),
        everything: bool = False,
    ) -> None:
        """Drop the entries of these principals and keys (or all of them)."""
        with self._lock:
            self._generation += 1
            if everything:
                self._entries.clear()
                return
            self._entries = {
                digest: (entry, cached_until)
                for digest, (entry, cached_until) in self._entries.items()
                if entry.key_id not in key_ids and entry.principal.id not in principal_ids
            }

    def __len__(self) -> int:
        return len(self._entries)


def forget(app_state: Any, *, principal_id: str | None = None, key_id: str | None = None) -> None:
    """Drop a principal's (or a key's) cached entries now; with neither, drop every entry.

    Prefer :func:`forget_after_commit` inside a request: forgetting before the commit lets a
    concurrent request cache the old state again.
    """
    cache: PrincipalCache = app_state.principal_cache
    cache.forget(
        principal_ids=frozenset([principal_id]) if principal_id else frozenset(),
        key_ids=frozenset([key_id]) if key_id else frozenset(),
        everything=principal_id is None and key_id is None,
    )


def forget_after_commit(
    session: Session, *, principal_id: str | None = None, key_id: str | None = None
) -> None:
    """Drop a principal's (or a key's) cached entries once ``session`` commits; with neither,
    drop every entry. Call it when a principal's communities change, or it is erased."""
    pending: set[tuple[str, str | None]] = session.info.setdefault(PENDING, set())
    if principal_id is not None:
        pending.add(("principal", principal_id))
    if key_id is not None:
        pending.add(("key", key_id))
    if principal_id is None and key_id is None:
        pending.add(EVERYTHING)


def install(app_state: Any, sessions: sessionmaker[Session], *, ttl_s: float) -> PrincipalCache:
    """Give the app its cache, and make its sessions forget what their commits change."""
    cache = PrincipalCache(ttl_s=ttl_s)
    app_state.principal_cache = cache

    def apply_pending(session: Session) -> None:
        pending: set[tuple[str, str | None]] = session.info.pop(PENDING, set())
        if not pending:
            return
        cache.forget(
            principal_ids=frozenset(str(ref) for kind, ref in pending if kind == "principal"),
            key_ids=frozenset(str(ref) for kind, ref in pending if kind == "key"),
            everything=EVERYTHING in pending,
        )

    # Forgetting too much is harmless, so a rollback applies what was pending as well.
    event.listen(sessions, "after_commit", apply_pending)
    event.listen(sessions, "after_rollback", apply_pending)
    event.listen(sessions, "after_flush", _watch_flush)
    event.listen(sessions, "do_orm_execute", _watch_statement)
    return cache


def _watch_flush(session: Session, _flush: UOWTransaction) -> None:
    for instance in session.deleted:
        if isinstance(instance, ApiKey):
            forget_after_commit(session, key_id=instance.id)
        elif isinstance(instance, Member | Coordinator | Agency):
            forget_after_commit(session, principal_id=instance.id)
    for instance in session.dirty:
        if isinstance(instance, ApiKey) and session.is_modified(instance):
            forget_after_commit(session, key_id=instance.id)
        elif isinstance(instance, Member):
            attributes = inspect(instance).attrs
            if any(attributes[name].history.has_changes() for name in MEMBER_IDENTITY):
                forget_after_commit(session, principal_id=instance.id)


def _watch_statement(state: ORMExecuteState) -> None:
    if not (state.is_update or state.is_delete or state.is_insert):
        return
    table = getattr(state.statement, "table", None)
    if not isinstance(table, Table) or table.name not in WATCHED_TABLES:
        return
    # New rows change no one, except a coordinator appointed to one more community.
    if state.is_insert and table.name != coordinator_communities.name:
        return
    forget_after_commit(state.session)
