"""Every policy on every seed, the comparison table, the plots and the issue's targets.

Runs are independent (one policy, one seed), so they are spread over processes; each
returns its figures without its record, which stays in the worker. The table gives mean ±
sd over seeds; docs/quality.md keeps its prose and has only the part between its markers
rewritten, so the behaviour model written there stays beside the figures it explains.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt

from scripts.simulate.city import FULL, Size
from scripts.simulate.learned import Training
from scripts.simulate.run import MEASURES, POLICIES, Measures, simulate

FloatArray = npt.NDArray[np.float64]

REPOSITORY = Path(__file__).resolve().parents[2]
DOC = REPOSITORY / "docs" / "quality.md"
PLOTS = REPOSITORY / "docs" / "quality"
START, END = "<!-- simulate:start -->", "<!-- simulate:end -->"
LABELS = {
    "fill_rate": "fill rate",
    "median_days_to_fill": "median days to fill",
    "weekly_coverage": "weekly coverage (≥ 1 volunteer)",
    "needs_in_reach": "needs anyone was eligible for (coverage's ceiling)",
    "weekly_signups": "sign-ups a week",
    "load_gini": "Gini of load",
    "members_served": "members who served",
    "new_members_served": "new members who served",
    "new_with_mature": "teams with a new member that had a mature one",
    "new_with_mature_offered": "… where a mature one was at least offered a place",
    "acceptance_rate": "acceptance rate",
    "messages_per_member_week": "invitations / member / week",
    "ignored_per_member_week": "ignored / member / week",
    "superseded_per_member_week": "told the place went to another / member / week",
    "lost_to_burnout": "members lost to burnout",
    "lost_to_neglect": "members lost to neglect",
}


@dataclass(frozen=True, slots=True)
class Run:
    """One policy on one seed, without its record (what crosses a process boundary)."""

    policy: str
    seed: int
    measures: Measures
    coverage_by_week: FloatArray
    signups_by_week: FloatArray
    load: FloatArray
    trainings: tuple[Training, ...] = ()


def one_run(policy: str, seed: int, weeks: int, size: Size) -> Run:
    """Simulate, and keep the figures only."""
    result = simulate(policy, seed, weeks=weeks, size=size)
    return Run(
        policy,
        seed,
        result.measures,
        result.coverage_by_week,
        result.signups_by_week,
        result.load,
        result.trainings,
    )


def run_all(
    policies: Sequence[str],
    seeds: Sequence[int],
    *,
    weeks: int = 12,
    size: Size = FULL,
    processes: int = 2,
) -> list[Run]:
    """Every policy on every seed, in `processes` workers; in (policy, seed) order."""
    jobs = [(policy, seed) for policy in policies for seed in seeds]
    if processes <= 1:
        return [one_run(policy, seed, weeks, size) for policy, seed in jobs]
    with ProcessPoolExecutor(max_workers=processes) as pool:
        futures = [pool.submit(one_run, policy, seed, weeks, size) for policy, seed in jobs]
        return [future.result() for future in futures]


def summary(runs: Sequence[Run]) -> dict[str, dict[str, tuple[float, float]]]:
    """Per policy and measure: mean and sample sd over seeds (NaN runs left out)."""
    found: dict[str, dict[str, tuple[float, float]]] = {}
    for policy in dict.fromkeys(run.policy for run in runs):
        mine = [run.measures for run in runs if run.policy == policy]
        found[policy] = {}
        for name in MEASURES:
            values = np.array([getattr(m, name) for m in mine], dtype=float)
            values = values[~np.isnan(values)]
            mean = float(values.mean()) if values.size else math.nan
            sd = float(values.std(ddof=1)) if values.size > 1 else 0.0
            found[policy][name] = (mean, sd)
    return found


def _cell(name: str, mean: float, sd: float) -> str:
    if math.isnan(mean):
        return "—"
    if name.startswith("lost_") or name == "weekly_signups":
        return f"{mean:.1f} ± {sd:.1f}"
    if name == "median_days_to_fill" or name.endswith("_per_member_week"):
        return f"{mean:.2f} ± {sd:.2f}"
    return f"{mean:.3f} ± {sd:.3f}"


def table(runs: Sequence[Run]) -> list[str]:
    """The comparison as a Markdown table: a row per measure, a column per policy."""
    figures = summary(runs)
    policies = list(figures)
    names = [POLICIES[p](0).name for p in policies]
    lines = [
        "| measure | " + " | ".join(names) + " |",
        "|---|" + "---:|" * len(policies),
    ]
    for name in MEASURES:
        cells = [_cell(name, *figures[policy][name]) for policy in policies]
        lines.append(f"| {LABELS[name]} | " + " | ".join(cells) + " |")
    return lines


def _seeds_won(
    runs: Sequence[Run], policy: str, other: str, name: str, *, lower: bool = False
) -> str:
    """On how many seeds `policy` beat `other` on measure `name` (same city each seed)."""
    by_seed = {(run.policy, run.seed): getattr(run.measures, name) for run in runs}
    seeds = sorted({seed for key, seed in by_seed if key == policy})
    won = sum(
        (by_seed[policy, s] < by_seed[other, s])
        if lower
        else (by_seed[policy, s] > by_seed[other, s])
        for s in seeds
    )
    return f"better on {won} of {len(seeds)} seeds"


def targets(runs: Sequence[Run], policy: str = "batch") -> list[tuple[str, str, bool]]:
    """The issue's targets for a batch policy: (target, measured, met), met on the seeds'
    means; how many seeds it won on is shown beside, since the cities differ by seed."""
    figures = summary(runs)
    if policy not in figures:
        return []
    batch = {name: value[0] for name, value in figures[policy].items()}
    me = POLICIES[policy](0).name
    found = []
    for other in ("sheet", "longest", "greedy"):
        if other not in figures:
            continue
        theirs = {name: value[0] for name, value in figures[other].items()}
        label = POLICIES[other](0).name
        found.append(
            (
                f"{me} fill rate above {label}",
                f"{batch['fill_rate']:.3f} vs {theirs['fill_rate']:.3f};"
                f" {_seeds_won(runs, policy, other, 'fill_rate')}",
                batch["fill_rate"] > theirs["fill_rate"],
            )
        )
        found.append(
            (
                f"{me} Gini below {label}",
                f"{batch['load_gini']:.3f} vs {theirs['load_gini']:.3f};"
                f" {_seeds_won(runs, policy, other, 'load_gini', lower=True)}",
                batch["load_gini"] < theirs["load_gini"],
            )
        )
    if "greedy" in figures:
        greedy = {name: value[0] for name, value in figures["greedy"].items()}
        ratio = batch["weekly_coverage"] / greedy["weekly_coverage"]
        found.append(
            (
                f"{me} weekly coverage ≥ 1.10 × greedy",
                f"{ratio:.3f} × ({batch['weekly_coverage']:.3f}"
                f" vs {greedy['weekly_coverage']:.3f});"
                f" {_seeds_won(runs, policy, 'greedy', 'weekly_coverage')}",
                ratio >= 1.10,
            )
        )
        found.append(
            (
                f"{me} sign-ups a week no lower than greedy",
                f"{batch['weekly_signups']:.1f} vs {greedy['weekly_signups']:.1f};"
                f" {_seeds_won(runs, policy, 'greedy', 'weekly_signups')}",
                batch["weekly_signups"] >= greedy["weekly_signups"],
            )
        )
    found.append(
        (
            f"{me}: ≥ 90 % of teams with a new member have a mature one (one in reach)",
            f"{batch['new_with_mature']:.3f}",
            batch["new_with_mature"] >= 0.9,
        )
    )
    return found


def plots(runs: Sequence[Run], directory: Path = PLOTS) -> list[Path]:
    """Weekly coverage per policy (mean, band of ± 1 sd over seeds) and the distribution of
    places per member (all seeds pooled), as PNGs."""
    import matplotlib

    matplotlib.use("Agg")  # files only: no display on a server
    import matplotlib.pyplot as plt

    directory.mkdir(parents=True, exist_ok=True)
    policies = list(dict.fromkeys(run.policy for run in runs))
    coverage_path, load_path = directory / "weekly-coverage.png", directory / "load.png"
    figure, axes = plt.subplots(figsize=(7, 4), dpi=110)
    for policy in policies:
        weekly = np.array([run.coverage_by_week for run in runs if run.policy == policy])
        weeks = np.arange(1, weekly.shape[1] + 1)
        mean, sd = weekly.mean(axis=0), weekly.std(axis=0)
        axes.plot(weeks, mean, marker="o", label=POLICIES[policy](0).name)
        axes.fill_between(weeks, mean - sd, mean + sd, alpha=0.15)
    axes.set(xlabel="week", ylabel="needs with ≥ 1 volunteer (share)", ylim=(0, 1))
    axes.set_title("Weekly coverage (mean ± sd over seeds)")
    axes.legend(loc="lower right")
    figure.tight_layout()
    figure.savefig(coverage_path)
    plt.close(figure)

    figure, axes = plt.subplots(figsize=(7, 4), dpi=110)
    highest = int(max(run.load.max() for run in runs)) if runs else 0
    bins = np.arange(0, highest + 2)
    for offset, policy in enumerate(policies):
        loads = np.concatenate([run.load for run in runs if run.policy == policy])
        counts = np.histogram(loads, bins=bins)[0] / max(loads.size, 1)
        width = 0.8 / len(policies)
        axes.bar(
            bins[:-1] + offset * width - 0.4 + width / 2,
            counts,
            width=width,
            label=POLICIES[policy](0).name,
        )
    axes.set(xlabel="places served in the 12 weeks", ylabel="share of members")
    axes.set_title("Load per member (all seeds)")
    axes.legend()
    figure.tight_layout()
    figure.savefig(load_path)
    plt.close(figure)
    return [coverage_path, load_path]


TARGETED = ("batch", "standby", "asking")
"""The service's policies, whose targets are checked: the batch as it is by default, with
standby, and with standby and keep asking."""


def section(runs: Sequence[Run], *, seeds: Sequence[int], weeks: int, elapsed_s: float) -> str:
    """The generated part of docs/quality.md: the table, the plots and the targets."""
    lines = [
        START,
        "",
        f"Seeds {', '.join(map(str, seeds))}; {weeks} measured weeks after 2 weeks of warm-up;"
        f" mean ± sd over seeds; all runs took {elapsed_s:.0f} s on this machine.",
        "",
        *table(runs),
        "",
        "![Weekly coverage per policy](quality/weekly-coverage.png)",
        "",
        "![Load per member per policy](quality/load.png)",
        "",
        "| target | measured (means over seeds) | status |",
        "|---|---|---|",
        *(
            f"| {label} | {value} | {'met' if met else '**missed**'} |"
            for policy in TARGETED
            for label, value, met in targets(runs, policy)
        ),
        "",
        END,
    ]
    return "\n".join(lines)


def write_doc(text: str, doc: Path = DOC, *, markers: tuple[str, str] = (START, END)) -> None:
    """Replace the generated part of the doc (between the markers), keeping the prose."""
    start, end = markers
    current = doc.read_text(encoding="utf-8")
    before, _, rest = current.partition(start)
    _, _, after = rest.partition(end)
    doc.write_text(before + text + after, encoding="utf-8")


def as_dict(run: Run) -> dict[str, float]:
    """A run's measures by name (for printing and tests)."""
    return dataclasses.asdict(run.measures)
