"""The day loop of one run, and the measures taken from its record.

Each simulated day: the day's needs are posted (08:00), the policy makes its round (09:00),
then invitations are answered, ignored or expire in time order, and on the week's last day
members who were overloaded or neglected may leave. Two warm-up weeks come before the
twelve measured ones, so the first measured week does not start with an empty calendar;
only needs starting within the measured weeks, and losses within them, are counted.
"""

from __future__ import annotations

import heapq
import math
from collections.abc import Callable
from dataclasses import dataclass, fields

import numpy as np
import numpy.typing as npt

from matcher import gini, scored_rows
from scripts.simulate import people
from scripts.simulate.city import (
    FULL,
    HOURS_PER_DAY,
    HOURS_PER_WEEK,
    City,
    Size,
    generate_members,
    generate_needs,
    meeting_places,
)
from scripts.simulate.learned import LearnedBatch, Training, trainings_of
from scripts.simulate.people import Hidden, generate_hidden
from scripts.simulate.policies import (
    HAND_WEIGHTS,
    AskingBatch,
    Batch,
    Greedy,
    LongestIdle,
    Policy,
    SignUpSheet,
    StandbyBatch,
)
from scripts.simulate.state import BURNOUT, NEGLECT, Offer, Proposal, State

FloatArray = npt.NDArray[np.float64]

WARMUP_DAYS = 14
ROUND_HOUR = 9.0
EXPERIENCED = (2, 3)  # mature, leader (matcher.inputs.STAGES order)
NEW = 0

POLICIES: dict[str, Callable[[int], Policy]] = {
    "sheet": lambda seed: SignUpSheet(seed),
    "longest": lambda seed: LongestIdle(),
    "greedy": lambda seed: Greedy(),
    "batch": lambda seed: Batch(),
    "standby": lambda seed: StandbyBatch(),
    "asking": lambda seed: AskingBatch(),
    "learned": lambda seed: LearnedBatch(),
}
"""Policies by their command-line key, each made fresh per run from the run's seed."""


def make_city(seed: int, *, weeks: int = 12, size: Size = FULL) -> tuple[City, Hidden]:
    """The seed's city and its members' hidden traits: the same for every policy."""
    city_seed, hidden_seed = np.random.SeedSequence(seed).spawn(2)
    rng = np.random.default_rng(city_seed)
    first_day, last_day = -WARMUP_DAYS, 7 * weeks
    centres = meeting_places(rng, size)
    members = generate_members(rng, size, centres, first_day)
    needs = generate_needs(rng, size, centres, first_day, last_day)
    city = City(members=members, needs=needs, warmup_days=WARMUP_DAYS, weeks=weeks)
    return city, generate_hidden(np.random.default_rng(hidden_seed), members)


@dataclass(frozen=True, slots=True)
class Measures:
    """One run's figures. Shares are in [0, 1]; NaN where a measure does not apply (a sheet
    sends no invitations, so has no acceptance rate)."""

    fill_rate: float
    median_days_to_fill: float
    weekly_coverage: float  # mean over weeks of the share of needs with >= 1 volunteer
    needs_in_reach: float  # share of needs someone was eligible for when posted: coverage's ceiling
    weekly_signups: float  # mean over weeks of places filled
    load_gini: float
    members_served: float
    new_members_served: float
    new_with_mature: float  # of teams with a new member and a mature one in reach
    new_with_mature_offered: float  # of those teams, the share where a mature one was offered
    acceptance_rate: float
    messages_per_member_week: float
    ignored_per_member_week: float
    superseded_per_member_week: float  # invitations whose place went to another asked
    lost_to_burnout: float
    lost_to_neglect: float


SHARES = (
    "fill_rate",
    "weekly_coverage",
    "needs_in_reach",
    "load_gini",
    "members_served",
    "new_members_served",
    "new_with_mature",
    "new_with_mature_offered",
    "acceptance_rate",
)
MEASURES = tuple(item.name for item in fields(Measures))


@dataclass(frozen=True, slots=True)
class Result:
    """One policy on one seed: its measures, the per-week series and per-member loads
    (for the plots), and the full record (for the tests)."""

    policy: str
    seed: int
    measures: Measures
    coverage_by_week: FloatArray
    signups_by_week: FloatArray
    load: FloatArray  # places served in the measured weeks, per member active at day 0
    state: State
    trainings: tuple[Training, ...] = ()  # policy (e)'s re-ranker: when, on what, switched


