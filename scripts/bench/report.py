"""The run's figures three ways: a rich table on the terminal, docs/benchmarks.md and the JSON.

The Markdown is written in full by every run (never edited by hand), with the machine it ran
on, the datasets, every figure with its ratios to the baselines, and the issue's targets each
marked met or missed against what was measured, so a miss is stated rather than left out.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

from . import batch as batch_bench
from .mix import REPORTED_KINDS
from .results import (
    BASELINES,
    DENSITY_PARTS,
    Profile,
    Result,
    as_records,
    baselines_measured,
    ratios,
)

BASELINE_TITLES = {
    "naive": "vs naive",
    "postgis_floor": "vs PostGIS floor",
    "kdtree_floor": "vs KD-tree floor",
    "sqlite_floor": "vs SQLite floor",
    "everyone": "vs everyone ranked (before #13)",
}
LAYER_TITLES = {
    "engine": "engine only",
    "service": "service (SQL + engine)",
    "http": "HTTP",
    "naive": "baseline: naive geopy loop",
    "postgis_floor": "baseline: PostGIS ST_DWithin ids",
    "kdtree_floor": "baseline: KD-tree radius ids",
    "sqlite_floor": "baseline: SQLite bbox + geodesic ids",
    "everyone": "before #13: every member in reach read and ranked",
}
assert set(BASELINE_TITLES) == set(BASELINES)
PART_TITLES = {
    "densest": "densest need (admin)",
    "median": "median-density need (admin)",
    "candidates": "candidates (coordinator)",
    "candidates_admin": "candidates, agency/network need (admin)",
    "suggestions": "suggestions (member)",
    "need_read": "need read",
    "need_list": "need list near a point",
    "signup": "sign-up (POST)",
    "withdraw": "withdrawal (DELETE)",
}
assert {*REPORTED_KINDS, *DENSITY_PARTS} <= set(PART_TITLES)


@dataclass(frozen=True)
class Target:
    """One of the issue's targets: a figure of one operation on one dataset, and its bound."""

    label: str
    dataset: str
    operation: str  # "<query>/<layer>"; "*/http" means the worst of the HTTP rows
    metric: str  # p50_ms | p95_ms | requests_per_s | rss_mb | vs_naive | floor_multiple
    # | server_errors | densest_over_median
    bound: float
    at_most: bool = True
    part: str = ""  # a row's part (the densest need); "" is the whole operation


TARGETS = (
    Target("candidates over HTTP, p50", "postgis-1m", "candidates/http", "p50_ms", 10),
    Target("candidates over HTTP, p95", "postgis-1m", "candidates/http", "p95_ms", 30),
    Target(
        "densest need's candidates over HTTP, p50",
        "postgis-1m",
        "candidates/http",
        "p50_ms",
        10,
        part="densest",
    ),
    Target(
        "densest need's candidates over HTTP, p95",
        "postgis-1m",
        "candidates/http",
        "p95_ms",
        30,
        part="densest",
    ),
    Target(
        "densest need / median need, candidates p50",
        "postgis-1m",
        "candidates/http",
        "densest_over_median",
        2,
    ),
    Target("suggestions over HTTP, p50", "postgis-1m", "suggestions/http", "p50_ms", 10),
    Target("suggestions over HTTP, p95", "postgis-1m", "suggestions/http", "p95_ms", 30),
    Target(
        "realistic mixed load, throughput",
        "postgis-1m",
        "mixed/http",
        "requests_per_s",
        1000,
        at_most=False,
    ),
    Target("realistic mixed load, p95", "postgis-1m", "mixed/http", "p95_ms", 50),
    Target("realistic mixed load, 5xx answers", "postgis-1m", "mixed/http", "server_errors", 0),
    Target("engine in-process, one need (p50)", "postgis-1m", "candidates/engine", "p50_ms", 2),
    Target(
        "engine in-process vs naive (times faster)",
        "postgis-1m",
        "candidates/engine",
        "vs_naive",
        1000,
        at_most=False,
    ),
    Target(
        "HTTP candidates p50 / PostGIS floor p50",
        "postgis-1m",
        "candidates/http",
        "floor_multiple",
        3,
    ),
    Target("SQLite candidates over HTTP, p50", "sqlite-100k", "candidates/http", "p50_ms", 20),
    Target(
        "SQLite densest need's candidates over HTTP, p50",
        "sqlite-100k",
        "candidates/http",
        "p50_ms",
        20,
        part="densest",
    ),
    Target("SQLite suggestions over HTTP, p50", "sqlite-100k", "suggestions/http", "p50_ms", 20),
    Target("API server RSS (peak, all workers)", "postgis-1m", "*/http", "rss_mb", 500),
)

