"""Load rendered tables into whichever backend a database URL names."""

from collections.abc import Sequence

from api.db.engine import is_sqlite
from scripts.generate.load_postgres import load_postgres
from scripts.generate.load_sqlite import load_sqlite
from scripts.generate.report import Reporter, Silent
from scripts.generate.rows import Table, Timestamps, postgres_timestamps, sqlite_timestamps


def timestamps_for(url: str) -> Timestamps:
    """How instants are written for the backend at ``url``."""
    return sqlite_timestamps if is_sqlite(url) else postgres_timestamps


def load(url: str, tables: Sequence[Table], *, reporter: Reporter | None = None) -> None:
    """Load ``tables`` into an empty, migrated database (``NetworkExists`` otherwise)."""
    loader = load_sqlite if is_sqlite(url) else load_postgres
    loader(url, tables, reporter=reporter or Silent())
