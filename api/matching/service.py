"""Matching use cases: who could help with a need, and what a member could help with."""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

import numpy as np
from sqlalchemy.orm import Session

from api.auth.principal import Principal
from api.db.models import Need
from api.errors import NotFound
from api.matching import inputs, repository
from api.matching.repository import EngineRow
from api.matching.schemas import CandidateOut, Candidates, SuggestionOut, Suggestions
from api.matching.text_model import TextModelCache
from api.schemas import Point
from matcher import (
    Candidate,
    ConstraintViolation,
    MemberProfile,
    NeedSpec,
    Suggestion,
    Weights,
    build_need_table,
    build_pool,
    check_member_for_role,
    member_ceilings,
    merge_best,
    rank_candidates,
    rank_suggestions,
    settled,
)

SCORE_DECIMALS = 4
"""Enough to order and compare; more digits only add noise for people reading them."""


def _month_start_before(moment: datetime) -> datetime:
    """A day before the start of ``moment``'s month: enough margin for any local month.

    Commitments ending after it are all the engine needs to judge overlaps and the monthly
    limit of a need starting at ``moment``.
    """
    return moment.replace(day=1, hour=0, minute=0, second=0, microsecond=0) - timedelta(days=1)


def _member_profiles(
    session: Session, rows: Sequence[EngineRow], *, commitments_since: datetime
) -> list[MemberProfile]:
    """Engine profiles for member rows (one more query: their commitments)."""
    commitments = repository.commitment_rows(
        session, member_ids=[row.id for row in rows], since=commitments_since
    )
    return inputs.member_profiles(rows, inputs.commitments_by_member(commitments))


def _need_specs(session: Session, rows: Sequence[EngineRow | Need]) -> list[NeedSpec]:
    """Engine specs for need rows (one more query: their roles)."""
    roles = repository.role_rows(session, need_ids=[row.id for row in rows])
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


def best_candidates(
    session: Session,
    *,
    principal: Principal,
    need: NeedSpec,
    limit: int,
    now: datetime,
    weights: Weights,
    text_models: TextModelCache,
    first_batch: int = FIRST_BATCH,
) -> TopCandidates:
    """The engine's top ``limit`` for the need, loading full profiles only as far as needed.

    A light outline of everyone in reach gives each member's ceiling (``matcher.topk``);
    members are then loaded and ranked in order of falling ceiling until the k-th best beats
    the next ceiling. A coordinator's own members are few: they are loaded at once.
    """
    if not principal.is_admin or (need.community_id is not None and not need.open_to_network):
        rows = repository.candidate_rows(session, principal=principal, need=need, now=now)
        return TopCandidates(
            _rank(session, need, rows, limit=limit, now=now, weights=weights, models=text_models),
            members_scored=len(rows),
        )
    outlines = repository.candidate_outlines(session, principal=principal, need=need)
    ceilings = member_ceilings(
        need,
        weights=weights,
        lat=outlines.lat,
        lon=outlines.lon,
        max_travel_km=outlines.max_travel_km,
        community_ids=outlines.community_ids,
        stages=outlines.stages,
        levels=outlines.levels,
    )
    hopeful = np.flatnonzero(ceilings > -np.inf)
    order = hopeful[np.argsort(-ceilings[hopeful], kind="stable")]
    best: list[Candidate] = []
    start, size = 0, first_batch
    while start < order.size:
        chosen = order[start : start + size]
        rows = repository.member_rows_by_id(
            session, [outlines.ids[index] for index in chosen], now=now
        )
        ranked = _rank(
            session, need, rows, limit=limit, now=now, weights=weights, models=text_models
        )
        best = merge_best(best, ranked, limit=limit)
        start, size = start + chosen.size, size * BATCH_GROWTH
        following = float(ceilings[order[start]]) if start < order.size else -np.inf
        if settled(best, limit=limit, ceiling=following):
            break
    return TopCandidates(best, members_scored=start)


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
        session, rows, commitments_since=_month_start_before(need.starts_at)
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
) -> Candidates:
    """Ranked members for a need (admins, coordinators); coordinators see only their own members."""
    found = repository.readable_need_row(session, principal=principal, need_id=need_id)
    if found is None:
        raise NotFound(f"need {need_id} not found")
    if found.status != "open":
        return Candidates(need_id=need_id, candidates=[])
    (need,) = _need_specs(session, [found])
    ranked = best_candidates(
        session,
        principal=principal,
        need=need,
        limit=limit,
        now=now,
        weights=weights,
        text_models=text_models,
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


def suggestions(
    session: Session,
    *,
    principal: Principal,
    member_id: str,
    limit: int,
    now: datetime,
    weights: Weights,
    text_models: TextModelCache,
) -> Suggestions:
    """Ranked open needs for a member; private places are shown as a coarse area."""
    member = repository.readable_member_row(
        session, principal=principal, member_id=member_id, now=now
    )
    if member is None:
        raise NotFound(f"member {member_id} not found")
    found = repository.suggestable_need_rows(session, member=member, now=now)
    if not found:
        return Suggestions(member_id=member.id, suggestions=[])
    text_model = text_models.get(session)
    (profile,) = _member_profiles(session, [member], commitments_since=_month_start_before(now))
    specs = _need_specs(session, found)
    table = build_need_table(specs, text_model=text_model)
    ranked = rank_suggestions(
        profile, table, weights=weights, text_model=text_model, now=now, limit=limit
    )
    by_id = {spec.id: spec for spec in specs}
    return Suggestions(
        member_id=member.id,
        suggestions=[_suggestion(by_id[suggestion.need_id], suggestion) for suggestion in ranked],
    )


def signup_violations(
    session: Session, *, member_id: str, need_id: str, role: str, now: datetime
) -> list[ConstraintViolation]:
    """Hard constraints ``member_id`` breaks for ``role`` of ``need_id`` (empty: may sign up).

    The same engine check that filters candidates, so a sign-up is refused exactly when the
    member would not have been suggested. The caller has already checked access to both.
    """
    (need,) = _need_specs(session, [repository.need_row(session, need_id=need_id)])
    (member,) = _member_profiles(
        session,
        [repository.member_row(session, member_id=member_id, now=now)],
        commitments_since=_month_start_before(need.starts_at),
    )
    return check_member_for_role(member, need, role)


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
