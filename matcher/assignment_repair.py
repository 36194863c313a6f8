"""Repair: turn a relaxation's iterate into an assignment that keeps every hard row.

The Lagrangian flow (`assignment_relax`) chooses edges that may break overlap, `apart` and
pairing rows. Repair drops and fills, vectorised (a Python loop per edge took ~3 s at 100k
places), then, if time is left, re-optimises a neighbourhood exactly with HiGHS:

- **drop**: every broken row loses its least valuable chosen edges until it holds, all rows
  at once; dropping a mentor can break a pairing row, so this repeats until nothing breaks;
- **fill**: open places take the edges that fit, best marginal objective (the first-place bonus
  included while the need has nobody) first, in rounds: a
  round takes, per member, their best fitting edge and, per row, no more edges than its
  slack (ranked by that order), so whatever a round takes keeps every row;
- **catch up**: where the incumbent (greedy's choice) fills a slot with more places, its
  edges there go in, the chosen edges in their way out, and everything is filled again, kept
  while that fills more places (the drop leaves holes a plain fill cannot close: scarce 10k
  city, 9,633 -> 9,764 places);
- **local program**: every edge of the members and needs of the broken rows, and of the
  slots the incumbent still fills better, re-optimised by HiGHS with the rest fixed in the
  right-hand sides (open places, monthly room, fairness, mentors chosen), then filled again.

Hard rows are those of edges only (slot, overlap, month, pairing); fairness, together and
first-place rows hold any x through their continuous variables, so they price a place, never
forbid it. Drop ranks edges by their own value, without the first-place bonus: it only
orders what to give up, and fill puts the bonus back where a need was left empty.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp
from scipy.optimize import Bounds, LinearConstraint, milp

from matcher.assignment_model import Model, ranges, run_starts
from matcher.assignment_problem import (
    AssignmentProblem,
    AssignmentWeights,
    BoolArray,
    FloatArray,
    IntArray,
)

_TOLERANCE = 1e-9
_LOCAL_PRESOLVE_UP_TO = 200_000  # the repair programs are many small pieces: presolve splits them
_LOCAL_MIN_S = 0.05  # below this, HiGHS's setup alone would use the time
# HiGHS on repair programs (setup included), with a margin: a larger neighbourhood than the
# time left affords would overrun the budget (HiGHS's setup ignores the limit) for nothing.
_LOCAL_VARIABLES_PER_S = 20_000
_CATCH_UP_ROUNDS = 3
_LOCAL_LIMIT_SHARE = 0.85  # of the time left, as HiGHS's time limit
_LOCAL_GAP = 1e-4  # the repair need not be exact: the reported gap is measured against the bound


@dataclass(frozen=True, slots=True)
class HardRows:
    """The hard rows of some components, over the model's kept edges."""

    by_row: sp.csr_matrix
    by_edge: sp.csc_matrix
    upper: FloatArray
    monotone: BoolArray  # no negative coefficient: adding edges never makes the row hold again


def hard_rows(model: Model, in_part: BoolArray) -> HardRows:
    """Rows of the components in `in_part` (a mask over components) that touch only edges."""
    matrix = model.matrix
    entry_row = np.repeat(np.arange(matrix.shape[0]), np.diff(matrix.indptr))
    soft = np.bincount(entry_row[matrix.indices >= model.n_x], minlength=matrix.shape[0]) > 0
    rows = np.flatnonzero(~soft & in_part[model.row_component])
    by_row = matrix[rows][:, : model.n_x].tocsr()
    negative = np.bincount(
        np.repeat(np.arange(len(rows)), np.diff(by_row.indptr))[by_row.data < 0],
        minlength=len(rows),
    )
    return HardRows(by_row, by_row.tocsc(), model.upper[rows], negative == 0)


