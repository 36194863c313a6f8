"""HTTP end to end: ``servematch serve`` on a loopback port, driven by wrk in its own process.

wrk is the load generator because it is C: on a two-core machine a Python client would take
a core from the server it is measuring. It only ever connects to 127.0.0.1, and every run is
bounded twice, by a request budget (the Lua script stops wrk when it is spent) and by wrk's
own time limit. wrk runs one connection per thread, so its Lua script can time each request
and know which endpoint answered: that gives the per-endpoint figures of the realistic mixed
load (``mix.py``) and the status classes of every run. The server's memory is the sum of VmRSS
over its process group (the uvicorn supervisor and its workers), sampled while the load runs;
the peak is reported.
"""

from __future__ import annotations

import json
import math
import os
import shutil
import signal
import socket
import subprocess
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import Any

from api.settings import RATE_LIMIT_MAX

from . import mix
from .datasets import Dataset, MemberQuery, NeedQuery, servematch_command
from .results import Result

LUA_SCRIPT = Path(__file__).with_name("wrk.lua")
HOST = "127.0.0.1"
RESULT_PREFIX = "BENCH_RESULT "
ERROR_SHARE_LIMIT = 0.01
SIGNUP_MEMBERS_ASKED = 200
SERVER_READY_TIMEOUT_S = 900
"""Start-up, with each worker's member snapshot: about 90 s per million members."""
READY_CHECKS_PER_WORKER = 10
"""Health checks in a row that must say "ready" per worker (each lands on any worker)."""
"""Members asked for suggestions, at most, to find the mixed load's sign-ups."""
"""Above this share of failed requests a figure measures errors, not the service."""


@dataclass(frozen=True)
class LoadPlan:
    """How hard and how long to drive the server."""

    workers: int
    connections: int  # per-operation runs: latency with a few clients at once
    mixed_connections: int  # the mixed run: sustained throughput (one wrk thread each)
    duration_s: int
    mixed_duration_s: int
    max_requests: int
    warmup_s: int


@dataclass(frozen=True)
class WrkRun:
    """What wrk reported for one run."""

    requests: int
    duration_s: float
    p50_ms: float
    p95_ms: float
    p99_ms: float
    socket_errors: int  # connect, read and write errors and timeouts
    peak_rss_mb: float
    kinds: mix.WrkKinds

    @property
    def failed(self) -> int:
        """Answers that say the service did not do its job, plus socket errors and timeouts.

        Any non-2xx of a read, a 5xx of anything; a sign-up refused with a 4xx is not one.
        """
        return self.socket_errors + sum(kind.unexpected for kind in self.kinds.kinds.values())

    @property
    def statuses(self) -> dict[str, int]:
        """Answers by status class over every endpoint of the run."""
        total: dict[str, int] = {}
        for kind in self.kinds.kinds.values():
            for status, count in kind.statuses.items():
                total[status] = total.get(status, 0) + count
        return dict(sorted(total.items()))

    @property
    def server_errors(self) -> int:
        """5xx answers."""
        return self.statuses.get("5xx", 0)

    @property
    def requests_per_s(self) -> float:
        """Answers per second over the run."""
        return self.requests / self.duration_s if self.duration_s > 0 else 0.0


def require_wrk() -> str:
    """The wrk executable, or a clear error saying how to get it."""
    found = shutil.which("wrk")
    if found is None:
        raise RuntimeError("wrk is not installed: `make bench` installs it (apt-get install wrk)")
    return found


