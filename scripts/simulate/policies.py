"""The ways of finding volunteers compared, one class each behind one small protocol.

Each round (once a simulated day, at 09:00) a policy sees the open needs and the state and
proposes places: invitations, or on a sign-up sheet the sign-ups members make themselves.
Every proposal keeps the engine's hard constraints: eligibility always comes from
``matcher.scored_rows`` or ``matcher.rank_candidates`` on the state's view, which counts
pending invitations and the round's earlier proposals as commitments.

Policy (e), batch with a learned re-ranker, plugs into `Batch` as a `Rescorer`: it is given
the feasible rows and the state (every past offer and its answer) and returns the scores
the solver should use.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

import numpy as np
import numpy.typing as npt

from matcher import (
    RESTED,
    AssignmentProblem,
    AssignmentWeights,
    ScoredRows,
    Weights,
    assign,
    rank_candidates,
    scored_rows,
    standby_edges,
)
from matcher.assignment import DEFAULT_WEIGHTS
from matcher.assignment_problem import MENTOR_STAGES, NEW_STAGE
from matcher.standby import NONE
from scripts.simulate.city import HOURS_PER_DAY
from scripts.simulate.people import LOAD_WINDOW_H, accept_probability
from scripts.simulate.state import (
    Offer,
    Proposal,
    State,
    View,
    member_index,
    need_role,
)

IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]

HAND_WEIGHTS = Weights()
RESTED_PER_PLACE = 4
"""Each place's most-rested eligible members the batch adds to its 8 best, as the service's
(``api.assignment.service.RESTED_PER_PLACE``)."""
SECONDS_PER_DAY = 86_400


class Policy(Protocol):
    """A way of filling places: what it offers, to whom, in one round."""

    name: str
    keep_asking: bool  # asks again the moment a place is given back (`refused`)

    def propose(self, now_h: float, open_needs: Sequence[int], state: State) -> list[Proposal]:
        """This round's proposals for the open needs (posting order)."""
        ...

    def accepted(self, offer: Offer, state: State) -> list[Proposal]:
        """Invitations to send the moment `offer` is accepted (between rounds)."""
        ...

    def refused(self, offer: Offer, state: State) -> list[Proposal]:
        """Invitations to send the moment `offer` is declined or lapses (between rounds)."""
        ...


class Rescorer(Protocol):
    """What a learned re-ranker (policy (e)) provides: new scores for feasible rows."""

    def rescore(self, rows: ScoredRows, view: View, state: State) -> FloatArray:
        """One score in [0, 1] per row of `rows`, for the batch to maximise."""
        ...


def _uncovered(state: State, need: int) -> bool:
    needs = state.city.needs
    first, last = int(needs.role_offsets[need]), int(needs.role_offsets[need + 1])
    return any(state.open_places(role) > 0 for role in range(first, last))


def _fresh(rows: ScoredRows, view: View, state: State) -> npt.NDArray[np.bool_]:
    """Rows whose member was never offered that need before (no asking twice)."""
    needs = view.needs[rows.need]
    return np.array(
        [(int(n), int(m)) not in state.invited for n, m in zip(needs, rows.member, strict=True)],
        dtype=np.bool_,
    )


class _NothingWaits:
    """A policy that sends nothing between rounds: no answer releases anything."""

    keep_asking = False

    def accepted(self, offer: Offer, state: State) -> list[Proposal]:
        """Nothing waits on an answer here."""
        return []

    def refused(self, offer: Offer, state: State) -> list[Proposal]:
        """A refusal waits for the next round."""
        return []


