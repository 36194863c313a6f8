"""``scripts/bench.py``: build the datasets, measure every layer and baseline, write the report."""

from __future__ import annotations

import argparse
import gc
import os
import random
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from rich.console import Console

from api.db.engine import make_engine, make_sessionmaker
from api.db.types import utcnow

from . import batch, datasets, dense, inprocess, load, machine, mix, multiplication, report
from .results import BASELINES, DENSITY_PARTS, LAYERS, QUERIES, Profile, Result

REPOSITORY = Path(__file__).resolve().parents[2]
Log = Callable[..., object]
DEFAULT_POSTGRES_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"


@dataclass(frozen=True)
class Mode:
    """Sizes and budgets of a run."""

    name: str
    datasets: tuple[datasets.DatasetSpec, ...]
    queries: int
    engine_budget: inprocess.Budget
    floor_budget: inprocess.Budget
    naive_budget: inprocess.Budget
    naive_max_rows: int
    load: load.LoadPlan
    density_sample: int  # agency/network needs ranked by density for the densest and median
    dense_repeat: int  # in-process calls per need for the densest and median, before and after
    profile_calls: int
    batch_sizes: tuple[tuple[int, int], ...]  # (places, members), each shape, own process
    multiplication: bool  # the multiplication plans against their baselines (seconds)
    json_path: Path
    markdown_path: Path


QUICK = Mode(
    name="quick",
    datasets=(
        datasets.DatasetSpec("postgis", members=10_000, needs=1_000),
        datasets.DatasetSpec("sqlite", members=10_000, needs=1_000),
    ),
    queries=20,
    engine_budget=inprocess.Budget(max_calls=300, max_seconds=1.5, min_calls=20),
    floor_budget=inprocess.Budget(max_calls=500, max_seconds=0.75, min_calls=20),
    naive_budget=inprocess.Budget(max_calls=20, max_seconds=1.5, min_calls=3),
    naive_max_rows=5_000,
    load=load.LoadPlan(
        workers=2,
        connections=4,
        mixed_connections=16,
        duration_s=3,
        mixed_duration_s=3,
        max_requests=20_000,
        warmup_s=2,
    ),
    density_sample=100,
    dense_repeat=3,
    profile_calls=20,
    batch_sizes=(batch.QUICK_SIZE,),
    multiplication=True,
    json_path=REPOSITORY / "bench/quick/results.json",
    markdown_path=REPOSITORY / "bench/quick/benchmarks.md",
)

FULL = Mode(
    name="full",
    datasets=(
        datasets.DatasetSpec("sqlite", members=100_000, needs=10_000),
        datasets.DatasetSpec("postgis", members=1_000_000, needs=100_000),
    ),
    queries=50,
    engine_budget=inprocess.Budget(max_calls=3000, max_seconds=10, min_calls=50),
    floor_budget=inprocess.Budget(max_calls=5000, max_seconds=5, min_calls=50),
    naive_budget=inprocess.Budget(max_calls=50, max_seconds=20, min_calls=5),
    naive_max_rows=20_000,
    load=load.LoadPlan(
        workers=2,
        connections=4,
        mixed_connections=16,
        duration_s=20,
        mixed_duration_s=30,
        max_requests=200_000,
        warmup_s=10,
    ),
    density_sample=400,
    dense_repeat=3,
    profile_calls=50,
    batch_sizes=batch.SIZES,
    multiplication=True,
    json_path=REPOSITORY / "bench/results.json",
    markdown_path=REPOSITORY / "docs/benchmarks.md",
)


