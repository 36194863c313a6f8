"""Faults: the database goes away and comes back; a request dies half-way; a commit fails.

The outage tests run against a throwaway PostgreSQL 15 cluster of their own (initdb once per
module, in a temporary directory, on a free port), because stopping the machine's shared
server would break everyone else. The interrupted-request tests install saboteurs (triggers)
in the ordinary test databases of both backends; what they prove is what a client sees: an
error status, never a 201, and none of the request's rows stored.
"""

import contextlib
import os
import re
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import Engine, create_engine, func, select, text

from api.app import create_app
from api.auth.credentials import issue_key
from api.db.migrate import upgrade
from api.db.models import Need, NeedRole
from api.settings import Settings
from tests.conftest import REQUIRE_POSTGIS
from tests.factories import Network, auth

PG_BIN = Path(os.environ.get("SERVEMATCH_TEST_PG_BIN", "/usr/lib/postgresql/15/bin"))
UNREACHABLE = {"detail": "database unavailable, retry shortly", "code": "service_unavailable"}
SAMPLE_ID = "00000000-0000-4000-8000-000000000000"


class Cluster:
    """A private PostgreSQL cluster: data and unix socket in a temp dir, TCP on a free port."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.data = root / "data"
        self.port = _free_port()
        self.url = f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/servematch"

    def run(self, *args: str) -> None:
        """Run a PostgreSQL program as the ``postgres`` user (initdb refuses to run as root)."""
        command = [str(PG_BIN / args[0]), *args[1:]]
        if os.geteuid() == 0:
            command = ["runuser", "-u", "postgres", "--", *command]
        subprocess.run(command, check=True, capture_output=True, timeout=120)

    def init(self) -> None:
        """initdb with trust auth and no fsync: this cluster lives for one test module."""
        self.run("initdb", "-D", str(self.data), "-U", "postgres", "-A", "trust", "--no-sync")

    def start(self) -> None:
        """Start and wait until it accepts connections."""
        options = (
            f"-p {self.port} -k {self.root} -c listen_addresses=127.0.0.1 -c fsync=off "
            "-c full_page_writes=off -c max_connections=40"
        )
        log = str(self.root / "server.log")
        self.run("pg_ctl", "-D", str(self.data), "-o", options, "-l", log, "-w", "start")

    def stop(self) -> None:
        """Stop at once, as a crash or a pulled cable would: no goodbye to clients."""
        self.run("pg_ctl", "-D", str(self.data), "-m", "immediate", "-w", "stop")


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture(scope="module")
def cluster() -> Iterator[Cluster]:
    """One migrated cluster per module (initdb is the slow part)."""
    if not (PG_BIN / "initdb").exists():
        reason = f"no initdb in {PG_BIN}"
        if REQUIRE_POSTGIS:
            pytest.fail(f"REQUIRE_POSTGIS=1 but {reason}")
        pytest.skip(reason)
    root = Path(tempfile.mkdtemp(prefix="servematch-faults-"))
    if os.geteuid() == 0:
        shutil.chown(root, "postgres", "postgres")
    cluster = Cluster(root)
    try:
        cluster.init()
        cluster.start()
        admin = create_engine(cluster.url.replace("/servematch", "/postgres"))
        with admin.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            connection.execute(text("CREATE DATABASE servematch"))
        admin.dispose()
        upgrade(cluster.url)
        yield cluster
    finally:
        with contextlib.suppress(subprocess.CalledProcessError):  # a failed test stopped it
            cluster.stop()
        shutil.rmtree(root, ignore_errors=True)


@pytest.fixture
def outage_app(cluster: Cluster) -> Iterator[FastAPI]:
    app = create_app(Settings(database_url=cluster.url))
    yield app
    app.state.engine.dispose()


def _sample_path(path: str) -> str:
    return re.sub(r"\{[^}]+\}", SAMPLE_ID, path)


def _database_routes(app: FastAPI) -> list[tuple[str, str]]:
    """(method, path) of every API operation in the OpenAPI schema but ``/healthz``."""
    return [
        (method.upper(), _sample_path(path))
        for path, operations in app.openapi()["paths"].items()
        if path != "/healthz"
        for method in operations
    ]


def test_database_down_means_503_everywhere_and_the_service_recovers_by_itself(
    cluster: Cluster, outage_app: FastAPI
) -> None:
    with TestClient(outage_app, raise_server_exceptions=False) as client:
        with outage_app.state.sessionmaker.begin() as session:
            admin_key = issue_key(session, role="admin", principal_id=None, name="ops")
        network = Network(client, admin_key)
        community = network.community()
        coordinator = network.coordinator(community["id"])
        assert client.get("/healthz").status_code == 200

        cluster.stop()

        health = client.get("/healthz")
        assert health.status_code == 503
        # The worker's member snapshot is whatever it was: memory, not the database.
        assert health.json() == {
            "status": "degraded",
            "database": "unreachable",
            "backend": "postgresql",
            "member_snapshot": outage_app.state.member_snapshots.state,
        }
        assert health.headers["retry-after"] == "5"
        routes = _database_routes(outage_app)
        assert len(routes) > 10
        for method, path in routes:
            body: dict[str, Any] | None = None if method in ("GET", "DELETE") else {}
            response = client.request(method, path, json=body, headers=auth(admin_key))
            assert (response.status_code, response.json()) == (503, UNREACHABLE), (method, path)
            assert response.headers["retry-after"] == "5"
        refused = client.post(
            "/v1/needs",
            json=network.need_body(community_id=community["id"]),
            headers=auth(coordinator["api_key"]),
        )
        assert refused.status_code == 503

        cluster.start()  # the same app, never restarted

        assert client.get("/healthz").json()["database"] == "ok"
        assert client.get("/v1/me", headers=auth(admin_key)).status_code == 200
        need = network.need(coordinator["api_key"], community_id=community["id"])
        listed = client.get("/v1/needs", headers=auth(coordinator["api_key"])).json()
        assert [item["id"] for item in listed["items"]] == [need["id"]]


# --- interrupted requests, on both backends -----------------------------------------------

SABOTEUR_ROLE = "sabotaged"
FAILS_AT_COMMIT = "Fails at commit"

POSTGRES_SABOTEURS = (
    """CREATE FUNCTION sabotage_role() RETURNS trigger LANGUAGE plpgsql AS $$
       BEGIN RAISE EXCEPTION 'role insert sabotaged by the test'; END $$""",
    f"""CREATE TRIGGER sabotage_role BEFORE INSERT ON need_roles FOR EACH ROW
       WHEN (NEW.name = '{SABOTEUR_ROLE}') EXECUTE FUNCTION sabotage_role()""",
    # Kills its own connection: the need row is in, the role insert never finishes.
    """CREATE FUNCTION kill_own_backend() RETURNS trigger LANGUAGE plpgsql AS $$
       BEGIN PERFORM pg_terminate_backend(pg_backend_pid()); PERFORM pg_sleep(5);
       RETURN NEW; END $$""",
    """CREATE TRIGGER kill_own_backend BEFORE INSERT ON need_roles FOR EACH ROW
       WHEN (NEW.name = 'killed') EXECUTE FUNCTION kill_own_backend()""",
)
SQLITE_SABOTEURS = (
    f"""CREATE TRIGGER sabotage_role BEFORE INSERT ON need_roles
       WHEN NEW.name = '{SABOTEUR_ROLE}' BEGIN SELECT RAISE(ABORT, 'sabotaged'); END""",
)
# A foreign key checked only at COMMIT, pointing at nothing: the transaction looks fine to
# the very end, then COMMIT fails. Works the same on both backends.
COMMIT_BOMB = (
    "CREATE TABLE commit_target (id INTEGER PRIMARY KEY)",
    """CREATE TABLE commit_bomb (target INTEGER
       REFERENCES commit_target (id) DEFERRABLE INITIALLY DEFERRED)""",
)
POSTGRES_COMMIT_BOMB = (
    """CREATE FUNCTION arm_commit_bomb() RETURNS trigger LANGUAGE plpgsql AS $$
       BEGIN INSERT INTO commit_bomb VALUES (1); RETURN NEW; END $$""",
    f"""CREATE TRIGGER arm_commit_bomb AFTER INSERT ON needs FOR EACH ROW
       WHEN (NEW.title = '{FAILS_AT_COMMIT}') EXECUTE FUNCTION arm_commit_bomb()""",
)
SQLITE_COMMIT_BOMB = (
    f"""CREATE TRIGGER arm_commit_bomb AFTER INSERT ON needs
       WHEN NEW.title = '{FAILS_AT_COMMIT}' BEGIN INSERT INTO commit_bomb VALUES (1); END""",
)
CLEAN_UP = (
    "DROP TRIGGER IF EXISTS sabotage_role ON need_roles",
    "DROP TRIGGER IF EXISTS kill_own_backend ON need_roles",
    "DROP TRIGGER IF EXISTS arm_commit_bomb ON needs",
    "DROP FUNCTION IF EXISTS sabotage_role, kill_own_backend, arm_commit_bomb",
    "DROP TABLE IF EXISTS commit_bomb, commit_target",
)


@pytest.fixture
def saboteurs(app: FastAPI, backend: str) -> Iterator[Engine]:
    """Triggers that break a need create at chosen points (the test database is throwaway)."""
    engine: Engine = app.state.engine
    statements = COMMIT_BOMB + (
        SQLITE_SABOTEURS + SQLITE_COMMIT_BOMB
        if backend == "sqlite"
        else POSTGRES_SABOTEURS + POSTGRES_COMMIT_BOMB
    )
    with engine.begin() as connection:
        for statement in statements:
            connection.execute(text(statement))
    yield engine
    if backend != "sqlite":  # the PostGIS database outlives the test; SQLite's file does not
        engine.dispose()
        with engine.begin() as connection:
            for statement in CLEAN_UP:
                connection.execute(text(statement))


def _stored(engine: Engine, title: str) -> tuple[int, int]:
    """How many needs with ``title`` exist, and how many roles they have."""
    with engine.connect() as connection:
        needs = connection.scalar(select(func.count()).where(Need.title == title))
        roles = connection.scalar(
            select(func.count()).select_from(NeedRole).join(Need).where(Need.title == title)
        )
    return int(needs or 0), int(roles or 0)


def test_a_need_whose_role_insert_fails_leaves_nothing_behind(
    client: TestClient, network: Network, saboteurs: Engine
) -> None:
    community = network.staffed_community()
    roles = [{"name": "cook", "count": 1}, {"name": SABOTEUR_ROLE, "count": 1}]
    body = network.need_body(community_id=community.id, title="Half a need", roles=roles)
    response = client.post("/v1/needs", json=body, headers=auth(community.coordinator_key))
    assert response.status_code == 500
    assert response.json() == {"detail": "internal error", "code": "internal_error"}
    assert _stored(saboteurs, "Half a need") == (0, 0)
    listed = client.get("/v1/needs", headers=auth(community.coordinator_key)).json()
    assert listed["items"] == []


def test_a_commit_that_fails_is_never_confirmed_and_stores_nothing(
    client: TestClient, network: Network, saboteurs: Engine
) -> None:
    community = network.staffed_community()
    body = network.need_body(community_id=community.id, title=FAILS_AT_COMMIT)
    response = client.post("/v1/needs", json=body, headers=auth(community.coordinator_key))
    assert response.status_code == 500, response.text
    assert "id" not in response.json()
    assert _stored(saboteurs, FAILS_AT_COMMIT) == (0, 0)
    # The same request without the bomb goes through: the failure was the commit's alone.
    body["title"] = "Meals, committed"
    assert client.post("/v1/needs", json=body, headers=auth(community.coordinator_key)).is_success
    assert _stored(saboteurs, "Meals, committed") == (1, 1)


@pytest.mark.parametrize("database_url", ["postgis"], indirect=True)
def test_a_connection_killed_between_statements_leaves_nothing_and_answers_503(
    client: TestClient, network: Network, saboteurs: Engine
) -> None:
    community = network.staffed_community()
    roles = [{"name": "cook", "count": 1}, {"name": "killed", "count": 1}]
    body = network.need_body(community_id=community.id, title="Cut short", roles=roles)
    response = client.post("/v1/needs", json=body, headers=auth(community.coordinator_key))
    assert (response.status_code, response.json()) == (503, UNREACHABLE)
    assert _stored(saboteurs, "Cut short") == (0, 0)
    # The pool dropped the dead connection; the next request is served normally.
    assert client.get("/v1/me", headers=auth(community.coordinator_key)).status_code == 200
