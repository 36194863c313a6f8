"""Team proposals and batch assignment: many places filled at once, optimally and fairly.

Both read the engine's feasible rows (every member x role that passes every hard constraint,
with its soft score), turn them into one ``matcher.AssignmentProblem`` with the households
and fairness facts, and let ``matcher.assign`` choose. A team is a batch of one need. Either
can be sent as invitations, all or none: one refused invitation rolls the request back.

Sent, a new member's invitation *waits* for the invitation of the mentor they are paired with
(``waiting``, ``signups.invite(waits_for=...)``): it is sent when the mentor accepts and
withdrawn when the mentor does not, so a new member is not left to serve alone because the
mentor said no (the simulation's ``hold_new_members``: teams with a new member that had a
mature one, 0.77 → 0.90). Always, with no request flag: the solver already promised each new
member a mentor. A new member on a need whose mentor was asked earlier and has not answered
yet waits for that invitation the same way (``_waits_for_earlier``). Even on a need a day away:
the release is immediate, so waiting costs the new member only the mentor's time to answer
(waiting there too took the simulation from 0.85 to 0.90). Not when a mentor already holds
a confirmed place (nothing to wait for).

Sent with ``standby: true``, each need nobody has taken yet (no confirmed place, nobody on
standby) gets one more member asked **on standby** for the role of its first invitation in
the request (``_invite_standbys``): of the engine's rows for that place whose member is not
chosen in the request, not asked for the need before and not new (a new member serves beside
a mentor, not instead of one), the first in ``matcher.standby_ranking`` (the score less what
the solver charges for the member's turn, so standby does not lean on those asked most; the
simulation chooses by the same ranking). It holds no place; the first yes takes it
(``api.signups``). In the simulation (policy ``standby``) it lifted the fill rate 0.634 →
0.675 and weekly coverage 0.773 → 0.824 at ~0.03 "the place went to someone else" messages
per member per week.

Sent with ``keep_asking: true``, a place given back later is asked for again by the sweep
(``ask_again``).
"""

import time
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from itertools import combinations

import numpy as np
import numpy.typing as npt
from sqlalchemy.orm import Session

from api.assignment.schemas import (
    BatchAssignment,
    BatchPair,
    BatchRequest,
    BatchResult,
    BatchUnfilled,
    Load,
    Pair,
    ProposedPlace,
    TeamProposal,
    UnfilledRole,
)
from api.auth.principal import Principal
from api.communities import service as communities
from api.errors import Conflict, FieldError, NotEligible, NotFound
from api.feedback.schemas import EngineView
from api.households import service as households
from api.households.schemas import HouseholdLink
from api.matching import service as matching
from api.matching.service import SCORE_DECIMALS, Ranking
from api.needs import service as needs_service
from api.signups import service as signups
from api.signups.schemas import InvitationCreate, SignupOut
from matcher import (
    Assignment,
    AssignmentProblem,
    Candidate,
    MemberPool,
    NeedSpec,
    ScoredRows,
    assign,
    build_need_table,
    gini,
    scored_rows,
    standby_ranking,
)
from matcher.assignment import DEFAULT_WEIGHTS
from matcher.assignment_problem import NEW_STAGE
from matcher.inputs import STAGES

IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]

TEAM_CANDIDATES_PER_ROLE = 30
"""Members considered per role when a team is drawn from a whole network (admins)."""
BATCH_CANDIDATES_PER_PLACE = 8
"""The k best members per open place that a network-wide batch chooses among."""
RESTED_PER_PLACE = 4
"""And the most-rested eligible members per open place (``matcher.RESTED``) beside them, so
the solver's fairness costs can reach those who served least, not only the least-served of
the best fits (the simulated batch: Gini of load 0.455 → 0.384 with the solver's
``recency`` at 0.4, below longest-since-served's 0.400; ``docs/quality.md``)."""
MAX_BATCH_NEEDS = 5_000
"""The most needs one batch request fills; a busier window is split by the caller."""
TEAM_TIME_BUDGET_S = 5.0
FAIRNESS_WINDOW = timedelta(days=14)
"""A team weighs the places each member holds this far either side of the need."""
SECONDS_PER_DAY = 86_400


