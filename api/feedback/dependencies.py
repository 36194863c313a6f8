"""The worker's cached re-ranker as a request dependency, for any route that ranks."""

from typing import Annotated

from fastapi import Depends, Request

from api.feedback.ranking_cache import RankingModelCache


async def get_ranking_models(request: Request) -> RankingModelCache:
    """The process's cached active re-ranker (built in ``api.app``)."""
    cache: RankingModelCache = request.app.state.ranking_models
    return cache


RankingModels = Annotated[RankingModelCache, Depends(get_ranking_models)]