def arguments(argv: list[str]) -> argparse.Namespace:
    """The command line."""
    parser = argparse.ArgumentParser(
        prog="scripts/bench.py",
        description="Benchmark ServeMatch: engine, service and HTTP against baselines.",
    )
    parser.add_argument(
        "--quick", action="store_true", help="10k members on each backend (~1 minute)"
    )
    parser.add_argument(
        "--reuse",
        action="store_true",
        help="keep a dataset whose database and keys exist with the right member count",
    )
    parser.add_argument(
        "--only",
        nargs="+",
        metavar="DATASET",
        help="e.g. sqlite-100k; batch: the batch solver; multiplication: the split plans",
    )
    parser.add_argument("--data-dir", type=Path, default=REPOSITORY / "bench/data")
    parser.add_argument("--json", type=Path, help="results file (default by mode)")
    parser.add_argument("--markdown", type=Path, help="report file (default by mode)")
    parser.add_argument(
        "--postgres-url",
        default=os.environ.get("SERVEMATCH_BENCH_POSTGRES_URL", DEFAULT_POSTGRES_URL),
        help="a URL on the PostgreSQL server to create bench databases with",
    )
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--workers", type=int, help="uvicorn workers (default 2)")
    parser.add_argument("--connections", type=int, help="wrk connections per operation")
    parser.add_argument("--mixed-connections", type=int, help="wrk connections, mixed load")
    parser.add_argument("--duration", type=int, help="seconds per HTTP operation")
    parser.add_argument("--skip-http", action="store_true", help="in-process figures only")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark; 0 when every figure was measured (targets may still be missed)."""
    options = arguments(sys.argv[1:] if argv is None else argv)
    mode = _mode(options)
    # Piped (make, CI), rich would fold the wide table to 80 columns.
    console = Console(stderr=True, width=None if sys.stderr.isatty() else 160)
    log = console.print
    if not options.skip_http:
        load.require_wrk()
    started = time.perf_counter()
    load_before = machine.load_average()
    results: list[Result] = []
    loaded: list[dict[str, Any]] = []
    warnings: list[str] = []
    profiles: list[tuple[str, Profile]] = []
    try:
        for spec in mode.datasets:
            log(f"[bold]{spec.name}[/bold]: {spec.members:,} members, {spec.needs:,} needs")
            dataset = datasets.prepare(
                spec,
                data_dir=options.data_dir,
                postgres_admin_url=options.postgres_url,
                seed=options.seed,
                reuse=options.reuse,
                log=log,
            )
            loaded.append(
                {
                    "name": dataset.name,
                    "backend": spec.backend,
                    "counts": dataset.counts,
                    "reused": dataset.reused,
                    "build_s": dataset.build_s,
                }
            )
            _measure(dataset, mode, options, log, results=results, profiles=profiles)
            gc.collect()
    except (Exception, KeyboardInterrupt) as error:
        warnings.append(
            f"the run stopped early ({type(error).__name__}: {error}); figures are partial"
        )
        log(f"[red]stopped early: {error!r}[/red]")
        if not results:
            raise
    batch_reports = _measure_batch(mode, log, warnings)
    plans = _measure_multiplication(mode, log, warnings)
    warnings += [
        f"{r.dataset} {r.operation}: {r.note}" for r in results if r.note.startswith("INVALID")
    ]
    run = report.Run(
        mode=mode.name,
        command="make bench-quick" if mode.name == "quick" else "make bench",
        machine=machine.facts(postgres_url=_postgres_url_for_facts(options, loaded)),
        load_before=load_before,
        load_after=machine.load_average(),
        datasets=loaded,
        method=_method(mode),
        results=_ordered(results, [spec.name for spec in mode.datasets]),
        elapsed_s=time.perf_counter() - started,
        profiles=profiles,
        warnings=warnings,
        batch=batch_reports,
        multiplication=plans,
    )
    report.print_table(run.results, console)
    report.print_verdicts(run.results, console)
    report.print_batch(batch_reports, console)
    report.write_json(run.results, mode.json_path, batch=batch_reports)
    report.write_markdown(run, mode.markdown_path)
    log(f"wrote {_relative(mode.markdown_path)} and {_relative(mode.json_path)}")
    return 1 if warnings else 0


def _measure(
    dataset: datasets.Dataset,
    mode: Mode,
    options: argparse.Namespace,
    say: Log,
    *,
    results: list[Result],
    profiles: list[tuple[str, Profile]],
) -> None:
    """Every layer and baseline on one dataset, in-process first, then over HTTP.

    Figures are added to ``results`` as they are measured, so a run that fails later (or is
    interrupted) still reports what it has.
    """
    needs, members = datasets.sample_queries(
        dataset, count=mode.queries, seed=options.seed, now=utcnow()
    )
    say(f"{dataset.name}: asking {len(needs)} needs and {len(members)} members")
    wide = _wide_needs(dataset, mode, seed=options.seed)
    if wide is None:
        say(f"[yellow]{dataset.name}: no open agency or network needs: no densest row[/]")
    service = inprocess.InProcess(dataset)
    try:
        _add(say, results, service.measure_service(needs, members, mode.engine_budget))
        if wide is not None:
            single = {"densest": wide.densest, "median": wide.median}
            _add(say, results, service.measure_dense(single, repeat=mode.dense_repeat))
        _add(say, results, service.measure_engine(needs, members, mode.engine_budget))
    finally:
        service.close()
    profiles.append(
        (
            dataset.name,
            inprocess.profile_candidates_request(dataset, needs, calls=mode.profile_calls),
        )
    )
    floor = (
        inprocess.measure_postgis_floor
        if dataset.spec.backend == "postgis"
        else inprocess.measure_sqlite_floor
    )
    _add(say, results, floor(dataset, needs, members, mode.floor_budget))
    _add(say, results, inprocess.measure_kdtree_floor(dataset, needs, members, mode.floor_budget))
    _add(
        say,
        results,
        inprocess.measure_naive(
            dataset, needs, members, mode.naive_budget, max_rows=mode.naive_max_rows
        ),
    )
    if not options.skip_http:
        # measure_http shows each figure itself, as its run ends.
        for result in load.measure_http(
            dataset,
            needs,
            members,
            mode.load,
            wide=wide,
            work_dir=options.data_dir / "logs",
            log=say,
        ):
            results.append(result)


def _measure_batch(mode: Mode, say: Log, warnings: list[str]) -> list[batch.Report]:
    """The batch solver against greedy on each size and shape, each in its own process."""
    reports = []
    for places, members in mode.batch_sizes:
        for shape in batch.SHAPES:
            say(f"[bold]batch[/bold]: {shape} city, {places:,} places / {members:,} members")
            try:
                found = batch.measure(places, members, shape)
            except (subprocess.CalledProcessError, subprocess.TimeoutExpired) as error:
                warnings.append(f"batch {shape} {places:,} places: {error}")
                say(f"[red]batch run failed: {error!r}[/red]")
                continue
            say(batch.describe(found))
            reports.append(found)
    return reports


def _measure_multiplication(mode: Mode, say: Log, warnings: list[str]) -> list[str]:
    """The multiplication plans against their baselines, in-process (a few seconds), as the
    report's Markdown lines; shown on the terminal as they are."""
    if not mode.multiplication:
        return []
    say("[bold]multiplication[/bold]: 25 and 200 members, plan against random and k-means")
    try:
        lines = multiplication.markdown(multiplication.run())
    except RuntimeError as error:
        warnings.append(f"multiplication: {error}")
        say(f"[red]multiplication run failed: {error!r}[/red]")
        return []
    say("\n".join(lines), markup=False)
    return lines


