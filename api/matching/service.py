"""Matching use cases: who could help with a need, and what a member could help with."""

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

import numpy as np
import numpy.typing as npt
from sqlalchemy.orm import Session

from api.auth.principal import Principal
from api.db.models import Need
from api.errors import FieldError, NotFound
from api.feedback import service as feedback
from api.feedback.service import RankingModelCache, Shown
from api.matching import inputs, repository

# Re-exported: callers of this service pass the worker's caches through it.
from api.matching.member_snapshot import MemberSnapshots as MemberSnapshots
from api.matching.member_snapshot import SnapshotView
from api.matching.need_cache import NeedCache
from api.matching.repository import EngineRow
from api.matching.schemas import CandidateOut, Candidates, SuggestionOut, Suggestions
from api.matching.text_model import TextModelCache as TextModelCache
from api.schemas import Point
from matcher import (
    RESTED,
    Candidate,
    ConstraintViolation,
    MemberPool,
    MemberProfile,
    NeedSpec,
    RoleSpec,
    Suggestion,
    Weights,
    build_need_table,
    build_pool,
    check_member_for_role,
    free_when_it_starts,
    member_ceilings,
    merge_best,
    rank_candidates,
    rank_suggestions,
    resident_ceilings,
    settled,
)
from matcher.rerank import rerank_suggestions

IntArray = npt.NDArray[np.int64]

RERANK_POOL_MIN, RERANK_POOL_PER_SHOWN = 50, 5
"""A learned model re-orders the engine's best ``max(50, 5 × limit)`` feasible needs: a
shortlist wide enough to change what is shown, without explaining all 200 nearest needs."""

SCORE_DECIMALS = 4
"""Enough to order and compare; more digits only add noise for people reading them."""


def _month_start_before(moment: datetime) -> datetime:
    """A day before the start of ``moment``'s month: enough margin for any local month.

    Commitments ending after it are all the engine needs to judge overlaps and the monthly
    limit of a need starting at ``moment``.
    """
    return moment.replace(day=1, hour=0, minute=0, second=0, microsecond=0) - timedelta(days=1)


def _member_profiles(
    session: Session, rows: Sequence[EngineRow], *, commitments_since: datetime, now: datetime
) -> list[MemberProfile]:
    """Engine profiles for member rows (one more query: their commitments as of ``now``)."""
    commitments = repository.commitment_rows(
        session, member_ids=[row.id for row in rows], since=commitments_since, now=now
    )
    return inputs.member_profiles(rows, inputs.commitments_by_member(commitments))


def _need_specs(
    session: Session, rows: Sequence[EngineRow | Need], *, now: datetime
) -> list[NeedSpec]:
    """Engine specs for need rows (one more query: their roles as of ``now``)."""
    roles = repository.role_rows(session, need_ids=[row.id for row in rows], now=now)
    return inputs.need_specs(rows, inputs.roles_by_need(roles))


def _rounded(components: dict[str, float]) -> dict[str, float]:
    return {name: round(value, SCORE_DECIMALS) for name, value in components.items()}


@dataclass(frozen=True, slots=True)
class TopCandidates:
    """The best candidates, and how many members the walk loaded and ranked to find them."""

    candidates: list[Candidate]
    members_scored: int


FIRST_BATCH = 256
"""Members loaded in full in the first step of an exact top-k; each step loads twice as many."""
BATCH_GROWTH = 2
RESIDENT_BATCH = 2_048
"""Snapshot members bounded by the engine in one step of a resident walk."""


def best_candidates(
    session: Session,
    *,
    principal: Principal,
    need: NeedSpec,
    limit: int,
    now: datetime,
    weights: Weights,
    text_models: TextModelCache,
    snapshots: MemberSnapshots,
    first_batch: int = FIRST_BATCH,
    resident_batch: int = RESIDENT_BATCH,
) -> TopCandidates:
    """The engine's top ``limit`` for the need, reading fresh profiles only as far as needed.

    A coordinator's own members are few: they are read and ranked at once. An admin's
    candidates for an agency's or network request may be everyone in a city: they are walked
    from the worker's member snapshot (``member_snapshot``) or, while it has none, from a
    light outline read from the database.
    """
    if not principal.is_admin or (need.community_id is not None and not need.open_to_network):
        rows = repository.candidate_rows(session, principal=principal, need=need, now=now)
        return TopCandidates(
            _rank(session, need, rows, limit=limit, now=now, weights=weights, models=text_models),
            members_scored=len(rows),
        )
    walk = _Walk(session, need, limit=limit, now=now, weights=weights, models=text_models)
    view = snapshots.view(session, text_model=text_models.get(session))
    if view is None:
        walk.through_outlines(principal, first_batch=first_batch)
    else:
        walk.through_snapshot(view, first_batch=first_batch, resident_batch=resident_batch)
    return TopCandidates(walk.best, members_scored=walk.scored)