def free_port() -> int:
    """A loopback port nobody listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind((HOST, 0))
        return int(probe.getsockname()[1])


RATE_LIMIT_FOR_LOAD = RATE_LIMIT_MAX
"""Per-key requests per minute (and burst) the bench server allows: the most settings take,
far above what two cores can serve (about 17,000 a second)."""


class Server:
    """``servematch serve`` in its own process group, so it can be stopped as a whole."""

    def __init__(self, database_url: str, *, workers: int, log_path: Path) -> None:
        self.database_url = database_url
        self.workers = workers
        self.log_path = log_path
        self.port = free_port()
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def base_url(self) -> str:
        """Where the server listens."""
        return f"http://{HOST}:{self.port}"

    def __enter__(self) -> Server:
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        with self.log_path.open("wb") as log:
            self.process = subprocess.Popen(
                [
                    servematch_command(),
                    "serve",
                    "--host",
                    HOST,
                    "--port",
                    str(self.port),
                    "--workers",
                    str(self.workers),
                ],
                env=dict(
                    os.environ,
                    SERVEMATCH_DATABASE_URL=self.database_url,
                    # A handful of sampled keys stand in for thousands of users: keep the
                    # limiter running (its cost is part of every request) but never refusing.
                    SERVEMATCH_RATE_LIMIT_PER_MINUTE=str(RATE_LIMIT_FOR_LOAD),
                    SERVEMATCH_RATE_LIMIT_BURST=str(RATE_LIMIT_FOR_LOAD),
                ),
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        try:
            self._wait_until_ready(timeout_s=SERVER_READY_TIMEOUT_S)
        except BaseException:
            self.stop()
            raise
        return self

    def __exit__(
        self,
        _type: type[BaseException] | None,
        _error: BaseException | None,
        _traceback: TracebackType | None,
    ) -> None:
        self.stop()

    def _wait_until_ready(self, *, timeout_s: float) -> None:
        """Until /healthz answers 200, every worker has logged its start-up and built its
        member snapshot (what a load balancer would wait for before sending traffic)."""
        deadline = time.monotonic() + timeout_s
        ready_in_a_row = 0  # health checks land on any worker: ask until all must have said so
        while time.monotonic() < deadline:
            assert self.process is not None
            if self.process.poll() is not None:
                raise RuntimeError(f"server exited early; its log:\n{self._log_tail()}")
            started = self.log_path.read_text(errors="replace").count(
                "Application startup complete"
            )
            health = _health(f"{self.base_url}/healthz") if started >= self.workers else None
            snapshot = None if health is None else health.get("member_snapshot")
            ready_in_a_row = ready_in_a_row + 1 if snapshot in {"ready", "off"} else 0
            if ready_in_a_row >= READY_CHECKS_PER_WORKER * self.workers:
                return
            time.sleep(0.2 if ready_in_a_row == 0 else 0.01)
        raise RuntimeError(f"server not ready after {timeout_s} s; its log:\n{self._log_tail()}")

    def _log_tail(self) -> str:
        return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-30:])

    def rss_mb(self) -> float:
        """Resident memory of the supervisor and all its workers, in MB."""
        if self.process is None:
            return 0.0
        return sum(_rss_kb(pid) for pid in _process_group(self.process.pid)) / 1024.0

    def stop(self) -> None:
        """SIGTERM the server's process group, then SIGKILL it if it lingers."""
        if self.process is None or self.process.poll() is not None:
            return
        group = self.process.pid  # start_new_session made the server its group's leader
        os.killpg(group, signal.SIGTERM)
        try:
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(group, signal.SIGKILL)
            self.process.wait(timeout=10)


@dataclass(frozen=True)
class WideNeeds:
    """Agency and network-wide needs the admin asks candidates for, ranked by density.

    ``densest`` and ``median`` are measured alone as well as within the mix; ``density`` is
    how many members live around each (``dense.wide_needs_by_density``).
    """

    densest: str
    median: str
    sampled: tuple[str, ...]  # the admin's share of the mix
    density: dict[str, int]
    admin_key: str