UNITS = {
    "p50_ms": " ms",
    "p95_ms": " ms",
    "requests_per_s": " req/s",
    "rss_mb": " MB",
    "vs_naive": "x",
    "floor_multiple": "x",
    "server_errors": "",
    "densest_over_median": "x",
}


@dataclass
class Run:
    """Everything a report says about one run."""

    mode: str  # quick | full
    command: str
    machine: dict[str, str]
    load_before: str
    load_after: str
    datasets: list[dict[str, Any]]  # name, backend, counts, reused, build_s
    method: dict[str, str]
    results: list[Result]
    elapsed_s: float
    profiles: list[tuple[str, Profile]] = field(default_factory=list)  # (dataset, profile)
    warnings: list[str] = field(default_factory=list)
    batch: list[batch_bench.Report] = field(default_factory=list)
    multiplication: list[str] = field(default_factory=list)  # its Markdown section


@dataclass(frozen=True)
class Verdict:
    """A target against this run: the figure, where it came from, and met/missed/not measured."""

    target: Target
    value: float | None
    dataset: str | None
    status: str  # met | missed | not measured


MISSES_NOTE = (
    "Why a missed target is missed — the profile behind it, the arithmetic of what two cores"
    " can do, and the next step — is in [performance.md](performance.md), written by hand from"
    " these figures."
)


def verdicts(results: Sequence[Result]) -> list[Verdict]:
    """Each target judged on its own dataset; elsewhere only indicative, never met or missed."""
    found = []
    for target in TARGETS:
        value = _figure(target, target.dataset, results)
        if value is not None:
            met = value <= target.bound if target.at_most else value >= target.bound
            found.append(Verdict(target, value, target.dataset, "met" if met else "missed"))
            continue
        # Not at the target's scale (a quick run): show the same backend's figure for a feel.
        backend = target.dataset.split("-")[0]
        stand_ins = sorted({r.dataset for r in results if r.dataset.startswith(f"{backend}-")})
        for dataset in stand_ins:
            value = _figure(target, dataset, results)
            if value is not None:
                found.append(Verdict(target, value, dataset, "not measured"))
                break
        else:
            found.append(Verdict(target, None, None, "not measured"))
    return found


def _figure(target: Target, dataset: str, results: Sequence[Result]) -> float | None:
    query, layer = target.operation.split("/")
    rows = [
        r for r in results if r.dataset == dataset and r.layer == layer and query in ("*", r.query)
    ]
    if target.metric == "densest_over_median":
        p50 = {r.part: r.p50_ms for r in rows if r.part in ("densest", "median")}
        if len(p50) < 2 or p50["median"] <= 0:
            return None
        return p50["densest"] / p50["median"]
    if target.metric != "rss_mb":
        rows = [r for r in rows if r.part == target.part]
    if not rows:
        return None
    if target.metric == "server_errors":
        statuses = rows[0].statuses
        return None if statuses is None else float(statuses.get("5xx", 0))
    if target.metric == "rss_mb":
        sizes = [r.rss_mb for r in rows if r.rss_mb is not None]
        return max(sizes) if sizes else None
    row = rows[0]
    if target.metric == "vs_naive":
        return ratios(row, results).get("vs_naive")
    if target.metric == "floor_multiple":
        floor = ratios(row, results).get("vs_postgis_floor")
        return None if not floor else 1.0 / floor
    value: float = getattr(row, target.metric)
    return value


# --- writers --------------------------------------------------------------------------------