class _Walk:
    """An exact top-k: members are ranked from fresh rows in order of falling ceiling until
    the k-th best beats every ceiling left (``matcher.topk``)."""

    def __init__(
        self,
        session: Session,
        need: NeedSpec,
        *,
        limit: int,
        now: datetime,
        weights: Weights,
        models: TextModelCache,
    ) -> None:
        self.session, self.need, self.limit, self.now = session, need, limit, now
        self.weights, self.models = weights, models
        self.best: list[Candidate] = []
        self.scored = 0

    def rank(self, member_ids: Sequence[str]) -> None:
        """Read these members fresh, rank them and keep the best ``limit`` so far."""
        rows = repository.member_rows_by_id(self.session, member_ids, now=self.now)
        ranked = _rank(
            self.session,
            self.need,
            rows,
            limit=self.limit,
            now=self.now,
            weights=self.weights,
            models=self.models,
        )
        self.best = merge_best(self.best, ranked, limit=self.limit)
        self.scored += len(member_ids)

    def settled(self, ceiling: float) -> bool:
        return settled(self.best, limit=self.limit, ceiling=ceiling)

    def through_outlines(self, principal: Principal, *, first_batch: int) -> None:
        """Ceilings from outlines read from the database (home, radius, stage, skills)."""
        outlines = repository.candidate_outlines(self.session, principal=principal, need=self.need)
        ceilings = member_ceilings(
            self.need,
            weights=self.weights,
            lat=outlines.lat,
            lon=outlines.lon,
            max_travel_km=outlines.max_travel_km,
            community_ids=outlines.community_ids,
            stages=outlines.stages,
            levels=outlines.levels,
        )
        hopeful = np.flatnonzero(ceilings > -np.inf)
        order = hopeful[np.argsort(-ceilings[hopeful], kind="stable")]
        start, size = 0, first_batch
        while start < order.size:
            chosen = order[start : start + size]
            self.rank([outlines.ids[index] for index in chosen])
            start, size = start + chosen.size, size * BATCH_GROWTH
            if self.settled(float(ceilings[order[start]]) if start < order.size else -np.inf):
                return

    def through_snapshot(
        self, view: SnapshotView, *, first_batch: int, resident_batch: int
    ) -> None:
        """Two ceilings from the snapshot: a cheap one from outline columns orders the walk;
        the engine's score on the snapshot (``resident_ceilings``, much tighter) orders who
        is read fresh. Members changed since the snapshot are read fresh first; those who
        cannot be free when the need starts are never walked."""
        if view.changed_ids:
            self.rank(view.changed_ids)
        pool = view.snapshot.pool
        near = view.snapshot.near(self.need.lat, self.need.lon)
        near = near[~view.stale[near]]
        free = free_when_it_starts(
            self.need,
            view.snapshot.free_half_hours[near],
            pool.zone_codes[near],
            pool.zone_names,
        )
        near = near[free]
        outline = member_ceilings(
            self.need,
            weights=self.weights,
            lat=pool.lat[near],
            lon=pool.lon[near],
            max_travel_km=pool.max_travel_km[near],
            community_ids=pool.community_ids[near],
            stages=pool.stages[near],
            levels=_levels(pool, near, self.need),
        )
        hopeful = np.flatnonzero(outline > -np.inf)
        by_outline = np.argsort(-outline[hopeful], kind="stable")
        order, outline = near[hopeful][by_outline], outline[hopeful][by_outline]
        text_model = self.models.get(self.session)
        pending, pending_ceiling = np.zeros(0, np.int64), np.zeros(0)  # falling ceiling
        walked, verify = 0, min(first_batch, max(2 * self.limit, 1))
        while walked < order.size or pending.size:
            next_outline = float(outline[walked]) if walked < order.size else -np.inf
            top_pending = float(pending_ceiling[0]) if pending.size else -np.inf
            if self.settled(max(next_outline, top_pending)):
                return
            if top_pending >= next_outline:
                self.rank([str(member_id) for member_id in pool.ids[pending[:verify]]])
                pending, pending_ceiling = pending[verify:], pending_ceiling[verify:]
                verify *= BATCH_GROWTH
                continue
            batch = order[walked : walked + resident_batch]
            walked += batch.size
            ceilings = resident_ceilings(
                self.need,
                pool.take(batch),
                weights=self.weights,
                text_model=text_model,
                now=self.now,
            )
            keep = ceilings > -np.inf
            pending = np.concatenate([pending, batch[keep]])
            pending_ceiling = np.concatenate([pending_ceiling, ceilings[keep]])
            falling = np.argsort(-pending_ceiling, kind="stable")
            pending, pending_ceiling = pending[falling], pending_ceiling[falling]