def drop(model: Model, hard: HardRows, picked: BoolArray) -> BoolArray:
    """`picked` without, per broken row, its least valuable chosen edges (ties: the later
    edge) until the row holds; repeated while dropped mentors break pairing rows."""
    picked = picked.copy()
    while True:
        activity = hard.by_row @ picked.astype(np.float64)
        broken = np.flatnonzero(activity > hard.upper + _TOLERANCE)
        if len(broken) == 0:
            return picked
        block = hard.by_row[broken]
        row = np.repeat(np.arange(len(broken)), np.diff(block.indptr))
        edge = block.indices
        mine = (block.data > 0) & picked[edge]
        row, edge = row[mine], edge[mine]
        order = np.lexsort((-edge, model.value[edge], row))
        row, edge = row[order], edge[order]
        excess = np.ceil(activity[broken] - hard.upper[broken] - _TOLERANCE)
        picked[edge[_rank_in_runs(row) < excess[row]]] = False


def fill(
    model: Model,
    weights: AssignmentWeights,
    hard: HardRows,
    candidates: BoolArray,
    picked: BoolArray,
) -> BoolArray:
    """`picked` with the `candidates` added that fit and are worth their fairness cost, best
    marginal objective (value less the member's next fairness step, plus the first-place
    bonus on a need nobody has yet) first."""
    picked = picked.copy()
    activity = hard.by_row @ picked.astype(np.float64)
    counts = np.bincount(model.member[picked], minlength=int(model.member.max(initial=0)) + 1)
    bonus = model.need_bonus.copy()
    bonus[model.need[picked]] = 0.0
    open_edges = np.flatnonzero(candidates & ~picked)
    columns = hard.by_edge
    while len(open_edges):
        # Gains only fall as members take places and needs get their first: an edge not
        # worth it now never will be.
        base = model.value[open_edges] - weights.load_step * counts[model.member[open_edges]]
        gain = base + bonus[model.need[open_edges]]
        worth = gain > _TOLERANCE
        open_edges, gain, base = open_edges[worth], gain[worth], base[worth]
        first, size = columns.indptr[open_edges], np.diff(columns.indptr)[open_edges]
        at = ranges(first, size)
        row, owner = columns.indices[at], np.repeat(np.arange(len(open_edges)), size)
        over = activity[row] + columns.data[at] > hard.upper[row] + _TOLERANCE
        # A full row without negative coefficients stays full: its edges leave for good.
        gone = np.bincount(owner[over & hard.monotone[row]], minlength=len(open_edges)) > 0
        fits = np.bincount(owner[over], minlength=len(open_edges)) == 0
        taken = _round(
            model, hard, activity, *_first_places(model, open_edges[fits], gain[fits], base[fits])
        )
        if len(taken) == 0:
            break
        picked[taken] = True
        activity += columns[:, taken] @ np.ones(len(taken))
        counts[model.member[taken]] += 1
        bonus[model.need[taken]] = 0.0
        open_edges = open_edges[~gone & ~np.isin(open_edges, taken)]
    return picked


def _first_places(
    model: Model, edges: IntArray, gain: FloatArray, base: FloatArray
) -> tuple[IntArray, FloatArray]:
    """The edges a round may take and their gains, where only each need's best edge counts
    its first-place bonus (two edges of one need cannot both be its first); edges worth
    nothing without it wait for a later round."""
    order = np.lexsort((edges, -gain, model.need[edges]))
    best = np.zeros(len(edges), dtype=bool)
    best[order[run_starts(model.need[edges][order])]] = True
    gain = np.where(best, gain, base)
    worth = gain > _TOLERANCE
    return edges[worth], gain[worth]


def _round(
    model: Model, hard: HardRows, activity: FloatArray, edges: IntArray, gain: FloatArray
) -> IntArray:
    """Of the fitting `edges`, those one round takes: each member's best, then per row at
    most its slack of them in order of gain (ties: edge index); the best one always."""
    order = np.lexsort((edges, -gain))
    edges = edges[order]
    position = np.arange(len(edges))
    by_member = np.lexsort((position, model.member[edges]))
    first = by_member[run_starts(model.member[edges][by_member])]
    edges = edges[np.sort(first)]
    columns = hard.by_edge
    first_entry, size = columns.indptr[edges], np.diff(columns.indptr)[edges]
    at = ranges(first_entry, size)
    row, owner = columns.indices[at], np.repeat(np.arange(len(edges)), size)
    adds = columns.data[at] > 0
    row, owner = row[adds], owner[adds]
    in_row = np.lexsort((owner, row))
    row, owner = row[in_row], owner[in_row]
    slack = np.floor(hard.upper[row] - activity[row] + _TOLERANCE)
    refused = np.bincount(owner[_rank_in_runs(row) >= slack], minlength=len(edges)) > 0
    return np.asarray(edges[~refused], dtype=np.int64)