def simulate(policy_key: str, seed: int, *, weeks: int = 12, size: Size = FULL) -> Result:
    """Run one policy on the seed's city; the same seed always gives the same result."""
    city, hidden = make_city(seed, weeks=weeks, size=size)
    policy = POLICIES[policy_key](seed)
    state = State.start(city, hidden)
    behaviour = np.random.default_rng(np.random.SeedSequence([seed, 17]))
    active_at_start = state.active.copy()
    posted = 0
    pending: list[int] = []  # offer indices awaiting an answer
    needs = city.needs
    for day in range(city.first_day, city.last_day):
        if day == 0:
            active_at_start = state.active.copy()
        day_h = float(day * HOURS_PER_DAY)
        first_new = posted
        while posted < len(needs) and needs.posted_h[posted] < day_h + HOURS_PER_DAY:
            posted += 1
        now_h = day_h + ROUND_HOUR
        _mark_reach(state, list(range(first_new, posted)), now_h)
        open_needs = [
            n
            for n in range(posted)
            if needs.starts_h[n] >= day_h + HOURS_PER_DAY and needs.posted_h[n] <= now_h
        ]
        for proposal in policy.propose(now_h, open_needs, state):
            pending += _make(state, proposal, behaviour, keep_asking=policy.keep_asking)
        pending = _answer(state, policy, pending, day_h + HOURS_PER_DAY, behaviour)
        if day % 7 == 6:
            _weekly_leaving(state, day_h + HOURS_PER_DAY, behaviour)
    measures, coverage, signups, load = _measure(state, active_at_start)
    return Result(policy_key, seed, measures, coverage, signups, load, state, trainings_of(policy))


def _mark_reach(state: State, new_needs: list[int], now_h: float) -> None:
    """At posting: could anyone take some role (coverage's ceiling), and could a mature
    member or leader (the mentoring target counts only teams where one could)?"""
    if not new_needs:
        return
    view = state.view(now_h, new_needs)
    rows = scored_rows(view.pool, view.table, weights=HAND_WEIGHTS, text_model=None, now=view.now)
    state.need_in_reach[view.needs[np.unique(rows.need)]] = True
    experienced = np.isin(state.city.members.stage[rows.member], EXPERIENCED)
    state.mentor_in_reach[view.needs[np.unique(rows.need[experienced])]] = True


def _make(
    state: State, proposal: Proposal, rng: np.random.Generator, *, keep_asking: bool
) -> list[int]:
    """Record a proposal as an offer; a sheet sign-up holds its place at once. Returns the
    offer's index when an answer is awaited. An invitation of a policy that keeps asking
    holds its place for less time as the need draws near, as the service's does."""
    member, need, role = proposal.member, proposal.need, proposal.role
    if not state.active[member] or (need, member) in state.invited:
        raise ValueError(f"{proposal}: the member left or was offered this need before")
    if state.open_places(role) <= 0 and not proposal.standby:
        raise ValueError(f"{proposal}: no open place left on the role")
    state.invited.add((need, member))
    state.last_engaged_h[member] = proposal.at_h
    if proposal.kind == "sheet":
        offer = Offer(member, need, role, proposal.at_h, "sheet", False, proposal.at_h)
        state.offers.append(offer)
        _accept(state, offer, proposal.at_h)
        return []
    state.inbox_h[member].append(proposal.at_h)
    week = state.messages_since(member, proposal.at_h - people.MESSAGE_MEMORY_H)
    chance = people.ignore_probability(float(state.hidden.ignore_base[member]), week)
    ignored = bool(rng.random() < chance)
    starts = float(state.city.needs.starts_h[need])
    hold_h = people.invitation_hold_h(starts - proposal.at_h, keep_asking=keep_asking)
    expires = min(proposal.at_h + hold_h, starts)
    # An answer after the invitation expired (or the need started) is no answer: the
    # invitation lapses then, as the service refuses it.
    answer = np.inf if ignored else proposal.at_h + people.answer_delay_h(rng)
    lapses = answer >= expires
    due = expires if lapses else answer
    state.offers.append(
        Offer(
            member, need, role, proposal.at_h, "invitation", lapses, due, standby=proposal.standby
        )
    )
    state.role_pending[role] += not proposal.standby
    return [len(state.offers) - 1]


