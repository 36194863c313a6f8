"""The rule every loader enforces: a network is only ever loaded into an empty database.

Appending a second synthetic network would tangle two seeds' worth of ids and coordinators,
and the PostgreSQL loader truncates the network tables to load them fast; refusing a database
that already holds any of them is what makes both safe. API keys may exist already (an
operator's admin key) and are kept.
"""

from typing import Any

NETWORK_TABLES = (
    "agencies",
    "communities",
    "coordinators",
    "coordinator_communities",
    "members",
    "memberships",
    "stage_changes",
    "needs",
    "need_roles",
    "signups",
    "households",
    "household_members",
    "match_events",
    "ranking_models",
)
"""Every table holding network rows (not keys, audit, idempotency records or the geocoder's
cache), in no particular order: what members were shown (``match_events``) and the re-ranker
learned from it (``ranking_models``) belong to the network they came from."""


class NetworkExists(Exception):
    """The target database already holds network rows."""

    def __init__(self, tables: list[str]) -> None:
        super().__init__(
            "the database already holds data in "
            + ", ".join(tables)
            + "; generate only loads into an empty (freshly migrated) database"
        )
        self.tables = tables


def refuse_if_loaded(cursor: Any) -> None:
    """Raise ``NetworkExists`` if any network table has a row (any DB-API cursor)."""
    loaded = []
    for table in NETWORK_TABLES:
        cursor.execute(f"SELECT 1 FROM {table} LIMIT 1")
        if cursor.fetchone() is not None:
            loaded.append(table)
    if loaded:
        raise NetworkExists(loaded)