@dataclass(frozen=True, slots=True)
class _Edges:
    """Feasible rows as the solver's edges: member (pool index), need (index into the needs),
    role (within the need), score, the member's commitments in the need's month, and where
    each came from (``part``: which scoring, ``row``: its row there) for its reasons."""

    member: IntArray
    need: IntArray
    role: IntArray
    score: FloatArray
    month_count: IntArray
    part: IntArray
    row: IntArray

    @classmethod
    def of(cls, rows: ScoredRows, *, role_offsets: IntArray) -> "_Edges":
        """``rows`` of a pool x table, roles numbered within their need."""
        return cls(
            member=rows.member,
            need=rows.need,
            role=rows.role - role_offsets[rows.need],
            score=rows.score,
            month_count=rows.month_count,
            part=np.zeros(len(rows), dtype=np.int64),
            row=np.arange(len(rows), dtype=np.int64),
        )

    def moved(self, *, members: IntArray, need: int, part: int) -> "_Edges":
        """These edges of a sub-pool (``members``: its rows in the instance's pool), of a
        table of one need (the instance's need ``need``) and of the instance's scoring
        ``part``."""
        return replace(
            self,
            member=members[self.member],
            need=np.full_like(self.need, need),
            part=np.full_like(self.part, part),
        )

    @classmethod
    def join(cls, parts: Sequence["_Edges"]) -> "_Edges":
        empty = np.zeros(0, dtype=np.int64)
        return cls(
            *(
                np.concatenate([empty.astype(dtype), *(getattr(part, name) for part in parts)])
                for name, dtype in _EDGE_COLUMNS
            )
        )


_EDGE_COLUMNS = (
    ("member", np.int64),
    ("need", np.int64),
    ("role", np.int64),
    ("score", np.float64),
    ("month_count", np.int64),
    ("part", np.int64),
    ("row", np.int64),
)


@dataclass(frozen=True, slots=True)
class _Instance:
    """An assignment problem and how its indices map back to members, needs and rows."""

    problem: AssignmentProblem
    pool: MemberPool
    needs: list[NeedSpec]
    slot_role: list[str]  # per slot: the role's name
    scorings: tuple[ScoredRows, ...]  # the scored rows the edges came from
    edge_part: IntArray  # per edge: which of ``scorings``
    edge_row: IntArray  # per edge: its row there

    def candidate(self, edge: int) -> Candidate:
        """Edge ``edge`` as the engine explains it: score, components and reasons."""
        return self.scorings[int(self.edge_part[edge])].candidate(int(self.edge_row[edge]))

    def engine_view(self, edge: int) -> EngineView:
        """What the engine said of edge ``edge``, for the invitation's feedback record."""
        candidate = self.candidate(edge)
        return EngineView(score=candidate.score, components=candidate.components)


def _stage_codes(pool: MemberPool) -> IntArray:
    """Each member's stage as its position in ``STAGES`` (0 new .. 3 leader)."""
    names = np.array(STAGES)
    order = np.argsort(names)
    return np.asarray(order[np.searchsorted(names[order], pool.stages)], dtype=np.int64)