def measure_http(
    dataset: Dataset,
    needs: Sequence[NeedQuery],
    members: Sequence[MemberQuery],
    plan: LoadPlan,
    *,
    wide: WideNeeds | None,
    work_dir: Path,
    log: Any = print,
) -> Iterator[Result]:
    """Candidates, suggestions, the densest and a median need, and the realistic mixed load
    over HTTP, with the server's RSS.

    Yields each figure as soon as its run ends; the server stops when the generator does.
    """
    candidates = [mix.candidates_request(query.need_id, query.key) for query in needs]
    suggestions = [mix.suggestions_request(query) for query in members]
    work_dir.mkdir(parents=True, exist_ok=True)
    with Server(
        dataset.url, workers=plan.workers, log_path=work_dir / f"{dataset.name}-server.log"
    ) as server:
        idle_rss_mb = server.rss_mb()
        by_density: list[tuple[str, str]] = []
        if wide is not None:
            by_density = [("densest", wide.densest), ("median", wide.median)]
        dense = {
            part: mix.candidates_request(need_id, wide.admin_key, kind="candidates_admin")
            for part, need_id in by_density
            if wide is not None
        }
        _check_answers(server.base_url, [*candidates[:3], *suggestions[:3], *dense.values()])
        # Members beyond the sampled ones (the keys file has up to 1,000) until each
        # connection has its own two: few members have a suggestion on a small network.
        keyed = [(query.member_id, query.key) for query in members]
        keyed += [
            (member["id"], member["key"])
            for member in dataset.keys["members"][:SIGNUP_MEMBERS_ASKED]
            if member["id"] not in {query.member_id for query in members}
        ]
        signups = mix.choose_signups(server.base_url, keyed, wanted=2 * plan.mixed_connections)
        mixed = mix.mixed_requests(
            needs,
            wide.sampled if wide is not None else (),
            members,
            signups,
            admin_key=wide.admin_key if wide is not None else "",
        )
        mixed_plan = mix.plan_lines(mix.MIX, mixed)
        log(
            f"{dataset.name}: server up on {server.base_url}, {idle_rss_mb:.0f} MB idle;"
            f" {len(signups)} members with a suggested need to sign up for; warming up"
        )
        warmup = run_wrk(
            server,
            mixed_plan,
            work_dir=work_dir,
            connections=plan.mixed_connections,
            duration_s=plan.warmup_s,
            max_requests=plan.max_requests,
        )
        mix.release(server.base_url, warmup.kinds.held, signups)
        runs = [
            ("candidates", "", mix.single("candidates", candidates), plan.connections),
            ("suggestions", "", mix.single("suggestions", suggestions), plan.connections),
            *(
                ("candidates", part, mix.single("candidates_admin", [request]), plan.connections)
                for part, request in dense.items()
            ),
            ("mixed", "", mixed_plan, plan.mixed_connections),
        ]
        for query, part, lines, connections in runs:
            is_mixed = query == "mixed"
            run = run_wrk(
                server,
                lines,
                work_dir=work_dir,
                connections=connections,
                duration_s=plan.mixed_duration_s if is_mixed else plan.duration_s,
                max_requests=plan.max_requests,
            )
            # Places a run left taken are given back, so every run starts from the same data.
            mix.release(server.base_url, run.kinds.held, signups)
            note = (
                f"{connections} connections, {plan.workers} workers; idle RSS {idle_rss_mb:.0f} MB"
            )
            if part and wide is not None:
                need_id = dict(by_density)[part]
                note = (
                    f"the {part} of {len(wide.density):,} agency/network needs sampled:"
                    f" {wide.density[need_id]:,} members around it; asked by the admin,"
                    f" limit {mix.CANDIDATES_LIMIT}; {note}"
                )
            if is_mixed:
                note = f"realistic mix (see below); {_statuses(run.statuses)}; {note}"
            note = _flagged(note, run, f"{dataset.name} {query} {part}".strip(), log)
            log(
                f"{dataset.name} {query}/http{' ' + part if part else ''}:"
                f" p50 {run.p50_ms:.1f} ms, p95 {run.p95_ms:.1f} ms,"
                f" {run.requests_per_s:.0f} req/s, peak RSS {run.peak_rss_mb:.0f} MB"
            )
            yield Result(
                dataset=dataset.name,
                backend=dataset.spec.backend,
                query=query,
                layer="http",
                p50_ms=run.p50_ms,
                p95_ms=run.p95_ms,
                requests_per_s=run.requests_per_s,
                samples=run.requests,
                rss_mb=run.peak_rss_mb,
                note=note,
                part=part,
                statuses=run.statuses,
            )
            if is_mixed:
                yield from _per_endpoint(dataset, run)


def _per_endpoint(dataset: Dataset, run: WrkRun) -> Iterator[Result]:
    """One row per endpoint of the mixed run, timed by wrk.lua request by request."""
    shares = {share.kind: share for share in mix.MIX}
    total = max(sum(kind.requests for kind in run.kinds.kinds.values()), 1)
    for name in mix.REPORTED_KINDS:
        kind = run.kinds.kinds.get(name)
        if kind is None or not kind.requests:
            continue
        share = shares.get(name) or shares["write"]
        yield Result(
            dataset=dataset.name,
            backend=dataset.spec.backend,
            query="mixed",
            layer="http",
            p50_ms=kind.p50_ms,
            p95_ms=kind.p95_ms,
            requests_per_s=kind.requests / run.duration_s if run.duration_s > 0 else 0.0,
            samples=kind.requests,
            note=(
                f"{kind.requests / total:.0%} of requests (planned {share.percent} %"
                f"{' for sign-ups and withdrawals together' if share.kind == 'write' else ''});"
                f" {_statuses(kind.statuses)}"
            ),
            part=name,
            statuses=dict(sorted(kind.statuses.items())),
        )


def _statuses(statuses: dict[str, int]) -> str:
    return ", ".join(f"{status} {count:,}" for status, count in sorted(statuses.items()))


def _flagged(note: str, run: WrkRun, label: str, log: Any) -> str:
    """The note, marked INVALID when the run measured failures rather than the service.

    Any 5xx invalidates a run (the service failed); so does a share of other failures (a
    read answered 4xx, a socket error) above ``ERROR_SHARE_LIMIT``.
    """
    if run.server_errors:
        log(f"[red]{label}: {run.server_errors} answers 5xx[/red]")
        return f"INVALID: {run.server_errors} answers 5xx; {note}"
    if run.failed:
        share = run.failed / max(run.requests, 1)
        flag = "INVALID: " if share > ERROR_SHARE_LIMIT else ""
        log(f"[red]{label}: {run.failed} failed requests[/red]")
        return f"{flag}{run.failed} failed requests ({share:.1%}); {note}"
    return note


