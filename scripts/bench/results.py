"""The figures a run produces: one `Result` per (dataset, operation), and their ratios.

An operation is ``<query>/<layer>``: the query is what was asked (candidates for a need,
suggestions for a member, or the realistic mixed load) and the layer how much of the stack ran
(engine only, service, HTTP) or which baseline answered it. A row may also be one ``part`` of
an operation: one endpoint of the mixed load, or candidates for one need (the densest, a
median one). Ratios to baselines compare medians of the same query on the same dataset and
the same questions, so "x times faster" means the same thing in every row; parts have none.
"""

from __future__ import annotations

import math
import pstats
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

QUERIES = ("candidates", "suggestions", "mixed")
DENSITY_PARTS = ("densest", "median")
"""Candidates of single needs, by how many members live around them."""
LAYERS = ("engine", "service", "http")
BASELINES = ("naive", "postgis_floor", "kdtree_floor", "sqlite_floor", "everyone")
"""Baselines in the order they are reported; only those measured in a run get a column.
``everyone`` is candidates as before issue 13 (every member in reach read and ranked), for
the densest and median needs only."""

REPOSITORY = f"{Path(__file__).resolve().parents[2].as_posix()}/"

BACKENDS = ("postgis", "sqlite", "memory")
"""Where the timed work ran: a database (through it) or only this process's memory."""


@dataclass(frozen=True)
class Result:
    """Latency and throughput of one operation on one dataset."""

    dataset: str
    backend: str
    query: str
    layer: str
    p50_ms: float
    p95_ms: float
    requests_per_s: float
    samples: int
    rss_mb: float | None = None
    note: str = ""
    part: str = ""
    """Empty for the whole operation; else an endpoint of the mix (``mix.REPORTED_KINDS``) or
    a need of ``DENSITY_PARTS``."""
    statuses: dict[str, int] | None = field(default=None, hash=False)
    """HTTP answers by status class (``2xx``…``5xx``); None where nothing answered HTTP."""

    def __post_init__(self) -> None:
        if self.query not in QUERIES:
            raise ValueError(f"query must be one of {QUERIES}")
        if self.layer not in LAYERS + BASELINES:
            raise ValueError(f"layer must be one of {LAYERS + BASELINES}")
        if self.backend not in BACKENDS:
            raise ValueError(f"backend must be one of {BACKENDS}")

    @property
    def operation(self) -> str:
        """``<query>/<layer>``, e.g. ``candidates/http``."""
        return f"{self.query}/{self.layer}"

    @property
    def is_baseline(self) -> bool:
        """Whether this row is a baseline other rows are compared with."""
        return self.layer in BASELINES


def from_latencies(
    latencies_s: Sequence[float],
    *,
    elapsed_s: float,
    dataset: str,
    backend: str,
    query: str,
    layer: str,
    scale: float = 1.0,
    note: str = "",
) -> Result:
    """A result from per-call latencies measured one call after another.

    Throughput is calls over wall time of one thread. ``scale`` multiplies every latency
    (and divides throughput): the naive baseline runs on a subset and is extrapolated.
    """
    if not latencies_s:
        raise ValueError("no latencies measured")
    milliseconds = np.asarray(latencies_s, dtype=np.float64) * 1000.0 * scale
    return Result(
        dataset=dataset,
        backend=backend,
        query=query,
        layer=layer,
        p50_ms=float(np.percentile(milliseconds, 50)),
        p95_ms=float(np.percentile(milliseconds, 95)),
        requests_per_s=len(latencies_s) / (elapsed_s * scale),
        samples=len(latencies_s),
        note=note,
    )


def baselines_measured(results: Iterable[Result]) -> list[str]:
    """Baseline names with at least one row in ``results``, in reporting order."""
    present = {result.layer for result in results if result.is_baseline}
    return [name for name in BASELINES if name in present]


def ratios(result: Result, results: Sequence[Result]) -> dict[str, float | None]:
    """``vs_<baseline>`` for every baseline of the run: baseline p50 over this row's p50.

    Above 1 this row is that many times faster; below 1, slower. None where the baseline was
    not measured for this query on this dataset (the mixed load has no baseline at all).
    """
    found: dict[str, float | None] = {}
    for name in baselines_measured(results):
        # One endpoint of the mix answers other questions than any baseline; one need is
        # compared only with the same need's baseline.
        baseline = next(
            (
                other
                for other in results
                if other.layer == name
                and other.part == result.part
                and other.dataset == result.dataset
                and other.query == result.query
                and result.part in ("", *DENSITY_PARTS)
            ),
            None,
        )
        found[f"vs_{name}"] = (
            None
            if baseline is None or result.p50_ms <= 0
            else _significant(baseline.p50_ms / result.p50_ms)
        )
    return found