def _instance(
    session: Session,
    *,
    pool: MemberPool,
    needs: list[NeedSpec],
    edges: _Edges,
    scorings: Sequence[ScoredRows],
    window: tuple[datetime, datetime],
    now: datetime,
) -> _Instance:
    """The problem for these needs' open places, their feasible rows as edges (from
    ``scorings``).

    The needs' columns come from the engine's own table (``build_need_table``): one place
    turns needs into arrays, so slots, months and mentors are read in bulk."""
    table = build_need_table(needs, text_model=None)
    offsets = table.role_offsets
    edge_member, edge_need, edge_score = edges.member, edges.need, edges.score
    slot_need = np.repeat(np.arange(len(needs), dtype=np.int64), np.diff(offsets))
    slot_open = np.clip(table.role_count - table.role_filled, 0, None).astype(np.int64)
    edge_slot = offsets[edge_need] + edges.role
    keep = slot_open[edge_slot] > 0
    # UTC calendar months (see docs/architecture.md: a community's members share a zone).
    month_keys = table.starts_s.astype("datetime64[s]").astype("datetime64[M]").astype(np.int64)
    months, need_month = np.unique(month_keys, return_inverse=True)
    has_mentor = (
        np.logical_or.reduceat(table.role_has_experienced, offsets[:-1])
        if len(needs)
        else np.zeros(0, dtype=np.bool_)
    )
    covered = (
        np.add.reduceat(table.role_filled, offsets[:-1]) > 0
        if len(needs)
        else np.zeros(0, dtype=np.bool_)
    )
    limit = pool.max_commitments_per_month
    room = np.repeat(limit[:, None], max(months.size, 1), axis=1)
    room[edge_member, need_month[edge_need]] = limit[edge_member] - edges.month_count
    start_s, end_s = (int(moment.timestamp()) for moment in window)
    held = (pool.commitment_starts_s >= start_s) & (pool.commitment_starts_s < end_s)
    idle = (now.timestamp() - pool.last_served_s) / SECONDS_PER_DAY
    index_of = {str(member_id): index for index, member_id in enumerate(pool.ids)}
    together, apart = _household_pairs(households.households_of(session, list(index_of)), index_of)
    problem = AssignmentProblem(
        slot_need=slot_need,
        slot_open=slot_open,
        need_starts_s=table.starts_s,
        need_ends_s=table.ends_s,
        need_month=need_month.astype(np.int64),
        need_has_mentor=has_mentor,
        need_covered=covered | has_mentor,
        member_stage=_stage_codes(pool),
        member_month_room=np.clip(room, 0, None).astype(np.int64),
        member_load=np.bincount(pool.commitment_member[held], minlength=len(pool)).astype(np.int64),
        member_idle_days=np.where(np.isnan(idle), np.inf, np.clip(idle, 0, None)),
        edge_member=edge_member[keep],
        edge_slot=edge_slot[keep],
        edge_score=edge_score[keep],
        together_pairs=together,
        apart_pairs=apart,
    )
    return _Instance(
        problem=problem,
        pool=pool,
        needs=needs,
        slot_role=[str(name) for name in table.role_names],
        scorings=tuple(scorings),
        edge_part=edges.part[keep],
        edge_row=edges.row[keep],
    )


def _household_pairs(
    links: Sequence[HouseholdLink], index_of: dict[str, int]
) -> tuple[IntArray, IntArray]:
    """Every two members of a household who are both in the pool, by how it serves:
    (together pairs, apart pairs). ``either`` asks nothing of the solver."""
    pairs: dict[str, list[tuple[int, int]]] = {"together": [], "apart": []}
    for link in links:
        present = [index_of[member_id] for member_id in link.member_ids if member_id in index_of]
        if link.serve in pairs:
            pairs[link.serve].extend(combinations(present, 2))
    together, apart = (
        np.asarray(pairs[serve], dtype=np.int64).reshape(-1, 2) for serve in ("together", "apart")
    )
    return together, apart


def _open_places(count: int, filled: int) -> int:
    return max(count - filled, 0)


def propose_team(
    session: Session,
    *,
    principal: Principal,
    need_id: str,
    commit: bool,
    now: datetime,
    ranking: Ranking,
    invitation_ttl_hours: float,
    standby: bool = False,
    keep_asking: bool = False,
    asked_before: bool = True,
) -> TeamProposal:
    """A member for every open place of the need that can be filled, maximising total fit,
    with a mature member beside every new one whenever one is eligible. Without
    ``asked_before``, among the members never asked for the need (asking again)."""
    need, status = matching.readable_need(session, principal=principal, need_id=need_id, now=now)
    _ensure_fillable(need, status, now)
    places = sum(_open_places(role.count, role.filled) for role in need.roles)
    member_rows = matching.team_member_rows(
        session,
        principal=principal,
        need=need,
        per_role=TEAM_CANDIDATES_PER_ROLE,
        now=now,
        ranking=ranking,
        rested_per_role=RESTED_PER_PLACE * max(places, 1),
    )
    if not asked_before:
        asked = signups.asked_member_ids(session, need_id=need.id)
        member_rows = [row for row in member_rows if row.id not in asked]
    pool = matching.member_pool(
        session, member_rows, since=need.starts_at, now=now, text_models=ranking.text_models
    )
    rows, edges = _scored(session, pool, [need], ranking=ranking, now=now)
    instance = _instance(
        session,
        pool=pool,
        needs=[need],
        edges=edges,
        scorings=[rows],
        window=(need.starts_at - FAIRNESS_WINDOW, need.starts_at + FAIRNESS_WINDOW),
        now=now,
    )
    solved = assign(instance.problem, time_budget_s=TEAM_TIME_BUDGET_S)
    proposal = _team(instance, solved)
    if commit:
        if keep_asking:  # first: the invitations' holds follow it (``signups._expiry``)
            needs_service.keep_asking(session, principal=principal, need_ids=[need.id])
        proposal.invitations, proposal.standby_invitations = _send(
            session,
            principal=principal,
            instance=instance,
            solved=solved,
            now=now,
            ttl_hours=invitation_ttl_hours,
            standby=standby,
        )
    return proposal


