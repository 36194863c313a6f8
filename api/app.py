"""The FastAPI application factory: one app per settings object (tests build their own)."""

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from importlib.metadata import version
from typing import Any

from fastapi import Depends, FastAPI

from api.agencies.routes import router as agencies
from api.assignment.routes import router as assignment
from api.audit.routes import router as audit
from api.auth.cache import install as install_principal_cache
from api.auth.last_used import LastUseRecorder, RecordLastUse
from api.body_size import BodySizeLimit
from api.communities.routes import router as communities
from api.db.engine import make_engine, make_sessionmaker
from api.erasure.routes import router as erasure
from api.errors import API_ERRORS, SERVICE_ERRORS, install_error_handlers
from api.feedback.ranking_cache import RankingModelCache
from api.feedback.routes import router as feedback
from api.geocoding.service import configured_geocoder
from api.households.routes import router as households
from api.idempotency import install_replay_handler
from api.keys.routes import router as keys
from api.liveness import caller
from api.liveness import router as liveness
from api.maps.routes import router as maps
from api.matching.member_snapshot import MemberSnapshots
from api.matching.need_cache import NeedCache
from api.matching.routes import router as matching
from api.matching.service import Ranking
from api.matching.text_model import TextModelCache
from api.members.routes import router as members
from api.multiplication.routes import router as multiplication
from api.needs.routes import router as needs
from api.openapi import complete
from api.query import reject_unknown_query
from api.ratelimit import RateLimitMiddleware, RateLimits
from api.settings import Settings, get_settings
from api.signups.routes import router as signups
from api.sweep import Asking, sweep_forever
from api.web import session as web_session
from api.web.routes import install as install_web

DESCRIPTION = """\
Matches the members of missional communities to local needs: coordinators post their
community's needs, partner agencies post requests, members get ranked, explained suggestions.

Every call but `/healthz` takes a key: `Authorization: Bearer sm_…`. Errors are JSON with a
`code`; a 422 names the fields. Unknown body fields and query parameters are refused. Every
answer carries `RateLimit-*` headers while limits are on; a 429 or 503 says `Retry-After`.
Creating POSTs take an `Idempotency-Key`, so a retry never creates twice.
"""

TAGS = [
    {"name": "service", "description": "Liveness, and who a key belongs to."},
    {"name": "communities", "description": "Communities and their coordinators."},
    {"name": "agencies", "description": "Partner agencies (food banks, schools, shelters)."},
    {"name": "members", "description": "Members: profiles, weekly rhythm, erasure."},
    {"name": "households", "description": "Members who live together, and how they serve."},
    {"name": "needs", "description": "Needs and agency requests, with roles to fill."},
    {"name": "maps", "description": "Needs and communities as GeoJSON layers."},
    {"name": "matching", "description": "Ranked, explained candidates and suggestions."},
    {"name": "signups", "description": "Taking and giving back places in needs."},
    {"name": "assignment", "description": "Teams for a need, and fair batch assignment."},
    {
        "name": "multiplication",
        "description": "When a community is ready to multiply, the plan to split it, and its "
        "lineage.",
    },
    {"name": "audit", "description": "Who wrote what (ids and field names, never values)."},
    {"name": "keys", "description": "API keys: issue, list, rotate, revoke."},
]
"""Every operation's tag, described; the tests hold each operation to exactly one of them."""


class ServeMatch(FastAPI):
    """FastAPI whose published OpenAPI also says what middleware and handlers add."""

    def openapi(self) -> dict[str, Any]:
        """The contract, built once (see ``api.openapi``)."""
        if self.openapi_schema is None:
            self.openapi_schema = complete(super().openapi())
        return self.openapi_schema


def create_app(settings: Settings | None = None) -> FastAPI:
    """Build the service for ``settings`` (the environment's, by default)."""
    settings = settings or get_settings()
    engine = make_engine(settings.database_url, pool_size=settings.db_pool_size)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        app.state.member_snapshots.warm(engine)
        sweeping = None
        if settings.invitation_sweep_s > 0:
            sweeping = asyncio.create_task(
                sweep_forever(
                    app.state.sessionmaker,
                    every_s=settings.invitation_sweep_s,
                    retention_days=settings.feedback_retention_days,
                    asking=app.state.asking,
                )
            )
        yield
        if sweeping is not None:
            sweeping.cancel()
        engine.dispose()

    app = ServeMatch(
        title="ServeMatch",
        version=version("servematch"),  # the package's, from pyproject.toml
        summary="Matches volunteers of missional communities to local needs.",
        description=DESCRIPTION,
        openapi_tags=TAGS,
        lifespan=lifespan,
        dependencies=[Depends(reject_unknown_query)],
        # Operation ids are what generated clients name their functions: the route's own
        # short name (create_need), stable across path changes, not FastAPI's path-derived one.
        generate_unique_id_function=lambda route: route.name,
        # /docs and /redoc are served from the package's own copies (``api.web.api_docs``).
        docs_url=None,
        redoc_url=None,
    )
    app.state.settings = settings
    app.state.engine = engine
    app.state.sessionmaker = make_sessionmaker(engine)
    app.state.text_models = TextModelCache(max_age_s=settings.text_model_max_age_s)
    app.state.member_snapshots = MemberSnapshots(enabled=settings.member_snapshot)
    # The weights and caches every ranking use case reads: requests (``get_ranking``) and
    # the sweep's asking again alike.
    app.state.ranking = Ranking(
        weights=settings.weight,
        text_models=app.state.text_models,
        snapshots=app.state.member_snapshots,
    )
    app.state.asking = Asking(ranking=app.state.ranking, ttl_hours=settings.invitation_ttl_hours)
    app.state.need_cache = NeedCache(max_needs=settings.suggestion_cache_needs)
    app.state.ranking_models = RankingModelCache(max_age_s=settings.ranking_model_max_age_s)
    # One geocoder per process, so its rate limit (Nominatim: 1 request/s) and cache hold.
    app.state.geocoder = configured_geocoder(settings)
    install_principal_cache(app.state, app.state.sessionmaker, ttl_s=settings.auth_cache_ttl_s)
    app.state.rate_limits = RateLimits.from_settings(settings)
    app.state.last_use = LastUseRecorder(engine)
    install_error_handlers(app)
    install_replay_handler(app)
    app.add_middleware(BodySizeLimit, max_bytes=settings.max_body_bytes)
    app.add_middleware(RecordLastUse, recorder=app.state.last_use)
    app.add_middleware(
        RateLimitMiddleware, limits=app.state.rate_limits, session_cookie=web_session.COOKIE
    )
    # Errors any route may answer (bad input, body too large, rate limit, database down, an
    # unexpected failure) are declared here once, so the OpenAPI contract is true without
    # repeating them per route; the headers that come with them are added in ``api.openapi``.
    app.include_router(liveness, responses=SERVICE_ERRORS)
    routers = (
        caller,
        communities,
        agencies,
        members,
        erasure,
        households,
        needs,
        maps,
        matching,
        feedback,
        signups,
        assignment,
        multiplication,
        audit,
        keys,
    )
    for router in routers:
        app.include_router(router, responses=API_ERRORS)
    install_web(app, settings)
    return app