def run_wrk(
    server: Server,
    plan_lines: Sequence[str],
    *,
    work_dir: Path,
    connections: int,
    duration_s: int,
    max_requests: int,
) -> WrkRun:
    """One wrk run over a plan (``mix.plan_lines``), one thread per connection, within both
    bounds."""
    plan_file = work_dir / "wrk-plan.txt"
    # It holds API keys: readable by this user only, like the generator's keys file.
    plan_file.unlink(missing_ok=True)
    plan_file.touch(mode=0o600)
    plan_file.write_text("".join(f"{line}\n" for line in plan_lines))
    answers = work_dir / "wrk-answers"
    for stale in work_dir.glob(f"{answers.name}.*"):
        stale.unlink()
    threads = max(1, connections)
    command = [
        require_wrk(),
        f"-t{threads}",
        f"-c{connections}",
        f"-d{duration_s}s",
        "--timeout",
        "10s",
        "-s",
        str(LUA_SCRIPT),
        server.base_url,
        "--",
        str(plan_file),
        str(math.ceil(max_requests / threads)),
        str(answers),
        str(threads),
    ]
    peak = _PeakRss(server)
    with peak:
        finished = subprocess.run(
            command, capture_output=True, text=True, timeout=duration_s + 60, check=False
        )
    lines = [line for line in finished.stdout.splitlines() if line.startswith(RESULT_PREFIX)]
    if finished.returncode != 0 or not lines:
        raise RuntimeError(
            f"wrk failed ({finished.returncode}): {finished.stderr or finished.stdout}"
        )
    return parse_wrk(
        lines[-1],
        kinds=mix.read_kinds(sorted(work_dir.glob(f"{answers.name}.*"))),
        peak_rss_mb=peak.peak_mb,
    )


def parse_wrk(line: str, *, kinds: mix.WrkKinds, peak_rss_mb: float) -> WrkRun:
    """A run from wrk.lua's ``BENCH_RESULT`` line and what its threads wrote."""
    figures = json.loads(line[len(RESULT_PREFIX) :])
    return WrkRun(
        requests=int(figures["requests"]),
        duration_s=figures["duration_us"] / 1e6,
        p50_ms=figures["p50_us"] / 1000.0,
        p95_ms=figures["p95_us"] / 1000.0,
        p99_ms=figures["p99_us"] / 1000.0,
        socket_errors=int(
            figures["connect_errors"]
            + figures["read_errors"]
            + figures["write_errors"]
            + figures["timeouts"]
        ),
        peak_rss_mb=peak_rss_mb,
        kinds=kinds,
    )


class _PeakRss:
    """Samples the server's RSS on a thread while a load runs; keeps the highest sum."""

    INTERVAL_S = 0.25

    def __init__(self, server: Server) -> None:
        self.server = server
        self.peak_mb = server.rss_mb()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)

    def __enter__(self) -> _PeakRss:
        self._thread.start()
        return self

    def __exit__(self, *_exception: object) -> None:
        self._stop.set()
        self._thread.join()
        self.peak_mb = max(self.peak_mb, self.server.rss_mb())

    def _sample(self) -> None:
        while not self._stop.wait(self.INTERVAL_S):
            self.peak_mb = max(self.peak_mb, self.server.rss_mb())


def _check_answers(base_url: str, requests: Sequence[mix.Request]) -> None:
    """Fail early if a request the load will repeat does not answer 200 (a bad key, say)."""
    for request in requests:
        path = request.path
        status = _status(f"{base_url}{path}", key=request.key, timeout_s=120)
        if status != 200:
            raise RuntimeError(f"GET {path} answered {status}, not 200: check the dataset's keys")


def _health(url: str) -> dict[str, Any] | None:
    """The health check's answer when it is 200, else None."""
    try:
        with urllib.request.urlopen(url, timeout=2.0) as answer:
            found: dict[str, Any] = json.load(answer)
            return found
    except (urllib.error.URLError, OSError, ValueError):
        return None


def _status(url: str, *, key: str | None = None, timeout_s: float = 2.0) -> int | None:
    headers = {"Authorization": f"Bearer {key}"} if key else {}
    try:
        with urllib.request.urlopen(
            urllib.request.Request(url, headers=headers), timeout=timeout_s
        ) as answer:
            return int(answer.status)
    except urllib.error.HTTPError as error:
        return int(error.code)
    except (urllib.error.URLError, OSError):
        return None


def _process_group(group: int) -> list[int]:
    """Live processes in a process group, from /proc."""
    members = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        # Fields after the parenthesised command name: state, ppid, pgrp, ...
        fields = stat[stat.rindex(")") + 2 :].split()
        if int(fields[2]) == group:
            members.append(int(entry.name))
    return members


def _rss_kb(pid: int) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0