def _levels(pool: MemberPool, rows: IntArray, need: NeedSpec) -> dict[str, IntArray]:
    """Each pooled member's level in each skill the need's roles ask for (0 without it)."""
    levels = {}
    for skill in {role.skill for role in need.roles if role.skill}:
        if skill in pool.skill_names:
            levels[skill] = pool.skill_levels[rows, pool.skill_names.index(skill)]
        else:
            levels[skill] = np.zeros(rows.size, dtype=np.int64)
    return levels


def _rank(
    session: Session,
    need: NeedSpec,
    rows: Sequence[EngineRow],
    *,
    limit: int,
    now: datetime,
    weights: Weights,
    models: TextModelCache,
) -> list[Candidate]:
    """The engine's ranking of these members for the need (with their commitments)."""
    if not rows:
        return []
    text_model = models.get(session)
    profiles = _member_profiles(
        session, rows, commitments_since=_month_start_before(need.starts_at), now=now
    )
    return rank_candidates(
        need,
        build_pool(profiles, text_model=text_model),
        weights=weights,
        text_model=text_model,
        now=now,
        limit=limit,
    )


def candidates(
    session: Session,
    *,
    principal: Principal,
    need_id: str,
    limit: int,
    now: datetime,
    weights: Weights,
    text_models: TextModelCache,
    snapshots: MemberSnapshots,
    role: str | None = None,
) -> Candidates:
    """Ranked members for a need (admins, coordinators); coordinators see only their own members.

    ``role``: rank for that role alone. The need is then one of a single role to the engine,
    so the exact top-k walk (its ceilings included) is the same walk, over that role only.
    """
    found = repository.readable_need_with_roles(
        session, principal=principal, need_id=need_id, now=now
    )
    if found is None:
        raise NotFound(f"need {need_id} not found")
    need_row, role_rows = found
    (need,) = inputs.need_specs([need_row], inputs.roles_by_need(role_rows))
    if role is not None:
        need = replace(need, roles=_only_role(need, role))
    if need_row.status != "open":
        return Candidates(need_id=need_id, candidates=[])
    ranked = best_candidates(
        session,
        principal=principal,
        need=need,
        limit=limit,
        now=now,
        weights=weights,
        text_models=text_models,
        snapshots=snapshots,
    ).candidates
    return Candidates(
        need_id=need.id,
        candidates=[
            CandidateOut(
                member_id=candidate.member_id,
                name=candidate.name,
                role=candidate.role,
                score=round(candidate.score, SCORE_DECIMALS),
                distance_km=candidate.distance_km,
                components=_rounded(candidate.components),
                reasons=candidate.reasons,
            )
            for candidate in ranked
        ],
    )


def _only_role(need: NeedSpec, role: str) -> tuple[RoleSpec]:
    """The need's role named ``role``; 422 naming the query field if it has none."""
    for spec in need.roles:
        if spec.name == role:
            return (spec,)
    names = ", ".join(spec.name for spec in need.roles)
    raise FieldError(("query", "role"), f"the need has no role '{role}'; its roles: {names}")


