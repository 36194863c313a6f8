"""Batch assignment at city scale: the solver against greedy per-need ranking, one instance.

A seeded synthetic city: members scattered around a centre (denser inside), needs over one
weekend with 1-3 roles of 1-3 places, stages about 30 % new / 30 % growing / 30 % mature /
10 % leader, some households. Candidate edges are the k best members per place by a
synthetic score (closeness and skill fit) among the nearest members (a KD-tree on projected
points), as the exact top-k gives the API. Two shapes of the same city:

- **plentiful**: needs spread over the weekend and the city, monthly room 1-4 (uniform):
  greedy already fills nearly every place;
- **scarce**: a weekend drive: most needs in two peaks (Saturday 09:00-12:00 and Sunday
  13:00-16:00 starts, so they overlap), most in the dense core where the same members are
  everybody's nearest, and most members free for one place that month (room 1: 60 %,
  2: 30 %, 3: 10 %): per-need ranking gives the core's best people to the first needs and
  strands later ones, as Planning Center's greedy does "when everyone conflicts".

`run` returns the figures of both solvers; ``python -m scripts.bench.batch [places members]
[--shape scarce] [--json]`` prints them (one size and shape per process, so the peak RSS is
that run's).
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np
from scipy.spatial import cKDTree

from matcher import Assignment, AssignmentProblem, assign, gini, greedy_assign

SIZES = ((10_000, 100_000), (100_000, 1_000_000))
TARGET_S = {SIZES[0]: 2.0, SIZES[1]: 30.0}  # issue 14: the solve within these
QUICK_SIZE = (2_000, 20_000)  # `make bench-quick`: a feel, judged against no target
DEFAULT_BUDGET_S = 2.0  # for sizes without a target
TARGET_MEMORY_MIB = 4 * 1024
REPOSITORY = Path(__file__).resolve().parents[2]
CITY_RADIUS_KM = 25.0
ROLE_KINDS = 6  # cook, driver, ... : a role kind per slot, a skill level per member and kind
WEEKEND_HOURS = 52  # Friday 18:00 to Sunday 22:00
REACH = 4  # nearest members considered per candidate wanted
STAGE_SHARES = (0.3, 0.3, 0.3, 0.1)
HOUSEHOLD_SHARE = 0.04  # of members, in pairs
CORE_RADIUS_SHARE = 0.3  # of the city radius: where half the members live
PEAK_START_HOURS = (15, 16, 17, 43, 44, 45)  # Saturday 09-11 h and Sunday 13-15 h starts


@dataclass(frozen=True, slots=True)
class Shape:
    """How the city's needs and members' time are spread."""

    name: str
    room_shares: tuple[float, ...]  # of members with a monthly room of 1, 2, ...
    peak_share: float  # of needs starting in the weekend's peak hours
    core_share: float  # of needs placed in a downtown disc
    core_radius_share: float = CORE_RADIUS_SHARE  # its radius, of the city's


PLENTIFUL = Shape("plentiful", room_shares=(0.25, 0.25, 0.25, 0.25), peak_share=0.0, core_share=0.0)
SCARCE = Shape(
    "scarce", room_shares=(0.6, 0.3, 0.1), peak_share=0.7, core_share=0.8, core_radius_share=0.1
)
SHAPES = {shape.name: shape for shape in (PLENTIFUL, SCARCE)}


@dataclass(frozen=True, slots=True)
class Figures:
    """What one solver made of the instance."""

    solver: str
    solve_s: float
    objective: float
    total_score: float
    places_filled: int
    places_open: int
    gini: float
    optimal: bool
    gap: float
    peak_rss_mib: float


@dataclass(frozen=True, slots=True)
class Report:
    """Both solvers on one instance, and how it was built."""

    shape: str
    places: int
    members: int
    edges: int
    build_s: float
    figures: tuple[Figures, ...]  # batch, then greedy
    time_budget_s: float

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Report:
        """A report printed by ``--json`` (another process's run)."""
        fields = {**data, "figures": tuple(Figures(**f) for f in data["figures"])}
        fields.pop("ratios", None)
        return cls(**fields)

    @property
    def name(self) -> str:
        """E.g. ``batch-scarce-10k``: the dataset column of the bench's results."""
        size = f"{self.places // 1000}k" if self.places >= 1000 else str(self.places)
        return f"batch-{self.shape}-{size}"


def city(
    places: int, members: int, *, seed: int = 14, k: int = 8, shape: Shape = PLENTIFUL
) -> AssignmentProblem:
    """A seeded synthetic instance with about `places` open places and `members` members."""
    rng = np.random.default_rng(seed)
    # Members: half in a dense core, half spread over the city; households share a home.
    radius = np.where(rng.random(members) < 0.5, CORE_RADIUS_SHARE, 1.0) * CITY_RADIUS_KM
    home = _scatter(rng, members, radius)
    households = int(members * HOUSEHOLD_SHARE) // 2
    firsts = rng.choice(members - 1, size=households, replace=False)
    firsts = np.unique(firsts[~np.isin(firsts, firsts + 1)])
    home[firsts + 1] = home[firsts]
    stage = rng.choice(4, size=members, p=STAGE_SHARES).astype(np.int64)
    skill = rng.integers(0, 4, size=(members, ROLE_KINDS))
    # Needs: 1-3 roles of 1-3 places, 4 places on average.
    needs = max(1, places // 4)
    roles = rng.integers(1, 4, size=needs)
    slot_need = np.repeat(np.arange(needs), roles)
    slot_open = rng.integers(1, 4, size=len(slot_need)).astype(np.int64)
    slot_kind = rng.integers(0, ROLE_KINDS, size=len(slot_need))
    start_h = rng.integers(0, WEEKEND_HOURS - 4, size=needs)
    if shape.peak_share:
        peak = rng.random(needs) < shape.peak_share
        start_h[peak] = rng.choice(PEAK_START_HOURS, size=int(peak.sum()))
    starts = start_h * 3600
    ends = starts + rng.integers(1, 5, size=needs) * 3600
    need_radius = np.full(needs, CITY_RADIUS_KM * 0.8)
    if shape.core_share:
        need_radius[rng.random(needs) < shape.core_share] = CITY_RADIUS_KM * shape.core_radius_share
    where = _scatter(rng, needs, need_radius)
    # Candidates: per slot, the k * open best of its need's nearest members.
    wanted = k * slot_open
    per_need = np.zeros(needs, dtype=np.int64)
    np.maximum.at(per_need, slot_need, wanted)
    reach = int(per_need.max()) * REACH
    distance, nearest = cKDTree(home).query(where, k=reach)
    near = nearest[slot_need]  # (slots, reach)
    score = 0.6 * np.exp(-distance[slot_need] / 3.0) + 0.4 * skill[near, slot_kind[:, None]] / 3
    order = np.argsort(-score, axis=1, kind="stable")
    rank = np.empty_like(order)
    np.put_along_axis(rank, order, np.arange(reach)[None, :], axis=1)
    chosen = rank < wanted[:, None]
    slot_of, column = np.nonzero(chosen)
    together, apart = np.array_split(np.stack([firsts, firsts + 1], axis=1), 2)
    has_mentor = rng.random(needs) < 0.15
    if shape is PLENTIFUL:  # drawn as before shapes existed, so its figures stay comparable
        room = rng.integers(1, 5, size=(members, 1))
    else:
        room = 1 + rng.choice(len(shape.room_shares), size=(members, 1), p=shape.room_shares)
    return AssignmentProblem(
        slot_need=slot_need.astype(np.int64),
        slot_open=slot_open,
        need_starts_s=starts.astype(np.int64),
        need_ends_s=ends.astype(np.int64),
        need_month=np.zeros(needs, dtype=np.int64),
        need_has_mentor=has_mentor,
        need_covered=has_mentor,  # a need with a mentor on it has someone
        member_stage=stage,
        member_month_room=room.astype(np.int64),
        member_load=rng.poisson(0.3, size=members).astype(np.int64),
        member_idle_days=np.where(
            rng.random(members) < 0.3, np.inf, rng.exponential(30.0, size=members)
        ),
        edge_member=near[slot_of, column].astype(np.int64),
        edge_slot=slot_of.astype(np.int64),
        edge_score=np.round(score[slot_of, column], 4),
        together_pairs=together.astype(np.int64),
        apart_pairs=apart.astype(np.int64),
    )


def _scatter(rng: np.random.Generator, count: int, radius_km: np.ndarray) -> np.ndarray:
    """Points (km, projected) uniform in discs of the given radii around the centre."""
    angle = rng.random(count) * 2 * np.pi
    distance = np.sqrt(rng.random(count)) * radius_km
    return np.stack([distance * np.cos(angle), distance * np.sin(angle)], axis=1)


def _figures(name: str, problem: AssignmentProblem, solve: object) -> Figures:
    started = time.perf_counter()
    result: Assignment = solve(problem)  # type: ignore[operator]
    elapsed = time.perf_counter() - started
    candidates = np.unique(problem.edge_member)
    places = np.bincount(problem.edge_member[result.edges], minlength=len(problem.member_stage))
    return Figures(
        solver=name,
        solve_s=elapsed,
        objective=result.objective,
        total_score=result.total_score,
        places_filled=len(result.edges),
        places_open=int(problem.slot_open.sum()),
        gini=gini(places[candidates]),
        optimal=result.optimal,
        gap=result.gap,
        peak_rss_mib=resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    )


def run(
    places: int,
    members: int,
    *,
    time_budget_s: float,
    seed: int = 14,
    shape: Shape = PLENTIFUL,
) -> Report:
    """Build one instance and solve it with the batch solver, then greedily."""
    started = time.perf_counter()
    problem = city(places, members, seed=seed, shape=shape)
    build_s = time.perf_counter() - started
    figures = (
        _figures("batch", problem, lambda p: assign(p, time_budget_s=time_budget_s)),
        _figures("greedy", problem, greedy_assign),
    )
    return Report(
        shape.name, places, members, len(problem.edge_member), build_s, figures, time_budget_s
    )


def describe(report: Report) -> str:
    """The report as the table `make bench` prints, with batch / greedy ratios."""
    lines = [
        f"batch assignment, {report.shape} city, {report.places:,} places /"
        f" {report.members:,} members: "
        f"{report.edges:,} edges, built in {report.build_s:.1f} s",
        f"  {'solver':<7}{'solve s':>8}{'peak MiB':>10}{'objective':>12}{'score':>12}{'filled':>16}"
        f"{'gini':>7}{'gap':>10}  optimal",
    ]
    for f in report.figures:
        lines.append(
            f"  {f.solver:<7}{f.solve_s:>8.2f}{f.peak_rss_mib:>10,.0f}{f.objective:>12,.1f}"
            f"{f.total_score:>12,.1f}"
            f"{f'{f.places_filled:,}/{f.places_open:,}':>16}{f.gini:>7.3f}{f.gap:>10.2e}"
            f"  {f.optimal}"
        )
    batch, greedy = report.figures[0], report.figures[1]
    ratio = ratios(report)
    lines.append(
        f"  {'ratio':<7}{batch.solve_s / max(greedy.solve_s, 1e-9):>8.2f}{'':>10}"
        f"{ratio['objective']:>12.4f}{ratio['total_score']:>12.4f}"
        f"{ratio['places_filled']:>16.4f}{ratio['gini']:>7.3f}   (batch / greedy)"
    )
    return "\n".join(lines)


def ratios(report: Report) -> dict[str, float]:
    """Batch over greedy on the same instance: above 1 is more (score, places), below 1 less
    (Gini: more even load)."""
    batch, greedy = report.figures[0], report.figures[1]
    return {
        "total_score": batch.total_score / max(greedy.total_score, 1e-9),
        "places_filled": batch.places_filled / max(greedy.places_filled, 1),
        "gini": batch.gini / max(greedy.gini, 1e-9),
        "objective": batch.objective / max(greedy.objective, 1e-9),
    }


def measure(places: int, members: int, shape: str, *, timeout_s: float = 1800) -> Report:
    """One size and shape in its own process (``--json``), so its peak RSS is its own."""
    command = [sys.executable, "-m", "scripts.bench.batch", str(places), str(members)]
    done = subprocess.run(
        [*command, "--shape", shape, "--json"],
        cwd=REPOSITORY,
        capture_output=True,
        text=True,
        check=True,
        timeout=timeout_s,
    )
    return Report.from_json(json.loads(done.stdout.splitlines()[-1]))


def records(reports: list[Report]) -> list[dict[str, Any]]:
    """Rows for the bench's results.json: one per solver and instance, with the keys every
    row has (the solve time as p50/p95 of its one call, peak RSS as rss_mb) and the ratios."""
    rows = []
    for report in reports:
        ratio = ratios(report)
        for figures in report.figures:
            rows.append(
                {
                    "dataset": report.name,
                    "backend": "memory",
                    "operation": f"batch/{figures.solver}",
                    "p50_ms": figures.solve_s * 1000,
                    "p95_ms": figures.solve_s * 1000,
                    "requests_per_s": None,
                    "rss_mb": figures.peak_rss_mib,
                    "places": report.places,
                    "members": report.members,
                    "edges": report.edges,
                    "time_budget_s": report.time_budget_s,
                    **{k: v for k, v in asdict(figures).items() if k != "peak_rss_mib"},
                    **(
                        {f"vs_greedy_{name}": value for name, value in ratio.items()}
                        if figures.solver == "batch"
                        else {}
                    ),
                }
            )
    return rows


def verdicts(report: Report) -> list[tuple[str, str, str, str]]:
    """(target, bound, measured, status) for the issue's batch targets on one report; a size
    without a target (the quick run's) is only a feel: "not measured". The proven gap, which
    the issue asks to state rather than bound, is in the figures."""
    batch, greedy = report.figures[0], report.figures[1]
    target_s = TARGET_S.get((report.places, report.members))
    ratio = ratios(report)
    nothing_left = batch.places_filled == batch.places_open
    found = [
        (
            "solve time",
            f"≤ {target_s:g} s" if target_s else "—",
            f"{batch.solve_s:.2f} s",
            target_s is not None and batch.solve_s <= target_s,
        ),
        (
            "peak memory",
            f"≤ {TARGET_MEMORY_MIB:,} MiB",
            f"{batch.peak_rss_mib:,.0f} MiB",
            batch.peak_rss_mib <= TARGET_MEMORY_MIB,
        ),
        ("total score vs greedy", "> 1", f"{ratio['total_score']:.4f}", ratio["total_score"] > 1),
        ("Gini vs greedy", "< 1", f"{ratio['gini']:.3f}", ratio["gini"] < 1),
        (
            "places filled vs greedy",
            "> 1 (or every place)",
            f"{ratio['places_filled']:.4f} ({batch.places_filled:,} / {greedy.places_filled:,})",
            batch.places_filled > greedy.places_filled or nothing_left,
        ),
    ]
    return [
        (label, bound, value, ("met" if met else "missed") if target_s else "not measured")
        for label, bound, value, met in found
    ]


def markdown(reports: list[Report]) -> list[str]:
    """The batch section of docs/benchmarks.md."""
    lines = [
        "## Batch assignment",
        "",
        "`matcher.assign` against greedy per-need ranking on seeded synthetic cities"
        " (`scripts/bench/batch.py`; the plentiful and scarce shapes are described in"
        " docs/assignment.md), each size and shape in its own process at the budget of its"
        " target. Peak RSS is the process's (instance built in it); Gini over candidate"
        " members' places.",
        "",
        "| instance | solver | solve s | peak MiB | objective | total score | filled | Gini"
        " | gap |",
        "|---|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for report in reports:
        for f in report.figures:
            lines.append(
                f"| {report.name} ({report.edges:,} edges, {report.time_budget_s:g} s budget)"
                f" | {f.solver} | {f.solve_s:.2f} | {f.peak_rss_mib:,.0f} | {f.objective:,.1f}"
                f" | {f.total_score:,.1f} | {f.places_filled:,} / {f.places_open:,}"
                f" | {f.gini:.3f} | {'—' if f.solver == 'greedy' else f'{f.gap:.2%}'} |"
            )
        ratio = ratios(report)
        lines.append(
            f"| {report.name} | batch / greedy | | | {ratio['objective']:.4f}"
            f" | {ratio['total_score']:.4f} | {ratio['places_filled']:.4f} | {ratio['gini']:.3f}"
            " | |"
        )
    lines += ["", "| instance | target | bound | measured | status |", "|---|---|---|---|---|"]
    for report in reports:
        for label, bound, value, status in verdicts(report):
            shown = "**missed**" if status == "missed" else status
            lines.append(f"| {report.name} | {label} | {bound} | {value} | {shown} |")
    return lines


def main(argv: list[str] | None = None) -> int:
    """Print the figures for one size and shape (default: the small size, plentiful)."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("places", type=int, nargs="?", default=SIZES[0][0])
    parser.add_argument("members", type=int, nargs="?", default=SIZES[0][1])
    parser.add_argument("--shape", choices=sorted(SHAPES), default=PLENTIFUL.name)
    parser.add_argument(
        "--time-budget-s",
        type=float,
        help=f"default: the target for the size (2 s, 30 s), else {DEFAULT_BUDGET_S:g} s",
    )
    parser.add_argument(
        "--json", action="store_true", help="one JSON object (the report and ratios) instead"
    )
    options = parser.parse_args(argv)
    budget = options.time_budget_s or TARGET_S.get(
        (options.places, options.members), DEFAULT_BUDGET_S
    )
    report = run(options.places, options.members, time_budget_s=budget, shape=SHAPES[options.shape])
    if options.json:
        print(json.dumps({**asdict(report), "ratios": ratios(report)}))
    else:
        print(describe(report))
    return 0


if __name__ == "__main__":
    sys.exit(main())
