"""The batch assignment as a 0-1 program, built from numpy arrays in bulk (no per-edge loops).

Variables: x_e (edge e chosen), z_mj (member m takes a j-th place, j >= 2; continuous, its
cost grows with j so the optimum fills them in order: a convex piecewise fairness cost),
w_pn (both members of together-pair p serve on need n; continuous, capped by both sides) and
y_n (need n has a first volunteer; continuous, capped by its edges and by one).
Rows, all `A @ v <= ub`:

- slot: its edges <= open places (only where it has more edges than places);
- overlap: per owner and distinct start time t, the owner's edges on needs covering t <= 1.
  For intervals this clique cover is exact. An owner is a member, or an `apart` pair read as
  one person; a need covers its own start, so this also means one role per member per need;
- month: a member's edges on needs of a month <= their room (only where it can bind);
- pairing: on a need without a mentor that has mentor and new candidates, each new member's
  edges <= the need's mentor edges;
- fairness: a member's edges - their z <= 1; together: w - each side's edges on the need <= 0;
- first place: y_n - the need's edges <= 0, y_n in [0, 1] continuous and worth the first-place
  bonus, on needs nobody covers yet: the optimum sets y_n = min(1, places taken), a concave
  gain per need, exact without making y binary (x is).

Connected components of members and slots (linked by edges, households and pairing needs)
share no row or variable, so they are solved apart (a need's slots share its first-place row,
so they are linked too). `flow_components` marks those whose rows are a tree per member (no
households, no pairing, each member's overlapping needs a clique in one month): min-cost flow
solves those exactly, the first-place gain as a need's first unit of flow.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp
from scipy.sparse.csgraph import connected_components

from matcher.assignment_problem import (
    DAYS_PER_RECENCY_STEP,
    MENTOR_STAGES,
    NEW_STAGE,
    AssignmentProblem,
    AssignmentWeights,
    BoolArray,
    FloatArray,
    IntArray,
)

_HASH_SEED = 14  # fixed: row deduplication must not depend on the run


def ranges(starts: IntArray, counts: IntArray) -> IntArray:
    """Concatenate arange(s, s + c) for each (s, c) without a Python loop."""
    total = int(counts.sum())
    if total == 0:
        return np.zeros(0, dtype=np.int64)
    shift = np.repeat(starts - np.concatenate([[0], np.cumsum(counts)[:-1]]), counts)
    return np.asarray(np.arange(total, dtype=np.int64) + shift, dtype=np.int64)


def run_starts(values: IntArray) -> IntArray:
    """Where each run of equal values in a sorted array begins."""
    boundary = np.ones(len(values), dtype=bool)
    boundary[1:] = values[1:] != values[:-1]
    return np.flatnonzero(boundary)


def first_place_cost(problem: AssignmentProblem, weights: AssignmentWeights) -> FloatArray:
    """Per member: what every place they take costs (held load and recent service)."""
    recent = weights.recency / (1.0 + problem.member_idle_days / DAYS_PER_RECENCY_STEP)
    return weights.load_step * problem.member_load + recent


def usable_edges(problem: AssignmentProblem) -> IntArray:
    """Edges that could ever be chosen: an open slot and monthly room left."""
    need = problem.edge_need
    room = problem.member_month_room[problem.edge_member, problem.need_month[need]]
    return np.flatnonzero((problem.slot_open[problem.edge_slot] > 0) & (room > 0))


@dataclass(frozen=True, slots=True)
class Units:
    """Distinct (owner, need) pairs and their edges (CSR: unit_edges[offsets[u]:offsets[u+1]])."""

    owner: IntArray
    need: IntArray
    offsets: IntArray
    unit_edges: IntArray  # positions in the model's kept edges


def _units(owner: IntArray, edge: IntArray, need: IntArray, needs: int) -> Units:
    key = owner * needs + need[edge]
    order = np.lexsort((edge, key))
    key, edge = key[order], edge[order]
    starts = run_starts(key)
    offsets = np.r_[starts, len(key)].astype(np.int64)
    return Units(key[starts] // needs, key[starts] % needs, offsets, edge)


@dataclass(frozen=True, slots=True)
class Model:
    """The program over kept edges; variables are x (n_x), then z, then w, then y."""

    edges: IntArray  # kept edge -> problem edge index
    member: IntArray  # per kept edge
    slot: IntArray
    need: IntArray
    value: FloatArray  # per variable: what choosing it adds to the objective
    matrix: sp.csr_matrix
    upper: FloatArray
    relaxed_rows: BoolArray  # per row: overlap or pairing, dropped by the flow relaxation
    var_component: IntArray
    row_component: IntArray
    n_x: int
    components: int
    flow_component: BoolArray  # per component: min-cost flow solves it exactly
    member_cluster: IntArray  # per kept edge: its member's overlap cluster (flow node)
    cluster_month: IntArray  # per cluster
    z_member: IntArray  # per z variable
    w_pair: IntArray  # per w variable: together pair
    w_need: IntArray
    need_bonus: FloatArray  # per need: what its first place adds (0: covered, or no bonus)
    y_need: IntArray  # per y variable: its need


class _Rows:
    """Accumulates (row, variable, coefficient) triples and right-hand sides."""

    def __init__(self) -> None:
        self.rows: list[IntArray] = []
        self.cols: list[IntArray] = []
        self.coefs: list[FloatArray] = []
        self.upper: list[FloatArray] = []
        self.relaxed: list[BoolArray] = []
        self.count = 0

    def add(
        self,
        row: IntArray,
        col: IntArray,
        coef: FloatArray,
        upper: FloatArray | IntArray,
        *,
        relaxed: bool = False,
    ) -> None:
        self.rows.append(row + self.count)
        self.cols.append(col)
        self.coefs.append(coef)
        self.upper.append(upper.astype(np.float64))
        self.relaxed.append(np.full(len(upper), relaxed))
        self.count += len(upper)

    def matrix(self, variables: int) -> tuple[sp.csr_matrix, FloatArray, BoolArray]:
        if not self.rows:
            return sp.csr_matrix((0, variables)), np.zeros(0), np.zeros(0, dtype=bool)
        coo = sp.coo_matrix(
            (np.concatenate(self.coefs), (np.concatenate(self.rows), np.concatenate(self.cols))),
            shape=(self.count, variables),
        )
        return coo.tocsr(), np.concatenate(self.upper), np.concatenate(self.relaxed)


def _unit_rows(units: Units, row_of_unit: IntArray, unit: IntArray) -> tuple[IntArray, IntArray]:
    """Expand (row, unit) pairs into (row, edge) pairs."""
    counts = np.diff(units.offsets)[unit]
    return np.repeat(row_of_unit, counts), units.unit_edges[ranges(units.offsets[unit], counts)]


def _overlap_rows(problem: AssignmentProblem, units: Units, rows: _Rows) -> None:
    sizes = np.diff(units.offsets)
    group_start = run_starts(units.owner)
    group_size = np.diff(np.r_[group_start, len(units.owner)])
    group = np.repeat(np.arange(len(group_start)), group_size)
    # Each unit i against every unit j of its owner: keep j covering i's start.
    left = np.repeat(np.arange(len(units.owner)), group_size[group])
    right = ranges(group_start[group], group_size[group])
    start, end = problem.need_starts_s, problem.need_ends_s
    t = start[units.need[left]]
    keep = (start[units.need[right]] <= t) & (t < end[units.need[right]])
    left, right, t = left[keep], right[keep], t[keep]
    # One row per (owner, start time); identical sets from different times are merged by a
    # fixed random hash of their units.
    tokens = np.random.default_rng(_HASH_SEED).integers(
        0, 2**62, size=(2, len(units.owner)), dtype=np.int64
    )
    row_key = np.stack([units.owner[left], t])
    _, candidate = np.unique(row_key, axis=1, return_inverse=True)
    candidate = candidate.ravel()
    n_candidates = int(candidate.max()) + 1 if len(candidate) else 0
    # Units starting together give the same row: keep each (row, unit) once.
    _, once = np.unique(candidate * len(units.owner) + right, return_index=True)
    left, right, candidate = left[once], right[once], candidate[once]
    hashes = np.zeros((2, n_candidates), dtype=np.int64)
    with np.errstate(over="ignore"):
        np.add.at(hashes[0], candidate, tokens[0, right])
        np.add.at(hashes[1], candidate, tokens[1, right])
    first_left = np.full(n_candidates, -1, dtype=np.int64)
    first_left[candidate[::-1]] = left[::-1]
    weight = np.bincount(candidate, weights=sizes[right], minlength=n_candidates)
    signature = np.stack([units.owner[first_left], hashes[0], hashes[1]])
    _, chosen = np.unique(signature, axis=1, return_index=True)
    chosen = chosen[weight[chosen] > 1]  # a lone edge needs no row
    renumber = np.full(n_candidates, -1, dtype=np.int64)
    renumber[chosen] = np.arange(len(chosen))
    keep = renumber[candidate] >= 0
    row, edge = _unit_rows(units, renumber[candidate[keep]], right[keep])
    rows.add(row, edge, np.ones(len(edge)), np.ones(len(chosen)), relaxed=True)


def _month_rows(problem: AssignmentProblem, units: Units, members: int, rows: _Rows) -> None:
    own = np.flatnonzero(units.owner < members)
    month = problem.need_month[units.need[own]]
    months = problem.member_month_room.shape[1]
    key = units.owner[own] * months + month
    keys, inverse, needs = np.unique(key, return_inverse=True, return_counts=True)
    room = problem.member_month_room.ravel()[keys]
    binding = np.flatnonzero(needs > room)
    renumber = np.full(len(keys), -1, dtype=np.int64)
    renumber[binding] = np.arange(len(binding))
    take = renumber[inverse.ravel()] >= 0
    row, edge = _unit_rows(units, renumber[inverse.ravel()[take]], own[take])
    rows.add(row, edge, np.ones(len(edge)), room[binding])


def pairing_needs(problem: AssignmentProblem, kept_need: IntArray, stage: IntArray) -> BoolArray:
    """Per need: the pairing rule applies (no mentor yet, mentor and new candidates)."""
    needs = len(problem.need_starts_s)
    mentor = np.bincount(kept_need[np.isin(stage, MENTOR_STAGES)], minlength=needs) > 0
    new = np.bincount(kept_need[stage == NEW_STAGE], minlength=needs) > 0
    return ~problem.need_has_mentor & mentor & new


def _pairing_rows(
    problem: AssignmentProblem,
    units: Units,
    model_need: IntArray,
    model_member: IntArray,
    active: BoolArray,
    members: int,
    rows: _Rows,
) -> None:
    stage = problem.member_stage[model_member]
    own = units.owner < members
    new_units = np.flatnonzero(
        own
        & active[units.need]
        & (problem.member_stage[np.minimum(units.owner, members - 1)] == NEW_STAGE)
    )
    if len(new_units) == 0:
        return
    row_ids = np.arange(len(new_units))
    row_plus, edge_plus = _unit_rows(units, row_ids, new_units)
    mentor_edges = np.flatnonzero(np.isin(stage, MENTOR_STAGES) & active[model_need])
    mentor_edges = mentor_edges[np.argsort(model_need[mentor_edges], kind="stable")]
    by_need = model_need[mentor_edges]
    needs = units.need[new_units]
    first = np.searchsorted(by_need, needs, side="left")
    count = np.searchsorted(by_need, needs, side="right") - first
    row_minus = np.repeat(row_ids, count)
    edge_minus = mentor_edges[ranges(first, count)]
    rows.add(
        np.concatenate([row_plus, row_minus]),
        np.concatenate([edge_plus, edge_minus]),
        np.r_[np.ones(len(edge_plus)), -np.ones(len(edge_minus))],
        np.zeros(len(new_units)),
        relaxed=True,
    )


def _clusters(
    problem: AssignmentProblem, units: Units, members: int
) -> tuple[IntArray, BoolArray, IntArray]:
    """Overlap clusters of each member's needs: per member unit its cluster id, per member
    whether every cluster is a clique within one month, and per cluster its month."""
    own = np.flatnonzero(units.owner < members)
    member, need = units.owner[own], units.need[own]
    start = problem.need_starts_s[need] - problem.need_starts_s.min(initial=0)
    end = problem.need_ends_s[need] - problem.need_starts_s.min(initial=0)
    span = int(end.max(initial=0)) + 1
    order = np.lexsort((start, member))
    member, start, end, need = member[order], start[order], end[order], need[order]
    running = np.maximum.accumulate(member * span + end)
    new_cluster = np.ones(len(member), dtype=bool)
    new_cluster[1:] = (member[1:] != member[:-1]) | (member[1:] * span + start[1:] >= running[:-1])
    cluster = np.cumsum(new_cluster) - 1
    count = int(cluster[-1]) + 1 if len(cluster) else 0
    max_start = np.full(count, np.iinfo(np.int64).min)
    min_end = np.full(count, np.iinfo(np.int64).max)
    np.maximum.at(max_start, cluster, start)
    np.minimum.at(min_end, cluster, end)
    month = problem.need_month[need]
    month_lo = np.full(count, np.iinfo(np.int64).max)
    month_hi = np.full(count, -1)
    np.minimum.at(month_lo, cluster, month)
    np.maximum.at(month_hi, cluster, month)
    bad_cluster = (max_start >= min_end) | (month_lo != month_hi)
    laminar = np.ones(members, dtype=bool)
    laminar[member[bad_cluster[cluster]]] = False
    unit_cluster = np.full(len(units.owner), -1, dtype=np.int64)
    unit_cluster[own[order]] = cluster
    return unit_cluster, laminar, month_lo


def build_model(problem: AssignmentProblem, weights: AssignmentWeights) -> Model:
    """The program for `problem`, its components and which of them flow solves exactly."""
    members, slots = len(problem.member_stage), len(problem.slot_need)
    needs = len(problem.need_starts_s)
    kept = usable_edges(problem)
    member, slot = problem.edge_member[kept], problem.edge_slot[kept]
    need = problem.slot_need[slot]
    n_x = len(kept)
    positions = np.arange(n_x, dtype=np.int64)
    # Owners: members, then one per apart pair (both members' edges as one person's).
    by_member = np.argsort(member, kind="stable")
    degree = np.bincount(member, minlength=members)
    member_first = np.r_[0, np.cumsum(degree)[:-1]]
    apart = problem.apart_pairs.reshape(-1, 2)
    pair_sides = apart.T.ravel()
    pair_owner = np.tile(np.arange(len(apart)), 2) + members
    pair_edges = by_member[ranges(member_first[pair_sides], degree[pair_sides])]
    owner = np.r_[member, np.repeat(pair_owner, degree[pair_sides])]
    units = _units(owner, np.r_[positions, pair_edges], need, needs)

    rows = _Rows()
    slot_edges = np.bincount(slot, minlength=slots)
    tight = slot_edges > problem.slot_open
    slot_row = np.cumsum(tight) - 1
    take = tight[slot]
    rows.add(
        slot_row[slot[take]], positions[take], np.ones(int(take.sum())), problem.slot_open[tight]
    )
    _overlap_rows(problem, units, rows)
    _month_rows(problem, units, members, rows)
    active = pairing_needs(problem, need, problem.member_stage[member])
    _pairing_rows(problem, units, need, member, active, members, rows)

    # Fairness: member m's j-th place (j >= 2) costs load_step * (j - 1) more than the first.
    own_units = units.owner < members
    places = np.bincount(units.owner[own_units], minlength=members)
    extra = np.maximum(places - 1, 0) if weights.load_step > 0 else np.zeros(members, np.int64)
    z_member = np.repeat(np.arange(members), extra)
    z_step = ranges(np.ones(members, dtype=np.int64), extra)  # j - 1 = 1, 2, ...
    z_var = n_x + np.arange(len(z_member))
    fair_members = np.flatnonzero(extra > 0)
    fair_row = np.full(members, -1, dtype=np.int64)
    fair_row[fair_members] = np.arange(len(fair_members))
    take = fair_row[member] >= 0
    rows.add(
        np.r_[fair_row[member[take]], fair_row[z_member]],
        np.r_[positions[take], z_var],
        np.r_[np.ones(int(take.sum())), -np.ones(len(z_var))],
        np.ones(len(fair_members)),
    )

    # Together: both members' units on the same need.
    together = problem.together_pairs.reshape(-1, 2)
    w_pair, w_unit_a, w_unit_b = _shared_units(units, together, members, needs)
    w_var = n_x + len(z_member) + np.arange(len(w_pair))
    for side in (w_unit_a, w_unit_b):
        row, edge = _unit_rows(units, np.arange(len(w_pair)), side)
        rows.add(
            np.r_[np.arange(len(w_pair)), row],
            np.r_[w_var, edge],
            np.r_[np.ones(len(w_pair)), -np.ones(len(edge))],
            np.zeros(len(w_pair)),
        )

    # First place: y_n <= the need's edges, on needs nobody covers yet.
    bonus = need_bonus(problem, weights)
    y_need = np.unique(need[bonus[need] > 0])
    y_var = n_x + len(z_member) + len(w_pair) + np.arange(len(y_need))
    y_row = np.full(needs, -1, dtype=np.int64)
    y_row[y_need] = np.arange(len(y_need))
    take = y_row[need] >= 0
    rows.add(
        np.r_[np.arange(len(y_need)), y_row[need[take]]],
        np.r_[y_var, positions[take]],
        np.r_[np.ones(len(y_need)), -np.ones(int(take.sum()))],
        np.zeros(len(y_need)),
    )

    variables = n_x + len(z_member) + len(w_pair) + len(y_need)
    matrix, upper, relaxed_rows = rows.matrix(variables)
    value = np.r_[
        problem.edge_score[kept] + weights.fill_bonus - first_place_cost(problem, weights)[member],
        -weights.load_step * z_step.astype(np.float64),
        np.full(len(w_pair), weights.together_bonus),
        bonus[y_need],
    ]

    label, components = _components(problem, member, slot, active, y_need, members, slots)
    y_slot = np.zeros(needs, dtype=np.int64)
    y_slot[need[::-1]] = slot[::-1]  # any slot of the need with an edge
    var_component = np.r_[
        label[member],
        label[z_member],
        label[together[w_pair, 0]],
        label[members + y_slot[y_need]],
    ]
    row_component = (
        var_component[matrix.indices[matrix.indptr[:-1]]]
        if matrix.shape[0]
        else (np.zeros(0, dtype=np.int64))
    )
    unit_cluster, laminar, cluster_month = _clusters(problem, units, members)
    unit_of_edge = np.empty(n_x, dtype=np.int64)
    member_units = np.flatnonzero(own_units)
    counts = np.diff(units.offsets)[member_units]
    unit_of_edge[units.unit_edges[ranges(units.offsets[member_units], counts)]] = np.repeat(
        member_units, counts
    )
    flow = np.ones(components, dtype=bool)
    flow[label[member[~laminar[member]]]] = False
    flow[label[members + slot[active[need]]]] = False
    households = np.r_[problem.together_pairs.reshape(-1, 2)[:, 0], apart[:, 0]]
    flow[label[households]] = False
    return Model(
        edges=kept,
        member=member,
        slot=slot,
        need=need,
        value=value,
        matrix=matrix,
        upper=upper,
        relaxed_rows=relaxed_rows,
        var_component=var_component,
        row_component=row_component,
        n_x=n_x,
        components=components,
        flow_component=flow,
        member_cluster=unit_cluster[unit_of_edge],
        cluster_month=cluster_month,
        z_member=z_member,
        w_pair=w_pair,
        w_need=units.need[w_unit_a],
        need_bonus=bonus,
        y_need=y_need,
    )


def need_bonus(problem: AssignmentProblem, weights: AssignmentWeights) -> FloatArray:
    """Per need: what its first place adds to the objective (nothing once someone holds one)."""
    return np.where(problem.need_covered, 0.0, weights.first_place_bonus)


def first_place_value(
    problem: AssignmentProblem, weights: AssignmentWeights, need: IntArray
) -> float:
    """The first-place bonuses earned by places on `need` (one per need, repeats allowed)."""
    return float(need_bonus(problem, weights)[np.unique(need)].sum())


def _shared_units(
    units: Units, pairs: IntArray, members: int, needs: int
) -> tuple[IntArray, IntArray, IntArray]:
    """Per together pair, the needs both members have edges on: (pair, unit of a, unit of b)."""
    own = np.flatnonzero(units.owner < members)
    key = units.owner[own] * needs + units.need[own]  # sorted, as units are
    first = np.searchsorted(units.owner[own], pairs[:, 0], side="left")
    count = np.searchsorted(units.owner[own], pairs[:, 0], side="right") - first
    pair = np.repeat(np.arange(len(pairs)), count)
    unit_a = own[ranges(first, count)]
    wanted = pairs[pair, 1] * needs + units.need[unit_a]
    at = np.minimum(np.searchsorted(key, wanted), max(len(key) - 1, 0))
    found = key[at] == wanted if len(key) else np.zeros(len(wanted), dtype=bool)
    return pair[found], unit_a[found], own[at[found]]


def _components(
    problem: AssignmentProblem,
    member: IntArray,
    slot: IntArray,
    active: BoolArray,
    bonus_needs: IntArray,
    members: int,
    slots: int,
) -> tuple[IntArray, int]:
    """Label members and slots: linked by edges, households and slots of a need with a
    pairing or first-place row."""
    pairs = np.r_[problem.together_pairs.reshape(-1, 2), problem.apart_pairs.reshape(-1, 2)]
    linked = active.copy()
    linked[bonus_needs] = True
    paired_slots = np.flatnonzero(linked[problem.slot_need])
    leader = np.full(len(problem.need_starts_s), -1, dtype=np.int64)
    leader[problem.slot_need[paired_slots[::-1]]] = paired_slots[::-1]
    tails = np.r_[member, pairs[:, 0], members + paired_slots]
    heads = np.r_[members + slot, pairs[:, 1], members + leader[problem.slot_need[paired_slots]]]
    nodes = members + slots
    graph = sp.coo_matrix((np.ones(len(tails)), (tails, heads)), shape=(nodes, nodes))
    components, label = connected_components(graph, directed=False)
    return label.astype(np.int64), int(components)