def _rank_in_runs(values: IntArray) -> IntArray:
    """Position of each element within its run of equal values (a sorted array)."""
    starts = run_starts(values)
    return np.arange(len(values)) - np.repeat(starts, np.diff(np.r_[starts, len(values)]))


def objective(problem: AssignmentProblem, model: Model, picked: BoolArray) -> float:
    """The model's objective for the chosen kept edges."""
    return float(model.value @ full_vector(problem, model, np.flatnonzero(picked)))


def full_vector(problem: AssignmentProblem, model: Model, chosen: IntArray) -> FloatArray:
    """Every model variable for the chosen kept edges: fairness steps filled in order,
    together pairs where both members serve on the need, first places where a need has one."""
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
    values[model.n_x + len(z) + len(both) :] = np.isin(model.y_need, model.need[chosen])
    return values


def repair(
    problem: AssignmentProblem,
    weights: AssignmentWeights,
    model: Model,
    in_part: BoolArray,
    chosen: IntArray,
    incumbent: IntArray,
    deadline: float,
) -> tuple[IntArray, float]:
    """Chosen kept edges of the components in `in_part` that keep every row, and their
    value, from the relaxation's `chosen`; `incumbent` (a feasible choice) points at the
    slots worth re-optimising. Drop and fill, then the local program if time is left."""
    hard = hard_rows(model, in_part)
    candidates = in_part[model.var_component[: model.n_x]]
    picked = np.zeros(model.n_x, dtype=bool)
    picked[chosen] = True
    dropped = drop(model, hard, picked)
    began = time.perf_counter()
    best = _settle(model, weights, hard, candidates, dropped, incumbent)
    best_value = objective(problem, model, best)
    # What finishing after the local program costs: settling again and a valuation.
    finish_s = time.perf_counter() - began
    if deadline - time.perf_counter() <= 2 * finish_s + _LOCAL_MIN_S:
        return np.flatnonzero(best), best_value
    broken = hard.by_row @ picked.astype(np.float64) > hard.upper + _TOLERANCE
    involved = np.unique(hard.by_row[np.flatnonzero(broken)].indices)
    involved = involved[picked[involved]]
    short = _short_slots(model, best, incumbent)
    affordable = _LOCAL_VARIABLES_PER_S * (deadline - time.perf_counter() - 2 * finish_s)
    free = _neighbourhood(model, candidates, involved, short)
    if len(free) > affordable:  # the broken rows' alone, then, if that fits
        free = _neighbourhood(model, candidates, involved, np.zeros_like(short))
    if len(free) == 0 or len(free) > affordable:
        return np.flatnonzero(best), best_value
    fixed = best.copy()
    fixed[free] = False
    solved = _local_program(model, fixed, free, deadline - 2 * finish_s)
    if solved is not None:
        fixed[solved] = True
        local = _settle(model, weights, hard, candidates, fixed, incumbent)
        value = objective(problem, model, local)
        # Worth more, and not at the cost of places greedy would fill.
        if value > best_value and local.sum() >= min(best.sum(), len(incumbent)):
            best, best_value = local, value
    return np.flatnonzero(best), best_value


def _settle(
    model: Model,
    weights: AssignmentWeights,
    hard: HardRows,
    candidates: BoolArray,
    picked: BoolArray,
    incumbent: IntArray,
) -> BoolArray:
    """Fill, then catch up with the incumbent where it fills slots better."""
    filled = fill(model, weights, hard, candidates, picked)
    return _catch_up(model, weights, hard, candidates, filled, incumbent)


