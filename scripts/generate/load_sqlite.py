"""Bulk loading into the embedded SQLite file: large ``executemany`` batches, one transaction.

Through the service's own engine, so the connection has the same pragmas (foreign keys on,
WAL) as the API's; the write lock is taken up front with ``BEGIN IMMEDIATE``. A larger page
cache for the load keeps the random-UUID primary-key indexes from thrashing it.
"""

from collections.abc import Sequence

from api.db.engine import make_engine
from scripts.generate.guard import refuse_if_loaded
from scripts.generate.report import Reporter
from scripts.generate.rows import Table

BATCH_ROWS = 10_000
LOAD_CACHE_KIB = 256 * 1024


def load_sqlite(url: str, tables: Sequence[Table], *, reporter: Reporter) -> None:
    """Load ``tables`` (in foreign-key order) in one transaction, then ANALYZE."""
    engine = make_engine(url)
    try:
        connection = engine.raw_connection()
        try:
            cursor = connection.cursor()
            cursor.execute(f"PRAGMA cache_size = -{LOAD_CACHE_KIB}")
            cursor.execute("BEGIN IMMEDIATE")
            try:
                refuse_if_loaded(cursor)
                for table in tables:
                    placeholders = ", ".join("?" for _ in table.columns)
                    insert = (
                        f"INSERT INTO {table.name} ({', '.join(table.columns)}) "
                        f"VALUES ({placeholders})"
                    )
                    reporter.table(table.name, table.size)
                    for batch in table.batches(BATCH_ROWS):
                        cursor.executemany(insert, batch)
                        reporter.advance(table.name, len(batch))
                cursor.execute("COMMIT")
            except BaseException:
                cursor.execute("ROLLBACK")
                raise
            reporter.step("analysing")
            cursor.execute("ANALYZE")
        finally:
            connection.close()
    finally:
        engine.dispose()
