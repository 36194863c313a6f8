"""A key's ``last_used_at``: written at most once a minute per key, never on the request's path.

Writing it on every request would turn every read into a write. So this process remembers
when it last wrote each key's time and writes again only a minute later, and the write itself
is conditional (``WHERE last_used_at IS NULL OR last_used_at < now - 60 s``), so several
workers together still change the row at most about once a minute.

The write happens after the response has been sent, in its own short transaction: in the
request's own read transaction it would upgrade a SQLite read lock to a write lock (which can
fail), and taking a second pooled connection while the request holds one could exhaust the
pool under load. If the write fails, the next use a minute later tries again.
"""

import logging
import threading
import time
from collections.abc import Callable
from datetime import datetime, timedelta

import anyio.to_thread
from sqlalchemy import Engine, or_, update
from sqlalchemy.exc import SQLAlchemyError
from starlette.types import ASGIApp, Receive, Scope, Send

from api.db.engine import WRITE_OPTION
from api.db.models import ApiKey

logger = logging.getLogger("servematch")

INTERVAL = timedelta(seconds=60)
PENDING_STATE = "servematch_last_use"
"""Where authentication leaves ``(key_id, now)`` for the middleware to record."""


class LastUseRecorder:
    """Decides when a key's use is worth writing down, and writes it."""

    def __init__(self, engine: Engine, *, clock: Callable[[], float] = time.monotonic) -> None:
        self.engine = engine
        self._clock = clock
        self._written: dict[str, float] = {}  # key id -> when this process last wrote it
        self._lock = threading.Lock()
        self._prune_above = 1024

    def is_due(self, key_id: str, *, last_used_at: datetime | None, now: datetime) -> bool:
        """Whether this use should be written; claims the minute for this key if so."""
        moment = self._clock()
        interval_s = INTERVAL.total_seconds()
        with self._lock:
            written = self._written.get(key_id)
            if written is not None and moment - written < interval_s:
                return False
            if written is None and last_used_at is not None and now - last_used_at < INTERVAL:
                # Another worker (or an earlier life of this one) wrote it moments ago.
                self._written[key_id] = moment - (now - last_used_at).total_seconds()
                return False
            if len(self._written) > self._prune_above:
                # Keys written over a minute ago are due anyway: forgetting them changes nothing.
                self._written = {
                    key: at for key, at in self._written.items() if moment - at < interval_s
                }
                self._prune_above = max(1024, 2 * len(self._written))
            self._written[key_id] = moment
            return True

    def record(self, key_id: str, now: datetime) -> None:
        """Write ``now`` as the key's last use, unless a write in the last minute did."""
        statement = (
            update(ApiKey)
            .where(
                ApiKey.id == key_id,
                or_(ApiKey.last_used_at.is_(None), ApiKey.last_used_at < now - INTERVAL),
            )
            .values(last_used_at=now)
        )
        try:
            with self.engine.connect() as connection:
                connection.execution_options(**{WRITE_OPTION: True})
                with connection.begin():
                    connection.execute(statement)
        except SQLAlchemyError as error:
            logger.warning("could not record a key's last use: %s", error)


class RecordLastUse:
    """ASGI middleware: once the response is sent, write the last use authentication asked for."""

    def __init__(self, app: ASGIApp, *, recorder: LastUseRecorder) -> None:
        self.app = app
        self.recorder = recorder

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Run the request, then the write it left behind (if any)."""
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        state = scope.setdefault("state", {})
        await self.app(scope, receive, send)
        pending: tuple[str, datetime] | None = state.get(PENDING_STATE)
        if pending is not None:
            await anyio.to_thread.run_sync(self.recorder.record, *pending)