def suggestions(
    session: Session,
    *,
    principal: Principal,
    member_id: str,
    limit: int,
    now: datetime,
    weights: Weights,
    text_models: TextModelCache,
    need_cache: NeedCache,
    ranking_models: RankingModelCache | None = None,
) -> Suggestions:
    """Ranked open needs for a member; private places are shown as a coarse area.

    The needs come from ``need_cache`` where it holds them at their current version (the
    worker's, from ``api.app``); the others are read and kept in it. Needs the member hid or
    snoozed are left out. When a learned re-ranker is active (``ranking_models``), the
    engine's feasible needs are ordered by it; otherwise by the hand weights' score. What is
    shown is recorded (``api.feedback``), in one statement.
    """
    member = repository.readable_member_row(
        session, principal=principal, member_id=member_id, now=now
    )
    if member is None:
        raise NotFound(f"member {member_id} not found")
    versions = repository.suggestable_need_versions(session, member=member, now=now)
    specs = need_cache.specs(session, versions, now=now) if versions else []
    if not specs:
        return Suggestions(member_id=member.id, suggestions=[])
    text_model = text_models.get(session)
    (profile,) = _member_profiles(
        session, [member], commitments_since=_month_start_before(now), now=now
    )
    table = build_need_table(specs, text_model=text_model)
    learned = ranking_models.get(session) if ranking_models is not None else None
    shortlist = limit if learned is None else max(RERANK_POOL_MIN, RERANK_POOL_PER_SHOWN * limit)
    ranked = rank_suggestions(
        profile, table, weights=weights, text_model=text_model, now=now, limit=shortlist
    )
    by_id = {spec.id: spec for spec in specs}
    if learned is not None:
        ranked = rerank_suggestions(
            ranked, by_id, ranking=learned, zone=profile.timezone, now=now, limit=limit
        )
    shown = [
        Shown(
            need_id=each.need_id,
            role=each.role,
            rank=rank,
            score=each.score,
            components=each.components,
            category=by_id[each.need_id].category,
            starts_at=by_id[each.need_id].starts_at,
        )
        for rank, each in enumerate(ranked, start=1)
    ]
    feedback.record_suggestions(
        session, member_id=member.id, zone=profile.timezone, shown=shown, now=now
    )
    return Suggestions(
        member_id=member.id,
        ranked_by="hand_weights" if learned is None else "learned",
        suggestions=[_suggestion(by_id[suggestion.need_id], suggestion) for suggestion in ranked],
    )


def signup_violations(
    session: Session,
    *,
    member_id: str,
    need_id: str,
    role: str,
    now: datetime,
    accepting: bool = False,
    standby: bool = False,
) -> list[ConstraintViolation]:
    """Hard constraints ``member_id`` breaks for ``role`` of ``need_id`` (empty: may sign up).

    The same engine check that filters candidates, so a sign-up is refused exactly when the
    member would not have been suggested. The caller has already checked access to both.
    ``accepting``: the member is accepting their invitation to this role, so the place it
    holds is theirs and it is no commitment of theirs (they hold at most one place per need).
    ``standby``: the member is (or is being) asked on standby, holding no place: whether one
    is free is the caller's to settle under the need's lock (a standby may take a held one),
    so the role is judged as if one were.
    """
    (need,) = _need_specs(session, [repository.need_row(session, need_id=need_id)], now=now)
    (member,) = _member_profiles(
        session,
        [repository.member_row(session, member_id=member_id, now=now)],
        commitments_since=_month_start_before(need.starts_at),
        now=now,
    )
    if accepting or standby:
        need = replace(
            need,
            roles=tuple(
                replace(spec, filled=_one_free(spec.filled, spec.count, standby=standby))
                if spec.name == role
                else spec
                for spec in need.roles
            ),
        )
    if accepting:
        others = tuple(each for each in member.commitments if each.need_id != need.id)
        member = replace(member, commitments=others)
    return check_member_for_role(member, need, role)


def _one_free(filled: int, count: int, *, standby: bool) -> int:
    """A role's taken places (the engine's ``filled``: confirmed or held) as the accepting or
    standby member should see them: their own invitation's place is theirs; a standby holds
    none, so one place is taken to be free."""
    return min(filled, count - 1) if standby else filled - 1


def _suggestion(need: NeedSpec, suggestion: Suggestion) -> SuggestionOut:
    """A suggestion at the need's shown point: a private place's cell, flagged approximate."""
    return SuggestionOut(
        need_id=need.id,
        title=need.title,
        role=suggestion.role,
        score=round(suggestion.score, SCORE_DECIMALS),
        distance_km=suggestion.distance_km,
        starts_at=need.starts_at,
        ends_at=need.ends_at,
        urgency=need.urgency,
        location=Point(lat=need.lat, lon=need.lon),
        location_approximate=need.location_precision_km > 0,
        components=_rounded(suggestion.components),
        reasons=suggestion.reasons,
    )


