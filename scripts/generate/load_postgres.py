"""Bulk loading into PostgreSQL + PostGIS: COPY in one transaction, keys and indexes rebuilt.

Maintaining six indexes (one GiST), two unique constraints and per-row foreign-key triggers
while a million rows stream in is what makes a naive load slow. So, inside the transaction,
the network tables' foreign keys, primary/unique keys and indexes are dropped, the rows are
COPYed, and each is recreated from the definition the catalog gave (``pg_get_indexdef`` /
``pg_get_constraintdef``) under the same name: the schema ends exactly as migrated, and a
failure anywhere rolls all of it back. The tables are truncated first (they are empty, checked
under lock) so ``COPY … FREEZE`` can write rows already frozen and visible, sparing the first
queries and autovacuum a rewrite of every page.
"""

from collections.abc import Sequence

import psycopg
from psycopg import sql
from sqlalchemy.engine import make_url

from scripts.generate.guard import NETWORK_TABLES, refuse_if_loaded
from scripts.generate.report import Reporter
from scripts.generate.rows import Table

BATCH_ROWS = 20_000
MAINTENANCE_WORK_MEM = "512MB"
"""Memory for each index build; sorted builds in memory are several times faster."""

_CONSTRAINTS = """
SELECT conrelid::regclass::text, quote_ident(conname), pg_get_constraintdef(oid), contype
FROM pg_constraint
WHERE contype IN ('p', 'u', 'f')
  AND (conrelid = ANY(%(tables)s::regclass[]) OR confrelid = ANY(%(tables)s::regclass[]))
ORDER BY conrelid::regclass::text, conname
"""
_INDEXES = """
SELECT indexrelid::regclass::text, pg_get_indexdef(indexrelid)
FROM pg_index
WHERE indrelid = ANY(%(tables)s::regclass[])
  AND NOT EXISTS (
    SELECT 1 FROM pg_constraint
    WHERE conindid = indexrelid AND contype IN ('p', 'u', 'x')
  )
ORDER BY indexrelid::regclass::text
"""


def conninfo(url: str) -> str:
    """A libpq URL for psycopg from a SQLAlchemy one (``postgresql+psycopg://…``)."""
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


def _strip(cursor: psycopg.Cursor[tuple[str, ...]]) -> list[str]:
    """Drop the network tables' keys and indexes; return the statements that recreate them."""
    cursor.execute(_CONSTRAINTS, {"tables": list(NETWORK_TABLES)})
    constraints = cursor.fetchall()
    cursor.execute(_INDEXES, {"tables": list(NETWORK_TABLES)})
    indexes = cursor.fetchall()
    foreign = [row for row in constraints if row[3] == "f"]
    keys = [row for row in constraints if row[3] != "f"]
    # Foreign keys lean on the referenced table's key, so they go first and come back last.
    for table, name, _, _ in foreign + keys:
        cursor.execute(f"ALTER TABLE {table} DROP CONSTRAINT {name}")
    for name, _ in indexes:
        cursor.execute(f"DROP INDEX {name}")
    return (
        [
            f"ALTER TABLE {table} ADD CONSTRAINT {name} {definition}"
            for table, name, definition, _ in keys
        ]
        + [definition for _, definition in indexes]
        + [
            f"ALTER TABLE {table} ADD CONSTRAINT {name} {definition}"
            for table, name, definition, _ in foreign
        ]
    )


def _copy(cursor: psycopg.Cursor[tuple[str, ...]], table: Table, *, reporter: Reporter) -> None:
    statement = sql.SQL("COPY {} ({}) FROM STDIN {}").format(
        sql.Identifier(table.name),
        sql.SQL(", ").join(sql.Identifier(column) for column in table.columns),
        sql.SQL("(FREEZE)" if table.name in NETWORK_TABLES else ""),
    )
    reporter.table(table.name, table.size)
    with cursor.copy(statement) as copy:
        for batch in table.batches(BATCH_ROWS):
            for row in batch:
                copy.write_row(row)
            reporter.advance(table.name, len(batch))


def load_postgres(url: str, tables: Sequence[Table], *, reporter: Reporter) -> None:
    """Load ``tables`` (in foreign-key order) in one transaction, then ANALYZE them."""
    network = ", ".join(NETWORK_TABLES)
    with psycopg.connect(conninfo(url)) as connection, connection.cursor() as cursor:
        cursor.execute(f"SET LOCAL maintenance_work_mem = '{MAINTENANCE_WORK_MEM}'")
        cursor.execute(f"LOCK TABLE {network} IN ACCESS EXCLUSIVE MODE")
        refuse_if_loaded(cursor)
        cursor.execute(f"TRUNCATE {network}")
        rebuild = _strip(cursor)
        for table in tables:
            _copy(cursor, table, reporter=reporter)
        reporter.table("indexes and keys", len(rebuild))
        for statement in rebuild:
            cursor.execute(statement)
            reporter.advance("indexes and keys", 1)
    reporter.step("analysing")
    with psycopg.connect(conninfo(url), autocommit=True) as connection:
        connection.execute(f"ANALYZE {', '.join(table.name for table in tables)}")
