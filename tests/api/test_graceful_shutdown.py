"""Graceful shutdown: on SIGTERM, `servematch serve` finishes what it started, then exits.

A real ``servematch serve`` process on a loopback port. Another connection holds a table lock,
so a need create blocks inside its transaction; the server gets SIGTERM while the request is
stuck, and only then is the lock released. PostgreSQL only: it is how we can see, in
``pg_stat_activity``, that the request really is waiting inside the database.
"""

import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx2 as httpx
import pytest
from sqlalchemy import Connection, Engine, create_engine, text

from tests.factories import Network, auth

BOUND_S = 60
"""Generous upper bound for anything to happen; never a timing assertion, only a hang guard."""


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _servematch() -> str:
    found = shutil.which("servematch", path=str(Path(sys.executable).parent))
    assert found, "servematch is not installed in this environment"
    return found


@pytest.fixture
def server(database_url: str, tmp_path: Path) -> Iterator[tuple[subprocess.Popen[bytes], str]]:
    port = _free_port()
    log = (tmp_path / "server.log").open("wb")
    process = subprocess.Popen(
        [_servematch(), "serve", "--port", str(port), "--shutdown-timeout-s", str(BOUND_S)],
        env=dict(os.environ, SERVEMATCH_DATABASE_URL=database_url),
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    base_url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + BOUND_S
    while True:
        assert process.poll() is None, (tmp_path / "server.log").read_text()
        assert time.monotonic() < deadline, "server did not start"
        try:
            if httpx.get(f"{base_url}/healthz", timeout=5).status_code == 200:
                break
        except httpx.TransportError:
            time.sleep(0.1)
    yield process, base_url
    if process.poll() is None:
        process.kill()
        process.wait()
    log.close()


def _blocked_on(engine: Engine, holder: Connection) -> int:
    """How many backends wait for a lock the holder has."""
    holder_pid = holder.scalar(text("SELECT pg_backend_pid()"))
    with engine.connect() as connection:
        return int(
            connection.scalar(
                text(
                    "SELECT count(*) FROM pg_stat_activity WHERE :pid = ANY(pg_blocking_pids(pid))"
                ),
                {"pid": holder_pid},
            )
            or 0
        )


@pytest.mark.parametrize("database_url", ["postgis"], indirect=True)
def test_sigterm_lets_an_in_flight_write_finish_and_refuses_new_connections(
    database_url: str, network: Network, server: tuple[subprocess.Popen[bytes], str]
) -> None:
    process, base_url = server
    community = network.staffed_community()
    body = network.need_body(community_id=community.id, title="Finished after SIGTERM")
    engine = create_engine(database_url)
    holder = engine.connect()
    answer: list[httpx.Response] = []
    try:
        holder.execute(text("LOCK TABLE needs IN EXCLUSIVE MODE"))  # blocks inserts, not reads
        request = threading.Thread(
            target=lambda: answer.append(
                httpx.post(
                    f"{base_url}/v1/needs",
                    json=body,
                    headers=auth(community.coordinator_key),
                    timeout=BOUND_S,
                )
            )
        )
        request.start()
        deadline = time.monotonic() + BOUND_S
        while _blocked_on(engine, holder) == 0:
            assert time.monotonic() < deadline, "the request never reached the lock"
            time.sleep(0.05)

        process.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + BOUND_S
        while True:  # the listening socket closes soon after the signal
            assert time.monotonic() < deadline, "still accepting connections after SIGTERM"
            try:
                httpx.get(f"{base_url}/healthz", timeout=5)
            except httpx.ConnectError:
                break
            except httpx.TransportError:
                pass  # accepted just before the socket closed, then dropped: try again
            time.sleep(0.05)
        assert process.poll() is None, "the server exited with a request in flight"
    finally:  # release the lock whatever happened, or the database's clean-up would wait on it
        holder.rollback()
        holder.close()
    request.join(timeout=BOUND_S)
    assert process.wait(timeout=BOUND_S) == 0
    engine.dispose()

    assert len(answer) == 1
    assert answer[0].status_code == 201, answer[0].text
    listed = network.client.get("/v1/needs", headers=auth(community.coordinator_key)).json()
    assert [item["title"] for item in listed["items"]] == ["Finished after SIGTERM"]
