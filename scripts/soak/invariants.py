"""What must hold after any load, checked in SQL against the database and the client's ledger.

- no role over its count, and every role's ``filled`` equal to its confirmed sign-ups;
- no member double-booked: no two confirmed sign-ups of one member on overlapping needs;
- nothing lost: every sign-up a client was told succeeded (and did not withdraw) is confirmed,
  and every withdrawal a client was told succeeded is no longer confirmed.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from sqlalchemy import bindparam, create_engine, text

CHUNK = 1000

OVER_COUNT = text("SELECT count(*) FROM need_roles WHERE filled > count")
FILLED_MISMATCH = text(
    """
    SELECT count(*) FROM need_roles r
    LEFT JOIN (
        SELECT role_id, count(*) AS confirmed FROM signups
        WHERE status = 'confirmed' GROUP BY role_id
    ) s ON s.role_id = r.id
    WHERE r.filled <> coalesce(s.confirmed, 0)
    """
)
DOUBLE_BOOKED = text(
    """
    SELECT count(*) FROM signups a
    JOIN signups b ON b.member_id = a.member_id AND a.id < b.id
    JOIN needs na ON na.id = a.need_id
    JOIN needs nb ON nb.id = b.need_id
    WHERE a.status = 'confirmed' AND b.status = 'confirmed'
      AND na.starts_at < nb.ends_at AND nb.starts_at < na.ends_at
    """
)
STATUSES = text("SELECT id, status FROM signups WHERE id IN :ids").bindparams(
    bindparam("ids", expanding=True)
)
CONFIRMED = text("SELECT count(*) FROM signups WHERE status = 'confirmed'")


@dataclass(frozen=True)
class Invariants:
    """Counts of each kind of violation (all zero when the service kept its word)."""

    roles_over_count: int
    roles_filled_mismatch: int
    double_bookings: int
    lost_sign_ups: int
    lost_withdrawals: int
    confirmed_sign_ups: int
    """Not a violation: how many confirmed sign-ups the database holds."""

    @property
    def violations(self) -> dict[str, int]:
        """The non-zero violation counts, by name."""
        counts = {
            "roles_over_count": self.roles_over_count,
            "roles_filled_mismatch": self.roles_filled_mismatch,
            "double_bookings": self.double_bookings,
            "lost_sign_ups": self.lost_sign_ups,
            "lost_withdrawals": self.lost_withdrawals,
        }
        return {name: count for name, count in counts.items() if count}


def _chunks(ids: list[str]) -> Iterator[list[str]]:
    for start in range(0, len(ids), CHUNK):
        yield ids[start : start + CHUNK]


def check(
    database_url: str, *, confirmed: Iterable[str] = (), withdrawn: Iterable[str] = ()
) -> Invariants:
    """Check the database, and the sign-ups the clients were told about, in one snapshot."""
    confirmed_ids, withdrawn_ids = sorted(set(confirmed)), sorted(set(withdrawn))
    engine = create_engine(database_url)
    try:
        with engine.connect() as connection:
            if engine.dialect.name == "postgresql":
                connection.exec_driver_sql("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
            status: dict[str, str] = {}
            for ids in _chunks(confirmed_ids + withdrawn_ids):
                status.update(
                    (row.id, row.status) for row in connection.execute(STATUSES, {"ids": ids})
                )
            return Invariants(
                roles_over_count=int(connection.scalar(OVER_COUNT) or 0),
                roles_filled_mismatch=int(connection.scalar(FILLED_MISMATCH) or 0),
                double_bookings=int(connection.scalar(DOUBLE_BOOKED) or 0),
                lost_sign_ups=sum(status.get(id_) != "confirmed" for id_ in confirmed_ids),
                lost_withdrawals=sum(status.get(id_) == "confirmed" for id_ in withdrawn_ids),
                confirmed_sign_ups=int(connection.scalar(CONFIRMED) or 0),
            )
    finally:
        engine.dispose()
