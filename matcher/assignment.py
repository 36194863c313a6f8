"""Batch assignment: fill every open place of many needs at once, optimally and fairly.

Per-need ranking suggests the best cook for every meal of a weekend and the newcomer for none.
`assign` instead maximises, over all places together, the total score plus a bonus per place
filled and one per need given its first volunteer, minus a fairness cost that grows with each
further place of the same member (and with how recently they served), plus a bonus for
households that like to serve together, under the hard constraints (open places, no
overlapping windows, monthly limits, `apart` households, discipleship pairing). The model is
in `assignment_model`; the solvers (exact min-cost flow where the structure allows, HiGHS
elsewhere) in `assignment_solvers`.

Deterministic: the same problem gives the same answer. Among equally good solutions the
solvers' own deterministic order decides; a solve cut short by the time budget depends on
how far the solver got, and says so through `optimal`, `bound` and `gap`.
"""

from __future__ import annotations

import time

import numpy as np
import numpy.typing as npt

from matcher.assignment_greedy import greedy_edges
from matcher.assignment_model import (
    Model,
    build_model,
    first_place_cost,
    first_place_value,
    ranges,
)
from matcher.assignment_problem import (
    MENTOR_STAGES,
    NEW_STAGE,
    NO_MENTOR,
    Assignment,
    AssignmentProblem,
    AssignmentWeights,
    IntArray,
)
from matcher.assignment_relax import relax_and_repair, relaxation_bound
from matcher.assignment_solvers import PartResult, preferred, solve_flow, solve_ilp

# Small components are batched into one HiGHS call (its per-call overhead is about a
# millisecond), but HiGHS does not split a batch: 10k variables in 153 components took 2 s in
# one call, 0.75 s in calls of 500.
_BATCH_VARIABLES = 500
# Above this many variables a component goes to relax and repair: HiGHS's root LP alone on a
# 107k-variable component took 5-15 s, uninterruptible.
EXACT_UP_TO = 20_000
_LAST_CALL_S = 0.01  # below this left, no further HiGHS call is started
_LARGE_SHARE = 0.6  # of the time left, for relax and repair when small components wait too
# What `assign` does after its solvers, reserved from the budget at rates measured on the
# bench machine (100k places, shared 2 cores) with a margin: assembling the result, per kept
# edge; and the pass giving components HiGHS did not finish greedy's choice and the flow
# relaxation's bound, per variable of theirs plus a fixed cost.
_FINISH_S_PER_EDGE = 4e-7
_CUT_SHORT_S_PER_VARIABLE = 2e-5
_CUT_SHORT_S = 0.01
DEFAULT_WEIGHTS = AssignmentWeights()


def assign(
    problem: AssignmentProblem,
    *,
    weights: AssignmentWeights = DEFAULT_WEIGHTS,
    time_budget_s: float = 10.0,
    exact_up_to: int = EXACT_UP_TO,
) -> Assignment:
    """The best assignment within `time_budget_s`, with a proven bound on the objective.

    Components of up to `exact_up_to` variables are solved exactly (flow or HiGHS); larger
    ones by relax and repair (`assignment_relax`), exact only when its bound meets it. The
    budget covers everything, building the model and the result included; only the model
    and the exact flow components (a few seconds at 100k places) are not interruptible."""
    if not time_budget_s > 0:
        raise ValueError("time_budget_s must be > 0")
    deadline = time.perf_counter() + time_budget_s
    model = build_model(problem, weights)
    deadline -= _FINISH_S_PER_EDGE * model.n_x
    flow_edge = model.flow_component[model.var_component[: model.n_x]]
    parts = [solve_flow(problem, weights, model, np.flatnonzero(flow_edge))]
    sizes = np.bincount(model.var_component, minlength=model.components)
    rest = ~model.flow_component & (sizes > 0)
    large = rest & (sizes > exact_up_to)
    ilp = np.flatnonzero(rest & ~large)
    remaining = int(sizes[ilp].sum())
    if large.any():
        greedy = _greedy_part(problem, weights, model, large)
        share = _LARGE_SHARE if len(ilp) else 1.0
        left = deadline - _cut_short_s(remaining) - time.perf_counter()
        large_deadline = time.perf_counter() + left * share
        parts.append(relax_and_repair(problem, weights, model, large, large_deadline, greedy))
    unfinished: list[tuple[IntArray, PartResult | None, float]] = []
    waiting = 0  # variables of the unfinished batches
    for batch in _batches(ilp, sizes[ilp]):
        # Enough is kept back to give every batch not finished greedy's choice at the end.
        left = deadline - _cut_short_s(remaining + waiting) - time.perf_counter()
        share = int(sizes[batch].sum())
        remaining -= share
        if left < _LAST_CALL_S:
            unfinished.append((batch, None, np.inf))
            waiting += share
            continue
        in_part = np.zeros(model.components, dtype=bool)
        in_part[batch] = True
        found, bound = solve_ilp(model, in_part, left * share / (remaining + share))
        if found is not None and found.optimal:
            parts.append(found)
        else:
            unfinished.append((batch, found, bound))
            waiting += share
    if unfinished:
        parts.append(_cut_short(problem, weights, model, unfinished))
    chosen = np.sort(model.edges[np.concatenate([part.chosen for part in parts])])
    return _result(problem, weights, chosen, parts)