class SignUpSheet(_NothingWaits):
    """(a) A sheet everyone can see: whoever looks first takes the place they like best.

    No invitations. The members act here, so this policy reads their hidden traits (how
    often they look, what they like, how full they feel); no other policy does. A member
    signs up for at most one place a day, so the morning's eligibility still holds.
    """

    name = "sign-up sheet"

    def __init__(self, seed: int) -> None:
        self.rng = np.random.default_rng(seed)

    def propose(self, now_h: float, open_needs: Sequence[int], state: State) -> list[Proposal]:
        """Today's lookers in random order, each signing up for one eligible place or none."""
        looking = np.flatnonzero(
            state.active & (self.rng.random(len(state.active)) < state.hidden.browse_rate)
        )
        if not len(open_needs) or not looking.size:
            return []
        view = state.view(now_h, open_needs)
        rows = scored_rows(
            view.pool, view.table, weights=HAND_WEIGHTS, text_model=None, now=view.now
        )
        taken: dict[int, int] = {}
        proposals = []
        needs = state.city.needs
        # First come, first served: the order they look in is the order of their times.
        times = now_h + np.sort(self.rng.uniform(0.0, 12.0, size=looking.size))
        for member, at in zip(self.rng.permutation(looking).tolist(), times.tolist(), strict=True):
            mine = np.flatnonzero(rows.member == member)
            choices = [
                (int(view.needs[rows.need[row]]), _city_role(state, view, rows, int(row)))
                for row in mine
            ]
            choices = [
                (need, role)
                for need, role in choices
                if state.open_places(role) - taken.get(role, 0) > 0
            ]
            if not choices:
                continue
            liked = state.hidden.preference[member, needs.category[[n for n, _ in choices]]]
            need, role = choices[int(np.argmax(liked))]
            chance = accept_probability(
                float(liked.max()),
                held_nearby=state.held_near(member, float(needs.starts_h[need]), LOAD_WINDOW_H),
                capacity=int(state.hidden.capacity[member]),
            )
            if self.rng.random() < chance:
                taken[role] = taken.get(role, 0) + 1
                proposals.append(Proposal(member, need, role, at, "sheet"))
        return proposals


def _city_role(state: State, view: View, rows: ScoredRows, row: int) -> int:
    """The city's role index of a scored row (the table numbers roles across its needs)."""
    need = int(rows.need[row])
    first = int(state.city.needs.role_offsets[int(view.needs[need])])
    return first + int(rows.role[row] - view.table.role_offsets[need])


class LongestIdle(_NothingWaits):
    """(b) Planning Center's rule: each open place to the eligible member who served
    longest ago (never served first; ties by member id), needs in posting order."""

    name = "longest since served"

    def propose(self, now_h: float, open_needs: Sequence[int], state: State) -> list[Proposal]:
        """Per need with open places, the longest-idle eligible members, one place each."""
        proposals: list[Proposal] = []
        for need in open_needs:
            if not _uncovered(state, need):
                continue
            view = state.view(now_h, [need], proposals)
            rows = scored_rows(
                view.pool, view.table, weights=HAND_WEIGHTS, text_model=None, now=view.now
            )
            keep = np.flatnonzero(_fresh(rows, view, state))
            idle = view.pool.last_served_s[rows.member[keep]]
            order = keep[np.lexsort((rows.member[keep], np.nan_to_num(idle, nan=-np.inf)))]
            proposals += _fill(state, view, rows, order, now_h)
        return proposals


class Greedy(_NothingWaits):
    """(c) Per-need ranking: each need's open places to its top candidates by
    ``matcher.rank_candidates`` with the hand weights, needs in posting order."""

    name = "greedy ranking"

    def propose(self, now_h: float, open_needs: Sequence[int], state: State) -> list[Proposal]:
        """Per need with open places, its best-ranked members not yet asked."""
        proposals: list[Proposal] = []
        for need in open_needs:
            if not _uncovered(state, need):
                continue
            view = state.view(now_h, [need], proposals)
            asked = np.array(
                [(need, m) in state.invited for m in range(len(view.pool))], dtype=np.bool_
            )
            pool = view.pool.take(np.flatnonzero(~asked & view.pool.active))
            places = sum(state.open_places(r) for r in _roles(state, need))
            candidates = rank_candidates(
                view.specs[0],
                pool,
                weights=HAND_WEIGHTS,
                text_model=None,
                now=view.now,
                limit=3 * places,
            )
            taken: dict[int, int] = {}
            for candidate in candidates:
                role = need_role(state.city, need, candidate.role)
                if state.open_places(role) - taken.get(role, 0) <= 0:
                    continue
                taken[role] = taken.get(role, 0) + 1
                proposals.append(Proposal(member_index(candidate.member_id), need, role, now_h))
        return proposals


def _roles(state: State, need: int) -> range:
    offsets = state.city.needs.role_offsets
    return range(int(offsets[need]), int(offsets[need + 1]))


