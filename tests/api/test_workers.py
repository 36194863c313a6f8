"""`servematch serve --workers N`: a socket per worker, a dead worker replaced, a clean stop."""

import os
import signal
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import httpx2 as httpx
import pytest

from tests.api.test_graceful_shutdown import _free_port, _servematch

BOUND_S = 60.0


def _children(pid: int) -> set[int]:
    """The supervisor's worker processes (not multiprocessing's resource tracker)."""
    found: set[int] = set()
    for task in Path(f"/proc/{pid}/task").iterdir():
        found |= {int(child) for child in (task / "children").read_text().split()}
    return {child for child in found if b"spawn_main" in _cmdline(child)}


def _cmdline(pid: int) -> bytes:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes()
    except FileNotFoundError:
        return b""


def _listening_sockets(port: int) -> int:
    """Listening TCP sockets on ``port`` (state 0A in /proc/net/tcp)."""
    rows = Path("/proc/net/tcp").read_text().splitlines()[1:]
    return sum(
        1 for row in rows if row.split()[1].endswith(f":{port:04X}") and row.split()[3] == "0A"
    )


def _eventually(check, what: str) -> None:
    deadline = time.monotonic() + BOUND_S
    while not check():
        assert time.monotonic() < deadline, what
        time.sleep(0.2)


def _healthy(base_url: str) -> bool:
    try:
        return httpx.get(f"{base_url}/healthz", timeout=5).status_code == 200
    except httpx.TransportError:
        return False


@pytest.fixture
def two_workers(database_url: str, tmp_path: Path) -> Iterator[tuple[subprocess.Popen[bytes], int]]:
    port = _free_port()
    log = (tmp_path / "server.log").open("wb")
    process = subprocess.Popen(
        [_servematch(), "serve", "--port", str(port), "--workers", "2"],
        env=dict(os.environ, SERVEMATCH_DATABASE_URL=database_url),
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    _eventually(lambda: _healthy(f"http://127.0.0.1:{port}") or process.poll() is not None, "start")
    assert process.poll() is None, (tmp_path / "server.log").read_text()
    yield process, port
    if process.poll() is None:  # SIGTERM: the supervisor stops its workers, then itself
        workers = _children(process.pid)
        process.terminate()
        try:
            process.wait(timeout=BOUND_S)
        except subprocess.TimeoutExpired:
            for worker in workers:
                os.kill(worker, signal.SIGKILL)
            process.kill()
            process.wait()
    log.close()


def test_each_worker_listens_on_its_own_socket_and_every_new_connection_is_served(
    two_workers: tuple[subprocess.Popen[bytes], int],
) -> None:
    process, port = two_workers
    _eventually(lambda: len(_children(process.pid)) == 2, "two workers")
    _eventually(lambda: _listening_sockets(port) == 2, "one listening socket per worker")
    for _ in range(40):  # a fresh connection each time: the kernel picks a worker per connection
        with httpx.Client(base_url=f"http://127.0.0.1:{port}") as client:
            assert client.get("/healthz").status_code == 200


def test_a_worker_that_dies_is_replaced_and_sigterm_stops_everything_cleanly(
    two_workers: tuple[subprocess.Popen[bytes], int],
) -> None:
    process, port = two_workers
    _eventually(lambda: len(_children(process.pid)) == 2, "two workers")
    victim = min(_children(process.pid))
    os.kill(victim, signal.SIGKILL)
    _eventually(
        lambda: len(_children(process.pid) - {victim}) == 2 and _listening_sockets(port) == 2,
        "a replacement worker",
    )
    _eventually(lambda: _healthy(f"http://127.0.0.1:{port}"), "serving again")
    process.send_signal(signal.SIGTERM)
    assert process.wait(timeout=BOUND_S) == 0
    assert _listening_sockets(port) == 0


def test_a_port_already_taken_stops_the_supervisor_with_an_error(
    database_url: str, backend: str
) -> None:
    if backend != "sqlite":
        pytest.skip("about the process, not the storage")
    import socket

    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        finished = subprocess.run(
            [_servematch(), "serve", "--port", str(port), "--workers", "2"],
            env=dict(os.environ, SERVEMATCH_DATABASE_URL=database_url),
            capture_output=True,
            timeout=BOUND_S,
            check=False,
        )
    assert finished.returncode == 1
    assert b"exited at start-up" in finished.stderr


def test_workers_stop_by_themselves_when_the_supervisor_is_killed(
    two_workers: tuple[subprocess.Popen[bytes], int],
) -> None:
    process, port = two_workers
    _eventually(lambda: len(_children(process.pid)) == 2, "two workers")
    workers = _children(process.pid)
    process.kill()
    process.wait()
    _eventually(lambda: not any(Path(f"/proc/{pid}").exists() for pid in workers), "orphans gone")
    assert _listening_sockets(port) == 0