def _cut_short_s(variables: int) -> float:
    """What giving components of this many variables greedy's choice and a bound costs."""
    return _CUT_SHORT_S + _CUT_SHORT_S_PER_VARIABLE * variables if variables else 0.0


def _batches(components: IntArray, sizes: IntArray) -> list[IntArray]:
    """Components in order of size, packed into calls of about `_BATCH_VARIABLES`."""
    order = np.lexsort((components, sizes))
    components, sizes = components[order], sizes[order]
    batch = np.cumsum(sizes) // _BATCH_VARIABLES
    return [components[batch == b] for b in np.unique(batch)]


def _cut_short(
    problem: AssignmentProblem,
    weights: AssignmentWeights,
    model: Model,
    unfinished: list[tuple[IntArray, PartResult | None, float]],
) -> PartResult:
    """Batches of components HiGHS did not finish (or never started: no incumbent, infinite
    bound), in one pass: per batch its incumbent or greedy's choice (`preferred`: a
    time-limited solver's first incumbent can be poor), and for all of them the tighter of
    HiGHS's bounds summed and the flow relaxation's."""
    in_part = np.zeros(model.components, dtype=bool)
    in_part[np.concatenate([batch for batch, _, _ in unfinished])] = True
    bound = min(
        sum(bound for _, _, bound in unfinished),
        relaxation_bound(problem, weights, model, in_part),
    )
    greedy = greedy_edges(problem, model.edges[_positions(model, in_part)])
    greedy_at = np.searchsorted(model.edges, greedy)  # kept edges are sorted
    component = model.var_component[greedy_at]
    chosen, value = [], 0.0
    for batch, found, _ in unfinished:
        mine = greedy_at[np.isin(component, batch)]
        best = PartResult(mine, part_value(problem, weights, model, mine), np.inf, False)
        if found is not None:
            best = preferred(found, best)
        chosen.append(best.chosen)
        value += best.value
    return PartResult(np.concatenate(chosen), value, max(bound, value), False)


def _positions(model: Model, in_part: npt.NDArray[np.bool_]) -> IntArray:
    """Kept edges of the components in `in_part`."""
    return np.flatnonzero(in_part[model.var_component[: model.n_x]])


def _greedy_part(
    problem: AssignmentProblem,
    weights: AssignmentWeights,
    model: Model,
    in_part: npt.NDArray[np.bool_],
) -> PartResult:
    """Greedy's choice for some components: relax and repair's incumbent."""
    picked = greedy_edges(problem, model.edges[_positions(model, in_part)])
    chosen = np.searchsorted(model.edges, picked)
    value = part_value(problem, weights, model, chosen)
    return PartResult(chosen, value, value, False)


def part_value(
    problem: AssignmentProblem, weights: AssignmentWeights, model: Model, chosen: IntArray
) -> float:
    """`objective_value` of the chosen kept edges, in time of their number (not of the
    problem's members: it is asked once per batch HiGHS did not finish)."""
    _, counts = np.unique(model.member[chosen], return_counts=True)
    fairness = weights.load_step * float((counts * (counts - 1) / 2).sum())
    together = weights.together_bonus * _together(problem, model.edges[chosen])
    first = first_place_value(problem, weights, model.need[chosen])
    return float(model.value[chosen].sum()) - fairness + together + first