def ask_again(session: Session, *, now: datetime, ranking: Ranking, ttl_hours: float) -> int:
    """Ask again for the places given back (declined, expired, withdrawn) on needs that
    keep asking: per need, a team among the members never asked for it, sent as invitations
    on behalf of whoever turned keep-asking on, with one more on standby where the need was
    ever asked with standby (the coordinator chose it) and nobody has taken it yet. Run by
    the sweep, so a no is followed by the next member's invitation within a minute, not at
    the coordinator's next look (``docs/quality.md``: policy ``asking``).

    A need that cannot be filled now (started, cancelled, nobody left to ask, its asker no
    longer manages it) is passed over until a place is given back again. Returns the needs
    looked at (``needs_service.ASK_AGAIN_NEEDS`` at most)."""
    due = needs_service.needs_to_ask_again(session)
    for need_id, principal in due:
        try:
            with session.begin_nested():
                propose_team(
                    session,
                    principal=principal,
                    need_id=need_id,
                    commit=True,
                    now=now,
                    ranking=ranking,
                    invitation_ttl_hours=ttl_hours,
                    standby=signups.asked_on_standby(session, need_id=need_id),
                    asked_before=False,
                )
        except (Conflict, NotFound, NotEligible):
            continue
    return len(due)


def _scored(
    session: Session, pool: MemberPool, needs: list[NeedSpec], *, ranking: Ranking, now: datetime
) -> tuple[ScoredRows, _Edges]:
    """Every feasible member x role row of pool x needs, and the same rows as edges."""
    text_model = ranking.text_models.get(session)
    table = build_need_table(needs, text_model=text_model)
    rows = scored_rows(pool, table, weights=ranking.weights, text_model=text_model, now=now)
    return rows, _Edges.of(rows, role_offsets=table.role_offsets)


def _ensure_fillable(need: NeedSpec, status: str, now: datetime) -> None:
    if status != "open":
        raise Conflict(f"need is {status}: no places to fill")
    if need.starts_at <= now:
        raise Conflict("need has already started")


def _team(instance: _Instance, solved: Assignment) -> TeamProposal:
    problem, pool = instance.problem, instance.pool
    names = {int(member): str(pool.names[member]) for member in problem.edge_member[solved.edges]}
    extra: dict[int, list[str]] = {}
    pairs: list[Pair] = []
    for _, new, mentor in solved.pairs.tolist():
        if mentor < 0:
            extra.setdefault(new, []).append("serves beside a mature member already signed up")
            continue
        extra.setdefault(new, []).append(f"learns beside {names[mentor]}")
        extra.setdefault(mentor, []).append(f"guides {names[new]}, who is new")
        pairs.append(Pair(new_member_id=str(pool.ids[new]), mentor_member_id=str(pool.ids[mentor])))
    chosen = set(names)
    for a, b in problem.together_pairs.tolist():
        if a in chosen and b in chosen:
            extra.setdefault(a, []).append(f"serves with {names[b]}, of the same household")
            extra.setdefault(b, []).append(f"serves with {names[a]}, of the same household")
    proposal = []
    for edge in solved.edges.tolist():
        candidate = instance.candidate(edge)
        member = int(problem.edge_member[edge])
        proposal.append(
            ProposedPlace(
                role=instance.slot_role[int(problem.edge_slot[edge])],
                member_id=candidate.member_id,
                name=candidate.name,
                stage=str(pool.stages[member]),  # type: ignore[arg-type]
                score=round(candidate.score, SCORE_DECIMALS),
                reasons=[*extra.get(member, []), *candidate.reasons],
            )
        )
    return TeamProposal(
        need_id=instance.needs[0].id,
        proposal=proposal,
        unfilled=[
            UnfilledRole(
                role=instance.slot_role[slot], missing=missing, why=_why(instance, slot, missing)
            )
            for slot, missing in enumerate(solved.unfilled.tolist())
            if missing > 0
        ],
        total_score=round(solved.total_score, SCORE_DECIMALS),
        pairs=pairs,
    )


