"""``scripts/soak.py``: generate a network, serve it, load it, check it, write the report.

1. A throwaway PostgreSQL database (its name must contain ``soak``; it is dropped and
   regenerated unless ``--reuse``) filled by ``python -m scripts generate``.
2. ``servematch serve --workers N`` on a loopback port (``scripts.bench.load.Server``).
3. The invariants once before the load (the generated data must already satisfy them).
4. Mixed load from a thread pool in this process, bounded by requests and minutes, while a
   sampler reads the server's RSS (supervisor and workers) every second.
5. The invariants again, with the ledger of what clients were told; ``bench/soak.json`` and
   ``docs/soak.md``. Exit status 1 on any 5xx, transport error or violation.
"""

from __future__ import annotations

import argparse
import json
import platform
import subprocess
import threading
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx2 as httpx
from sqlalchemy import create_engine, text
from sqlalchemy.engine import URL, make_url

from scripts import cli as tooling
from scripts.bench.load import Server

from . import invariants
from .workload import Coordinator, Ledger, Member, run_load

REPOSITORY = Path(__file__).resolve().parents[2]
DEFAULT_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/servematch_soak"
SAMPLE_EVERY_S = 1.0
WARM_SHARE = 0.1
"""RSS is also read once this share of the run is over: caches are warm by then."""


@dataclass
class Memory:
    """The server's resident memory (all processes), sampled while the load runs."""

    start_mb: float = 0.0
    warm_mb: float = 0.0
    end_mb: float = 0.0
    peak_mb: float = 0.0
    samples: list[tuple[float, float]] = field(default_factory=list)


class Sampler(threading.Thread):
    """Reads the server's RSS every second until stopped."""

    def __init__(self, server: Server, *, warm_after_s: float) -> None:
        super().__init__(daemon=True, name="rss-sampler")
        self.server = server
        self.warm_after_s = warm_after_s
        self.memory = Memory()
        self.stopped = threading.Event()

    def run(self) -> None:
        """Sample until ``stop``; the first sample is the start, the last the end."""
        began = time.monotonic()
        while True:
            elapsed = time.monotonic() - began
            rss = self.server.rss_mb()
            memory = self.memory
            if not memory.samples:
                memory.start_mb = rss
            if not memory.warm_mb and elapsed >= self.warm_after_s:
                memory.warm_mb = rss
            memory.peak_mb = max(memory.peak_mb, rss)
            memory.end_mb = rss
            memory.samples.append((round(elapsed, 1), round(rss, 1)))
            if self.stopped.wait(SAMPLE_EVERY_S):
                return

    def stop(self) -> Memory:
        """Take one last sample and return what was measured."""
        self.stopped.set()
        self.join()
        if not self.memory.warm_mb:
            self.memory.warm_mb = self.memory.end_mb
        return self.memory


def prepare(url: URL, *, members: int, needs: int, seed: int, work: Path, reuse: bool) -> Path:
    """A generated network in the soak database; the keys file path."""
    keys = work / "keys.json"
    if reuse and keys.exists():
        return keys
    admin = create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{url.database}" WITH (FORCE)'))
            connection.execute(text(f'CREATE DATABASE "{url.database}"'))
    finally:
        admin.dispose()
    generate, environment = tooling.command(
        *("generate", "--members", str(members), "--needs", str(needs)),
        *("--seed", str(seed), "--database-url", url.render_as_string(hide_password=False)),
        *("--keys-out", str(keys)),
    )
    subprocess.run(generate, env=environment, check=True)
    return keys


def cast(base_url: str, keys_path: Path) -> tuple[list[Member], list[Coordinator]]:
    """Members from the keys file, and coordinators with their communities' open needs."""
    keys = json.loads(keys_path.read_text())
    members = [Member(id=item["id"], key=item["key"]) for item in keys["members"]]
    coordinators = []
    with httpx.Client(base_url=base_url, timeout=60) as client:
        for item in keys["coordinators"][:100]:
            page = client.get(
                "/v1/needs",
                params={"status": "open", "limit": 50},
                headers={"Authorization": f"Bearer {item['key']}"},
            )
            page.raise_for_status()
            own = tuple(
                need["id"]
                for need in page.json()["items"]
                if need["community_id"] in item["community_ids"]
            )
            if own:
                coordinators.append(Coordinator(key=item["key"], need_ids=own))
    if not members or not coordinators:
        raise SystemExit("the generated network has no sampled members or community needs")
    return members, coordinators