def _catch_up(
    model: Model,
    weights: AssignmentWeights,
    hard: HardRows,
    candidates: BoolArray,
    picked: BoolArray,
    incumbent: IntArray,
) -> BoolArray:
    """Where the incumbent fills a slot with more places: its edges there go in, the chosen
    edges in their way (the member's overlapping or month's places) out, and every open
    place is filled again; kept while that fills more places (a few rounds at most)."""
    for _ in range(_CATCH_UP_ROUNDS):
        wanted = incumbent[_short_slots(model, picked, incumbent)[model.slot[incumbent]]]
        wanted = wanted[~picked[wanted]]
        if len(wanted) == 0:
            return picked
        activity = hard.by_row @ picked.astype(np.float64)
        block = hard.by_edge[:, wanted]
        entry_row = block.indices
        full = np.unique(
            entry_row[activity[entry_row] + block.data > hard.upper[entry_row] + _TOLERANCE]
        )
        rows = hard.by_row[full]
        in_way = rows.indices[(rows.data > 0) & picked[rows.indices]]
        trial = picked.copy()
        trial[in_way] = False
        want = np.zeros(len(picked), dtype=bool)
        want[wanted] = True
        trial = fill(model, weights, hard, want, drop(model, hard, trial))
        trial = fill(model, weights, hard, candidates, trial)
        if trial.sum() <= picked.sum():
            return picked
        picked = trial
    return picked


def _short_slots(model: Model, picked: BoolArray, incumbent: IntArray) -> BoolArray:
    """Per slot: `picked` fills fewer of its places than the incumbent does."""
    slots = int(model.slot.max(initial=-1)) + 1
    have = np.bincount(model.slot[picked], minlength=slots)
    return np.asarray(have < np.bincount(model.slot[incumbent], minlength=slots))


def _neighbourhood(
    model: Model, candidates: BoolArray, involved: IntArray, slots: BoolArray
) -> IntArray:
    """Edges to re-optimise: every edge of the members and needs of the `involved` edges
    and of the members who could take a place in `slots`, closed so that dropping them all
    stays feasible (a freed mentor frees the new members whose pairing row counts on it)."""
    into = candidates & slots[model.slot]
    members = np.union1d(model.member[involved], model.member[into])
    needs = np.union1d(model.need[involved], model.need[into])
    free = candidates & (np.isin(model.member, members) | np.isin(model.need, needs))
    matrix = model.matrix[:, : model.n_x]
    negative = matrix.tocsc(copy=True)
    negative.data = (negative.data < 0).astype(np.float64)
    negative.eliminate_zeros()
    positive = matrix.tocsr(copy=True)
    positive.data = (positive.data > 0).astype(np.float64)
    positive.eliminate_zeros()
    while True:
        leaning = np.flatnonzero(negative @ free.astype(np.float64))  # rows a freed edge props
        grown = free | ((positive[leaning].sum(axis=0).A1 > 0) & candidates)
        if (grown == free).all():
            return np.flatnonzero(free)
        free = grown


def _local_program(
    model: Model, fixed: BoolArray, free: IntArray, deadline: float
) -> IntArray | None:
    """HiGHS on the freed edges (and the fairness and together variables their rows share),
    the rest fixed at `fixed`: the chosen freed edges, or None when out of time."""
    columns = model.matrix.tocsc()
    touched = np.unique(columns[:, free].indices)
    shared = np.unique(model.matrix[touched].indices)
    variables = np.union1d(free, shared[shared >= model.n_x])
    # A row touched here holds, besides `variables`, only fixed edges: every fairness and
    # together variable of a freed edge's rows is in `variables`.
    rows = np.unique(columns[:, variables].indices)
    block = model.matrix[rows]
    outside = block[:, : model.n_x] @ fixed.astype(np.float64)
    is_edge = variables < model.n_x
    # HiGHS overshoots its time limit (setup, the last node): 60 ms on 0.9 s at 10k.
    remaining = (deadline - time.perf_counter()) * _LOCAL_LIMIT_SHARE
    if remaining < _LOCAL_MIN_S:
        return None
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
