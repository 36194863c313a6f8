"""The two exact solvers behind `assign`: min-cost flow where the rows form a tree per member,
HiGHS (through `scipy.optimize.milp`) for the rest.

Flow network (one call for every flow component; they share no node): source -> member by
parallel unit arcs whose costs grow (the convex fairness cost, exact because flow fills the
cheapest first) -> (member, month) capped by the monthly room -> (member, overlap cluster)
capped at one -> slot by one arc per edge (cost: minus its value) capped by the open places ->
need -> sink by two arcs: one unit at minus the first-place bonus, the rest free (a concave
gain, exact because flow takes the cheaper arc first); a zero-cost source -> sink arc lets
places stay empty. Arcs are added in bulk from
numpy arrays: per-arc Python calls dominate at this size (or-tools #321). Costs are integers,
the values scaled by `_FLOW_SCALE` (1e-9 resolution), so the flow optimum is the true one up to
that rounding per arc.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from ortools.graph.python import min_cost_flow
from scipy.optimize import Bounds, LinearConstraint, milp

from matcher.assignment_model import Model, first_place_value, ranges
from matcher.assignment_problem import AssignmentProblem, AssignmentWeights, BoolArray, IntArray

_FLOW_SCALE = 1e9
_INT_HEADROOM = 2.0**60  # keep |cost| * nodes inside int64, as OR-Tools checks
# HiGHS's MIP presolve took 36 s on a 107k-variable component (and ignores the time limit
# while it runs); without it the root LP and first solution came in 2-7 s. Small programs
# still gain from it.
_PRESOLVE_UP_TO = 25_000


@dataclass(frozen=True, slots=True)
class PartResult:
    """Chosen kept edges of some components, their value, a proven bound and whether optimal."""

    chosen: IntArray  # positions among the model's kept edges
    value: float
    bound: float
    optimal: bool


def preferred(candidate: PartResult, incumbent: PartResult) -> PartResult:
    """The candidate when it is worth more and fills at least as many places, else the
    incumbent (greedy's choice where a solver was cut short): coordinators read empty places
    first, so a heuristic answer never leaves more of them than per-need ranking."""
    better = candidate.value > incumbent.value and len(candidate.chosen) >= len(incumbent.chosen)
    return candidate if better else incumbent


def solve_flow(
    problem: AssignmentProblem, weights: AssignmentWeights, model: Model, edges: IntArray
) -> PartResult:
    """Min-cost flow over the kept edges `edges` (all in flow components)."""
    if len(edges) == 0:
        return PartResult(edges, 0.0, 0.0, True)
    member, slot = model.member[edges], model.slot[edges]
    cluster = model.member_cluster[edges]
    members, member_node = np.unique(member, return_inverse=True)
    clusters, cluster_of = np.unique(cluster, return_inverse=True)
    cluster_member = np.zeros(len(clusters), dtype=np.int64)
    cluster_member[cluster_of] = member_node
    month = model.cluster_month[clusters]
    month_key, month_of = np.unique(
        cluster_member * (int(month.max()) + 1) + month, return_inverse=True
    )
    month_member = month_key // (int(month.max()) + 1)
    month_room = problem.member_month_room[
        members[month_member], month_key % (int(month.max()) + 1)
    ]
    slots, slot_of = np.unique(slot, return_inverse=True)
    needs, need_of = np.unique(problem.slot_need[slots], return_inverse=True)
    # Node numbering: source, sink, members, months, clusters, slots, needs.
    first_month = 2 + len(members)
    first_cluster = first_month + len(month_key)
    first_slot = first_cluster + len(clusters)
    first_need = first_slot + len(slots)
    nodes = first_need + len(needs)
    places = np.bincount(cluster_member, minlength=len(members))  # clusters per member
    step = ranges(np.zeros_like(places), places)  # each place's extra fairness steps
    open_places = problem.slot_open[slots]
    need_open = np.bincount(need_of, weights=open_places).astype(np.int64)
    bonus = model.need_bonus[needs]
    supply = int(min(open_places.sum(), places.sum()))
    values = model.value[edges]
    biggest = max(
        1.0,
        float(np.abs(values).max()),
        float(bonus.max()),
        weights.load_step * float(places.max()),
    )
    scale = min(_FLOW_SCALE, _INT_HEADROOM / (biggest * (nodes + 1)))
    tails = np.r_[
        np.zeros(len(step), dtype=np.int64),
        2 + month_member,
        first_month + month_of,
        first_cluster + cluster_of,
        first_slot + np.arange(len(slots)),
        np.tile(first_need + np.arange(len(needs)), 2),
        0,
    ]
    heads = np.r_[
        2 + np.repeat(np.arange(len(members)), places),
        first_month + np.arange(len(month_key)),
        first_cluster + np.arange(len(clusters)),
        first_slot + slot_of,
        first_need + need_of,
        np.ones(2 * len(needs), dtype=np.int64),
        1,
    ]
    capacities = np.r_[
        np.ones(len(step), dtype=np.int64),
        month_room,
        np.ones(len(clusters), dtype=np.int64),
        np.ones(len(edges), dtype=np.int64),
        open_places,
        np.ones(len(needs), dtype=np.int64),
        need_open - 1,
        supply,
    ]
    costs = np.r_[
        np.rint(weights.load_step * step * scale),
        np.zeros(len(month_key) + len(clusters)),
        -np.rint(values * scale),
        np.zeros(len(slots)),
        -np.rint(bonus * scale),
        np.zeros(len(needs) + 1),
    ].astype(np.int64)
    flow = min_cost_flow.SimpleMinCostFlow()
    arcs = flow.add_arcs_with_capacity_and_unit_cost(
        tails.astype(np.int32), heads.astype(np.int32), capacities.astype(np.int64), costs
    )
    flow.set_nodes_supplies(np.array([0, 1], dtype=np.int32), np.array([supply, -supply]))
    status = flow.solve()
    if status != flow.OPTIMAL:
        raise RuntimeError(f"min-cost flow failed with status {status}")
    edge_arcs = arcs[len(step) + len(month_key) + len(clusters) :][: len(edges)]
    chosen = np.sort(edges[flow.flows(edge_arcs) > 0])
    value = (
        float(model.value[chosen].sum())
        - _fairness(weights, model.member[chosen])
        + first_place_value(problem, weights, model.need[chosen])
    )
    return PartResult(chosen, value, value, True)


def _fairness(weights: AssignmentWeights, member: IntArray) -> float:
    counts = np.bincount(member).astype(np.float64)
    return float(weights.load_step * (counts * (counts - 1) / 2).sum())


def solve_ilp(
    model: Model, in_part: BoolArray, time_limit_s: float
) -> tuple[PartResult | None, float]:
    """HiGHS on the variables of the components in `in_part`: the best solution found (None
    when the time limit ended the search before any; the caller falls back) and the proven
    bound."""
    variables = np.flatnonzero(in_part[model.var_component])
    rows = np.flatnonzero(in_part[model.row_component])
    matrix = model.matrix[rows][:, variables]
    values = model.value[variables]
    is_edge = variables < model.n_x
    constraints = [LinearConstraint(matrix, -np.inf, model.upper[rows])] if len(rows) else []
    result = milp(
        -values,
        constraints=constraints,
        integrality=is_edge.astype(np.int64),
        bounds=Bounds(0, 1),
        options={
            "time_limit": max(time_limit_s, 0.01),
            "mip_rel_gap": 0.0,
            "presolve": len(variables) <= _PRESOLVE_UP_TO,
        },
    )
    bound = _dual_bound(result, values)
    if result.x is None:
        return None, bound
    picked = variables[is_edge & (result.x > 0.5)]
    value = float(-result.fun)
    return PartResult(picked, value, max(bound, value), result.status == 0), bound


def _dual_bound(result: object, values: np.ndarray) -> float:
    """The solver's proven bound (it minimises the negated objective), or every positive
    value taken when it proved none."""
    dual = getattr(result, "mip_dual_bound", None)
    if dual is not None and np.isfinite(dual):
        return float(-dual)
    return float(values[values > 0].sum())