def _wide_needs(dataset: datasets.Dataset, mode: Mode, *, seed: int) -> load.WideNeeds | None:
    """The densest and a median agency/network need (``dense``'s ranking), and a seeded sample
    of the same ranking for the admin's share of the mixed load."""
    engine = make_engine(dataset.url, pool_size=1)
    try:
        with make_sessionmaker(engine)() as session:
            ranked = dense.wide_needs_by_density(session, now=utcnow(), sample=mode.density_sample)
    finally:
        engine.dispose()
    if not ranked:
        return None
    (densest,), (median,) = dense.densest_and_median(ranked)
    chosen = random.Random(seed).sample(ranked, min(mode.queries, len(ranked)))
    sampled = [densest[1], median[1], *(need_id for _, need_id in chosen)]
    return load.WideNeeds(
        densest=densest[1],
        median=median[1],
        sampled=tuple(dict.fromkeys(sampled)),
        density={need_id: count for count, need_id in ranked},
        admin_key=str(dataset.keys["admin"]),
    )


def _mode(options: argparse.Namespace) -> Mode:
    mode = QUICK if options.quick else FULL
    plan = mode.load
    plan = replace(
        plan,
        workers=options.workers or plan.workers,
        connections=options.connections or plan.connections,
        mixed_connections=options.mixed_connections or plan.mixed_connections,
        duration_s=options.duration or plan.duration_s,
        mixed_duration_s=options.duration or plan.mixed_duration_s,
    )
    specs, batch_sizes, multiplication_too = mode.datasets, mode.batch_sizes, mode.multiplication
    if options.only:
        parts = {"batch", "multiplication"}
        unknown = set(options.only) - {spec.name for spec in specs} - parts
        if unknown:
            names = ", ".join([*(spec.name for spec in specs), *sorted(parts)])
            raise SystemExit(
                f"unknown dataset(s) {', '.join(sorted(unknown))}; this mode has {names}"
            )
        specs = tuple(spec for spec in specs if spec.name in options.only)
        batch_sizes = batch_sizes if "batch" in options.only else ()
        multiplication_too = "multiplication" in options.only
    return replace(
        mode,
        datasets=specs,
        batch_sizes=batch_sizes,
        multiplication=multiplication_too,
        load=plan,
        json_path=options.json or mode.json_path,
        markdown_path=options.markdown or mode.markdown_path,
    )