def write_json(
    results: Sequence[Result], path: Path, *, batch: Sequence[batch_bench.Report] = ()
) -> None:
    """``bench/results.json``: a list of flat objects, one per figure (the batch solver's
    and greedy's rows last, with their own fields beside the common ones)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    rows = as_records(results) + batch_bench.records(list(batch))
    path.write_text(json.dumps(rows, indent=2) + "\n")


def print_table(results: Sequence[Result], console: Console) -> None:
    """The figures on the terminal."""
    baselines = baselines_measured(results)
    table = Table(title="ServeMatch benchmarks", title_justify="left")
    for column in ("dataset", "operation", "p50 ms", "p95 ms", "req/s", "RSS MB"):
        table.add_column(column, justify="left" if column in ("dataset", "operation") else "right")
    table.add_column("answers")
    for name in baselines:
        table.add_column(BASELINE_TITLES[name], justify="right")
    for result in results:
        found = ratios(result, results)
        table.add_row(
            result.dataset,
            _operation_label(result),
            _ms(result.p50_ms),
            _ms(result.p95_ms),
            _rate(result.requests_per_s),
            _mb(result.rss_mb),
            _statuses(result.statuses),
            *(_ratio(found.get(f"vs_{name}")) for name in baselines),
        )
    console.print(table)


def print_verdicts(results: Sequence[Result], console: Console) -> None:
    """The targets on the terminal."""
    table = Table(title="Targets", title_justify="left")
    for column in ("target", "dataset", "bound", "measured", "status"):
        table.add_column(column)
    colours = {"met": "green", "missed": "red", "not measured": "yellow"}
    for verdict in verdicts(results):
        table.add_row(
            verdict.target.label,
            verdict.dataset or verdict.target.dataset,
            _bound(verdict.target),
            _value(verdict.target, verdict.value),
            f"[{colours[verdict.status]}]{verdict.status}[/]",
        )
    console.print(table)


def print_batch(reports: Sequence[batch_bench.Report], console: Console) -> None:
    """The batch solver's targets on the terminal (its figures were shown as measured)."""
    if not reports:
        return
    table = Table(title="Batch assignment targets", title_justify="left")
    for column in ("instance", "target", "bound", "measured", "status"):
        table.add_column(column)
    colours = {"met": "green", "missed": "red", "not measured": "yellow"}
    for found in reports:
        for label, bound, value, status in batch_bench.verdicts(found):
            table.add_row(found.name, label, bound, value, f"[{colours[status]}]{status}[/]")
    console.print(table)


def markdown(run: Run) -> str:
    """The whole of docs/benchmarks.md."""
    results = run.results
    baselines = baselines_measured(results)
    lines = [
        "# Benchmarks",
        "",
        f"Written by `{run.command}` ({run.mode} run, {run.elapsed_s / 60:.1f} minutes);"
        " rerun it rather than editing this file. How to run it and what each figure means"
        " are at the end.",
        "",
    ]
    if run.warnings:
        lines += ["**Warnings from this run:**", ""]
        lines += [f"- {warning}" for warning in run.warnings]
        lines.append("")

    lines += ["## Targets", ""]
    lines += [
        "Medians and 95th percentiles on a shared two-core machine; each target is judged on"
        " the dataset it names. A target whose dataset was not part of this run is *not"
        " measured*, and the nearest figure of the same backend is shown only for a feel.",
        "",
        "| target | dataset | bound | measured | status |",
        "|---|---|---:|---:|---|",
    ]
    for verdict in verdicts(results):
        dataset = verdict.dataset or verdict.target.dataset
        if verdict.status == "not measured" and verdict.dataset:
            dataset = f"{verdict.target.dataset} (shown: {verdict.dataset})"
        status = {"met": "met", "missed": "**missed**", "not measured": "not measured"}[
            verdict.status
        ]
        lines.append(
            f"| {verdict.target.label} | {dataset} | {_bound(verdict.target)}"
            f" | {_value(verdict.target, verdict.value)} | {status} |"
        )

    lines += ["", MISSES_NOTE]
    lines += ["", "## Results", ""]
    header = ["dataset", "operation", "p50 ms", "p95 ms", "throughput req/s", "memory MB"]
    header += [BASELINE_TITLES[name] for name in baselines] + ["notes"]
    lines += [
        "| " + " | ".join(header) + " |",
        "|" + "|".join(["---", "---"] + ["---:"] * (len(header) - 3) + ["---"]) + "|",
    ]
    for result in results:
        found = ratios(result, results)
        cells = [
            result.dataset,
            _operation_title(result),
            _ms(result.p50_ms),
            _ms(result.p95_ms),
            _rate(result.requests_per_s),
            _mb(result.rss_mb),
            *(_ratio(found.get(f"vs_{name}")) for name in baselines),
            result.note.replace("|", "/"),
        ]
        lines.append("| " + " | ".join(cells) + " |")
    lines += [
        "",
        "Ratios are the baseline's median over the row's median on the same dataset and query:"
        " above 1 the row is that many times faster, below 1 slower. Throughput of in-process"
        " rows is one thread calling back to back; memory is the API server's peak resident"
        " set (all workers) while the load ran, so only HTTP rows have it. Rows of one need or"
        " one endpoint of the mixed load (after a ·) have no ratios: the baselines answered"
        " other questions.",
        "",
        "## Datasets",
        "",
        "| dataset | members | needs | open, future needs | communities | coordinators"
        " | agencies | sign-ups | load |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---|",
    ]
    for dataset in run.datasets:
        counts = dataset["counts"]
        built = (
            "reused (--reuse)" if dataset["reused"] else f"generated in {dataset['build_s']:.0f} s"
        )
        lines.append(
            f"| {dataset['name']} | {counts['members']:,} | {counts['needs']:,}"
            f" | {counts['open_needs']:,} | {counts['communities']:,} | {counts['coordinators']:,}"
            f" | {counts['agencies']:,} | {counts['signups']:,} | {built} |"
        )

    for dataset_name, profile in run.profiles:
        lines += _profile_section(profile, dataset_name)

    if run.batch:
        lines += ["", *batch_bench.markdown(run.batch)]

    if run.multiplication:
        lines += ["", *run.multiplication]

    lines += ["", "## Machine", "", "| | |", "|---|---|"]
    lines += [f"| {label} | {value} |" for label, value in run.machine.items()]
    lines += [
        f"| load average before (1/5/15 min) | {run.load_before} |",
        f"| load average after | {run.load_after} |",
        "",
        "## How it was measured",
        "",
        "| | |",
        "|---|---|",
    ]
    lines += [f"| {label} | {value} |" for label, value in run.method.items()]
    lines += ["", *METHOD_NOTES]
    return "\n".join(lines) + "\n"