def _accept(state: State, offer: Offer, at_h: float) -> None:
    offer.outcome, offer.resolved_h = "accepted", at_h
    state.role_accepted[offer.role] += 1
    if state.role_accepted[offer.role] >= state.city.needs.role_count[offer.role]:
        # Every place taken: those asked on standby are told so at once (as the service
        # does; while a place is only held, a standby's yes may still take it).
        for other in state.offers:
            if other.role == offer.role and other.standby and other.outcome == "pending":
                other.outcome, other.resolved_h = "superseded", at_h
    needs = state.city.needs
    first, last = needs.role_offsets[offer.need], needs.role_offsets[offer.need + 1]
    if (state.role_accepted[first:last] >= needs.role_count[first:last]).all():
        state.need_filled_h[offer.need] = at_h


def _answer(
    state: State, policy: Policy, pending: list[int], until_h: float, rng: np.random.Generator
) -> list[int]:
    """Answer (or let lapse) the invitations due before `until_h`, earliest first; what the
    policy sends the moment one is accepted joins the queue. Returns those still awaited."""
    due = [(state.offers[i].due_h, i) for i in pending if state.offers[i].due_h < until_h]
    waiting = [i for i in pending if state.offers[i].due_h >= until_h]
    heapq.heapify(due)
    while due:
        _, index = heapq.heappop(due)
        offer = state.offers[index]
        if offer.outcome != "pending":  # withdrawn when its member left
            continue
        state.role_pending[offer.role] -= not offer.standby
        starts = float(state.city.needs.starts_h[offer.need])
        if offer.ignored:  # ignored, or answered too late: lapsed
            offer.outcome, offer.resolved_h = "ignored", offer.due_h
            _send_now(state, policy, policy.refused(offer, state), due, waiting, until_h, rng)
            continue
        category = int(state.city.needs.category[offer.need])
        chance = people.accept_probability(
            float(state.hidden.preference[offer.member, category]),
            held_nearby=state.held_near(offer.member, starts, people.LOAD_WINDOW_H),
            capacity=int(state.hidden.capacity[offer.member]),
        )
        if rng.random() >= chance:
            offer.outcome, offer.resolved_h = "declined", offer.due_h
            _send_now(state, policy, policy.refused(offer, state), due, waiting, until_h, rng)
            continue
        if offer.standby and state.open_places(offer.role) <= 0:
            _displace(state, offer)
        _accept(state, offer, offer.due_h)
        _send_now(state, policy, policy.accepted(offer, state), due, waiting, until_h, rng)
    return waiting


def _send_now(
    state: State,
    policy: Policy,
    proposals: list[Proposal],
    due: list[tuple[float, int]],
    waiting: list[int],
    until_h: float,
    rng: np.random.Generator,
) -> None:
    """Send what a policy sends between rounds: answered today joins the day's queue."""
    for proposal in proposals:
        for sent in _make(state, proposal, rng, keep_asking=policy.keep_asking):
            if state.offers[sent].due_h < until_h:
                heapq.heappush(due, (state.offers[sent].due_h, sent))
            else:
                waiting.append(sent)


def _displace(state: State, standby: Offer) -> None:
    """A standby's yes takes the place of the oldest unanswered invitation on the role,
    which is superseded (the first to accept wins)."""
    holder = next(
        o
        for o in state.offers
        if o.role == standby.role and not o.standby and o.outcome == "pending"
    )
    holder.outcome, holder.resolved_h = "superseded", standby.due_h
    state.role_pending[standby.role] -= 1


