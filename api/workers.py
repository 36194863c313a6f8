"""Several server processes on one port, each with its own ``SO_REUSEPORT`` socket.

uvicorn's own ``--workers`` shares one listening socket, and whichever worker wakes first
accepts every connection waiting: a client that opens a few keep-alive connections at once
(a load balancer, a benchmark) often lands them all on one worker while the others idle —
measured here, one worker at 98% CPU and the other at 0%, halving throughput. With one socket
per worker and ``SO_REUSEPORT`` the kernel spreads new connections across the workers.

The supervisor imports no part of the service (it stays small), restarts a worker that dies,
and on SIGTERM or SIGINT passes the signal on and waits for the workers' graceful shutdown.
"""

import multiprocessing
import os
import signal
import socket
import sys
import threading
import time
from multiprocessing.process import BaseProcess
from types import FrameType

import uvicorn

STARTUP_GRACE_S = 10.0
"""A worker that fails (exits with an error) this soon after starting has met a configuration
problem (port taken, bad settings), not a crash: stop rather than restart it forever."""
BACKLOG = 2048


def _listening_socket(host: str, port: int) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    sock.bind((host, port))
    sock.listen(BACKLOG)
    return sock


def _stop_when_orphaned(parent: int) -> None:
    """A worker whose supervisor died (SIGKILL, OOM) stops gracefully instead of lingering."""
    while os.getppid() == parent:
        time.sleep(1.0)
    os.kill(os.getpid(), signal.SIGTERM)


def _work(host: str, port: int, shutdown_timeout_s: int) -> None:
    threading.Thread(target=_stop_when_orphaned, args=(os.getppid(),), daemon=True).start()
    config = uvicorn.Config(
        "api.main:app",
        host=host,
        port=port,
        log_level="info",
        timeout_graceful_shutdown=shutdown_timeout_s,
    )
    uvicorn.Server(config).run(sockets=[_listening_socket(host, port)])


def serve(*, host: str, port: int, workers: int, shutdown_timeout_s: int) -> int:
    """Run ``workers`` server processes until SIGTERM/SIGINT; the exit status to return."""
    context = multiprocessing.get_context("spawn")
    stopping = False

    def start() -> BaseProcess:
        process = context.Process(target=_work, args=(host, port, shutdown_timeout_s))
        process.start()
        return process

    def stop(_signal: int, _frame: FrameType | None) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    print(f"ServeMatch supervisor: {workers} workers on http://{host}:{port}", file=sys.stderr)
    running = {start(): time.monotonic() for _ in range(workers)}
    status = 0
    while not stopping:
        time.sleep(0.2)
        for process, started in list(running.items()):
            if process.is_alive() or stopping:
                continue
            del running[process]
            failed_to_start = (process.exitcode or 0) > 0  # an error, not a signal
            if failed_to_start and time.monotonic() - started < STARTUP_GRACE_S:
                print(f"worker exited at start-up ({process.exitcode}): stopping", file=sys.stderr)
                stopping, status = True, 1
                break
            print(f"worker died ({process.exitcode}): starting another", file=sys.stderr)
            running[start()] = time.monotonic()
    return _shut_down(list(running), shutdown_timeout_s, status)


def _shut_down(processes: list[BaseProcess], shutdown_timeout_s: int, status: int) -> int:
    """SIGTERM every worker (each finishes its in-flight requests), then wait; kill stragglers."""
    for process in processes:
        if process.is_alive():
            process.terminate()
    deadline = time.monotonic() + shutdown_timeout_s + 5
    for process in processes:
        process.join(timeout=max(0.0, deadline - time.monotonic()))
        if process.is_alive():
            process.kill()
            process.join()
            status = 1
    return status
