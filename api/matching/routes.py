"""HTTP routes for matching: candidates for a need, suggestions for a member."""

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request

from api.db.types import utcnow
from api.deps import AppSettings, CommunityPerson, DbSession, Manager
from api.errors import FieldError, Forbidden, NotFound, Unauthorized, responses
from api.matching import service
from api.matching.member_snapshot import MemberSnapshots
from api.matching.need_cache import NeedCache
from api.matching.schemas import MAX_CANDIDATES, MAX_SUGGESTIONS, Candidates, Suggestions
from api.matching.text_model import TextModelCache
from api.schemas import ResourceId, Slug

router = APIRouter(tags=["matching"])


async def get_text_models(request: Request) -> TextModelCache:
    """The process's cached text model of the network's texts (built in ``api.app``)."""
    cache: TextModelCache = request.app.state.text_models
    return cache


TextModels = Annotated[TextModelCache, Depends(get_text_models)]


async def get_member_snapshots(request: Request) -> MemberSnapshots:
    """The process's snapshot of every active member (built in ``api.app``)."""
    snapshots: MemberSnapshots = request.app.state.member_snapshots
    return snapshots


Snapshots = Annotated[MemberSnapshots, Depends(get_member_snapshots)]


async def get_need_cache(request: Request) -> NeedCache:
    """The process's cache of open needs for suggestions (built in ``api.app``)."""
    cache: NeedCache = request.app.state.need_cache
    return cache


NeedCaches = Annotated[NeedCache, Depends(get_need_cache)]


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
    limit: Annotated[int, Query(ge=1, le=MAX_SUGGESTIONS)] = 10,
) -> Suggestions:
    """Open needs that fit the member's week, gifts and street, best first."""
    return service.suggestions(
        session,
        principal=principal,
        member_id=member_id,
        limit=limit,
        now=utcnow(),
        weights=settings.weight,
        text_models=text_models,
        need_cache=need_cache,
    )