def _result(
    problem: AssignmentProblem,
    weights: AssignmentWeights,
    edges: IntArray,
    parts: list[PartResult],
) -> Assignment:
    objective = objective_value(problem, edges, weights=weights)
    optimal = all(part.optimal for part in parts)
    slack = sum(max(part.bound - part.value, 0.0) for part in parts if not part.optimal)
    bound = objective + slack
    return Assignment(
        edges=edges,
        total_score=float(problem.edge_score[edges].sum()),
        objective=objective,
        bound=bound,
        optimal=optimal,
        gap=0.0 if optimal else slack / max(1.0, abs(objective)),
        unfilled=unfilled_places(problem, edges),
        pairs=mentor_pairs(problem, edges),
    )


def greedy_assign(
    problem: AssignmentProblem,
    *,
    weights: AssignmentWeights = DEFAULT_WEIGHTS,
) -> Assignment:
    """Baseline: needs in start order, each slot takes its best-scoring edges that keep every
    hard constraint (no look-ahead, no fairness): what per-need ranking does. Its bound is
    unknown, so it reports itself as its own bound and never as optimal."""
    edges = greedy_edges(problem)
    objective = objective_value(problem, edges, weights=weights)
    return Assignment(
        edges=edges,
        total_score=float(problem.edge_score[edges].sum()),
        objective=objective,
        bound=objective,
        optimal=False,
        gap=0.0,
        unfilled=unfilled_places(problem, edges),
        pairs=mentor_pairs(problem, edges),
    )


def objective_value(
    problem: AssignmentProblem,
    edges: IntArray,
    *,
    weights: AssignmentWeights = DEFAULT_WEIGHTS,
) -> float:
    """What `assign` maximises, for the chosen `edges`."""
    member = problem.edge_member[edges]
    places = problem.edge_score[edges] + weights.fill_bonus
    counts = np.bincount(member, minlength=len(problem.member_stage)).astype(np.float64)
    fairness = first_place_cost(problem, weights)[member].sum() + weights.load_step * float(
        (counts * (counts - 1) / 2).sum()
    )
    together = weights.together_bonus * _together(problem, edges)
    first = first_place_value(problem, weights, problem.edge_need[edges])
    return float(places.sum() - fairness + together + first)


def _together(problem: AssignmentProblem, edges: IntArray) -> int:
    """How many (together pair, need) have both members chosen on the need."""
    needs = len(problem.need_starts_s)
    held = np.unique(problem.edge_member[edges] * needs + problem.edge_need[edges])
    pairs = problem.together_pairs.reshape(-1, 2)
    held_member = held // needs
    first = np.searchsorted(held_member, pairs[:, 0], side="left")
    count = np.searchsorted(held_member, pairs[:, 0], side="right") - first
    wanted = np.repeat(pairs[:, 1], count) * needs + held[ranges(first, count)] % needs
    return int(np.isin(wanted, held).sum())


def unfilled_places(problem: AssignmentProblem, edges: IntArray) -> IntArray:
    """Per slot: its open places the chosen `edges` leave empty."""
    taken = np.bincount(problem.edge_slot[edges], minlength=len(problem.slot_need))
    return (problem.slot_open - taken).astype(np.int64)


def mentor_pairs(problem: AssignmentProblem, edges: IntArray) -> IntArray:
    """(need, new member, mentor) for each chosen new member who serves beside a mentor:
    NO_MENTOR when the mentor already held a place; otherwise the chosen mentors of the need
    in member order, taken in turn. New members on a need with no eligible mentor are left
    out (there is nobody to pair them with)."""
    member, need = problem.edge_member[edges], problem.edge_need[edges]
    stage = problem.member_stage[member]
    new, mentor = stage == NEW_STAGE, np.isin(stage, MENTOR_STAGES)
    rows: list[tuple[int, int, int]] = []
    mentors: dict[int, list[int]] = {}
    for n, m in sorted(zip(need[mentor].tolist(), member[mentor].tolist(), strict=True)):
        mentors.setdefault(n, []).append(m)
    turn: dict[int, int] = {}
    for n, m in sorted(zip(need[new].tolist(), member[new].tolist(), strict=True)):
        if problem.need_has_mentor[n]:
            rows.append((n, m, NO_MENTOR))
        elif n in mentors:
            rows.append((n, m, mentors[n][turn.get(n, 0) % len(mentors[n])]))
            turn[n] = turn.get(n, 0) + 1
    return np.array(rows, dtype=np.int64).reshape(-1, 3)
