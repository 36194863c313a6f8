"""A slow, obvious restatement of the batch assignment's rules, to check the solvers against.

It shares nothing with the engine's model: constraints are checked pair by pair in Python and
the optimum is found by trying every subset of edges.
"""

from itertools import combinations

import numpy as np

from matcher import AssignmentProblem, AssignmentWeights

NEW, MENTORS = 0, (2, 3)


def _overlap(problem: AssignmentProblem, a: int, b: int) -> bool:
    return bool(
        problem.need_starts_s[a] < problem.need_ends_s[b]
        and problem.need_starts_s[b] < problem.need_ends_s[a]
    )


def _usable(problem: AssignmentProblem, edge: int) -> bool:
    slot, member = problem.edge_slot[edge], problem.edge_member[edge]
    month = problem.need_month[problem.slot_need[slot]]
    return bool(problem.slot_open[slot] > 0 and problem.member_month_room[member, month] > 0)


def violations(problem: AssignmentProblem, edges: np.ndarray) -> list[str]:
    """Every hard constraint the chosen edges break, in words (empty: feasible)."""
    found: list[str] = []
    chosen = [int(e) for e in edges]
    need = {e: int(problem.slot_need[problem.edge_slot[e]]) for e in range(len(problem.edge_slot))}
    member = {e: int(problem.edge_member[e]) for e in range(len(problem.edge_member))}
    for slot, places in enumerate(problem.slot_open):
        if sum(problem.edge_slot[e] == slot for e in chosen) > places:
            found.append(f"slot {slot} over its places")
    for e, f in combinations(chosen, 2):
        if member[e] == member[f] and _overlap(problem, need[e], need[f]):
            found.append(f"member {member[e]} on overlapping needs {need[e]}, {need[f]}")
    months: dict[tuple[int, int], int] = {}
    for e in chosen:
        key = (member[e], int(problem.need_month[need[e]]))
        months[key] = months.get(key, 0) + 1
    for (m, month), taken in months.items():
        if taken > problem.member_month_room[m, month]:
            found.append(f"member {m} over their room in month {month}")
    for a, b in problem.apart_pairs.tolist():
        for e in chosen:
            for f in chosen:
                if member[e] == a and member[f] == b and _overlap(problem, need[e], need[f]):
                    found.append(f"apart members {a}, {b} on overlapping needs")
    for n in range(len(problem.need_starts_s)):
        if problem.need_has_mentor[n]:
            continue
        eligible = [
            e
            for e in range(len(problem.edge_slot))
            if need[e] == n and problem.member_stage[member[e]] in MENTORS and _usable(problem, e)
        ]
        on_need = [problem.member_stage[member[e]] for e in chosen if need[e] == n]
        if eligible and NEW in on_need and not any(s in MENTORS for s in on_need):
            found.append(f"need {n} has a new member and no mentor")
    return found


def objective(problem: AssignmentProblem, edges: np.ndarray, weights: AssignmentWeights) -> float:
    """Score + fill bonus - fairness + together bonus, member by member; then the
    first-place bonus once per need not covered before that has someone."""
    total = 0.0
    places: dict[int, int] = {}
    held: set[tuple[int, int]] = set()
    for e in sorted(int(e) for e in edges):
        m = int(problem.edge_member[e])
        places[m] = places.get(m, 0) + 1
        j = places[m]
        recent = weights.recency / (1 + problem.member_idle_days[m] / 30)
        cost = weights.load_step * (problem.member_load[m] + j - 1) + recent
        total += problem.edge_score[e] + weights.fill_bonus - cost
        held.add((m, int(problem.slot_need[problem.edge_slot[e]])))
    for a, b in problem.together_pairs.tolist():
        total += weights.together_bonus * sum((b, n) in held for m, n in held if m == a)
    for n in {n for _, n in held}:
        if not problem.need_covered[n]:
            total += weights.first_place_bonus
    return total


def brute_force(problem: AssignmentProblem, weights: AssignmentWeights) -> float:
    """The best objective over every feasible subset of edges."""
    edges = range(len(problem.edge_slot))
    return max(
        objective(problem, np.array(subset, dtype=np.int64), weights)
        for size in range(len(edges) + 1)
        for subset in combinations(edges, size)
        if not violations(problem, np.array(subset, dtype=np.int64))
    )