METHOD_NOTES = (
    "- **Same data, same questions.** Each dataset is made by `python -m scripts generate` with a"
    " fixed seed; every layer and baseline of a dataset asks the same sampled open needs"
    " (candidates) and members (suggestions), chosen with a seeded generator.",
    "- **engine only**: the service's own calls to `matcher.rank_candidates` (on the"
    " `MemberPool` of the members in reach) and `matcher.rank_suggestions` (on the `NeedTable`"
    " of the needs in reach), recorded from one service call per query and replayed: no SQL,"
    " no pool building. **service**: `api.matching.service.candidates` / `suggestions` with"
    " a session and transaction per call, as the route calls them, without HTTP or auth.",
    "- **HTTP**: `servematch serve --workers N` on 127.0.0.1, driven by wrk (a separate"
    " process, one thread per connection) with a Lua script (`scripts/bench/wrk.lua`) sending"
    " prepared requests with their keys. Candidates are asked by a coordinator, who sees their"
    " own members: the need's own coordinator, or for an agency or network-wide need the"
    " coordinator whose community meets nearest to it. Suggestions are asked by the member;"
    " need reads and lists by the coordinator. Each run is bounded by a request budget and a"
    " time limit. A row's latency percentiles are wrk's, over every request of the run.",
    "- **densest and median need**: the agency/network needs with the most and the median"
    " number of members around them (ranked as `python -m scripts.bench.dense` ranks them),"
    " candidates asked by the admin (who sees every member in reach) with `limit=20`, each in"
    " its own run; the target is the densest need's p50 within 2x the median need's.",
    "- **realistic mixed load**: each request draws a kind with the shares under *How it was"
    " measured*; coordinators' candidates for sampled needs, the admin's for a seeded sample of"
    " agency/network needs (the densest and the median one included), members' suggestions,"
    " need reads and lists, and writes: a member signs up (POST) for the best need of their own"
    " suggestions, asked before the run, and the next write of that connection withdraws it"
    " (DELETE). Each member is written by one connection only; places still held at the end"
    " are given back, so the dataset is unchanged. A sign-up may be refused (409/422): counted"
    " under 4xx, not a failure; any 5xx makes the run INVALID (a failure of `make bench`). The"
    " indented rows below a mixed row are its endpoints, timed request by request in the Lua"
    " script (one connection per wrk thread, so each response is its thread's last request).",
    "- **naive**: a Python loop over every member (or open need) computing"
    " `geopy.distance.geodesic` per pair, the radius check and a simple score, then the top"
    " results; rows fetched once, untimed. At large sizes it runs on a random subset and is"
    " scaled linearly, as its note says.",
    "- **PostGIS floor**: the candidate query's own predicates (`ST_DWithin` on geography with"
    " the network's largest radius, then each member's radius; members of the asking"
    " coordinator's communities) as raw SQL returning ids, timed planned per call and as a"
    " prepared statement (PostgreSQL may give it a generic plan); the faster is the floor and"
    " the note gives the other; for suggestions"
    " the member's visible open needs within their radius. **KD-tree floor**: scipy"
    " `cKDTree` ball queries on 3-D unit vectors (spherical Earth) with the network's largest"
    " radius, as the SQL searches its index, then each member's radius and the communities;"
    " trees built untimed. **SQLite floor**: the indexed"
    " bounding boxes plus the exact `geodesic_km` function, ids only. KNN (`<->`) is not used"
    " as a floor because it ignores each member's own radius and so finds different rows.",
    "- The machine is shared: figures move with other work on it (see the load averages).",
    "",
    "## How to run",
    "",
    "```sh",
    "make bench-quick                 # ~1 minute: 10k members on PostGIS and on SQLite",
    "make bench                       # 100k members on SQLite, 1M on PostGIS",
    "make bench BENCH_ARGS=--reuse    # keep datasets already loaded (skips the 1M load)",
    'make bench BENCH_ARGS="--only batch --skip-http"  # the batch solver alone (~3 minutes)',
    'make bench BENCH_ARGS="--only multiplication --skip-http"  # split plans alone (~15 s)',
    ".venv/bin/python scripts/bench.py --help",
    "```",
    "",
    "A quick run writes `bench/quick/benchmarks.md` and `bench/quick/results.json`, leaving the"
    " full run's `docs/benchmarks.md` and `bench/results.json` alone. Generated datasets and"
    " server logs live in `bench/data/` (not committed): `<backend>-<size>.db` and"
    " `<backend>-<size>-keys.json`, and PostgreSQL databases `servematch_bench_<size>`. To"
    " reuse a dataset generated elsewhere, link its files there under those names and pass"
    " `--reuse`; the bench only ever drops databases named `servematch_bench_*`.",
)


