"""Matching use cases: who could help with a need, and what a member could help with."""

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from api.auth.principal import Principal
from api.db.models import Member, Need
from api.errors import NotFound
from api.matching import records, repository
from api.matching.schemas import CandidateOut, Candidates, SuggestionOut, Suggestions
from api.matching.text_model import TextModelCache
from api.members import repository as member_scope
from api.needs import repository as needs
from api.schemas import Point
from matcher import (
    NeedSpec,
    Suggestion,
    Weights,
    build_need_table,
    build_pool,
    rank_candidates,
    rank_suggestions,
)

SCORE_DECIMALS = 4
"""Enough to order and compare; more digits only add noise for people reading them."""


def _rounded(components: dict[str, float]) -> dict[str, float]:
    return {name: round(value, SCORE_DECIMALS) for name, value in components.items()}


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
    row = session.execute(
        select(*records.NEED_COLUMNS, Need.status).where(
            Need.id == need_id, needs.visible_to(principal)
        )
    ).first()
    if row is None:
        raise NotFound(f"need {need_id} not found")
    if row.status != "open":
        return Candidates(need_id=need_id, candidates=[])
    need = records.need_specs_from_rows(session, [row])[0]
    rows = repository.candidate_rows(session, principal=principal, need=need, now=now)
    if not rows:
        return Candidates(need_id=need.id, candidates=[])
    text_model = text_models.get(session)
    member_records = records.member_records(
        session, rows, commitments_since=records.month_start_before(need.starts_at)
    )
    ranked = rank_candidates(
        need,
        build_pool(member_records, text_model=text_model),
        weights=weights,
        text_model=text_model,
        now=now,
        limit=limit,
    )
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
    member = session.execute(
        records.member_select(
            member_scope.readable(principal).where(Member.id == member_id), now=now
        )
    ).first()
    if member is None:
        raise NotFound(f"member {member_id} not found")
    found = repository.suggestable_needs(session, member=member, now=now)
    if not found:
        return Suggestions(member_id=member.id, suggestions=[])
    text_model = text_models.get(session)
    (record,) = records.member_records(
        session, [member], commitments_since=records.month_start_before(now)
    )
    specs = records.need_specs_from_rows(session, found)
    table = build_need_table(specs, text_model=text_model)
    ranked = rank_suggestions(
        record, table, weights=weights, text_model=text_model, now=now, limit=limit
    )
    by_id = {spec.id: spec for spec in specs}
    return Suggestions(
        member_id=member.id,
        suggestions=[_suggestion(by_id[suggestion.need_id], suggestion) for suggestion in ranked],
    )


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
