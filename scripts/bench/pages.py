"""Server time of every page on the demo: ``python -m scripts.bench.pages``.

The issue's budget is 300 ms a page on the demo. This loads the demo into a fresh SQLite
database, serves the app in-process (Starlette's test client: no socket, so the time is the
app's plus well under a millisecond of client), signs in as each role the way a browser
does (the form, its CSRF token, the session cookie) and asks for each of the role's pages
``--repeat`` times after a warm-up, printing the median and the 90th percentile as a
Markdown table. It is apart from ``make bench``, whose datasets are generated networks of
10k members and up with no demo keys; the demo is what the budget is about.
"""

from __future__ import annotations

import argparse
import re
import statistics
import tempfile
import time
from dataclasses import asdict, dataclass, replace
from pathlib import Path

from fastapi.testclient import TestClient
from pydantic import SecretStr

from api.app import create_app
from api.db.migrate import upgrade
from api.db.types import utcnow
from api.geocoding.service import configured_geocoder
from api.settings import Settings
from scripts import demo

BUDGET_MS = 300.0
WARM_UP = 2
CSRF_FIELD = re.compile(r'name="csrf_token" value="([^"]+)"')
NEED_LINK = re.compile(r'href="/coordinator/needs/([0-9a-f-]{36})"')


@dataclass(frozen=True)
class Page:
    """A page as a browser asks for it; ``{need}`` stands for a demo need's id,
    ``{community}`` for the demo's first community (Easton, ready to multiply)."""

    role: str
    path: str
    method: str = "GET"


PAGES = (
    Page("anyone", "/"),
    Page("coordinator", "/coordinator"),
    Page("coordinator", "/coordinator/needs/new"),
    Page("coordinator", "/coordinator/needs/{need}"),
    Page("coordinator", "/coordinator/needs/{need}/team", method="POST"),  # propose, no write
    Page("coordinator", "/coordinator/week"),
    Page("coordinator", "/coordinator/load"),
    Page("coordinator", "/coordinator/health"),
    Page("coordinator", "/coordinator/grow?community={community}"),  # the plan: a solve
    Page("coordinator", "/coordinator/grow"),  # Bedminster: not ready, the checklist only
    Page("coordinator", "/coordinator/lineage"),
    Page("member", "/member"),
    Page("member", "/member/invitations"),
    Page("member", "/member/commitments"),
    Page("member", "/member/profile"),
    Page("member", "/member/community"),
    Page("agency", "/agency"),
    Page("agency", "/agency/requests/new"),
)


@dataclass(frozen=True)
class Timing:
    """One page's figures."""

    page: Page
    status: int
    kilobytes: float
    p50_ms: float
    p90_ms: float
    needs: int = 0
    """How many needs' pages this is the slowest of (0: not a need's page)."""


def _token(html: str) -> str:
    found = CSRF_FIELD.search(html)
    if found is None:
        raise RuntimeError("no CSRF token on the page")
    return found.group(1)


def _signed_in(client: TestClient, key: str | None) -> str:
    """Sign ``client`` in with ``key`` (none: stay anonymous); a CSRF token for its forms."""
    token = _token(client.get("/").text)
    if key is None:
        return token
    answer = client.post("/", data={"key": key, "csrf_token": token}, follow_redirects=False)
    if answer.status_code != 303:
        raise RuntimeError(f"sign-in refused: {answer.status_code}")
    return _token(client.get(answer.headers["location"]).text)


def _time(client: TestClient, page: Page, path: str, token: str, runs: tuple[int, int]) -> Timing:
    """``page`` at ``path`` asked for ``warm_up + repeat`` times (``runs``), the last timed."""
    warm_up, repeat = runs
    data = {"csrf_token": token} if page.method == "POST" else None
    times: list[float] = []
    for attempt in range(warm_up + repeat):
        started = time.perf_counter()
        answer = client.request(page.method, path, data=data, follow_redirects=False)
        elapsed = time.perf_counter() - started
        if attempt >= warm_up:
            times.append(elapsed * 1000)
    p90 = statistics.quantiles(times, n=10)[-1] if len(times) > 1 else times[0]
    kilobytes = len(answer.content) / 1024
    return Timing(page, answer.status_code, kilobytes, statistics.median(times), p90)


