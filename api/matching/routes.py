"""HTTP routes for matching: candidates for a need, suggestions for a member."""

from typing import Annotated

from fastapi import APIRouter, Query

from api.db.types import utcnow
from api.deps import AppSettings, CommunityPerson, DbSession, Manager
from api.errors import FieldError, Forbidden, NotFound, Unauthorized, responses
from api.feedback.dependencies import RankingModels
from api.matching import service
from api.matching.dependencies import NeedCaches, Snapshots, TextModels
from api.matching.schemas import MAX_CANDIDATES, MAX_SUGGESTIONS, Candidates, Suggestions
from api.schemas import ResourceId, Slug

router = APIRouter(tags=["matching"])


@router.get(
    "/v1/needs/{need_id}/candidates",
    responses=responses(Unauthorized, Forbidden, NotFound, FieldError),
)
def need_candidates(
    need_id: ResourceId,
    session: DbSession,
    principal: Manager,
    settings: AppSettings,
    text_models: TextModels,
    snapshots: Snapshots,
    limit: Annotated[int, Query(ge=1, le=MAX_CANDIDATES)] = 20,
    role: Annotated[
        Slug | None, Query(description="Rank for this role only (422 if the need has none).")
    ] = None,
) -> Candidates:
    """Who could help, best first, and why. Admins and coordinators (their own members)."""
    return service.candidates(
        session,
        principal=principal,
        need_id=need_id,
        limit=limit,
        now=utcnow(),
        weights=settings.weight,
        text_models=text_models,
        snapshots=snapshots,
        role=role,
    )


@router.get(
    "/v1/members/{member_id}/suggestions", responses=responses(Unauthorized, Forbidden, NotFound)
)
def member_suggestions(
    member_id: ResourceId,
    session: DbSession,
    principal: CommunityPerson,
    settings: AppSettings,
    text_models: TextModels,
    need_cache: NeedCaches,
    ranking_models: RankingModels,
    limit: Annotated[int, Query(ge=1, le=MAX_SUGGESTIONS)] = 10,
) -> Suggestions:
    """Open needs that fit the member's week, gifts and street, best first (by the learned
    re-ranker when one is switched on: see `ranked_by`); needs the member marked `not_for_me`
    or `maybe_later` are left out. What is shown is recorded as feedback."""
    return service.suggestions(
        session,
        principal=principal,
        member_id=member_id,
        limit=limit,
        now=utcnow(),
        weights=settings.weight,
        text_models=text_models,
        need_cache=need_cache,
        ranking_models=ranking_models,
    )