def _fill(
    state: State, view: View, rows: ScoredRows, order: IntArray, now_h: float
) -> list[Proposal]:
    """Walk feasible rows of one need in `order`; a member takes the first role with room."""
    taken: dict[int, int] = {}
    chosen: set[int] = set()
    proposals = []
    for row in order.tolist():
        member = int(rows.member[row])
        role = _city_role(state, view, rows, row)
        if member in chosen or state.open_places(role) - taken.get(role, 0) <= 0:
            continue
        taken[role] = taken.get(role, 0) + 1
        chosen.add(member)
        proposals.append(Proposal(member, int(view.needs[rows.need[row]]), role, now_h))
    return proposals


def _mentor_answers(state: State) -> dict[int, set[str]]:
    """Per need: the outcomes of the invitations and sign-ups of its mature members and
    leaders so far (accepted, pending, declined, ...)."""
    stage = state.city.members.stage
    answers: dict[int, set[str]] = {}
    for offer in state.offers:
        if stage[offer.member] in MENTOR_STAGES:
            answers.setdefault(offer.need, set()).add(offer.outcome)
    return answers


def _nobody_yet(needs: Sequence[int], state: State) -> list[int]:
    """The needs nobody has taken a place on yet and nobody is asked on standby for."""
    taken = {o.need for o in state.offers if o.outcome == "accepted"}
    standing_by = {o.need for o in state.offers if o.standby and o.outcome == "pending"}
    return [n for n in needs if n not in taken and n not in standing_by]


