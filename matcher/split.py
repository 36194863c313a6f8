"""The multiplication plan: split a community into compact groups that keep its rules.

The objective is the members' total travel after the split, each group meeting at its best
candidate (one of its own members' homes, or the current meeting point) — exactly what
`matcher.multiplication.evaluate` reports, so the plan is judged by the figures it optimises.
The rules (`SPLIT_RULES`) are hard where they can be kept; when a community cannot keep them
all (one leader for two groups), they are given up in reverse order of importance — skills,
then the spread of mature members, then new-with-mature, then the leader — never households
(members are placed household by household, so one cannot be split) and size only when the
households leave no other way. Such a plan lists what it breaks; it never raises.

Two methods, both on OR-Tools' CP-SAT (integer costs: millimetres):

- **exact** (up to `EXACT_UP_TO` members): a capacitated p-median model. A boolean per
  (household, candidate place) and per candidate opened; ``groups`` places open, a place at a
  home opens only with that home's household in its group, and the current meeting point may
  be opened by several groups (one copy per group). Every rule is a linear constraint on the
  members sent to an open place. This is the whole problem, so `optimal` means the proven
  least travel among splits keeping the rules (to within a millimetre per member).
- **alternating** (larger communities): like Lloyd's algorithm or k-medoids. Given one place
  per group, CP-SAT assigns households to groups (``units x groups`` booleans, at most 800
  at 200 members and 4 groups) minimising travel under the rules, each place's household kept
  in its group; then each group moves to its best candidate (vectorised over the distance
  matrix). Travel never rises from one round to the next, so it stops when the places stop
  moving. Started from plain k-means and from k-means++ draws over the homes, the best kept:
  a local optimum, so `optimal` is False.

Broken rules are kept lexicographic, not traded against distance: each rule's violations
carry a weight larger than everything below it can add up to. A model is first solved with
every rule hard (the LP stays small and tight); only when CP-SAT proves that infeasible is it
solved again with the rules as weighted violations.

Deterministic for a seed: CP-SAT runs on one worker with ``random_seed=seed`` (also kind to
a shared machine). Only a solve cut short by `time_limit_s` can depend on machine speed.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
from ortools.sat.python import cp_model
from sklearn.cluster import KMeans
from threadpoolctl import threadpool_limits

from geo.distance import MEAN_EARTH_RADIUS_KM
from matcher.multiplication import SPLIT_RULES, SplitFigures, SplitProblem, best_place, evaluate

EXACT_UP_TO = 30  # members; above, the alternating method
_STARTS = 4  # alternating: one k-means start, the rest k-means++ draws
_MM_PER_KM = 1_000_000
_KMEANS_RUNS = 10

IntArray = npt.NDArray[np.int64]
Groups = list[list[int]]
Memberships = list[list[cp_model.IntVar]]  # per group, per unit: the unit is in the group
ModelBuilder = Callable[[bool], tuple[cp_model.CpModel, Memberships]]


@dataclass(frozen=True)
class SplitPlan:
    """A split (member indices per group), its figures, and how it was found."""

    groups: tuple[tuple[int, ...], ...]  # member indices
    figures: SplitFigures
    optimal: bool  # proved optimal for the model it solves
    solve_ms: float


def plan_split(
    problem: SplitProblem,
    *,
    seed: int = 0,
    time_limit_s: float = 5.0,
    exact_up_to: int = EXACT_UP_TO,
) -> SplitPlan:
    """The most compact split keeping the rules (see the module docstring for the method):
    exact up to `exact_up_to` members, alternating above.

    Raises ValueError only when there are fewer households than groups (nothing to split)."""
    started = time.perf_counter()
    deadline = started + time_limit_s
    units = _Units.of(problem)
    if len(units.members) < problem.rules.groups:
        raise ValueError("fewer households than groups: nothing to split")
    found: tuple[Groups, bool] | None = None
    if len(problem.members) <= exact_up_to:
        found = _exact(units, seed=seed, deadline=deadline)
    if found is None:
        found = _alternating(problem, units, seed=seed, deadline=deadline), False
    groups, optimal = found
    return _plan(problem, groups, optimal, started)


def random_split(problem: SplitProblem, *, seed: int = 0) -> SplitPlan:
    """Baseline: members shuffled and dealt into groups of equal size (within one),
    households NOT considered."""
    started = time.perf_counter()
    order = np.random.default_rng(seed).permutation(len(problem.members))
    groups = [part.tolist() for part in np.array_split(order, problem.rules.groups)]
    return _plan(problem, groups, False, started)


def kmeans_split(problem: SplitProblem, *, seed: int = 0) -> SplitPlan:
    """Baseline: plain k-means on the homes (locally projected, km); no rule considered."""
    started = time.perf_counter()
    return _plan(problem, _kmeans_groups(problem, seed), False, started)


def _plan(problem: SplitProblem, groups: Groups, optimal: bool, started: float) -> SplitPlan:
    ordered = sorted((sorted(group) for group in groups), key=lambda group: group[0])
    figures = evaluate(problem, ordered)
    return SplitPlan(
        groups=tuple(tuple(group) for group in ordered),
        figures=figures,
        optimal=optimal,
        solve_ms=(time.perf_counter() - started) * 1000.0,
    )


def _kmeans_groups(problem: SplitProblem, seed: int) -> Groups:
    lat = np.array([member.lat for member in problem.members])
    lon = np.array([member.lon for member in problem.members])
    # An equirectangular projection around the community: at a few km across, within a
    # fraction of a percent of the geodesic distances, which is all k-means needs.
    centre_lat, centre_lon = float(lat.mean()), float(lon.mean())
    east = np.radians((lon - centre_lon + 180.0) % 360.0 - 180.0) * np.cos(np.radians(centre_lat))
    north = np.radians(lat - centre_lat)
    points = MEAN_EARTH_RADIUS_KM * np.column_stack([east, north])
    k = problem.rules.groups
    if len(np.unique(points, axis=0)) < k:
        # Fewer distinct homes than groups: k-means would leave a group empty; deal instead.
        return [part.tolist() for part in np.array_split(np.arange(len(points)), k)]
    # One thread: at community size OpenMP's thread start-up and contention cost up to 200 ms
    # on a busy two-core server against 5-15 ms on one thread.
    with threadpool_limits(limits=1):
        model = KMeans(n_clusters=k, n_init=_KMEANS_RUNS, random_state=seed).fit(points)
    labels = model.labels_
    return [np.flatnonzero(labels == group).tolist() for group in range(k)]


@dataclass(frozen=True)
class _Units:
    """Households (and members without one) with what the rules count of each, and each
    unit's travel to every candidate place in millimetres."""

    problem: SplitProblem
    members: tuple[tuple[int, ...], ...]
    of_member: IntArray  # unit of each member
    size: IntArray
    leads: IntArray
    experienced: IntArray
    new: IntArray
    skill: IntArray  # units x skill needs: holders
    cost_mm: IntArray  # units x (members + 1): travel to each candidate column

    @classmethod
    def of(cls, problem: SplitProblem) -> _Units:
        members = problem.units
        of_member = np.empty(len(problem.members), dtype=np.int64)
        for unit, indices in enumerate(members):
            of_member[list(indices)] = unit

        def per_unit(values: npt.ArrayLike) -> IntArray:
            summed = np.zeros((len(members), *np.shape(values)[1:]), dtype=np.int64)
            np.add.at(summed, of_member, np.asarray(values, dtype=np.int64))
            return summed

        cost = np.zeros((len(members), len(problem.members) + 1))
        np.add.at(cost, of_member, problem.distances_km)
        return cls(
            problem=problem,
            members=members,
            of_member=of_member,
            size=per_unit(np.ones(len(problem.members))),
            leads=per_unit([member.leads for member in problem.members]),
            experienced=per_unit([member.experienced for member in problem.members]),
            new=per_unit([member.stage == "new" for member in problem.members]),
            skill=per_unit(problem.skill_matrix),
            cost_mm=np.rint(cost * _MM_PER_KM).astype(np.int64),
        )

    def groups(self, unit_groups: list[list[int]]) -> Groups:
        """Unit indices per group -> member indices per group."""
        return [[m for unit in group for m in self.members[unit]] for group in unit_groups]