def _profile_section(profile: Profile, dataset: str) -> list[str]:
    lines = [
        "",
        f"## Where the time goes (one candidates request, {dataset})",
        "",
        f"cProfile over {profile.calls} requests to the real ASGI app in one process (no"
        f" network; sync code run inline rather than on worker threads): {profile.wall_ms:.1f}"
        " ms per request while profiled, and profiling inflates Python-heavy parts. Indented"
        " stages are inside `service.candidates`; the last ones cut across stages.",
        "",
        "| stage | ms per request |",
        "|---|---:|",
    ]
    lines += [
        f"| {'&nbsp;&nbsp;' if label.startswith('  ') else ''}{label.strip()} | {ms:.2f} |"
        for label, ms in profile.stages
    ]
    lines += ["", "| function (top by own time) | own ms | cumulative ms |", "|---|---:|---:|"]
    lines += [
        f"| `{name}` | {own:.2f} | {cumulative:.2f} |"
        for name, own, cumulative in profile.top_functions
    ]
    return lines


def write_markdown(run: Run, path: Path) -> None:
    """docs/benchmarks.md (or the quick run's copy)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(markdown(run))


def _operation_title(result: Result) -> str:
    title = f"{result.query} · {LAYER_TITLES[result.layer]}"
    return f"{title} · {PART_TITLES.get(result.part, result.part)}" if result.part else title


def _operation_label(result: Result) -> str:
    """The terminal's shorter name: ``candidates/http``, parts indented under it."""
    if result.part:
        return f"  └ {PART_TITLES.get(result.part, result.part)}"
    return result.operation


def _statuses(statuses: dict[str, int] | None) -> str:
    if not statuses:
        return ""
    return " ".join(f"{status}:{count:,}" for status, count in sorted(statuses.items()))


def _ms(value: float) -> str:
    if value >= 100:
        return f"{value:,.0f}"
    return f"{value:.2f}" if value < 10 else f"{value:.1f}"


def _rate(value: float) -> str:
    return f"{value:,.0f}" if value >= 10 else f"{value:.2f}"


def _mb(value: float | None) -> str:
    return "—" if value is None else f"{value:,.0f}"


def _ratio(value: float | None) -> str:
    if value is None:
        return "—"
    if value >= 100:
        return f"{value:,.0f}x"
    return f"{value:.2f}x" if value < 10 else f"{value:.1f}x"


def _bound(target: Target) -> str:
    sign = "≤" if target.at_most else "≥"
    bound = f"{target.bound:,.0f}" if target.bound >= 10 else f"{target.bound:g}"
    if target.metric == "server_errors":
        return f"= {bound} (none)"
    return f"{sign} {bound}{UNITS[target.metric]}"


def _value(target: Target, value: float | None) -> str:
    if value is None:
        return "—"
    if target.metric in ("vs_naive", "floor_multiple", "densest_over_median"):
        return _ratio(value)
    if target.metric == "server_errors":
        return f"{value:,.0f}"
    if target.metric in ("p50_ms", "p95_ms"):
        return f"{_ms(value)} ms"
    if target.metric == "requests_per_s":
        return f"{_rate(value)} req/s"
    return f"{_mb(value)} MB"
