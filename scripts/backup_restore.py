"""Back up, restore and verify a ServeMatch database (PostgreSQL + PostGIS, or SQLite).

    python scripts/backup_restore.py backup  --database-url URL --out FILE
    python scripts/backup_restore.py restore --file FILE --database-url URL
    python scripts/backup_restore.py verify  --database-url URL [--file FILE]

PostgreSQL: ``pg_dump -Fc`` (one consistent snapshot, compressed, restorable table by table)
and ``pg_restore`` in a single transaction into a database that is new or empty, so a failed
restore leaves nothing half-done. SQLite: the online backup API (what the shell's ``.backup``
uses), consistent while the service keeps writing.

``verify`` is the restore drill: it restores a backup (a fresh one, or ``--file``) into a
scratch database, compares every table's row count and checksum (md5 over the rows in primary
key order) with the source, prints the comparison, drops the scratch copy and exits 1 on any
difference. Run it against a quiet source (a staging copy, or outside writing hours): rows
written after the backup was taken are differences too.

The database URL defaults to ``SERVEMATCH_DATABASE_URL`` (as the service reads it).
"""

from __future__ import annotations

import argparse
import hashlib
import os
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import uuid
from collections.abc import Iterator, Sequence
from contextlib import closing, contextmanager
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import create_engine, inspect, text
from sqlalchemy.engine import URL, make_url

DEFAULT_URL = os.environ.get("SERVEMATCH_DATABASE_URL", "sqlite:///./servematch.db")
PG_BIN = os.environ.get("PG_BIN", "")
"""Directory of pg_dump / pg_restore when they are not the ones on PATH."""
# Row text must not depend on the session: the same rows give the same checksum anywhere.
STABLE_SESSION = (
    "SET TimeZone = 'UTC'",
    "SET DateStyle = 'ISO, YMD'",
    "SET IntervalStyle = 'iso_8601'",
    "SET extra_float_digits = 3",
    "SET bytea_output = 'hex'",
)


class BackupError(Exception):
    """Something an operator must fix; printed without a traceback."""


@dataclass(frozen=True)
class Fingerprint:
    """One table's row count and checksum."""

    rows: int
    checksum: str


def _is_sqlite(url: URL) -> bool:
    return url.get_backend_name() == "sqlite"


def _sqlite_path(url: URL) -> Path:
    if not url.database or url.database == ":memory:":
        raise BackupError(f"{url} names no SQLite file")
    return Path(url.database)


def _program(name: str) -> str:
    found = shutil.which(name, path=PG_BIN or None)
    if found is None:
        raise BackupError(f"{name} not found (install postgresql-client, or set PG_BIN)")
    return found


def _libpq(url: URL) -> tuple[str, dict[str, str]]:
    """A libpq URL without the password (kept out of `ps`), and the environment carrying it."""
    env = dict(os.environ)
    if url.password is not None:
        env["PGPASSWORD"] = str(url.password)
    plain = url.set(drivername="postgresql", password=None, query={})
    return plain.render_as_string(hide_password=False), env


def _run(command: list[str], env: dict[str, str]) -> None:
    done = subprocess.run(command, env=env, capture_output=True, text=True)
    if done.returncode != 0:
        raise BackupError(f"{Path(command[0]).name} failed:\n{done.stderr.strip()}")


# --- backup and restore ---------------------------------------------------------------------


def backup(database_url: str, out: Path) -> None:
    """Write a consistent backup of the database to ``out``."""
    url = make_url(database_url)
    out.parent.mkdir(parents=True, exist_ok=True)
    if _is_sqlite(url):
        source = _sqlite_path(url)
        if not source.exists():
            raise BackupError(f"no database file at {source}")
        with closing(sqlite3.connect(source)) as live, closing(sqlite3.connect(out)) as copy:
            live.backup(copy)
        return
    target, env = _libpq(url)
    _run([_program("pg_dump"), "--format=custom", f"--file={out}", f"--dbname={target}"], env)