def as_records(results: Sequence[Result]) -> list[dict[str, object]]:
    """The machine-readable rows of ``bench/results.json``."""
    records: list[dict[str, object]] = []
    for result in results:
        record: dict[str, object] = {
            "dataset": result.dataset,
            "backend": result.backend,
            "operation": result.operation,
            "part": result.part or None,
            "p50_ms": _significant(result.p50_ms),
            "p95_ms": _significant(result.p95_ms),
            "requests_per_s": _significant(result.requests_per_s),
            "rss_mb": None if result.rss_mb is None else round(result.rss_mb, 1),
        }
        record.update(ratios(result, results))
        record["samples"] = result.samples
        record["statuses"] = result.statuses
        record["note"] = result.note
        records.append(record)
    return records


def _significant(value: float, digits: int = 4) -> float:
    """Rounded to ``digits`` significant figures: enough for noisy timings, no false precision."""
    if value == 0 or not math.isfinite(value):
        return value
    return round(value, digits - 1 - math.floor(math.log10(abs(value))))


@dataclass(frozen=True)
class Profile:
    """Per-request milliseconds of the stages of a candidates request, and the top functions."""

    calls: int
    wall_ms: float
    stages: list[tuple[str, float]]
    top_functions: list[tuple[str, float, float]]  # (function, own ms, cumulative ms) per call

    STAGES = (
        ("auth: key lookup + communities", "api/auth/principal.py", "authenticate"),
        ("service.candidates", "api/matching/service.py", "candidates"),
        ("  SQL: candidate rows (radius query)", "api/matching/repository.py", "candidate_rows"),
        ("  SQL: member history -> records", "api/matching/service.py", "_member_profiles"),
        ("  SQL: need + roles", "api/matching/repository.py", "readable_need_with_roles"),
        ("  text model (cached)", "api/matching/text_model.py", "get"),
        ("  engine: build_pool (columns + TF-IDF)", "matcher/pool.py", "build_pool"),
        ("  engine: rank_candidates", "matcher/ranking.py", "rank_candidates"),
        ("response: validate + serialise", "fastapi/routing.py", "serialize_response"),
        ("transaction commit", "sqlalchemy/orm/session.py", "commit"),
        ("(across stages) psycopg execute", "psycopg/cursor.py", "execute"),
        ("(across stages) sqlite3 execute", "~", "<method 'execute' of 'sqlite3.Cursor' objects>"),
        ("(across stages) ORM rows to objects", "sqlalchemy/orm/loading.py", "instances"),
    )

    @classmethod
    def from_stats(cls, stats: pstats.Stats, *, calls: int, wall_ms: float) -> Profile:
        """Pick the named stages and the top functions by own time out of cProfile stats."""
        table: dict[tuple[str, int, str], tuple[Any, ...]] = stats.stats  # type: ignore[attr-defined]
        stages = []
        for label, file_part, function in cls.STAGES:
            cumulative = sum(
                entry[3]
                for (file, _line, name), entry in table.items()
                if name == function and _in_file(file, file_part)
            )
            if cumulative:
                stages.append((label, cumulative * 1000.0 / calls))
        ranked = sorted(table.items(), key=lambda item: item[1][2], reverse=True)[:12]
        top = [
            (
                f"{_short(file)}:{line}({name})",
                entry[2] * 1000.0 / calls,
                entry[3] * 1000.0 / calls,
            )
            for (file, line, name), entry in ranked
        ]
        return cls(calls=calls, wall_ms=wall_ms, stages=stages, top_functions=top)


def _in_file(file: str, file_part: str) -> bool:
    # cProfile files built-in functions under "~".
    return file == "~" if file_part == "~" else file.replace("\\", "/").endswith(file_part)


def _short(path: str) -> str:
    """A profiled file as a reader knows it: repository-relative, or the package's own path."""
    path = path.replace("\\", "/")
    if "site-packages/" in path:
        return path.split("site-packages/", 1)[1]
    return path.removeprefix(REPOSITORY)
