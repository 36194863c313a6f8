"""A resident snapshot of every active member, kept by each worker, for dense candidates.

An agency's request in a city is within reach of a hundred thousand members. Reading them
from the database for every candidates call costs seconds; ranking them from columns already
in memory costs milliseconds. So each worker keeps the engine's columns of every active
member (``MemberPool``, sorted by latitude, interests vectorised) and uses them to bound what
each could score (``matcher.topk.resident_ceilings``); only the few who might enter the top k
are then read fresh and ranked for real. The snapshot leaves out what changes with every
sign-up (commitments, service history), which can only lower a score, so a bound from it
stays a bound.

Members edited since the snapshot was taken cannot be bounded by it: every request asks the
database which ones they are (an index range scan on ``updated_at``) and reads them fresh.
When they grow many, or the text model is refitted, a new snapshot is built in the
background while the old one keeps serving.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from functools import cached_property
from typing import Any, Literal

import numpy as np
import numpy.typing as npt
from sqlalchemy import Connection, Engine
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from api.matching import inputs, repository
from geo.bbox import radius_bounding_boxes
from matcher import MemberPool, TextFit, build_pool
from matcher.availability import free_half_hours
from matcher.pool import concat_pools

logger = logging.getLogger(__name__)

IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]

CHANGE_MARGIN = timedelta(minutes=1)
"""Members updated up to this long before a snapshot was taken count as changed since: a
transaction that wrote a member just before the snapshot's read began may commit after it."""

REBUILD_AFTER_CHANGES = 256
"""Changed members after which a new snapshot is built (each is read fresh per request)."""

MAX_CHANGES = 4_096
"""Beyond this many changed members the snapshot is not used until its successor is ready."""

SNAPSHOT_BATCH = 20_000
"""Members read and laid out at a time: only this many profiles are ever alive at once."""


@dataclass(frozen=True, eq=False)
class MemberSnapshot:
    """Every active member as engine columns, by latitude, without commitments or history."""

    pool: MemberPool
    free_half_hours: npt.NDArray[np.uint8]  # (members, 42): see matcher.availability
    taken_at: datetime
    text_model: TextFit | None

    def near(self, lat: float, lon: float) -> IntArray:
        """Pool rows whose home is within the network's largest travel radius of a point
        (a box around it: a superset that the engine's own distances narrow)."""
        if len(self.pool) == 0:
            return np.zeros(0, dtype=np.int64)
        radius = float(self.pool.max_travel_km.max())
        found = []
        for box in radius_bounding_boxes(lat, lon, radius):
            start = int(np.searchsorted(self.pool.lat, box.min_lat, side="left"))
            stop = int(np.searchsorted(self.pool.lat, box.max_lat, side="right"))
            lon_in_box = self.pool.lon[start:stop]
            inside = (lon_in_box >= box.min_lon) & (lon_in_box <= box.max_lon)
            found.append(start + np.flatnonzero(inside))
        return np.concatenate(found).astype(np.int64)  # the boxes never overlap

    @cached_property
    def _rows_by_id(self) -> tuple[IntArray, npt.NDArray[np.str_]]:
        # Sorted once per snapshot, not on every request that finds members changed.
        order = np.argsort(self.pool.id_rank)  # pool rows in id order
        return order, self.pool.ids[order]

    def rows_of(self, member_ids: list[str]) -> IntArray:
        """Pool rows of these members (those not in the snapshot are skipped)."""
        if not member_ids or len(self.pool) == 0:
            return np.zeros(0, dtype=np.int64)
        order, sorted_ids = self._rows_by_id
        wanted = np.asarray(member_ids, dtype=self.pool.ids.dtype)
        at = np.minimum(np.searchsorted(sorted_ids, wanted), len(order) - 1)
        return np.asarray(order[at[sorted_ids[at] == wanted]], dtype=np.int64)


@dataclass(frozen=True, eq=False)
class SnapshotView:
    """A snapshot as one request may use it: which of its rows are out of date, and the ids
    of every member changed since it was taken (to be read fresh)."""

    snapshot: MemberSnapshot
    changed_ids: list[str]
    stale: BoolArray