class _Rules:
    """The split rules posted on a CP-SAT model, hard or as weighted violations."""

    def __init__(self, model: cp_model.CpModel, units: _Units, *, soft: bool) -> None:
        self.model, self.units, self.soft = model, units, soft
        rules = units.problem.rules
        k = rules.groups
        self.experienced_needed = units.problem.mature_required(k)
        self.skill_needed = units.problem.skill_required(k)
        self.size_floor = model.new_int_var(0, len(units.problem.members), "smallest")
        self.penalties: list[tuple[int, cp_model.IntVar]] = []
        # Each rule's weight exceeds the most that travel and every rule below it can add,
        # counting the violations of `k` open groups (closed groups never pay).
        skill_slots = k * int((self.skill_needed > 0).sum())
        weight = int(units.cost_mm.max(axis=1).sum()) + 1
        self.weights: dict[str, int] = {}
        for rule, slots in (
            ("skills", skill_slots),
            ("mature_spread", k),
            ("new_with_mature", k),
            ("leader", k),
            ("size", k + 1),
        ):
            self.weights[rule] = weight
            weight *= slots + 1
        if soft:
            gap_broken = self._violation("size")
            self.gap_enforced = [gap_broken.negated()]
        else:
            self.gap_enforced = []

    def post(self, member: list[cp_model.IntVar], opened: cp_model.IntVar | None) -> None:
        """Every rule for one group: `member` its unit literals, `opened` its open literal
        (None: always open)."""
        units, model, rules = self.units, self.model, self.units.problem.rules
        when: list[cp_model.LiteralT] = [] if opened is None else [opened]
        size = cp_model.LinearExpr.weighted_sum(member, units.size.tolist())
        model.add(size >= rules.min_group_size).only_enforce_if(when + self._unless("size"))
        model.add(size >= self.size_floor).only_enforce_if(when + self.gap_enforced)
        model.add(size <= self.size_floor + rules.max_size_gap).only_enforce_if(
            when + self.gap_enforced
        )
        leads = cp_model.LinearExpr.weighted_sum(member, units.leads.tolist())
        model.add(leads >= 1).only_enforce_if(when + self._unless("leader"))
        experienced = cp_model.LinearExpr.weighted_sum(member, units.experienced.tolist())
        with_new = self._unless("new_with_mature")
        for unit in np.flatnonzero(units.new):
            model.add(experienced >= member[unit]).only_enforce_if(when + with_new)
        if self.experienced_needed > 0:
            model.add(experienced >= self.experienced_needed).only_enforce_if(
                when + self._unless("mature_spread")
            )
        for need in np.flatnonzero(self.skill_needed):
            holders = cp_model.LinearExpr.weighted_sum(member, units.skill[:, need].tolist())
            model.add(holders >= int(self.skill_needed[need])).only_enforce_if(
                when + self._unless("skills")
            )

    def _unless(self, rule: str) -> list[cp_model.LiteralT]:
        return [self._violation(rule).negated()] if self.soft else []

    def _violation(self, rule: str) -> cp_model.IntVar:
        broken = self.model.new_bool_var(f"broken_{rule}_{len(self.penalties)}")
        self.penalties.append((self.weights[rule], broken))
        return broken

    def objective(self, travel: list[cp_model.LinearExpr]) -> cp_model.LinearExpr:
        """Travel (one term per group) plus the weighted violations."""
        weights = [weight for weight, _ in self.penalties]
        broken = [violation for _, violation in self.penalties]
        return cp_model.LinearExpr.sum(travel) + cp_model.LinearExpr.weighted_sum(broken, weights)