def restore(backup_file: Path, database_url: str) -> None:
    """Restore ``backup_file`` into a database that does not exist yet or is empty."""
    if not backup_file.exists():
        raise BackupError(f"no backup file at {backup_file}")
    url = make_url(database_url)
    if _is_sqlite(url):
        target = _sqlite_path(url)
        if target.exists() and target.stat().st_size > 0:
            raise BackupError(f"{target} exists; restore into a new file")
        with (
            closing(sqlite3.connect(backup_file)) as saved,
            closing(sqlite3.connect(target)) as fresh,
        ):
            saved.backup(fresh)
        return
    _create_if_missing(url)
    if _tables(url):
        raise BackupError(f"database {url.database} is not empty; restore into a fresh one")
    target, env = _libpq(url)
    _run(
        [
            _program("pg_restore"),
            "--single-transaction",
            "--exit-on-error",
            "--no-owner",
            f"--dbname={target}",
            str(backup_file),
        ],
        env,
    )


def _maintenance(url: URL) -> URL:
    return url.set(database="postgres")


def _create_if_missing(url: URL) -> None:
    engine = create_engine(_maintenance(url), isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as connection:
            exists = connection.scalar(
                text("SELECT 1 FROM pg_database WHERE datname = :name"), {"name": url.database}
            )
            if not exists:
                connection.execute(text(f'CREATE DATABASE "{url.database}"'))
    finally:
        engine.dispose()


def _drop(url: URL) -> None:
    engine = create_engine(_maintenance(url), isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{url.database}" WITH (FORCE)'))
    finally:
        engine.dispose()


# --- fingerprints ---------------------------------------------------------------------------


def _tables(url: URL) -> list[str]:
    engine = create_engine(url)
    try:
        names = inspect(engine).get_table_names()
    finally:
        engine.dispose()
    return sorted(name for name in names if not name.startswith("sqlite_"))


def fingerprints(database_url: str) -> dict[str, Fingerprint]:
    """Row count and checksum of every table of the database."""
    url = make_url(database_url)
    return _sqlite_fingerprints(url) if _is_sqlite(url) else _postgres_fingerprints(url)


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _postgres_fingerprints(url: URL) -> dict[str, Fingerprint]:
    engine = create_engine(url)
    try:
        inspector = inspect(engine)
        found = {}
        with engine.connect() as connection:
            for statement in STABLE_SESSION:
                connection.execute(text(statement))
            for table in sorted(inspector.get_table_names()):
                keys = inspector.get_pk_constraint(table)["constrained_columns"]
                order = ", ".join(f"t.{_quote(key)}" for key in keys) or "t::text"
                # md5 per row, then md5 of those in key order: memory stays at 32 bytes a row.
                rows, checksum = connection.execute(
                    text(
                        f"SELECT count(*), coalesce(md5(string_agg(md5(t::text), '' "
                        f"ORDER BY {order})), '') FROM {_quote(table)} AS t"
                    )
                ).one()
                found[table] = Fingerprint(rows=int(rows), checksum=str(checksum))
    finally:
        engine.dispose()
    return found


def _sqlite_fingerprints(url: URL) -> dict[str, Fingerprint]:
    path = _sqlite_path(url)
    if not path.exists():
        raise BackupError(f"no database file at {path}")
    found = {}
    with closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True)) as connection:
        tables = [
            row[0]
            for row in connection.execute(
                "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
                " ORDER BY name"
            )
        ]
        for table in tables:
            info = connection.execute(f"PRAGMA table_info({_quote(table)})").fetchall()
            keys = [row[1] for row in sorted(info, key=lambda row: row[5]) if row[5] > 0]
            order = ", ".join(_quote(key) for key in keys) or "rowid"
            total = hashlib.md5(usedforsecurity=False)
            rows = 0
            for row in connection.execute(f"SELECT * FROM {_quote(table)} ORDER BY {order}"):
                total.update(hashlib.md5(repr(row).encode(), usedforsecurity=False).digest())
                rows += 1
            found[table] = Fingerprint(rows=rows, checksum=total.hexdigest() if rows else "")
    return found