def take_snapshot(session: Session, *, text_model: TextFit | None) -> MemberSnapshot:
    """Read every active member once and lay them out as columns."""
    taken_at = datetime.now(UTC)
    parts = [
        build_pool(inputs.member_profiles(rows, {}), text_model=text_model)
        for rows in repository.resident_member_rows(session, batch=SNAPSHOT_BATCH)
    ]
    pool = concat_pools(parts) if parts else build_pool([], text_model=text_model)
    free = free_half_hours(
        len(pool), pool.slot_member, pool.slot_day, pool.slot_start_minute, pool.slot_end_minute
    )
    return MemberSnapshot(pool=pool, free_half_hours=free, taken_at=taken_at, text_model=text_model)


class MemberSnapshots:
    """Holds one worker's snapshot and renews it in the background.

    A worker starts the first build when it starts (``warm``); until it is ready, requests
    are served without (the caller falls back to reading members from the database). Members'
    interests are vectorised again, without reading anyone, whenever the text model in use
    is not the snapshot's (the first request brings it; a refit replaces it). Pass
    ``background=False`` to do this work on the caller's thread instead (tests, tools),
    ``enabled=False`` never to keep a snapshot.
    """

    def __init__(self, *, enabled: bool = True, background: bool = True) -> None:
        self.enabled = enabled
        self.background = background
        self._snapshot: MemberSnapshot | None = None
        self._lock = threading.Lock()
        self._busy = False

    @property
    def state(self) -> Literal["off", "building", "ready"]:
        """What a health check reports: whether dense candidates are served from memory yet."""
        if not self.enabled:
            return "off"
        return "building" if self._snapshot is None else "ready"

    def warm(self, engine: Engine) -> None:
        """Start building the first snapshot (a worker does as it starts)."""
        if self.enabled:
            self._start(self._build, engine, None)

    def view(self, session: Session, *, text_model: TextFit | None) -> SnapshotView | None:
        """The snapshot with what changed since, or None while there is none fit to use."""
        if not self.enabled:
            return None
        snapshot = self._snapshot
        if snapshot is None:
            self._start(self._build, session.get_bind(), text_model)
            snapshot = self._snapshot
            if snapshot is None:
                return None
        changed = repository.member_ids_changed_since(session, snapshot.taken_at - CHANGE_MARGIN)
        if len(changed) > REBUILD_AFTER_CHANGES:
            self._start(self._build, session.get_bind(), text_model)
        elif snapshot.text_model is not text_model:
            self._start(self._vectorise, snapshot, text_model)
        if len(changed) > MAX_CHANGES:
            return None
        stale = np.zeros(len(snapshot.pool), dtype=np.bool_)
        stale[snapshot.rows_of(changed)] = True
        return SnapshotView(snapshot=snapshot, changed_ids=changed, stale=stale)

    def _start(self, job: Callable[[Any, TextFit | None], None], *args: Any) -> None:
        """Run one job at a time: the others are asked for again by the next request."""
        with self._lock:
            if self._busy:
                return
            self._busy = True
        if self.background:
            threading.Thread(target=self._run, args=(job, *args), daemon=True).start()
        else:
            self._run(job, *args)

    def _run(self, job: Callable[[Any, TextFit | None], None], *args: Any) -> None:
        try:
            job(*args)
        except SQLAlchemyError as error:  # database away: keep the old snapshot, retry later
            logger.warning("member snapshot not renewed, still serving the old one: %s", error)
        finally:
            with self._lock:
                self._busy = False

    def _build(self, bind: Engine | Connection, text_model: TextFit | None) -> None:
        with Session(bind) as session:
            self._snapshot = take_snapshot(session, text_model=text_model)

    def _vectorise(self, snapshot: MemberSnapshot, text_model: TextFit | None) -> None:
        pool = (
            replace(snapshot.pool, interest_vectors=None)
            if text_model is None
            else snapshot.pool.with_interest_vectors(text_model)
        )
        self._snapshot = replace(snapshot, pool=pool, text_model=text_model)