def _solve(
    build: ModelBuilder, *, seed: int, deadline: float
) -> tuple[cp_model.CpSolver, Memberships, bool] | None:
    """Solve the model `build(soft)` makes with every rule hard, or, when that is proved
    infeasible, with the rules as weighted violations. Returns the solver, what `build`
    returned, and whether the answer is proven optimal; None when time ran out first."""
    for soft in (False, True):
        left = deadline - time.perf_counter()
        if left <= 0:
            return None
        model, handles = build(soft)
        solver = cp_model.CpSolver()
        solver.parameters.num_workers = 1
        solver.parameters.random_seed = seed
        solver.parameters.max_time_in_seconds = left
        status = solver.solve(model)
        if status in (cp_model.OPTIMAL, cp_model.FEASIBLE):
            return solver, handles, status == cp_model.OPTIMAL
        if status != cp_model.INFEASIBLE:
            return None
    return None


def _exact(units: _Units, *, seed: int, deadline: float) -> tuple[Groups, bool] | None:
    """The capacitated p-median model over all candidate places (see the module docstring)."""
    problem = units.problem
    k, n = problem.rules.groups, len(problem.members)
    # One candidate per distinct home of a household (members of one household usually
    # share it), then the current meeting point once per group.
    homes: dict[tuple[int, bytes], int] = {}
    for index in range(n):
        homes.setdefault(
            (int(units.of_member[index]), problem.distances_km[index].tobytes()), index
        )
    columns = [*homes.values(), *([n] * k)]

    def build(soft: bool) -> tuple[cp_model.CpModel, Memberships]:
        model = cp_model.CpModel()
        rules = _Rules(model, units, soft=soft)
        opened = [model.new_bool_var(f"open_{c}") for c in range(len(columns))]
        member = [
            [model.new_bool_var(f"at_{u}_{c}") for u in range(len(units.members))]
            for c in range(len(columns))
        ]
        model.add(sum(opened) == k)
        for u in range(len(units.members)):
            model.add_exactly_one(member[c][u] for c in range(len(columns)))
        travel = []
        for c, column in enumerate(columns):
            for u in range(len(units.members)):
                model.add_implication(member[c][u], opened[c])
            if column < n:
                model.add_implication(opened[c], member[c][int(units.of_member[column])])
            else:
                # A group at the current point has someone in it (homes have their own).
                model.add_bool_or(member[c]).only_enforce_if(opened[c])
            rules.post(member[c], opened[c])
            travel.append(
                cp_model.LinearExpr.weighted_sum(member[c], units.cost_mm[:, column].tolist())
            )
        # The copies of the current point are interchangeable: open them in order.
        for c in range(len(columns) - k, len(columns) - 1):
            model.add_implication(opened[c + 1], opened[c])
        model.minimize(rules.objective(travel))
        return model, member

    solved = _solve(build, seed=seed, deadline=deadline)
    if solved is None:
        return None
    solver, member, optimal = solved
    unit_groups = [
        [u for u in range(len(units.members)) if solver.boolean_value(member[c][u])]
        for c in range(len(columns))
    ]
    return units.groups([group for group in unit_groups if group]), optimal