def summarise(
    ledger: Ledger,
    before: invariants.Invariants,
    after: invariants.Invariants,
    memory: Memory,
    *,
    settings: dict[str, Any],
    seconds: float,
) -> dict[str, Any]:
    """The figures of a run, as written to ``bench/soak.json``."""
    by_status: Counter[int] = Counter()
    operations: dict[str, dict[str, int]] = {}
    for (operation, status), count in sorted(ledger.statuses.items()):
        by_status[status] += count
        operations.setdefault(operation, {})[str(status)] = count
    server_errors = sum(count for status, count in by_status.items() if status >= 500)
    transport_errors = by_status.get(0, 0)
    violations = dict(after.violations)
    if server_errors:
        violations["server_errors_5xx"] = server_errors
    if transport_errors:
        violations["transport_errors"] = transport_errors
    return {
        "when": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": {"python": platform.python_version(), "platform": platform.platform()},
        "settings": settings,
        "duration_s": round(seconds, 1),
        "requests": ledger.requests,
        "requests_per_s": round(ledger.requests / seconds, 1) if seconds else 0.0,
        "statuses": {str(status): count for status, count in sorted(by_status.items())},
        "operations": operations,
        "sign_ups_confirmed_by_server": len(ledger.confirmed) + len(ledger.withdrawn),
        "withdrawals_confirmed_by_server": len(ledger.withdrawn),
        "withdrawals_unanswered": len(ledger.uncertain),
        "invariants_before": asdict(before),
        "invariants_after": asdict(after),
        "rss_mb": {
            "start": round(memory.start_mb, 1),
            "warm": round(memory.warm_mb, 1),
            "end": round(memory.end_mb, 1),
            "peak": round(memory.peak_mb, 1),
            "drift_from_warm": round(memory.end_mb - memory.warm_mb, 1),
            "samples": memory.samples[:: max(1, len(memory.samples) // 120)],
        },
        "errors": ledger.errors,
        "violations": violations,
        "passed": not violations and not before.violations,
    }


def markdown(figures: dict[str, Any]) -> str:
    """``docs/soak.md``: the last run in a few lines."""
    settings, rss = figures["settings"], figures["rss_mb"]
    statuses = ", ".join(f"{status}: {count:,}" for status, count in figures["statuses"].items())
    after = figures["invariants_after"]
    verdict = (
        "**passed**"
        if figures["passed"]
        else "**FAILED**: "
        + ", ".join(f"{name} {count}" for name, count in figures["violations"].items())
    )
    return f"""# Soak

Written by `make soak` (`scripts/soak.py`) on {figures["when"]}; figures in `bench/soak.json`.

{settings["members"]:,} members and {settings["needs"]:,} needs (`python -m scripts generate`, seed
{settings["seed"]}) on PostgreSQL + PostGIS; `servematch serve --workers {settings["workers"]}`
on loopback; {settings["concurrency"]} concurrent clients for {figures["duration_s"]:.0f} s
(budget {settings["minutes"]} min or {settings["max_requests"]:,} requests): suggestions, need
reads, candidates, sign-ups, withdrawals and need edits.

Verdict: {verdict}.

| figure | value |
|---|---|
| requests | {figures["requests"]:,} ({figures["requests_per_s"]:.0f}/s) |
| answers by status | {statuses} |
| sign-ups confirmed / withdrawn | {figures["sign_ups_confirmed_by_server"]:,} / \
{figures["withdrawals_confirmed_by_server"]:,} |
| roles over count / filled ≠ confirmed | {after["roles_over_count"]} / \
{after["roles_filled_mismatch"]} |
| double bookings | {after["double_bookings"]} |
| lost sign-ups / lost withdrawals | {after["lost_sign_ups"]} / {after["lost_withdrawals"]} |
| server RSS start / warm / end / peak (MB) | {rss["start"]:.0f} / {rss["warm"]:.0f} / \
{rss["end"]:.0f} / {rss["peak"]:.0f} |
| RSS drift, warm to end (MB) | {rss["drift_from_warm"]:+.0f} |

404, 409 and 422 are expected refusals under contention (a role filled, an overlapping
sign-up, a member not eligible). "Warm" is the RSS once {WARM_SHARE:.0%} of the run is over,
after the text model and the connection pools have filled.
"""


def main(argv: Sequence[str] | None = None) -> int:
    """Run the soak; exit status 0 only when every invariant held and nothing answered 5xx."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", default=DEFAULT_URL, help="throwaway: name has 'soak'")
    parser.add_argument("--members", type=int, default=20_000)
    parser.add_argument("--needs", type=int, default=2_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--minutes", type=float, default=10.0, help="time budget of the load")
    parser.add_argument("--max-requests", type=int, default=1_000_000, help="request budget")
    parser.add_argument("--concurrency", type=int, default=16, help="concurrent clients")
    parser.add_argument("--workers", type=int, default=2, help="server worker processes")
    parser.add_argument("--reuse", action="store_true", help="keep the generated database")
    parser.add_argument("--work-dir", type=Path, default=REPOSITORY / "bench/data/soak")
    parser.add_argument("--json", type=Path, default=REPOSITORY / "bench/soak.json")
    parser.add_argument("--markdown", type=Path, default=REPOSITORY / "docs/soak.md")
    args = parser.parse_args(argv)
    url = make_url(args.database_url)
    if url.get_backend_name() != "postgresql" or "soak" not in (url.database or ""):
        parser.error("--database-url must be PostgreSQL and name a throwaway '…soak…' database")
    if args.minutes <= 0 or args.max_requests <= 0 or args.concurrency <= 0:
        parser.error("--minutes, --max-requests and --concurrency must be positive")
    args.work_dir.mkdir(parents=True, exist_ok=True)
    database_url = url.render_as_string(hide_password=False)

    keys = prepare(
        url, members=args.members, needs=args.needs, seed=args.seed, work=args.work_dir,
        reuse=args.reuse,
    )  # fmt: skip
    before = invariants.check(database_url)
    seconds = args.minutes * 60
    log = args.work_dir / "server.log"
    with Server(database_url, workers=args.workers, log_path=log) as server:
        members, coordinators = cast(server.base_url, keys)
        print(
            f"soak: {server.base_url}, {args.workers} workers, {args.concurrency} clients, "
            f"{len(members)} members, {len(coordinators)} coordinators; "
            f"up to {args.minutes} min or {args.max_requests:,} requests",
            flush=True,
        )
        sampler = Sampler(server, warm_after_s=seconds * WARM_SHARE)
        sampler.start()
        began = time.monotonic()
        ledger = run_load(
            server.base_url,
            members=members,
            coordinators=coordinators,
            concurrency=args.concurrency,
            max_requests=args.max_requests,
            seconds=seconds,
            seed=args.seed,
        )
        elapsed = time.monotonic() - began
        memory = sampler.stop()
    after = invariants.check(database_url, confirmed=ledger.confirmed, withdrawn=ledger.withdrawn)
    settings = {
        name: getattr(args, name)
        for name in ("members", "needs", "seed", "minutes", "max_requests", "concurrency")
    } | {"workers": args.workers}
    figures = summarise(ledger, before, after, memory, settings=settings, seconds=elapsed)
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps(figures, indent=2) + "\n")
    args.markdown.parent.mkdir(parents=True, exist_ok=True)
    args.markdown.write_text(markdown(figures))
    rss = figures["rss_mb"]
    print(
        f"soak: {figures['requests']:,} requests in {elapsed:.0f} s, statuses "
        f"{figures['statuses']}; RSS start {rss['start']:.0f} MB, warm {rss['warm']:.0f}, "
        f"end {rss['end']:.0f}, peak {rss['peak']:.0f}; "
        + ("PASSED" if figures["passed"] else f"FAILED {figures['violations']}")
        + f"; written to {args.json} and {args.markdown}"
    )
    if before.violations:
        print(f"the generated data already broke invariants: {before.violations}")
    for error in figures["errors"]:
        print(f"  {error}")
    return 0 if figures["passed"] else 1