@dataclass(frozen=True, slots=True)
class Ranking:
    """What ranking needs besides the rows: the weights and the worker's caches (text model,
    member snapshot). One value, so use cases that rank many needs pass one thing along."""

    weights: Weights
    text_models: TextModelCache
    snapshots: MemberSnapshots


def readable_need(
    session: Session, *, principal: Principal, need_id: str, now: datetime
) -> tuple[NeedSpec, str]:
    """The need as the engine sees it (places held as of ``now``), and its status; 404 unless
    the caller may see it."""
    found = repository.readable_need_with_roles(
        session, principal=principal, need_id=need_id, now=now
    )
    if found is None:
        raise NotFound(f"need {need_id} not found")
    need_row, role_rows = found
    (need,) = inputs.need_specs([need_row], inputs.roles_by_need(role_rows))
    return need, str(need_row.status)


def member_pool(
    session: Session,
    rows: Sequence[EngineRow],
    *,
    since: datetime,
    now: datetime,
    text_models: TextModelCache,
) -> MemberPool:
    """These members as the engine's pool, with their commitments (as of ``now``) since
    ``since``: enough for overlaps and monthly limits of needs starting after it."""
    text_model = text_models.get(session)
    profiles = _member_profiles(
        session, rows, commitments_since=_month_start_before(since), now=now
    )
    return build_pool(profiles, text_model=text_model)


def team_member_rows(
    session: Session,
    *,
    principal: Principal,
    need: NeedSpec,
    per_role: int,
    now: datetime,
    ranking: Ranking,
    rested_per_role: int = 0,
) -> Sequence[EngineRow]:
    """The members a team for ``need`` is chosen from: a coordinator's own who could reach it;
    for an admin and a request open beyond one community, the exact best ``per_role`` of
    each role and its ``rested_per_role`` most rested (``best_member_ids``), so the cost
    follows the places, never the whole network."""
    if not principal.is_admin or (need.community_id is not None and not need.open_to_network):
        return repository.candidate_rows(session, principal=principal, need=need, now=now)
    return repository.member_rows_by_id(
        session,
        best_member_ids(
            session,
            principal=principal,
            need=need,
            per_role=per_role,
            now=now,
            ranking=ranking,
            rested_per_role=rested_per_role,
        ),
        now=now,
    )


def best_member_ids(
    session: Session,
    *,
    principal: Principal,
    need: NeedSpec,
    per_role: int,
    now: datetime,
    ranking: Ranking,
    rested_per_role: int = 0,
) -> list[str]:
    """The exact best ``per_role`` members of each role of the need, by the top-k walk, and
    with ``rested_per_role`` its most-rested eligible members too (the same walk with
    ``matcher.RESTED``): a solver's fairness costs can only choose among whom it is shown."""
    found: dict[str, None] = {}
    walks = [(per_role, ranking.weights), (rested_per_role, RESTED)]
    for role in need.roles:
        if role.count <= role.filled:
            continue
        for limit, weights in walks:
            if limit <= 0:
                continue
            top = best_candidates(
                session,
                principal=principal,
                need=replace(need, roles=(role,)),
                limit=limit,
                now=now,
                weights=weights,
                text_models=ranking.text_models,
                snapshots=ranking.snapshots,
            )
            found.update(dict.fromkeys(candidate.member_id for candidate in top.candidates))
    return list(found)


def community_member_rows(
    session: Session, *, community_id: str, now: datetime
) -> Sequence[EngineRow]:
    """A community's active members as engine rows (the caller manages the community)."""
    return repository.community_member_rows(session, community_id=community_id, now=now)


def open_needs_starting(
    session: Session,
    *,
    starts_from: datetime,
    starts_to: datetime,
    community_id: str | None,
    limit: int,
    now: datetime,
) -> list[NeedSpec]:
    """Open needs starting in the window as engine specs, places held as of ``now`` (see
    ``repository.open_need_rows_starting``; the caller manages what it asks for)."""
    rows = repository.open_need_rows_starting(
        session,
        starts_from=starts_from,
        starts_to=starts_to,
        community_id=community_id,
        limit=limit,
    )
    return _need_specs(session, rows, now=now) if rows else []


def member_rows(session: Session, member_ids: Sequence[str], *, now: datetime) -> list[EngineRow]:
    """Engine rows for these members (unscoped: the ids come from a scoped walk)."""
    return repository.member_rows_by_id(session, member_ids, now=now)