def differences(source: dict[str, Fingerprint], restored: dict[str, Fingerprint]) -> dict[str, str]:
    """What differs, per table, in words (empty when the copy is faithful)."""
    found = {}
    for table in sorted(set(source) | set(restored)):
        if table not in restored:
            found[table] = "missing from the restore"
        elif table not in source:
            found[table] = "only in the restore"
        elif source[table].rows != restored[table].rows:
            found[table] = f"{source[table].rows} rows, restored {restored[table].rows}"
        elif source[table].checksum != restored[table].checksum:
            found[table] = "same row count, different contents"
    return found


# --- verify ---------------------------------------------------------------------------------


@contextmanager
def _scratch(source: URL, scratch_url: str | None, work: Path) -> Iterator[str]:
    """A database URL nobody uses, dropped afterwards."""
    if _is_sqlite(source):
        yield f"sqlite:///{work / 'restored.db'}"
        return
    base = make_url(scratch_url) if scratch_url else source
    url = base.set(database=f"{source.database}_verify_{uuid.uuid4().hex[:8]}")
    try:
        yield url.render_as_string(hide_password=False)
    finally:
        _drop(url)


def verify(
    database_url: str, *, backup_file: Path | None = None, scratch_url: str | None = None
) -> dict[str, str]:
    """Restore a backup into a scratch database and compare it with the source, table by table.

    Prints the comparison; returns the differences (empty when the restore is faithful).
    """
    source = make_url(database_url)
    with tempfile.TemporaryDirectory(prefix="servematch-verify-") as work_dir:
        work = Path(work_dir)
        if backup_file is None:
            backup_file = work / "backup.dump"
            backup(database_url, backup_file)
        with _scratch(source, scratch_url, work) as scratch:
            restore(backup_file, scratch)
            restored = fingerprints(scratch)
        original = fingerprints(database_url)
    found = differences(original, restored)
    width = max((len(name) for name in original | restored), default=5)
    for table in sorted(set(original) | set(restored)):
        rows = original[table].rows if table in original else 0
        print(f"{table:<{width}}  {rows:>9,} rows  {found.get(table, 'ok')}")
    total = sum(fingerprint.rows for fingerprint in original.values())
    verdict = "FAILED: " + ", ".join(found) if found else "restore verified"
    print(f"{verdict} ({len(original)} tables, {total:,} rows)")
    return found


def main(argv: Sequence[str] | None = None) -> int:
    """The command line; exit status 0 on success, 1 on a difference or an error."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)
    backing = commands.add_parser("backup", help="write a backup file")
    backing.add_argument("--database-url", default=DEFAULT_URL)
    backing.add_argument("--out", type=Path, required=True)
    restoring = commands.add_parser("restore", help="restore into a new or empty database")
    restoring.add_argument("--file", type=Path, required=True)
    restoring.add_argument("--database-url", required=True)
    verifying = commands.add_parser("verify", help="restore into scratch and compare")
    verifying.add_argument("--database-url", default=DEFAULT_URL)
    verifying.add_argument("--file", type=Path, help="backup to check (default: take one now)")
    verifying.add_argument("--scratch-url", help="server for the scratch database (PostgreSQL)")
    args = parser.parse_args(argv)
    try:
        if args.command == "backup":
            backup(args.database_url, args.out)
            print(f"backup written to {args.out} ({args.out.stat().st_size:,} bytes)")
        elif args.command == "restore":
            restore(args.file, args.database_url)
            print(f"restored {args.file} into {make_url(args.database_url).database}")
        else:
            found = verify(args.database_url, backup_file=args.file, scratch_url=args.scratch_url)
            return 1 if found else 0
    except BackupError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
