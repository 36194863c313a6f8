"""Relax and repair: large components of the batch assignment, with a proven bound.

A city's candidate graph percolates into one component whose 0-1 program HiGHS cannot even
start within seconds (its root LP alone takes 5-15 s at 10k places and cannot be
interrupted). Most of that program is a transportation problem, so the large components are:

1. **Bounded** by a Lagrangian relaxation whose subproblem is an exact min-cost flow: source
   -> member (unit arcs of growing cost: the convex fairness term) -> (member, month) capped by
   the room -> (member, need) capped at one (one role per need) -> slot by one arc per edge ->
   sink capped by the open places, plus a source -> sink bypass so places may stay empty.
   Overlap, `apart` and pairing rows are priced into the edge arcs by non-negative
   multipliers; `together` is made optimistic (half its bonus on each partner's edges on a
   need both could serve), so every flow value plus the multipliers' right-hand sides is a
   proven upper bound. The multipliers move by projected subgradient steps of Polyak length
   towards the best known solution, on a fixed schedule (deterministic).
2. **Repaired** from the iterate that breaks the fewest rows: the broken rows' members and
   needs, with every edge of theirs, are re-optimised exactly by HiGHS with everything else
   fixed (the fixed part enters the right-hand sides: open places, monthly room, fairness,
   mentors already chosen), then open places are filled greedily where every row still
   holds. The better of this and greedy's choice is kept.

Costs are integers (values scaled by `_SCALE`); each unit of flow crosses two costed arcs, so
rounding moves the flow optimum by at most supply / scale, which the bound adds.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import scipy.sparse as sp
from ortools.graph.python import min_cost_flow
from scipy.optimize import Bounds, LinearConstraint, milp

from matcher.assignment_model import Model, ranges
from matcher.assignment_problem import (
    AssignmentProblem,
    AssignmentWeights,
    BoolArray,
    FloatArray,
    IntArray,
)
from matcher.assignment_solvers import PartResult

_SCALE = 1e6
_INT_HEADROOM = 2.0**60  # keep |cost| * nodes inside int64, as OR-Tools checks
_SECONDS_PER_ARC = 3e-6  # OR-Tools' flow on the bench machine, about 1-2.5 us per arc
_ROUNDS = 30  # Lagrangian rounds at most (one flow solve each)
_FIRST_STEP = 1.0  # Polyak step factor; halved after `_PATIENCE` rounds without a better bound
_PATIENCE = 2
_BOUNDING_SHARE = 0.5  # of the time left, for the Lagrangian rounds; the rest for repair
_TOLERANCE = 1e-9
_LOCAL_PRESOLVE_UP_TO = 200_000  # the repair programs are many small pieces: presolve splits them
_LOCAL_MIN_S = 0.05  # below this, HiGHS's setup alone would use the time
_LOCAL_GAP = 1e-4  # the repair need not be exact: the reported gap is measured against the bound


@dataclass(frozen=True, slots=True)
class _Network:
    """The flow network of the relaxation; only the edge arcs' costs change between rounds."""

    tails: npt.NDArray[np.int32]
    heads: npt.NDArray[np.int32]
    capacities: IntArray
    costs: IntArray  # with the edge arcs' costs left at zero
    first_edge_arc: int
    edges: int
    supply: int
    scale: float


def relax_and_repair(
    problem: AssignmentProblem,
    weights: AssignmentWeights,
    model: Model,
    in_part: BoolArray,
    deadline: float,
    incumbent: PartResult,
) -> PartResult:
    """The best solution found for the components in `in_part` (never worse than
    `incumbent`, a feasible choice for them) and the best proven bound."""
    edges = np.flatnonzero(in_part[model.var_component[: model.n_x]])
    rows = np.flatnonzero(model.relaxed_rows & in_part[model.row_component])
    priced = model.matrix[rows][:, edges].tocsr()
    right = model.upper[rows]
    profit = model.value[edges] + _together_credit(problem, weights, model, edges)
    network = _network(problem, weights, model, edges, profit)
    chosen, bound = _bound(network, profit, priced, right, incumbent.value, deadline)
    if chosen is None:
        return PartResult(incumbent.chosen, incumbent.value, bound, False)
    repaired, value = _repair(problem, weights, model, edges, edges[chosen], deadline)
    if incumbent.value > value:
        repaired, value = incumbent.chosen, incumbent.value
    bound = max(bound, value)
    optimal = bound - value <= _TOLERANCE * max(1.0, abs(value))
    return PartResult(np.sort(repaired), value, bound, optimal)


