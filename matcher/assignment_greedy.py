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
    slot = problem.edge_slot[kept]
    member = problem.edge_member[kept]
    stage = problem.member_stage[member]
    active = pairing_needs(problem, need, stage).tolist()
    state = _State(problem, member, need)
    # A slot's edges are contiguous (a slot has one need): once it is full the rest of its
    # edges cannot fit, so the loop leaves it (most edges at city scale are never looked at).
    bounds = np.r_[run_starts(slot), len(slot)]
    starts = bounds[:-1]
    stages, places = stage.tolist(), state.places
    current, paired = -1, False
    waiting: list[tuple[int, int]] = []  # (position, slot) of new members awaiting a mentor
    for first, last, run_need, run_slot in zip(
        starts.tolist(),
        bounds[1:].tolist(),
        need[starts].tolist(),
        slot[starts].tolist(),
        strict=True,
    ):
        if run_need != current:
            state.next_need(waiting)
            current, paired, waiting = run_need, active[run_need], []
        for at in range(first, last):
            if state.filled.get(run_slot, 0) >= places[run_slot]:
                break
            if paired and stages[at] == NEW_STAGE and not state.mentored:
                waiting.append((at, run_slot))
            elif state.fits(at):
                state.take(at, run_slot, stages[at] in MENTOR_STAGES)
    state.next_need(waiting)
    return np.sort(kept[np.array(state.chosen, dtype=np.int64)])


class _State:
    """What the greedy pass has taken so far, to test the next edge against. Edges are
    positions in the pass's order; their facts are read once into lists (numpy scalar reads
    per edge dominated the pass)."""

    def __init__(self, problem: AssignmentProblem, member: IntArray, need: IntArray) -> None:
        months = problem.member_month_room.shape[1]
        self.member = member.tolist()
        self.start = problem.need_starts_s[need].tolist()
        self.end = problem.need_ends_s[need].tolist()
        month_key = member * months + problem.need_month[need]
        self.month_key = month_key.tolist()
        self.room = problem.member_month_room.ravel()[month_key].tolist()  # per position
        self.places = problem.slot_open.tolist()
        self.partners: dict[int, list[int]] = {}
        for a, b in problem.apart_pairs.reshape(-1, 2).tolist():
            self.partners.setdefault(a, []).append(b)
            self.partners.setdefault(b, []).append(a)
        self.filled: dict[int, int] = {}
        self.windows: dict[int, list[tuple[int, int]]] = {}
        self.month_taken: dict[int, int] = {}
        self.chosen: list[int] = []
        self.mentored = False

    def _busy(self, member: int, start: int, end: int) -> bool:
        return any(s < end and start < e for s, e in self.windows.get(member, ()))

    def fits(self, at: int) -> bool:
        """The slot's room is checked by the caller."""
        member, start, end, key = self.member[at], self.start[at], self.end[at], self.month_key[at]
        return (
            self.month_taken.get(key, 0) < self.room[at]
            and not self._busy(member, start, end)
            and not any(self._busy(other, start, end) for other in self.partners.get(member, ()))
        )

    def take(self, at: int, slot: int, mentor: bool) -> None:
        key = self.month_key[at]
        self.filled[slot] = self.filled.get(slot, 0) + 1
        self.month_taken[key] = self.month_taken.get(key, 0) + 1
        self.windows.setdefault(self.member[at], []).append((self.start[at], self.end[at]))
        self.chosen.append(at)
        self.mentored = self.mentored or mentor

    def next_need(self, waiting: list[tuple[int, int]]) -> None:
        """Close a need: new members who waited for a mentor take places if one came."""
        for at, slot in waiting if self.mentored else []:
            if self.filled.get(slot, 0) < self.places[slot] and self.fits(at):
                self.take(at, slot, False)
        self.mentored = False