def _why(instance: _Instance, slot: int, missing: int) -> str:
    """Why places of a slot stay open, in a coordinator's words."""
    eligible = int(np.count_nonzero(instance.problem.edge_slot == slot))
    places = int(instance.problem.slot_open[slot])
    if eligible == 0:
        return "nobody eligible: no member passes every rule for this role"
    if eligible < places:
        return f"only {eligible} eligible member{'s' if eligible != 1 else ''} for {places} places"
    return (
        "the eligible members are placed elsewhere, or held back so a new member "
        "serves beside a mature one and households are kept apart when they ask"
    )


def batch(
    session: Session,
    *,
    principal: Principal,
    request: BatchRequest,
    now: datetime,
    ranking: Ranking,
    invitation_ttl_hours: float,
) -> BatchResult:
    """Fill every open place of every open need starting in the window, optimally and fairly."""
    if request.community_id is None and not principal.is_admin:
        raise FieldError(
            ("body", "community_id"),
            "community_id is required (only an admin may fill the whole network)",
        )
    if request.community_id is not None:
        communities.get_managed(session, principal=principal, community_id=request.community_id)
    starts_from = max(request.from_, now)
    needs = matching.open_needs_starting(
        session,
        starts_from=starts_from,
        starts_to=request.to,
        community_id=request.community_id,
        limit=MAX_BATCH_NEEDS,
        now=now,
    )
    window = (request.from_, request.to)
    if request.community_id is not None:
        instance = _community_instance(
            session,
            community_id=request.community_id,
            needs=needs,
            window=window,
            now=now,
            ranking=ranking,
        )
    else:
        instance = _network_instance(
            session, principal=principal, needs=needs, window=window, now=now, ranking=ranking
        )
    started = time.perf_counter()
    solved = assign(instance.problem, time_budget_s=request.time_budget_s)
    solve_ms = (time.perf_counter() - started) * 1000
    result = _batch(instance, solved, solve_ms)
    if request.commit:
        if request.keep_asking:  # first: the invitations' holds follow it
            needs_service.keep_asking(
                session, principal=principal, need_ids=_invited_need_ids(instance, solved)
            )
        result.invitations, result.standby_invitations = _send(
            session,
            principal=principal,
            instance=instance,
            solved=solved,
            now=now,
            ttl_hours=invitation_ttl_hours,
            standby=request.standby,
        )
    return result


def _invited_need_ids(instance: _Instance, solved: Assignment) -> list[str]:
    """The needs the assignment sends invitations for."""
    problem = instance.problem
    needs = np.unique(problem.slot_need[problem.edge_slot[solved.edges]])
    return [instance.needs[int(index)].id for index in needs.tolist()]


def _community_instance(
    session: Session,
    *,
    community_id: str,
    needs: list[NeedSpec],
    window: tuple[datetime, datetime],
    now: datetime,
    ranking: Ranking,
) -> _Instance:
    """A community's members against every need in the window: few enough to score all."""
    member_rows = matching.community_member_rows(session, community_id=community_id, now=now)
    pool = matching.member_pool(
        session, member_rows, since=window[0], now=now, text_models=ranking.text_models
    )
    edges, scorings = _Edges.join([]), []
    if needs and len(pool):
        rows, edges = _scored(session, pool, needs, ranking=ranking, now=now)
        scorings.append(rows)
    return _instance(
        session,
        pool=pool,
        needs=needs,
        edges=edges,
        scorings=scorings,
        window=window,
        now=now,
    )