def _alternating(problem: SplitProblem, units: _Units, *, seed: int, deadline: float) -> Groups:
    """Best of the alternating runs from each start (see the module docstring)."""
    best: Groups | None = None
    best_key: tuple[Any, ...] | None = None
    for places in _starts(problem, units, seed):
        groups = _descend(units, places, seed=seed, deadline=deadline)
        if groups is None:
            continue
        key = _rank(evaluate(problem, groups))
        if best_key is None or key < best_key:
            best, best_key = groups, key
    if best is None:
        # Out of time before any assignment: the k-means groups, households made whole.
        best = _sweep(units, _kmeans_groups(problem, seed))
    return best


def _descend(units: _Units, places: list[int], *, seed: int, deadline: float) -> Groups | None:
    """Assign, move the places, repeat until the places stop moving (or time runs out)."""
    distances = units.problem.distances_km
    groups: Groups | None = None
    seen: set[tuple[int, ...]] = set()
    while tuple(places) not in seen:
        seen.add(tuple(places))
        assigned = _assign(units, places, seed=seed, deadline=deadline)
        if assigned is None:
            break
        groups = assigned
        places = [best_place(distances, np.asarray(group, dtype=np.int64))[0] for group in groups]
    return groups


def _assign(units: _Units, places: list[int], *, seed: int, deadline: float) -> Groups | None:
    """Households to the groups meeting at `places`: least travel under the rules."""
    n = len(units.problem.members)

    def build(soft: bool) -> tuple[cp_model.CpModel, Memberships]:
        model = cp_model.CpModel()
        rules = _Rules(model, units, soft=soft)
        member = [
            [model.new_bool_var(f"in_{u}_{g}") for u in range(len(units.members))]
            for g in range(len(places))
        ]
        for u in range(len(units.members)):
            model.add_exactly_one(member[g][u] for g in range(len(places)))
        pinned: set[int] = set()
        for g, place in enumerate(places):
            # The household at a home meeting place stays, so the place stays valid (a start
            # may offer two homes of one household: the first keeps it).
            if place < n and int(units.of_member[place]) not in pinned:
                pinned.add(int(units.of_member[place]))
                model.add(member[g][int(units.of_member[place])] == 1)
            rules.post(member[g], None)
        travel = [
            cp_model.LinearExpr.weighted_sum(member[g], units.cost_mm[:, place].tolist())
            for g, place in enumerate(places)
        ]
        model.minimize(rules.objective(travel))
        return model, member

    solved = _solve(build, seed=seed, deadline=deadline)
    if solved is None:
        return None
    solver, member, _ = solved
    return units.groups(
        [
            [u for u in range(len(units.members)) if solver.boolean_value(member[g][u])]
            for g in range(len(places))
        ]
    )


