"""Multiplication plans: the engine's split against a random and a k-means split.

A seeded community per size: homes scattered (~1 km) around two or three neighbourhood
centres a few km apart, half the members in households of two sharing a home, stages about
30 % new / 30 % growing / 30 % mature / 10 % leader with one apprentice per ten members,
skills at random (a third of members per skill), and the roles past needs asked for. The
community meets now at a house in the first neighbourhood. Each method runs `REPEATS` times
on the same problem (the distance matrix built once, as the service would); the median time
is reported, and the figures of the last run (every run gives the same split for a seed).

``python -m scripts.bench.multiplication`` prints the Markdown table; ``make bench`` (or
``scripts/bench.py --only multiplication``) prints it and adds it to the report.
"""

from __future__ import annotations

import statistics
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from matcher.inputs import Stage
from matcher.multiplication import (
    MeetingPlace,
    SkillNeed,
    SplitMember,
    SplitProblem,
    SplitRules,
    readiness,
)
from matcher.split import SplitPlan, kmeans_split, plan_split, random_split

# (members, groups, neighbourhoods): the two sizes; 200 also into four groups.
SIZES = ((25, 2, 2), (200, 2, 3), (200, 4, 3))
REPEATS = 5
SEED = 42
CENTRE = (51.4545, -2.5879)  # Bristol
NEIGHBOURHOOD_KM = 4.0  # centres this far from the town centre
SCATTER_KM = 1.0
KM_PER_DEGREE = 111.2
STAGES: tuple[Stage, ...] = ("new", "growing", "mature", "leader")
STAGE_SHARES = (0.3, 0.3, 0.3, 0.1)
SKILLS = ("cooking", "driving", "childcare", "music")
NEEDS = (
    SkillNeed("cooking", 2, 3),
    SkillNeed("driving", 1, 2),
    SkillNeed("childcare", 2, 1),
    SkillNeed("music", 1, 1),
)
METHODS: tuple[tuple[str, Callable[..., SplitPlan]], ...] = (
    ("plan", plan_split),
    ("random", random_split),
    ("k-means", kmeans_split),
)


@dataclass(frozen=True, slots=True)
class Row:
    """One method on one community."""

    members: int
    groups: int
    method: str
    time_ms: float  # median of REPEATS
    optimal: bool
    before_sum_km: float
    before_median_km: float
    after_sum_km: float
    after_median_km: float
    sizes: tuple[int, ...]
    violations: int
    matrix_ms: float  # the distance matrix, built once per community before the methods


def community(members: int, groups: int, neighbourhoods: int, *, seed: int) -> SplitProblem:
    """The seeded community described in the module docstring."""
    rng = np.random.default_rng(seed)
    angles = 2 * np.pi * np.arange(neighbourhoods) / neighbourhoods
    centres_km = NEIGHBOURHOOD_KM * np.column_stack([np.sin(angles), np.cos(angles)])
    stages = rng.choice(len(STAGES), size=members, p=STAGE_SHARES)
    stages[: max(groups, members // 10)] = STAGES.index("leader")  # enough to lead
    apprentices = rng.choice(members, size=members // 10, replace=False)
    people = []
    index = 0
    while index < members:
        north, east = centres_km[rng.integers(neighbourhoods)] + rng.normal(0, SCATTER_KM, 2)
        lat = CENTRE[0] + north / KM_PER_DEGREE
        lon = CENTRE[1] + east / (KM_PER_DEGREE * np.cos(np.radians(CENTRE[0])))
        household = f"h{index}" if index + 1 < members and rng.random() < 0.5 else None
        for _ in range(2 if household else 1):
            stage = STAGES[stages[index]]
            people.append(
                SplitMember(
                    id=f"m{index}",
                    lat=float(lat),
                    lon=float(lon),
                    stage=stage,
                    apprentice=stage != "leader" and index in apprentices,
                    household=household,
                    skills={
                        skill: int(rng.integers(1, 4)) for skill in SKILLS if rng.random() < 1 / 3
                    },
                )
            )
            index += 1
    meeting_point = MeetingPlace(
        CENTRE[0] + centres_km[0, 0] / KM_PER_DEGREE,
        CENTRE[1] + centres_km[0, 1] / (KM_PER_DEGREE * np.cos(np.radians(CENTRE[0]))),
        None,
    )
    rules = SplitRules(groups=groups)
    # Shuffled, so the split cannot lean on the order the generator placed people in.
    order = rng.permutation(len(people))
    return SplitProblem(tuple(people[i] for i in order), meeting_point, NEEDS, rules)


def run(*, seed: int = SEED, repeats: int = REPEATS) -> list[Row]:
    """Every method on every size."""
    rows = []
    for members, groups, neighbourhoods in SIZES:
        problem = community(members, groups, neighbourhoods, seed=seed)
        if not readiness(problem.members, problem.rules).ready:
            raise RuntimeError(f"the generated {members}-member community is not ready")
        started = time.perf_counter()
        problem.distances_km  # noqa: B018 - built once, as a request would, and timed alone
        matrix_ms = (time.perf_counter() - started) * 1000.0
        for name, method in METHODS:
            plans = [method(problem, seed=seed) for _ in range(repeats)]
            figures = plans[-1].figures
            rows.append(
                Row(
                    members=members,
                    groups=groups,
                    method=name,
                    time_ms=statistics.median(plan.solve_ms for plan in plans),
                    optimal=plans[-1].optimal,
                    before_sum_km=figures.travel_before_sum_km,
                    before_median_km=figures.travel_before_median_km,
                    after_sum_km=figures.travel_after_sum_km,
                    after_median_km=figures.travel_after_median_km,
                    sizes=tuple(group.size for group in figures.groups),
                    violations=len(figures.violations),
                    matrix_ms=matrix_ms,
                )
            )
    return rows


def markdown(rows: list[Row]) -> list[str]:
    """The table, under a heading, as Markdown lines."""
    lines = [
        "## Multiplication plans",
        "",
        f"Seeded communities (`scripts/bench/multiplication.py`, seed {SEED}); time is the"
        f" median of {REPEATS} runs in-process, after the distance matrix was built"
        f" ({_matrix_times(rows)})."
        " Travel is each member's home to their group's meeting place (before: to the current"
        " one), in km.",
        "",
        "| members | groups | method | time (ms) | optimal | travel before: sum / median"
        " | travel after: sum / median | sizes | broken rules |",
        "|---:|---:|---|---:|---|---:|---:|---|---:|",
    ]
    lines += [
        f"| {row.members} | {row.groups} | {row.method} | {row.time_ms:.1f}"
        f" | {'yes' if row.optimal else 'no'}"
        f" | {row.before_sum_km:.1f} / {row.before_median_km:.2f}"
        f" | {row.after_sum_km:.1f} / {row.after_median_km:.2f}"
        f" | {'/'.join(map(str, row.sizes))} | {row.violations} |"
        for row in rows
    ]
    return lines


def _matrix_times(rows: list[Row]) -> str:
    built = {row.members: row.matrix_ms for row in rows}
    return ", ".join(f"{ms:.1f} ms at {members} members" for members, ms in built.items())


def main() -> int:
    """Print the table."""
    print("\n".join(markdown(run())))
    return 0


if __name__ == "__main__":
    sys.exit(main())