class Batch:
    """(d) Every round, ``matcher.assign`` over the open places of every need starting in
    the next `horizon_days`, among each place's `candidates_per_place` best members (as the
    service's network batch does), then invitations for what it chose.

    With `hold_new_members`, a new member's invitation waits until a mature member or
    leader has accepted a place on the need: the solver pairs them, but invitations are
    answered independently, and a new member who accepts beside a mentor who declines serves
    alone. The held place stays reserved (the view counts it as pending); when every
    mentor asked has declined or let it lapse, the hold is dropped and the next round pairs
    again. A new member on a need with no mentor accepted, asked or chosen is invited at
    once: there is nobody to wait for. A mentor's acceptance sends the held invitations on
    that need at that moment (`accepted`), as the service does, so waiting costs the new
    member only the mentor's time to answer, even on a need a day away."""

    name = "batch"

    def __init__(
        self,
        *,
        horizon_days: int = 21,
        candidates_per_place: int = 8,
        rested_per_place: int = RESTED_PER_PLACE,
        time_budget_s: float = 5.0,
        weights: AssignmentWeights = DEFAULT_WEIGHTS,
        hold_new_members: bool = True,
        standby: bool = False,
        keep_asking: bool = False,
        rescorer: Rescorer | None = None,
    ) -> None:
        self.horizon_h = horizon_days * HOURS_PER_DAY
        self.candidates_per_place = candidates_per_place
        self.rested_per_place = rested_per_place
        self.time_budget_s = time_budget_s
        self.weights = weights
        self.hold_new_members = hold_new_members
        self.standby = standby
        self.keep_asking = keep_asking
        self.rescorer = rescorer
        self.cut_short = 0  # rounds whose solve was not proven optimal
        self.held: list[Proposal] = []  # new members' invitations waiting for a mentor

    def propose(self, now_h: float, open_needs: Sequence[int], state: State) -> list[Proposal]:
        """One assignment over the horizon's open places: an invitation per chosen edge
        (new members' held where a mentor's answer is awaited)."""
        answers = _mentor_answers(state)
        self._drop_stale(now_h, state, answers)
        starts = state.city.needs.starts_h
        wanted = [n for n in open_needs if starts[n] < now_h + self.horizon_h]
        wanted = [n for n in wanted if _uncovered(state, n)]
        if not wanted:
            return []
        view = state.view(now_h, wanted, self.held)
        rows = scored_rows(
            view.pool, view.table, weights=HAND_WEIGHTS, text_model=None, now=view.now
        )
        score = rows.score if self.rescorer is None else self.rescorer.rescore(rows, view, state)
        keep = np.flatnonzero(_fresh(rows, view, state))
        problem, edge_row = self._problem(state, view, rows, score, keep)
        if not edge_row.size:
            return []
        result = assign(problem, weights=self.weights, time_budget_s=self.time_budget_s)
        self.cut_short += not result.optimal
        chosen = []
        for edge in result.edges.tolist():
            row = int(edge_row[edge])
            need = int(view.needs[rows.need[row]])
            role = _city_role(state, view, rows, row)
            chosen.append(Proposal(int(rows.member[row]), need, role, now_h))
        sent = self._hold(chosen, state, answers)
        if self.standby:
            sent += self._standbys(state, view, rows, problem, edge_row, result.edges, now_h)
        return sent

    def _standbys(
        self,
        state: State,
        view: View,
        rows: ScoredRows,
        problem: AssignmentProblem,
        edge_row: IntArray,
        chosen: IntArray,
        now_h: float,
    ) -> list[Proposal]:
        """As the service's ``standby``: for each need this round invites on and nobody has
        taken yet (nor stands by for), one more member on standby for the role of its first
        invitation here, chosen by ``matcher.standby_edges``. The first of the two to say
        yes takes the place (``run._displace``)."""
        untaken = set(_nobody_yet(view.needs.tolist(), state))
        slots: dict[int, int] = {}  # need -> the slot of its first chosen edge
        for edge in chosen.tolist():
            slot = int(problem.edge_slot[edge])
            need = int(view.needs[problem.slot_need[slot]])
            if need in untaken:
                slots.setdefault(need, slot)
        picked = standby_edges(
            problem,
            self.weights,
            slots=np.array(list(slots.values()), dtype=np.int64),
            chosen=chosen,
        )
        return [
            Proposal(
                int(problem.edge_member[edge]),
                need,
                _city_role(state, view, rows, int(edge_row[edge])),
                now_h,
                standby=True,
            )
            for need, edge in zip(slots, picked.tolist(), strict=True)
            if edge != NONE
        ]

    def accepted(self, offer: Offer, state: State) -> list[Proposal]:
        """A mentor's acceptance sends the new members' invitations held on that need at
        once, as the service does (``docs/assignment.md``), not at the next round."""
        if state.city.members.stage[offer.member] not in MENTOR_STAGES:
            return []
        starts = state.city.needs.starts_h
        now_h = offer.resolved_h
        waiting = [held for held in self.held if held.need == offer.need]
        self.held = [held for held in self.held if held.need != offer.need]
        sent: list[Proposal] = []
        for held in waiting:
            room = state.open_places(held.role) - sum(p.role == held.role for p in sent)
            if state.active[held.member] and starts[held.need] > now_h and room > 0:
                sent.append(Proposal(held.member, held.need, held.role, now_h))
        return sent

    def refused(self, offer: Offer, state: State) -> list[Proposal]:
        """With `keep_asking`, a place given back is asked for again at once, as the
        service's sweep does within a minute: a round of that need alone, among the members
        never asked for it, with standby if this policy asks with it (the service: if the
        need was ever asked with standby)."""
        now_h = offer.resolved_h
        if not self.keep_asking or offer.standby or state.city.needs.starts_h[offer.need] <= now_h:
            return []
        if not _uncovered(state, offer.need):
            return []
        return self.propose(now_h, [offer.need], state)

    def _drop_stale(self, now_h: float, state: State, answers: dict[int, set[str]]) -> None:
        """Held invitations stay held while a mentor's answer is awaited (an acceptance
        sends them at once: `accepted`); the others are dropped, their places re-paired."""
        starts = state.city.needs.starts_h
        self.held = [
            held
            for held in self.held
            if state.active[held.member]
            and starts[held.need] > now_h
            and "pending" in answers.get(held.need, set())
        ]

    def _hold(
        self, chosen: list[Proposal], state: State, answers: dict[int, set[str]]
    ) -> list[Proposal]:
        """The chosen invitations to send now; new members' on a need whose mentor has not
        accepted (but is asked, or chosen in this round) are held instead."""
        if not self.hold_new_members:
            return chosen
        stage = state.city.members.stage
        mentor_chosen = {p.need for p in chosen if stage[p.member] in MENTOR_STAGES}
        send = []
        for proposal in chosen:
            outcomes = answers.get(proposal.need, set())
            waiting = "accepted" not in outcomes and (
                "pending" in outcomes or proposal.need in mentor_chosen
            )
            if stage[proposal.member] == NEW_STAGE and waiting:
                self.held.append(proposal)
            else:
                send.append(proposal)
        return send

    def _problem(
        self,
        state: State,
        view: View,
        rows: ScoredRows,
        score: FloatArray,
        keep: IntArray,
    ) -> tuple[AssignmentProblem, IntArray]:
        """The places and their best candidates as the solver's problem; edge -> row."""
        table, pool = view.table, view.pool
        slot_open = np.maximum(table.role_count - table.role_filled, 0).astype(np.int64)
        slot_need = np.repeat(np.arange(len(table)), np.diff(table.role_offsets)).astype(np.int64)
        # Each place's k best members (by score, then member order), as the service keeps,
        # and its most rested (``matcher.RESTED``), as the service's network batch adds.
        order = _best_per_slot(rows, keep, score, self.candidates_per_place * slot_open)
        if self.rested_per_place:
            rest = scored_rows(
                view.pool, view.table, weights=RESTED, text_model=None, now=view.now
            ).score
            rested = _best_per_slot(rows, keep, rest, self.rested_per_place * slot_open)
            order = np.union1d(order, rested)
        # The engine's monthly limit counts calendar months (the city keeps UTC).
        months = np.array([spec.starts_at.year * 12 + spec.starts_at.month for spec in view.specs])
        month_values, need_month = np.unique(months, return_inverse=True)
        limit = pool.max_commitments_per_month
        room = np.repeat(limit[:, None], max(month_values.size, 1), axis=1)
        room[rows.member[order], need_month[rows.need[order]]] = (
            limit[rows.member[order]] - rows.month_count[order]
        )
        held = (pool.commitment_starts_s >= table.starts_s.min() - 14 * SECONDS_PER_DAY) & (
            pool.commitment_starts_s < table.starts_s.max() + 14 * SECONDS_PER_DAY
        )
        now_s = int(view.now.timestamp())
        idle = (now_s - pool.last_served_s) / SECONDS_PER_DAY
        stages = state.city.members.stage
        has_mentor = np.logical_or.reduceat(table.role_has_experienced, table.role_offsets[:-1])
        covered = np.add.reduceat(table.role_filled, table.role_offsets[:-1]) > 0
        problem = AssignmentProblem(
            slot_need=slot_need,
            slot_open=slot_open,
            need_starts_s=table.starts_s.astype(np.int64),
            need_ends_s=table.ends_s.astype(np.int64),
            need_month=need_month.astype(np.int64),
            need_has_mentor=has_mentor,
            need_covered=covered | has_mentor,
            member_stage=stages.astype(np.int64),
            member_month_room=np.clip(room, 0, None).astype(np.int64),
            member_load=np.bincount(pool.commitment_member[held], minlength=len(pool)).astype(
                np.int64
            ),
            member_idle_days=np.where(np.isnan(idle), np.inf, np.clip(idle, 0, None)),
            edge_member=rows.member[order].astype(np.int64),
            edge_slot=rows.role[order].astype(np.int64),
            edge_score=np.clip(score[order], 0.0, 1.0).astype(np.float64),
            together_pairs=np.zeros((0, 2), dtype=np.int64),
            apart_pairs=np.zeros((0, 2), dtype=np.int64),
        )
        return problem, order


def _best_per_slot(
    rows: ScoredRows, keep: IntArray, score: FloatArray, per_slot: IntArray
) -> IntArray:
    """Of the rows `keep`, each slot's `per_slot[slot]` best by `score` (then member order),
    grouped by slot."""
    order = keep[np.lexsort((rows.member[keep], -score[keep], rows.role[keep]))]
    slot = rows.role[order]
    rank = np.arange(order.size) - np.searchsorted(slot, slot, side="left")
    return order[rank < per_slot[slot]]


class StandbyBatch(Batch):
    """(d+) The batch (d), and for each need nobody has taken yet one more member asked on
    standby each round: the first of the two to say yes takes the place, the other is told
    it is taken (the service's team and batch ``standby: true``)."""

    name = "batch + standby"

    def __init__(self) -> None:
        super().__init__(standby=True)


class AskingBatch(Batch):
    """(d++) Batch + standby, keeping asking: a place declined or let lapse is asked for
    again at once (the service's ``keep_asking: true``, whose sweep asks within a minute),
    not at the next daily round."""

    name = "batch + standby + keep asking"

    def __init__(self) -> None:
        super().__init__(standby=True, keep_asking=True)
