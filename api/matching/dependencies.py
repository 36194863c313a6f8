"""The worker's matching caches as request dependencies, for any route that ranks members."""

from typing import Annotated

from fastapi import Depends, Request

from api.matching.member_snapshot import MemberSnapshots
from api.matching.need_cache import NeedCache
from api.matching.service import Ranking
from api.matching.text_model import TextModelCache


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


async def get_ranking(request: Request) -> Ranking:
    """The weights from the settings and the worker's caches, as one value (built in
    ``api.app``)."""
    ranking: Ranking = request.app.state.ranking
    return ranking


Rankings = Annotated[Ranking, Depends(get_ranking)]