def _network_instance(
    session: Session,
    *,
    principal: Principal,
    needs: list[NeedSpec],
    window: tuple[datetime, datetime],
    now: datetime,
    ranking: Ranking,
) -> _Instance:
    """The whole network: each need's edges are its exact best k members per open place (the
    top-k walk), so the cost follows the places, never the membership."""
    chosen: list[list[str]] = []
    for need in needs:
        places = sum(_open_places(role.count, role.filled) for role in need.roles)
        chosen.append(
            matching.best_member_ids(
                session,
                principal=principal,
                need=need,
                per_role=BATCH_CANDIDATES_PER_PLACE * max(places, 1),
                now=now,
                ranking=ranking,
                rested_per_role=RESTED_PER_PLACE * max(places, 1),
            )
        )
    union = list(dict.fromkeys(member_id for ids in chosen for member_id in ids))
    member_rows = matching.member_rows(session, union, now=now)
    pool = matching.member_pool(
        session, member_rows, since=window[0], now=now, text_models=ranking.text_models
    )
    index_of = {str(member_id): index for index, member_id in enumerate(pool.ids)}
    parts: list[_Edges] = []
    scorings: list[ScoredRows] = []
    for need_index, (need, ids) in enumerate(zip(needs, chosen, strict=True)):
        members = np.array(
            [index_of[member_id] for member_id in ids if member_id in index_of], dtype=np.int64
        )
        if members.size:
            rows, edges = _scored(session, pool.take(members), [need], ranking=ranking, now=now)
            parts.append(edges.moved(members=members, need=need_index, part=len(scorings)))
            scorings.append(rows)
    return _instance(
        session,
        pool=pool,
        needs=needs,
        edges=_Edges.join(parts),
        scorings=scorings,
        window=window,
        now=now,
    )


def _batch(instance: _Instance, solved: Assignment, solve_ms: float) -> BatchResult:
    problem, pool, needs = instance.problem, instance.pool, instance.needs
    slot_need = problem.slot_need
    chosen_members = problem.edge_member[solved.edges]
    assignments = [
        BatchAssignment(
            need_id=needs[int(slot_need[slot])].id,
            role=instance.slot_role[int(slot)],
            member_id=str(pool.ids[member]),
            score=round(float(score), SCORE_DECIMALS),
        )
        for slot, member, score in zip(
            problem.edge_slot[solved.edges].tolist(),
            chosen_members.tolist(),
            problem.edge_score[solved.edges].tolist(),
            strict=True,
        )
    ]
    per_member = np.bincount(chosen_members, minlength=len(pool))
    could_serve = np.unique(problem.edge_member)
    return BatchResult(
        assignments=assignments,
        unfilled=[
            BatchUnfilled(
                need_id=needs[int(slot_need[slot])].id,
                role=instance.slot_role[slot],
                missing=missing,
            )
            for slot, missing in enumerate(solved.unfilled.tolist())
            if missing > 0
        ],
        pairs=[
            BatchPair(
                need_id=needs[need].id,
                new_member_id=str(pool.ids[new]),
                mentor_member_id=str(pool.ids[mentor]),
            )
            for need, new, mentor in solved.pairs.tolist()
            if mentor >= 0
        ],
        total_score=round(solved.total_score, SCORE_DECIMALS),
        bound=round(solved.bound, SCORE_DECIMALS),
        optimal=solved.optimal,
        gap=round(solved.gap, 6),
        load=Load(
            members_assigned=int(np.count_nonzero(per_member)),
            max_per_member=int(per_member.max(initial=0)),
            gini=round(gini((problem.member_load + per_member)[could_serve]), 4),
        ),
        solve_ms=round(solve_ms, 1),
    )


def _chosen_edge_of(problem: AssignmentProblem, solved: Assignment) -> dict[tuple[int, int], int]:
    """The chosen edge by (member, need): a member serves a need in one role at most."""
    return {
        (int(problem.edge_member[edge]), int(problem.slot_need[problem.edge_slot[edge]])): edge
        for edge in solved.edges.tolist()
    }


def _waits_for(instance: _Instance, solved: Assignment) -> dict[int, int]:
    """Per chosen edge of a new member whose invitation waits: the chosen edge of the mentor
    it waits for (module docstring: which pairs wait)."""
    edge_of = _chosen_edge_of(instance.problem, solved)
    return {
        edge_of[(new, need)]: edge_of[(mentor, need)]
        for need, new, mentor in solved.pairs.tolist()
        if mentor >= 0
    }


def _waits_for_earlier(
    session: Session, instance: _Instance, solved: Assignment, paired: dict[int, int]
) -> dict[int, str]:
    """Per chosen edge of a new member not paired with a mentor sent with them (``paired``):
    the id of a mentor's invitation on the need sent earlier and not yet answered, when no
    mentor holds a confirmed place, so the new member waits for it as for one sent with them.
    (The engine counts only confirmed places as a mentor on the need, so it pairs nobody.)"""
    problem = instance.problem
    alone = {
        edge: instance.needs[int(problem.slot_need[problem.edge_slot[edge]])].id
        for edge in solved.edges.tolist()
        if problem.member_stage[problem.edge_member[edge]] == NEW_STAGE and edge not in paired
    }
    pending = signups.pending_mentor_invitations(session, need_ids=sorted(set(alone.values())))
    return {edge: pending[need_id] for edge, need_id in alone.items() if need_id in pending}