def relaxation_bound(
    problem: AssignmentProblem, weights: AssignmentWeights, model: Model, in_part: BoolArray
) -> float:
    """The plain flow relaxation's bound for the components in `in_part` (no multipliers):
    one flow solve, for parts HiGHS could not bound in time."""
    edges = np.flatnonzero(in_part[model.var_component[: model.n_x]])
    if len(edges) == 0:
        return 0.0
    profit = model.value[edges] + _together_credit(problem, weights, model, edges)
    return _flow(_network(problem, weights, model, edges, profit), profit)[1]


def _together_credit(
    problem: AssignmentProblem, weights: AssignmentWeights, model: Model, edges: IntArray
) -> FloatArray:
    """Half the together bonus on each partner's edges on a need both could serve: since a
    member holds at most one place per need, this never undercounts the bonus."""
    needs = len(problem.need_starts_s)
    pairs = problem.together_pairs.reshape(-1, 2)[model.w_pair]
    keys, counts = np.unique(
        np.r_[pairs[:, 0] * needs + model.w_need, pairs[:, 1] * needs + model.w_need],
        return_counts=True,
    )
    edge_key = model.member[edges] * needs + model.need[edges]
    at = np.minimum(np.searchsorted(keys, edge_key), max(len(keys) - 1, 0))
    shared = keys[at] == edge_key if len(keys) else np.zeros(len(edges), dtype=bool)
    return np.where(shared, weights.together_bonus / 2 * counts[at] if len(keys) else 0.0, 0.0)