def _method(mode: Mode) -> dict[str, str]:
    plan = mode.load
    return {
        "sampled queries per dataset": f"{mode.queries} open needs, {mode.queries} members",
        "in-process budget (service, engine)": _budget(mode.engine_budget),
        "floor budget": _budget(mode.floor_budget),
        "naive budget": f"{_budget(mode.naive_budget)}; at most {mode.naive_max_rows:,} rows",
        "API server": f"`servematch serve --workers {plan.workers}` on 127.0.0.1",
        "load generator": "wrk, one thread per connection, separate process",
        "connections": f"{plan.connections} per operation; {plan.mixed_connections} mixed load",
        "realistic mixed load": mix.describe(),
        "densest and median need": (
            f"ranked by members around them among the first {mode.density_sample:,} open"
            " agency/network needs (`scripts/bench/dense.py`)"
        ),
        "batch assignment": (
            ", ".join(f"{p:,} places / {m:,} members" for p, m in mode.batch_sizes)
            + " (plentiful and scarce cities), each in its own `python -m scripts.bench.batch`"
            " process at its target's budget"
            if mode.batch_sizes
            else "not run"
        ),
        "multiplication plans": (
            "seeded 25- and 200-member communities, plan against random and k-means splits,"
            " median of 5 in-process (`python -m scripts.bench.multiplication`)"
            if mode.multiplication
            else "not run"
        ),
        "HTTP run bounds": (
            f"{plan.duration_s} s per operation, {plan.mixed_duration_s} s mixed,"
            f" at most {plan.max_requests:,} requests each; {plan.warmup_s} s warm-up"
        ),
    }


def _budget(budget: inprocess.Budget) -> str:
    return f"{budget.min_calls}–{budget.max_calls:,} calls, stopping after {budget.max_seconds:g} s"


def _ordered(results: list[Result], dataset_order: list[str]) -> list[Result]:
    layer_order = list(LAYERS) + list(BASELINES)
    part_order = ["", *DENSITY_PARTS, *mix.REPORTED_KINDS]
    return sorted(
        results,
        key=lambda r: (
            dataset_order.index(r.dataset) if r.dataset in dataset_order else len(dataset_order),
            QUERIES.index(r.query),
            layer_order.index(r.layer),
            part_order.index(r.part) if r.part in part_order else len(part_order),
        ),
    )


def _add(say: Log, results: list[Result], found: list[Result]) -> None:
    """Keep figures as soon as they are measured, and show them."""
    results += found
    for result in found:
        say(
            f"  {result.dataset} {result.operation}: p50 {result.p50_ms:.3f} ms,"
            f" p95 {result.p95_ms:.3f} ms ({result.samples} calls)"
        )


def _postgres_url_for_facts(
    options: argparse.Namespace, loaded: list[dict[str, Any]]
) -> str | None:
    if not any(dataset["backend"] == "postgis" for dataset in loaded):
        return None
    # Ask a bench database, where the postgis extension is installed, for its version.
    name = next(str(dataset["name"]) for dataset in loaded if dataset["backend"] == "postgis")
    spec = next(spec for spec in (*QUICK.datasets, *FULL.datasets) if spec.name == name)
    return spec.database_url(options.data_dir, options.postgres_url)


def _relative(path: Path) -> str:
    try:
        return str(path.resolve().relative_to(REPOSITORY))
    except ValueError:
        return str(path)
