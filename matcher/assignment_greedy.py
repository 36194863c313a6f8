"""The baseline the batch is measured against: per-need ranking, one need after another.

Needs in start order (ties: index), each slot in index order takes its best-scoring edges
(ties: edge index) that keep every hard constraint, with no look-ahead and no fairness. A new
member on a need under the pairing rule waits until a mentor is chosen there, and is tried
again once the need's slots have been through. This is also the fallback when the solver's
time budget ends before it has found any solution for a component.
"""

from __future__ import annotations

import numpy as np

from matcher.assignment_model import pairing_needs, run_starts, usable_edges
from matcher.assignment_problem import MENTOR_STAGES, NEW_STAGE, AssignmentProblem, IntArray


def greedy_edges(problem: AssignmentProblem, candidates: IntArray | None = None) -> IntArray:
    """Chosen edge indices (sorted) among `candidates` (default: every edge)."""
    kept = usable_edges(problem) if candidates is None else candidates
    need = problem.slot_need[problem.edge_slot[kept]]
    rank = np.empty(len(problem.need_starts_s), dtype=np.int64)
    rank[np.lexsort((np.arange(len(rank)), problem.need_starts_s))] = np.arange(len(rank))
    order = np.lexsort((kept, -problem.edge_score[kept], problem.edge_slot[kept], rank[need]))
    kept, need = kept[order], need[order]
    stage = problem.member_stage[problem.edge_member[kept]]
    active = pairing_needs(problem, need, stage)
    partners: dict[int, list[int]] = {}
    for a, b in problem.apart_pairs.reshape(-1, 2).tolist():
        partners.setdefault(a, []).append(b)
        partners.setdefault(b, []).append(a)
    state = _State(problem, partners)
    breaks = np.r_[run_starts(need), len(need)]
    for first, last in zip(breaks[:-1].tolist(), breaks[1:].tolist(), strict=True):
        waiting: list[int] = []
        paired = bool(active[need[first]])
        for edge, member_stage in zip(
            kept[first:last].tolist(), stage[first:last].tolist(), strict=True
        ):
            if paired and member_stage == NEW_STAGE and not state.mentored:
                waiting.append(edge)
            elif state.fits(edge):
                state.take(edge, member_stage in MENTOR_STAGES)
        for edge in waiting if state.mentored else []:
            if state.fits(edge):
                state.take(edge, False)
        state.next_need()
    return np.sort(np.array(state.chosen, dtype=np.int64))


class _State:
    """What the greedy pass has taken so far, to test the next edge against."""

    def __init__(self, problem: AssignmentProblem, partners: dict[int, list[int]]) -> None:
        self.problem = problem
        self.partners = partners
        self.filled: dict[int, int] = {}
        self.windows: dict[int, list[tuple[int, int]]] = {}
        self.month_taken: dict[tuple[int, int], int] = {}
        self.chosen: list[int] = []
        self.mentored = False

    def _busy(self, member: int, start: int, end: int) -> bool:
        return any(s < end and start < e for s, e in self.windows.get(member, ()))

    def fits(self, edge: int) -> bool:
        p = self.problem
        slot, member = int(p.edge_slot[edge]), int(p.edge_member[edge])
        need = int(p.slot_need[slot])
        start, end = int(p.need_starts_s[need]), int(p.need_ends_s[need])
        month = int(p.need_month[need])
        return (
            self.filled.get(slot, 0) < p.slot_open[slot]
            and self.month_taken.get((member, month), 0) < p.member_month_room[member, month]
            and not self._busy(member, start, end)
            and not any(self._busy(other, start, end) for other in self.partners.get(member, ()))
        )

    def take(self, edge: int, mentor: bool) -> None:
        p = self.problem
        slot, member = int(p.edge_slot[edge]), int(p.edge_member[edge])
        need = int(p.slot_need[slot])
        month = (member, int(p.need_month[need]))
        self.filled[slot] = self.filled.get(slot, 0) + 1
        self.month_taken[month] = self.month_taken.get(month, 0) + 1
        self.windows.setdefault(member, []).append(
            (int(p.need_starts_s[need]), int(p.need_ends_s[need]))
        )
        self.chosen.append(edge)
        self.mentored = self.mentored or mentor

    def next_need(self) -> None:
        self.mentored = False