def _network(
    problem: AssignmentProblem,
    weights: AssignmentWeights,
    model: Model,
    edges: IntArray,
    profit: FloatArray,
) -> _Network:
    """Nodes: source, sink, members, (member, month), (member, need), slots. A member with
    one month needs no month node (their places already stop at its room) and a (member,
    need) with one edge needs no node (the edge's arc holds one unit): city instances are
    mostly such, and the flow solver's time grows with the nodes."""
    needs, months = len(problem.need_starts_s), problem.member_month_room.shape[1]
    member, need, slot = model.member[edges], model.need[edges], model.slot[edges]
    members = np.unique(member)
    month_key = np.unique(member * months + problem.need_month[need])
    month_member = np.searchsorted(members, month_key // months)
    room = problem.member_month_room.ravel()[month_key]
    unit_key, unit_of, unit_size = np.unique(
        member * needs + need, return_inverse=True, return_counts=True
    )
    unit_month = np.searchsorted(
        month_key, (unit_key // needs) * months + problem.need_month[unit_key % needs]
    )
    slots, slot_of = np.unique(slot, return_inverse=True)
    # A member can take at most one place per need and no more than their total room.
    places = np.minimum(
        np.bincount(month_member[unit_month], minlength=len(members)),
        np.bincount(month_member, weights=room, minlength=len(members)).astype(np.int64),
    )
    step = ranges(np.zeros_like(places), places)  # the j-th place costs load_step * (j - 1)
    open_places = problem.slot_open[slots]
    supply = int(min(open_places.sum(), places.sum()))
    month_kept = (np.bincount(month_member, minlength=len(members)) > 1)[month_member]
    unit_kept = unit_size > 1
    month_node = 2 + month_member
    month_node[month_kept] = 2 + len(members) + np.arange(int(month_kept.sum()))
    unit_node = month_node[unit_month]
    first_unit = 2 + len(members) + int(month_kept.sum())
    unit_node[unit_kept] = first_unit + np.arange(int(unit_kept.sum()))
    first_slot = first_unit + int(unit_kept.sum())
    nodes = first_slot + len(slots)
    biggest = max(1.0, float(np.abs(profit).max(initial=0)), weights.load_step * len(step))
    scale = min(_SCALE, _INT_HEADROOM / (biggest * (nodes + 1) * 4))
    tails = np.r_[
        np.zeros(len(step), dtype=np.int64),
        2 + month_member[month_kept],
        month_node[unit_month[unit_kept]],
        unit_node[unit_of],
        first_slot + np.arange(len(slots)),
        0,
    ]
    heads = np.r_[
        2 + np.repeat(np.arange(len(members)), places),
        month_node[month_kept],
        unit_node[unit_kept],
        first_slot + slot_of,
        np.ones(len(slots), dtype=np.int64),
        1,
    ]
    capacities = np.r_[
        np.ones(len(step), dtype=np.int64),
        room[month_kept],
        np.ones(int(unit_kept.sum()) + len(edges), dtype=np.int64),
        open_places,
        supply,
    ].astype(np.int64)
    costs = np.zeros(len(tails), dtype=np.int64)
    costs[: len(step)] = np.rint(weights.load_step * step * scale)
    return _Network(
        tails=tails.astype(np.int32),
        heads=heads.astype(np.int32),
        capacities=capacities,
        costs=costs,
        first_edge_arc=len(step) + int(month_kept.sum()) + int(unit_kept.sum()),
        edges=len(edges),
        supply=supply,
        scale=scale,
    )


def _flow(network: _Network, profit: FloatArray) -> tuple[BoolArray, float]:
    """The relaxation's optimum for these edge profits: chosen edges and an upper bound on
    its value (the rounding of costs to integers added back)."""
    costs = network.costs.copy()
    arcs = slice(network.first_edge_arc, network.first_edge_arc + network.edges)
    costs[arcs] = -np.rint(profit * network.scale)
    flow = min_cost_flow.SimpleMinCostFlow()
    ids = flow.add_arcs_with_capacity_and_unit_cost(
        network.tails, network.heads, network.capacities, costs
    )
    flow.set_nodes_supplies(
        np.array([0, 1], dtype=np.int32), np.array([network.supply, -network.supply])
    )
    status = flow.solve()
    if status != flow.OPTIMAL:
        raise RuntimeError(f"min-cost flow failed with status {status}")
    chosen = flow.flows(ids[arcs]) > 0
    return chosen, (network.supply - flow.optimal_cost()) / network.scale


def _bound(
    network: _Network,
    profit: FloatArray,
    priced: sp.csr_matrix,
    right: FloatArray,
    lower: float,
    deadline: float,
) -> tuple[BoolArray | None, float]:
    """Lagrangian rounds: the iterate that breaks the fewest priced rows (None when there was
    no time for one) and the best bound."""
    started = time.perf_counter()
    stop = started + (deadline - started) * _BOUNDING_SHARE
    multipliers = np.zeros(len(right))
    # Out of time before the first round: every edge at its best profit, no fairness cost.
    best_bound, best_chosen, fewest = float(np.maximum(profit, 0).sum()), None, np.inf
    # Before the first round, its time is guessed from the arcs (a solve cannot be stopped).
    factor, stalled, round_s = _FIRST_STEP, 0, _SECONDS_PER_ARC * len(network.tails)
    for round_ in range(_ROUNDS):
        began = time.perf_counter()
        if began + round_s > (stop if round_ else deadline):
            break
        chosen, value = _flow(network, profit - priced.T @ multipliers)
        round_s = time.perf_counter() - began
        bound = value + float(multipliers @ right)
        excess = priced @ chosen.astype(np.float64) - right
        broken = int((excess > _TOLERANCE).sum())
        if broken <= fewest:
            best_chosen, fewest = chosen, broken
        if bound < best_bound - _TOLERANCE:
            best_bound, stalled = bound, 0
        else:
            stalled += 1
            if stalled >= _PATIENCE:
                factor, stalled = factor / 2, 0
        # Projected subgradient: rows already slack with a zero multiplier cannot move.
        direction = np.where((multipliers > 0) | (excess > 0), excess, 0.0)
        norm = float(direction @ direction)
        if best_bound - lower <= _TOLERANCE * max(1.0, abs(lower)) or norm == 0:
            break
        step = factor * max(bound - lower, _TOLERANCE) / norm
        multipliers = np.maximum(multipliers + step * direction, 0.0)
    return best_chosen, float(best_bound)


def full_vector(problem: AssignmentProblem, model: Model, chosen: IntArray) -> FloatArray:
    """Every model variable for the chosen kept edges: fairness steps filled in order and
    together pairs where both members serve on the need."""
    values = np.zeros(len(model.value))
    values[chosen] = 1.0
    counts = np.bincount(model.member[chosen], minlength=len(problem.member_stage))
    z = np.arange(len(model.z_member))
    step = z - np.searchsorted(model.z_member, model.z_member) + 1
    values[model.n_x + z] = step <= counts[model.z_member] - 1
    needs = len(problem.need_starts_s)
    held = np.unique(model.member[chosen] * needs + model.need[chosen])
    pairs = problem.together_pairs.reshape(-1, 2)[model.w_pair]
    both = np.isin(pairs[:, 0] * needs + model.w_need, held) & np.isin(
        pairs[:, 1] * needs + model.w_need, held
    )
    values[model.n_x + len(z) + np.arange(len(both))] = both
    return values


def _repair(
    problem: AssignmentProblem,
    weights: AssignmentWeights,
    model: Model,
    edges: IntArray,
    chosen: IntArray,
    deadline: float,
) -> tuple[IntArray, float]:
    """Chosen kept edges that keep every row, and their value. First drop and fill: each
    broken row loses its least valuable chosen edges until it holds, then open places are
    filled greedily. Then, if time is left, the broken rows' neighbourhood is re-optimised
    exactly with the rest fixed; the better of the two is kept."""
    columns = model.matrix.tocsc()
    in_part = np.zeros(model.n_x, dtype=bool)
    in_part[edges] = True
    picked = np.zeros(model.n_x, dtype=bool)
    picked[chosen] = True
    activity = model.matrix[:, : model.n_x] @ picked.astype(np.float64)
    broken = np.flatnonzero(model.relaxed_rows & (activity > model.upper + _TOLERANCE))
    free = _neighbourhood(model, columns, in_part, picked, broken)
    dropped = _drop(model, columns, picked.copy(), activity, broken)
    began = time.perf_counter()
    best = _fill(model, weights, columns, in_part, dropped)
    best_value = float(model.value @ full_vector(problem, model, best))
    fill_s = time.perf_counter() - began
    if len(free) and deadline - time.perf_counter() > 2 * fill_s + _LOCAL_MIN_S:
        picked[free] = False
        solved = _local_program(model, columns, picked, free, deadline - 2 * fill_s)
        if solved is not None:
            picked[solved] = True
            local = _fill(model, weights, columns, in_part, picked)
            value = float(model.value @ full_vector(problem, model, local))
            if value > best_value:
                best, best_value = local, value
    return best, best_value


def _drop(
    model: Model,
    columns: sp.csc_matrix,
    picked: BoolArray,
    activity: FloatArray,
    broken: IntArray,
) -> BoolArray:
    """`picked` without the least valuable chosen edges of each broken row (ties: the later
    edge) until it holds; a broken pairing row thereby loses its new members."""
    for row in broken.tolist():
        span = slice(model.matrix.indptr[row], model.matrix.indptr[row + 1])
        edges, coefficients = model.matrix.indices[span], model.matrix.data[span]
        mine = edges[(coefficients > 0) & (edges < model.n_x)]
        for edge in mine[np.lexsort((-mine, model.value[mine]))].tolist():
            if activity[row] <= model.upper[row] + _TOLERANCE:
                break
            if picked[edge]:
                picked[edge] = False
                at = slice(columns.indptr[edge], columns.indptr[edge + 1])
                activity[columns.indices[at]] -= columns.data[at]
    return picked


def _neighbourhood(
    model: Model,
    columns: sp.csc_matrix,
    in_part: BoolArray,
    picked: BoolArray,
    broken: IntArray,
) -> IntArray:
    """Edges to re-optimise: every edge of the members and needs chosen in broken rows, closed
    so that dropping them all stays feasible (a freed mentor frees the new members whose
    pairing row counts on it)."""
    rows = model.matrix[broken]
    involved = rows.indices[(rows.indices < model.n_x)]
    involved = involved[picked[involved]]
    free = in_part & (
        np.isin(model.member, np.unique(model.member[involved]))
        | np.isin(model.need, np.unique(model.need[involved]))
    )
    negative = columns[:, : model.n_x].copy()
    negative.data = (negative.data < 0).astype(np.float64)
    negative.eliminate_zeros()
    positive_x = model.matrix[:, : model.n_x].copy()
    positive_x.data = (positive_x.data > 0).astype(np.float64)
    positive_x.eliminate_zeros()
    while True:
        leaning = np.flatnonzero(negative @ free.astype(np.float64))  # rows a freed edge props
        grown = free | ((positive_x[leaning].sum(axis=0).A1 > 0) & in_part)
        if (grown == free).all():
            return np.flatnonzero(free)
        free = grown


def _local_program(
    model: Model,
    columns: sp.csc_matrix,
    picked: BoolArray,
    free: IntArray,
    deadline: float,
) -> IntArray | None:
    """HiGHS on the freed edges (and the fairness and together variables their rows share),
    the rest fixed at `picked`: the chosen freed edges, or None when out of time."""
    remaining = deadline - time.perf_counter()
    touched = np.unique(columns[:, free].indices)
    shared = np.unique(model.matrix[touched].indices)
    variables = np.union1d(free, shared[shared >= model.n_x])
    # A row touched here holds, besides `variables`, only fixed edges: every fairness and
    # together variable of a freed edge's rows is in `variables`.
    rows = np.unique(columns[:, variables].indices)
    block = model.matrix[rows]
    outside = block[:, : model.n_x] @ picked.astype(np.float64)
    is_edge = variables < model.n_x
    result = milp(
        -model.value[variables],
        constraints=[LinearConstraint(block[:, variables], -np.inf, model.upper[rows] - outside)],
        integrality=is_edge.astype(np.int64),
        bounds=Bounds(0, 1),
        options={
            "time_limit": remaining,
            "mip_rel_gap": _LOCAL_GAP,
            "presolve": len(variables) <= _LOCAL_PRESOLVE_UP_TO,
        },
    )
    if result.x is None:
        return None
    return np.asarray(variables[is_edge & (result.x > 0.5)], dtype=np.int64)


def _fill(
    model: Model,
    weights: AssignmentWeights,
    columns: sp.csc_matrix,
    in_part: BoolArray,
    picked: BoolArray,
) -> IntArray:
    """Add edges that are worth their fairness cost, best first, where every hard row still
    holds (fairness and together rows only price a place, they never forbid one)."""
    soft = np.zeros(model.matrix.shape[0], dtype=bool)
    soft[columns[:, model.n_x :].indices] = True
    activity = model.matrix[:, : model.n_x] @ picked.astype(np.float64)
    counts = np.bincount(model.member[picked], minlength=int(model.member.max(initial=0)) + 1)
    gain = model.value[: model.n_x] - weights.load_step * counts[model.member]
    # Edges that fit now (one vectorised pass); each is checked again as others are taken.
    x_columns = columns[:, : model.n_x]
    rows, column_of = x_columns.indices, np.repeat(np.arange(model.n_x), np.diff(x_columns.indptr))
    over = ~soft[rows] & (activity[rows] + x_columns.data > model.upper[rows] + _TOLERANCE)
    blocked = np.bincount(column_of[over], minlength=model.n_x) > 0
    candidates = np.flatnonzero(in_part & ~picked & ~blocked & (gain > _TOLERANCE))
    for edge in candidates[np.lexsort((candidates, -gain[candidates]))].tolist():
        member = model.member[edge]
        if model.value[edge] - weights.load_step * counts[member] <= _TOLERANCE:
            continue
        span = slice(x_columns.indptr[edge], x_columns.indptr[edge + 1])
        hard = ~soft[rows[span]]
        at = rows[span][hard]
        if np.any(activity[at] + x_columns.data[span][hard] > model.upper[at] + _TOLERANCE):
            continue
        activity[rows[span]] += x_columns.data[span]
        counts[member] += 1
        picked[edge] = True
    return np.flatnonzero(picked)
