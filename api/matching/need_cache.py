"""Open needs as the engine sees them, cached per worker, so suggestions read ids and versions.

A member's suggestions rank up to 200 nearby open needs. Their titles, descriptions, places,
times and requirements change rarely, yet reading them, decoding them and building their
specs was most of a suggestions request. So the nearest-needs query returns only each need's
id and ``updated_at``; this cache keeps the engine spec of every need it has seen, keyed by
id and ``updated_at``, and the needs it does not hold at that version are read in one query.

What the cache may and may not trust:

- A need's own columns: every write to the row bumps ``updated_at`` (the model's
  ``onupdate``, which Core ``update()`` statements apply too), so an entry read at another
  version is never used. Whether a need is still open, visible to the member and not signed
  up for is not cached at all: the nearest-needs query decides that on every request.
- Roles are read on every request: ``filled``, the pending invitations and who signed up
  change with each sign-up, invitation, answer and withdrawal, and with the clock (an
  invitation stops holding its place when it expires, before any write marks it so); none
  of that touches the need's row (and ``updated_at``). A cached spec is reused with its roles
  only when the role rows just read (as of ``now``) equal the ones it was built from;
  otherwise it is rebuilt with the new roles.
- TF-IDF rows are not held here: ``TextFit`` remembers each text's row per fitting, so a
  refitted model never reuses the old ones.

The cache holds at most ``max_needs`` needs, least recently used out first.
"""

import threading
from collections import OrderedDict, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from api.matching import inputs, repository
from api.matching.repository import EngineRow
from matcher import NeedSpec

RoleRows = tuple[tuple[Any, ...], ...]
"""A need's ``repository.role_rows``, as plain tuples: what its cached roles were built from."""


@dataclass(frozen=True, slots=True)
class _Entry:
    updated_at: datetime
    role_rows: RoleRows
    spec: NeedSpec  # with the roles built from ``role_rows``


class NeedCache:
    """Engine specs of open needs by id and ``updated_at``, one per worker process.

    Safe to share between a worker's threads: entries are immutable, and the table of them
    changes only under a lock.
    """

    def __init__(self, *, max_needs: int) -> None:
        if max_needs < 1:
            raise ValueError("max_needs must be at least 1")
        self.max_needs = max_needs
        self._entries: OrderedDict[str, _Entry] = OrderedDict()
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self._entries)

    def specs(
        self, session: Session, versions: Sequence[EngineRow], *, now: datetime
    ) -> list[NeedSpec]:
        """Specs of the needs in ``versions`` (rows of ``id``, ``updated_at``), in that order,
        with their roles as of ``now``; a need gone since ``versions`` was read is left out.

        One query for the roles, and one more only if some needs are missing or outdated.
        """
        with self._lock:
            known = {version.id: self._entries.get(version.id) for version in versions}
            for version in versions:
                if known[version.id] is not None:
                    self._entries.move_to_end(version.id)
        outdated = {
            version.id
            for version in versions
            if (entry := known[version.id]) is None or entry.updated_at != version.updated_at
        }
        role_rows = _role_rows_by_need(session, list(known), now=now)
        loaded = {row.id: row for row in repository.need_rows_by_id(session, sorted(outdated))}
        specs: list[NeedSpec] = []
        fresh: dict[str, _Entry] = {}
        for version in versions:
            need_id = version.id
            rows = role_rows.get(need_id, [])
            current = tuple(tuple(row) for row in rows)
            entry = known[need_id]
            row = loaded.get(need_id)
            if row is not None:  # read just now: trust its own version, not the query's
                (spec,) = inputs.need_specs([row], inputs.roles_by_need(rows))
                entry = _Entry(updated_at=row.updated_at, role_rows=current, spec=spec)
                fresh[need_id] = entry
            elif entry is None or need_id in outdated:
                continue  # deleted between the two queries
            elif entry.role_rows != current:
                roles = tuple(inputs.roles_by_need(rows)[need_id])
                entry = replace(entry, role_rows=current, spec=replace(entry.spec, roles=roles))
                fresh[need_id] = entry
            specs.append(entry.spec)
        if fresh:
            self._store(fresh)
        return specs

    def _store(self, fresh: dict[str, _Entry]) -> None:
        with self._lock:
            self._entries.update(fresh)
            for need_id in fresh:
                self._entries.move_to_end(need_id)
            while len(self._entries) > self.max_needs:
                self._entries.popitem(last=False)


def _role_rows_by_need(
    session: Session, need_ids: Sequence[str], *, now: datetime
) -> dict[str, list[EngineRow]]:
    """``repository.role_rows`` grouped by need, each need's rows in the query's order."""
    grouped: dict[str, list[EngineRow]] = defaultdict(list)
    for row in repository.role_rows(session, need_ids=need_ids, now=now):
        grouped[row.need_id].append(row)
    return grouped
