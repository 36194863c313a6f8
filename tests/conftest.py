"""Shared fixtures: every storage test runs on both backends, through the real ASGI app.

SQLite: a fresh database file per test, copied from a migrated template.
PostGIS: one throwaway database per run on the machine's PostgreSQL (``CREATE EXTENSION
postgis``, migrated with Alembic), truncated after each test. Without PostGIS the PostGIS half
is skipped, unless ``REQUIRE_POSTGIS=1`` makes that a failure (CI sets it).
"""

import os
import shutil
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
import uvicorn
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from api.app import create_app
from api.auth.credentials import issue_key
from api.db.migrate import upgrade
from api.db.models import Base
from api.settings import Settings
from tests.factories import Network
from tests.figures import FIGURES
from tests.privacy_scan import PrivacyScanner

pytest_plugins = ["tests.fake_geocoders"]

POSTGRES_ADMIN_URL = os.environ.get(
    "SERVEMATCH_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)
REQUIRE_POSTGIS = os.environ.get("REQUIRE_POSTGIS") == "1"
BACKENDS = ("sqlite", "postgis")


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("template") / "servematch.db"
    upgrade(f"sqlite:///{path}")
    return path


@pytest.fixture(scope="session")
def postgis_url() -> Iterator[str]:
    name = f"servematch_test_{uuid.uuid4().hex[:12]}"
    admin = create_engine(POSTGRES_ADMIN_URL, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{name}"'))
    except Exception as error:
        admin.dispose()
        _unavailable(f"PostgreSQL unreachable at {POSTGRES_ADMIN_URL}: {error}")
    url = make_url(POSTGRES_ADMIN_URL).set(database=name).render_as_string(hide_password=False)
    try:
        probe = create_engine(url, isolation_level="AUTOCOMMIT")
        try:
            with probe.connect() as connection:
                connection.execute(text("CREATE EXTENSION IF NOT EXISTS postgis"))
        except Exception as error:
            _unavailable(f"PostGIS extension unavailable: {error}")
        finally:
            probe.dispose()
        upgrade(url)
        yield url
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def _unavailable(reason: str) -> None:
    if REQUIRE_POSTGIS:
        pytest.fail(f"REQUIRE_POSTGIS=1 but {reason}")
    pytest.skip(reason)


def _truncate(url: str) -> None:
    engine = create_engine(url)
    tables = ", ".join(table.name for table in Base.metadata.sorted_tables)
    with engine.begin() as connection:
        connection.execute(text(f"TRUNCATE {tables} CASCADE"))
    engine.dispose()


@pytest.fixture(params=BACKENDS)
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A migrated, empty database on each backend in turn."""
    if request.param == "sqlite":
        path = tmp_path / "servematch.db"
        shutil.copy(request.getfixturevalue("sqlite_template"), path)
        yield f"sqlite:///{path}"
        return
    url = request.getfixturevalue("postgis_url")
    yield url
    _truncate(url)


@pytest.fixture
def backend(database_url: str) -> str:
    return make_url(database_url).get_backend_name()


@pytest.fixture
def app(database_url: str) -> Iterator[FastAPI]:
    # The suite makes many calls with one key; tests of the limits build apps with low ones.
    unlimited = {"rate_limit_per_minute": 0, "rate_limit_anonymous_per_minute": 0}
    app = create_app(Settings(database_url=database_url, **unlimited))
    yield app
    app.state.engine.dispose()


SCANNED = "privacy scan: JSON answers to non-admin callers checked for exact places"


@pytest.fixture
def client(app: FastAPI) -> Iterator[TestClient]:
    """The app over HTTP; every JSON answer it gives is checked for leaked places."""
    scanner = PrivacyScanner(app.state.engine, cell_km=app.state.settings.location_coarsening_km)
    with TestClient(app, raise_server_exceptions=False) as client:
        client.event_hooks["response"].append(scanner)
        yield client
    FIGURES[SCANNED] += scanner.scanned


def pytest_sessionfinish(session: pytest.Session) -> None:
    workeroutput = getattr(session.config, "workeroutput", None)
    if workeroutput is not None:  # an xdist worker: hand the figures to the controller
        workeroutput["figures"] = dict(FIGURES)


@pytest.hookimpl(optionalhook=True)
def pytest_testnodedown(node: object, error: object) -> None:
    """xdist: a worker finished; add its figures to the run's."""
    FIGURES.update(getattr(node, "workeroutput", {}).get("figures", {}))


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    for figure, count in sorted(FIGURES.items()):
        if count:
            terminalreporter.write_line(f"{figure}: {count}")


@pytest.fixture
def admin_key(app: FastAPI) -> str:
    with app.state.sessionmaker.begin() as session:
        return issue_key(session, role="admin", principal_id=None, name="test admin")


@pytest.fixture
def network(client: TestClient, admin_key: str) -> Network:
    return Network(client, admin_key)


@contextmanager
def serving(app: FastAPI, *, lifespan: str = "off") -> Iterator[str]:
    """Serve ``app`` with uvicorn on a free loopback port in a background thread; its URL."""
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=0, log_level="warning", lifespan=lifespan)
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        assert time.monotonic() < deadline, "server did not start"
        time.sleep(0.01)
    port = server.servers[0].sockets[0].getsockname()[1]
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)


@pytest.fixture
def live_server(app: FastAPI) -> Iterator[str]:
    """The app served by uvicorn on a free loopback port, in a background thread."""
    with serving(app) as url:
        yield url