def _weekly_leaving(state: State, now_h: float, rng: np.random.Generator) -> None:
    """Overloaded for three checks running, or unasked for six weeks: some members leave.
    A leaver's future places and pending invitations are given back."""
    members = len(state.active)
    starts = state.city.needs.starts_h
    served = np.zeros(members, dtype=np.int64)
    for offer in state.offers:
        if (
            offer.outcome == "accepted"
            and now_h - people.BURNOUT_WINDOW_H <= starts[offer.need] < now_h
        ):
            served[offer.member] += 1
    over = served > state.hidden.capacity
    state.overloaded_checks = np.where(over, state.overloaded_checks + 1, 0)
    draws = rng.random((2, members))
    burnt = (state.overloaded_checks >= people.BURNOUT_WEEKS) & (draws[0] < people.BURNOUT_LEAVE)
    neglected = (now_h - state.last_engaged_h >= people.NEGLECT_H) & (
        draws[1] < people.NEGLECT_LEAVE
    )
    for member in np.flatnonzero(state.active & (burnt | neglected)).tolist():
        state.active[member] = False
        state.left_h[member] = now_h
        state.left_reason[member] = BURNOUT if burnt[member] else NEGLECT
        for offer in state.offers:
            if offer.member != member or starts[offer.need] < now_h:
                continue
            if offer.outcome == "pending":
                state.role_pending[offer.role] -= not offer.standby
            elif offer.outcome == "accepted":
                state.role_accepted[offer.role] -= 1
                state.need_filled_h[offer.need] = np.inf
            else:
                continue
            offer.outcome, offer.resolved_h = "withdrawn", now_h


def _measure(
    state: State, active_at_start: npt.NDArray[np.bool_]
) -> tuple[Measures, FloatArray, FloatArray, FloatArray]:
    city = state.city
    needs, stage = city.needs, city.members.stage
    end_h = float(city.last_day * HOURS_PER_DAY)
    measured = (needs.starts_h >= 0) & (needs.starts_h < end_h)
    role_need = needs.role_need
    places = np.bincount(role_need, weights=needs.role_count, minlength=len(needs))
    filled = np.bincount(role_need, weights=state.role_accepted, minlength=len(needs))
    week = (needs.starts_h // HOURS_PER_WEEK).astype(np.int64)
    coverage = np.array(
        [(filled[measured & (week == w)] > 0).mean() for w in range(city.weeks)], dtype=float
    )
    signups = np.array([filled[measured & (week == w)].sum() for w in range(city.weeks)])
    full = measured & np.isfinite(state.need_filled_h)
    days_to_fill = (state.need_filled_h[full] - needs.posted_h[full]) / HOURS_PER_DAY

    kept = [o for o in state.offers if o.outcome == "accepted" and measured[o.need]]
    load = np.bincount([o.member for o in kept], minlength=len(stage)).astype(float)
    team: dict[int, set[int]] = {}
    for offer in kept:
        team.setdefault(offer.need, set()).add(int(stage[offer.member]))
    with_new = [n for n, stages in team.items() if NEW in stages and state.mentor_in_reach[n]]
    mentored = [n for n in with_new if team[n] & set(EXPERIENCED)]
    offered_mentor = {
        o.need for o in state.offers if stage[o.member] in EXPERIENCED and o.need in team
    }
    invitations = [o for o in state.offers if o.kind == "invitation" and 0 <= o.sent_h < end_h]
    people_weeks = float(active_at_start.sum()) * city.weeks
    left_in_span = (state.left_h >= 0) & (state.left_h <= end_h)
    measures = Measures(
        fill_rate=float(filled[measured].sum() / places[measured].sum()),
        median_days_to_fill=float(np.median(days_to_fill)) if days_to_fill.size else math.nan,
        weekly_coverage=float(coverage.mean()),
        needs_in_reach=float(state.need_in_reach[measured].mean()),
        weekly_signups=float(signups.mean()),
        load_gini=gini(load[active_at_start]),
        members_served=float((load[active_at_start] > 0).mean()),
        new_members_served=_share(load[active_at_start & (stage == NEW)] > 0),
        new_with_mature=len(mentored) / len(with_new) if with_new else math.nan,
        new_with_mature_offered=(
            sum(n in offered_mentor for n in with_new) / len(with_new) if with_new else math.nan
        ),
        acceptance_rate=_share(np.array([o.outcome == "accepted" for o in invitations])),
        messages_per_member_week=len(invitations) / people_weeks,
        ignored_per_member_week=sum(o.outcome == "ignored" for o in invitations) / people_weeks,
        superseded_per_member_week=sum(o.outcome == "superseded" for o in invitations)
        / people_weeks,
        lost_to_burnout=float((left_in_span & (state.left_reason == BURNOUT)).sum()),
        lost_to_neglect=float((left_in_span & (state.left_reason == NEGLECT)).sum()),
    )
    return measures, coverage, signups.astype(float), load[active_at_start]


def _share(flags: npt.NDArray[np.bool_]) -> float:
    return float(flags.mean()) if flags.size else math.nan
