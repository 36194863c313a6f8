"""The backup/restore drill on a generated network, on both backends.

One small network per backend (``python -m scripts generate --members 500 --needs 50``), backed up
with the operator's script, restored into a fresh database and compared table by table.
"""

import subprocess
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from scripts.backup_restore import fingerprints, main
from scripts.cli import command
from tests.conftest import POSTGRES_ADMIN_URL, REQUIRE_POSTGIS


def _admin(statement: str) -> None:
    engine = create_engine(POSTGRES_ADMIN_URL, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as connection:
            connection.execute(text(statement))
    finally:
        engine.dispose()


def _fresh_url(backend: str, directory: Path, name: str) -> str:
    if backend == "sqlite":
        return f"sqlite:///{directory / f'{name}.db'}"
    database = f"servematch_{name}_{uuid.uuid4().hex[:8]}"
    return make_url(POSTGRES_ADMIN_URL).set(database=database).render_as_string(False)


def _drop(url: str) -> None:
    if not url.startswith("sqlite"):
        _admin(f'DROP DATABASE IF EXISTS "{make_url(url).database}" WITH (FORCE)')


@pytest.fixture(scope="module", params=["sqlite", "postgis"])
def source(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[str, str]]:
    """(backend, url) of a generated network that the tests only read."""
    backend = str(request.param)
    directory = tmp_path_factory.mktemp(f"backup-{backend}")
    url = _fresh_url(backend, directory, "source")
    if backend == "postgis":
        try:
            _admin(f'CREATE DATABASE "{make_url(url).database}"')
        except Exception as error:
            if REQUIRE_POSTGIS:
                pytest.fail(f"REQUIRE_POSTGIS=1 but PostgreSQL is unreachable: {error}")
            pytest.skip(f"PostgreSQL unreachable: {error}")
    try:
        keys = str(directory / "keys.json")
        generate, env = command(
            "generate",
            "--members",
            "500",
            "--needs",
            "50",
            "--database-url",
            url,
            "--keys-out",
            keys,
        )
        subprocess.run(generate, env=env, check=True, capture_output=True)
        yield backend, url
    finally:
        _drop(url)


@pytest.fixture
def targets() -> Iterator[list[str]]:
    """Fresh database URLs to restore into (dropped afterwards)."""
    made: list[str] = []
    yield made
    for url in made:
        _drop(url)


def _target(source: tuple[str, str], tmp_path: Path, made: list[str]) -> str:
    url = _fresh_url(source[0], tmp_path, "restored")
    made.append(url)
    return url


def test_a_restored_backup_holds_every_row_of_the_source(
    source: tuple[str, str], tmp_path: Path, targets: list[str]
) -> None:
    _backend, url = source
    dump = tmp_path / "servematch.backup"
    assert main(["backup", "--database-url", url, "--out", str(dump)]) == 0
    restored = _target(source, tmp_path, targets)
    assert main(["restore", "--file", str(dump), "--database-url", restored]) == 0

    original = fingerprints(url)
    assert original["members"].rows == 500
    assert original["needs"].rows == 50
    assert fingerprints(restored) == original


def test_verify_passes_on_a_faithful_backup(
    source: tuple[str, str], capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["verify", "--database-url", source[1]]) == 0
    report = capsys.readouterr().out
    assert "restore verified" in report
    assert "members" in report and "500 rows" in report


def test_verify_names_the_table_that_differs_from_the_backup(
    source: tuple[str, str], tmp_path: Path, targets: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    dump = tmp_path / "servematch.backup"
    assert main(["backup", "--database-url", source[1], "--out", str(dump)]) == 0
    copy = _target(source, tmp_path, targets)
    assert main(["restore", "--file", str(dump), "--database-url", copy]) == 0
    engine = create_engine(copy)
    with engine.begin() as connection:  # a change made after the backup was taken
        connection.execute(
            text("UPDATE needs SET title = 'changed' WHERE id = (SELECT min(id) FROM needs)")
        )
    engine.dispose()

    assert main(["verify", "--database-url", copy, "--file", str(dump)]) == 1
    report = capsys.readouterr().out
    assert "FAILED: needs" in report
    assert "same row count, different contents" in report


def test_restore_refuses_a_database_that_already_holds_data(
    source: tuple[str, str], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    dump = tmp_path / "servematch.backup"
    assert main(["backup", "--database-url", source[1], "--out", str(dump)]) == 0
    assert main(["restore", "--file", str(dump), "--database-url", source[1]]) == 1
    assert "restore into a" in capsys.readouterr().err
    assert fingerprints(source[1])["members"].rows == 500
