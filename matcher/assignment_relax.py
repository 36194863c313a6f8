"""Relax and repair: large components of the batch assignment, with a proven bound.

A city's candidate graph percolates into one component whose 0-1 program HiGHS cannot even
start within seconds (its root LP alone takes 5-15 s at 10k places and cannot be
interrupted). Most of that program is a transportation problem, so the large components are:

1. **Bounded** by a Lagrangian relaxation whose subproblem is an exact min-cost flow: source
   -> member (unit arcs of growing cost: the convex fairness term) -> (member, month) capped by
   the room -> (member, start time) capped at one (needs starting together overlap; this also
   keeps one role per need) -> slot by one arc per edge -> need capped by the slot's open
   places -> sink (one unit at minus the first-place bonus, the rest free: the need's concave
   gain, exact), plus a source -> sink bypass so places may stay empty.
   Overlap, `apart` and pairing rows are priced into the edge arcs by non-negative
   multipliers; `together` is made optimistic (half its bonus on each partner's edges on a
   need both could serve), so every flow value plus the multipliers' right-hand sides is a
   proven upper bound. The multipliers move by projected subgradient steps of Polyak length
   towards the best known solution, on a fixed schedule (deterministic).
2. **Repaired** (`assignment_repair`) from the iterate that breaks the fewest rows: drop and
   fill, then a neighbourhood re-optimised exactly by HiGHS. The repaired answer replaces
   the incumbent (greedy's choice) only when it is worth more and fills at least as many
   places (`solvers.preferred`).

Costs are integers (values scaled by `_SCALE`); each unit of flow crosses three costed arcs
(fairness, edge, need), each rounded by at most a half, so rounding moves the flow optimum by
at most 1.5 supply / scale, which the bound adds.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import scipy.sparse as sp
from ortools.graph.python import min_cost_flow

from matcher.assignment_model import Model, ranges
from matcher.assignment_problem import (
    AssignmentProblem,
    AssignmentWeights,
    BoolArray,
    FloatArray,
    IntArray,
)
from matcher.assignment_repair import repair
from matcher.assignment_solvers import PartResult, preferred

_SCALE = 1e6
_INT_HEADROOM = 2.0**60  # keep |cost| * nodes inside int64, as OR-Tools checks
# OR-Tools' flow time grows faster than its arcs: on the bench machine 0.27 s for 129k arcs
# and 7.7 s for 1.24M (plentiful city), 0.3 s for 94k and 12.5 s for 0.92M (scarce, a
# congested network). seconds ~ _FLOW_S_FACTOR * arcs ** 1.5 fits the plentiful runs and
# underestimates the scarce one 2.4x (a per-arc rate did 4.5x); an overrun is absorbed by
# the time left for the small components.
_FLOW_S_FACTOR = 6e-9
_ROUNDS = 30  # Lagrangian rounds at most (one flow solve each)
_FIRST_STEP = 1.0  # Polyak step factor; halved after `_PATIENCE` rounds without a better bound
_PATIENCE = 2
_BOUNDING_SHARE = 0.5  # of the time left, for the Lagrangian rounds; the rest for repair
# Repair's first pass (drop, fill, value) per edge, measured at 100k places with a margin:
# a flow round starts only if it leaves this much.
_REPAIR_S_PER_EDGE = 4e-6
_TOLERANCE = 1e-9
_ROUNDING_PER_UNIT = 1.5  # three costed arcs per unit of flow, each rounded by <= 0.5


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
    last_round_ends = deadline - _REPAIR_S_PER_EDGE * len(edges)
    # Out of time before the first round: every edge at its best profit, every need's first
    # place earned, no fairness cost.
    optimistic = float(
        np.maximum(profit, 0).sum() + model.need_bonus[np.unique(model.need[edges])].sum()
    )
    chosen, bound = _bound(
        network, profit, priced, right, incumbent.value, optimistic, last_round_ends
    )
    if chosen is None:
        return PartResult(incumbent.chosen, incumbent.value, bound, False)
    repaired, value = repair(
        problem, weights, model, in_part, edges[chosen], incumbent.chosen, deadline
    )
    best = preferred(PartResult(repaired, value, bound, False), incumbent)
    bound = max(bound, best.value)
    optimal = bound - best.value <= _TOLERANCE * max(1.0, abs(best.value))
    return PartResult(np.sort(best.chosen), best.value, bound, optimal)


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
    """Nodes: source, sink, members, (member, month), (member, start), slots, needs. Needs that
    start at the same time all cover that moment, so a member takes at most one of them (an
    overlap row of the model): one node capped at one holds them, which also keeps one role
    per need, and tightens the bound for free where needs start together (a weekend's peak
    hours). A member with one month needs no month node (their places already stop at its
    room) and a (member, start) with one edge needs no node (the edge's arc holds one unit):
    city instances are mostly such, and the flow solver's time grows with the nodes."""
    months = problem.member_month_room.shape[1]
    member, need, slot = model.member[edges], model.need[edges], model.slot[edges]
    members = np.unique(member)
    month_key = np.unique(member * months + problem.need_month[need])
    month_member = np.searchsorted(members, month_key // months)
    room = problem.member_month_room.ravel()[month_key]
    starts, start_of = np.unique(
        np.stack([problem.need_month, problem.need_starts_s]), axis=1, return_inverse=True
    )
    start_of = start_of.ravel()
    unit_key, unit_of, unit_size = np.unique(
        member * starts.shape[1] + start_of[need], return_inverse=True, return_counts=True
    )
    unit_month = np.searchsorted(
        month_key, (unit_key // starts.shape[1]) * months + starts[0, unit_key % starts.shape[1]]
    )
    slots, slot_of = np.unique(slot, return_inverse=True)
    needs, need_of = np.unique(problem.slot_need[slots], return_inverse=True)
    # A member can take at most one place per need and no more than their total room.
    places = np.minimum(
        np.bincount(month_member[unit_month], minlength=len(members)),
        np.bincount(month_member, weights=room, minlength=len(members)).astype(np.int64),
    )
    step = ranges(np.zeros_like(places), places)  # the j-th place costs load_step * (j - 1)
    open_places = problem.slot_open[slots]
    need_open = np.bincount(need_of, weights=open_places).astype(np.int64)
    bonus = model.need_bonus[needs]
    supply = int(min(open_places.sum(), places.sum()))
    month_kept = (np.bincount(month_member, minlength=len(members)) > 1)[month_member]
    unit_kept = unit_size > 1
    month_node = 2 + month_member
    month_node[month_kept] = 2 + len(members) + np.arange(int(month_kept.sum()))
    unit_node = month_node[unit_month]
    first_unit = 2 + len(members) + int(month_kept.sum())
    unit_node[unit_kept] = first_unit + np.arange(int(unit_kept.sum()))
    first_slot = first_unit + int(unit_kept.sum())
    first_need = first_slot + len(slots)
    nodes = first_need + len(needs)
    biggest = max(
        1.0,
        float(np.abs(profit).max(initial=0)),
        float(bonus.max(initial=0)),
        weights.load_step * len(step),
    )
    scale = min(_SCALE, _INT_HEADROOM / (biggest * (nodes + 1) * 4))
    tails = np.r_[
        np.zeros(len(step), dtype=np.int64),
        2 + month_member[month_kept],
        month_node[unit_month[unit_kept]],
        unit_node[unit_of],
        first_slot + np.arange(len(slots)),
        np.tile(first_need + np.arange(len(needs)), 2),
        0,
    ]
    heads = np.r_[
        2 + np.repeat(np.arange(len(members)), places),
        month_node[month_kept],
        unit_node[unit_kept],
        first_slot + slot_of,
        first_need + need_of,
        np.ones(2 * len(needs), dtype=np.int64),
        1,
    ]
    capacities = np.r_[
        np.ones(len(step), dtype=np.int64),
        room[month_kept],
        np.ones(int(unit_kept.sum()) + len(edges), dtype=np.int64),
        open_places,
        np.ones(len(needs), dtype=np.int64),
        need_open - 1,
        supply,
    ].astype(np.int64)
    costs = np.zeros(len(tails), dtype=np.int64)
    costs[: len(step)] = np.rint(weights.load_step * step * scale)
    first_bonus_arc = len(tails) - 1 - 2 * len(needs)
    costs[first_bonus_arc : first_bonus_arc + len(needs)] = -np.rint(bonus * scale)
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
    rounding = _ROUNDING_PER_UNIT * network.supply
    return chosen, (rounding - flow.optimal_cost()) / network.scale


def _bound(
    network: _Network,
    profit: FloatArray,
    priced: sp.csr_matrix,
    right: FloatArray,
    lower: float,
    upper: float,
    deadline: float,
) -> tuple[BoolArray | None, float]:
    """Lagrangian rounds: the iterate that breaks the fewest priced rows (None when there was
    no time for one) and the best bound (`upper`, a trivial one, until a round beats it)."""
    started = time.perf_counter()
    stop = started + (deadline - started) * _BOUNDING_SHARE
    multipliers = np.zeros(len(right))
    best_bound, best_chosen, fewest = upper, None, np.inf
    # Before the first round, its time is guessed from the arcs (a solve cannot be stopped).
    factor, stalled, round_s = _FIRST_STEP, 0, _FLOW_S_FACTOR * len(network.tails) ** 1.5
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