def _invite(
    session: Session,
    *,
    principal: Principal,
    instance: _Instance,
    solved: Assignment,
    now: datetime,
    ttl_hours: float,
) -> list[SignupOut]:
    """Send each chosen edge as an invitation, with what the engine said of it (for the
    learned re-ranker), in the solver's order; mentors' first, so a new member's can wait
    for its mentor's (``_waits_for``). Any refusal rolls the whole request back."""
    problem = instance.problem
    waits_for = _waits_for(instance, solved)
    earlier = _waits_for_earlier(session, instance, solved, waits_for)
    edges = solved.edges.tolist()
    sent: dict[int, SignupOut] = {}
    for edge in sorted(edges, key=lambda edge: edge in waits_for):
        slot = int(problem.edge_slot[edge])
        mentor = waits_for.get(edge)
        waited = earlier.get(edge) if mentor is None else sent[mentor].id
        sent[edge] = signups.invite(
            session,
            principal=principal,
            need_id=instance.needs[int(problem.slot_need[slot])].id,
            data=InvitationCreate(
                member_id=str(instance.pool.ids[problem.edge_member[edge]]),
                role=instance.slot_role[slot],
            ),
            now=now,
            ttl_hours=ttl_hours,
            engine=instance.engine_view(edge),
            waits_for=waited,
        )
    return [sent[edge] for edge in edges]


def _send(
    session: Session,
    *,
    principal: Principal,
    instance: _Instance,
    solved: Assignment,
    now: datetime,
    ttl_hours: float,
    standby: bool,
) -> tuple[list[SignupOut], list[SignupOut]]:
    """The chosen edges sent as invitations, then, if asked, the standby invitations."""
    sent = _invite(
        session, principal=principal, instance=instance, solved=solved, now=now, ttl_hours=ttl_hours
    )
    if not standby:
        return sent, []
    standbys = _invite_standbys(
        session,
        principal=principal,
        instance=instance,
        solved=solved,
        now=now,
        ttl_hours=ttl_hours,
    )
    return sent, standbys


def _invite_standbys(
    session: Session,
    *,
    principal: Principal,
    instance: _Instance,
    solved: Assignment,
    now: datetime,
    ttl_hours: float,
) -> list[SignupOut]:
    """One member on standby per need of the request that nobody has taken yet, for the role
    of its first invitation here (module docstring), chosen from the engine's rows for that
    place, in ``standby_ranking`` order.

    A candidate the service refuses as of now (another standby of this request overlaps, a
    household kept apart from someone chosen) is skipped for the next: the refusal comes
    before anything is written, and a standby is never worth rolling the team back for."""
    problem, pool = instance.problem, instance.pool
    ranked = standby_ranking(problem, DEFAULT_WEIGHTS, chosen=solved.edges)
    first_slot: dict[int, int] = {}
    for edge in solved.edges.tolist():
        slot = int(problem.edge_slot[edge])
        first_slot.setdefault(int(problem.slot_need[slot]), slot)
    standing: set[int] = set()  # one standby place per member in a request
    sent: list[SignupOut] = []
    for need_index, slot in first_slot.items():
        need_id = instance.needs[need_index].id
        if not signups.wants_standby(session, need_id=need_id):
            continue
        asked = signups.asked_member_ids(session, need_id=need_id)
        for edge in ranked[problem.edge_slot[ranked] == slot].tolist():
            member = int(problem.edge_member[edge])
            member_id = str(pool.ids[member])
            if member in standing or member_id in asked:
                continue
            try:
                invitation = signups.invite(
                    session,
                    principal=principal,
                    need_id=need_id,
                    data=InvitationCreate(member_id=member_id, role=instance.slot_role[slot]),
                    now=now,
                    ttl_hours=ttl_hours,
                    engine=instance.engine_view(edge),
                    standby=True,
                )
            except (Conflict, NotEligible):
                continue
            standing.add(member)
            sent.append(invitation)
            break
    return sent