def _slowest(
    client: TestClient,
    page: Page,
    needs: list[str],
    token: str,
    runs: tuple[int, int],
    community: str,
) -> Timing:
    """A page's timing; one about a need is timed for every need on the map, and the
    slowest kept (needs differ: one with no candidate in reach is quick)."""
    if "{need}" not in page.path:
        return _time(client, page, page.path.format(community=community), token, runs)
    if not needs:
        raise RuntimeError("the coordinator's map shows no need")
    timed = [_time(client, page, page.path.format(need=need), token, runs) for need in needs]
    slowest = max(timed, key=lambda timing: (timing.status >= 400, timing.p50_ms))
    return replace(slowest, needs=len(needs))


def measure(*, repeat: int, warm_up: int = WARM_UP) -> list[Timing]:
    """Every page of :data:`PAGES`, asked for ``warm_up`` times then timed ``repeat`` times,
    on a demo loaded into a throwaway database."""
    with tempfile.TemporaryDirectory(prefix="servematch-pages-") as folder:
        url = f"sqlite:///{Path(folder) / 'demo.db'}"
        upgrade(url)
        settings = Settings(
            database_url=url,
            rate_limit_per_minute=0,
            rate_limit_anonymous_per_minute=0,
            invitation_sweep_s=0,
            session_secret=SecretStr("bench-pages-" + "x" * 32),
        )
        app = create_app(settings)
        with app.state.sessionmaker.begin() as session:
            keys = asdict(
                demo.load(
                    session,
                    now=utcnow(),
                    cell_km=settings.location_coarsening_km,
                    geocoder=configured_geocoder(settings),
                )
            )
        timings: list[Timing] = []
        with TestClient(app) as warm:  # the lifespan: member snapshots warmed, as when served
            warm.get("/")
            for role in dict.fromkeys(page.role for page in PAGES):
                with TestClient(app) as client:
                    token = _signed_in(client, keys.get(role))
                    shown = client.get("/coordinator").text if role == "coordinator" else ""
                    needs = list(dict.fromkeys(NEED_LINK.findall(shown)))
                    for page in (page for page in PAGES if page.role == role):
                        runs = (warm_up, repeat)
                        community = keys["community_id"]
                        timings.append(_slowest(client, page, needs, token, runs, community))
        app.state.engine.dispose()
    return timings


def table(timings: list[Timing]) -> str:
    """The figures as a Markdown table, pages over the budget marked."""
    lines = [
        f"| role | page | status | KB | p50 ms | p90 ms | under {BUDGET_MS:.0f} ms |",
        "|---|---|---:|---:|---:|---:|---|",
    ]
    for timing in timings:
        page = timing.page
        under = "yes" if timing.p50_ms < BUDGET_MS else "**no**"
        of = f" (slowest of {timing.needs})" if timing.needs else ""
        lines.append(
            f"| {page.role} | {page.method} {page.path}{of} | {timing.status} | "
            f"{timing.kilobytes:.1f} | {timing.p50_ms:.1f} | {timing.p90_ms:.1f} | {under} |"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    """Print the table; 1 if a page failed (4xx/5xx) or its median is over the budget."""
    parser = argparse.ArgumentParser(prog="python -m scripts.bench.pages", description=__doc__)
    parser.add_argument("--repeat", type=int, default=20, help="timed requests per page")
    options = parser.parse_args(argv)
    timings = measure(repeat=options.repeat)
    print(table(timings))
    failed = [t for t in timings if t.status >= 400 or t.p50_ms >= BUDGET_MS]
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