def _starts(problem: SplitProblem, units: _Units, seed: int) -> list[list[int]]:
    """Initial places: each k-means group's best candidate, then k-means++ draws over the
    homes (each next home drawn with probability growing with its squared distance from the
    nearest chosen), every place in a different household."""
    k, n = problem.rules.groups, len(problem.members)
    distances = problem.distances_km
    first = [
        best_place(distances, np.asarray(group, dtype=np.int64))[0]
        for group in _kmeans_groups(problem, seed)
    ]
    starts = [first]
    rng = np.random.default_rng(seed)
    for _ in range(_STARTS - 1):
        chosen = [int(rng.integers(n))]
        while len(chosen) < k:
            weight = distances[:, chosen].min(axis=1) ** 2
            taken = np.isin(units.of_member, units.of_member[chosen])
            weight[taken] = 0.0
            if weight.sum() == 0:
                weight = (~taken).astype(np.float64)
            chosen.append(int(rng.choice(n, p=weight / weight.sum())))
        starts.append(chosen)
    return starts


def _sweep(units: _Units, groups: Groups) -> Groups:
    """Households in the order of the groups holding their first member, dealt into
    ``groups`` runs of near-equal count: whole households and no empty group, at no cost."""
    group_of = np.empty(len(units.problem.members), dtype=np.int64)
    for g, group in enumerate(groups):
        group_of[group] = g
    first = [members[0] for members in units.members]
    order = np.argsort(group_of[first], kind="stable")
    return units.groups([run.tolist() for run in np.array_split(order, len(groups))])


def _rank(figures: SplitFigures) -> tuple[Any, ...]:
    """Fewer violations of the more important rules first, then less travel."""
    counts = [0] * len(SPLIT_RULES)
    for violation in figures.violations:
        counts[SPLIT_RULES.index(violation.rule)] += 1
    return (*counts, figures.travel_after_sum_km)
