"""Liveness and database reachability, for load balancers and people; and who a key is."""

from typing import Literal

from fastapi import APIRouter, Request, Response
from pydantic import BaseModel

from api.communities.schemas import CommunityIds
from api.db.engine import is_reachable
from api.deps import CurrentPrincipal
from api.errors import RETRY_AFTER_S, Unauthorized, responses
from api.schemas import Id
from api.vocabulary import Role

router = APIRouter(tags=["service"])
"""Open to all and never rate limited (``api.ratelimit.EXEMPT_PATHS``): load balancers probe it."""
caller = APIRouter(tags=["service"])
"""Needs a key, like the rest of the API."""


class Health(BaseModel):
    """Whether the service can reach its database, and whether this worker's member snapshot
    (candidates for agency and network requests from memory) is built yet."""

    status: Literal["ok", "degraded"]
    database: Literal["ok", "unreachable"]
    backend: Literal["sqlite", "postgresql"]
    member_snapshot: Literal["off", "building", "ready"]


# ``security: [{}]`` says "no key needed" (an empty requirement), rather than leaving it unsaid.
@router.get(
    "/healthz",
    responses={503: {"model": Health, "description": "Database down; retry after a while"}},
    openapi_extra={"security": [{}]},
)
def healthz(request: Request, response: Response) -> Health:
    """No auth; 200 when the database answers, 503 when it does not."""
    engine = request.app.state.engine
    snapshot = request.app.state.member_snapshots.state
    if is_reachable(engine):
        return Health(
            status="ok", database="ok", backend=engine.dialect.name, member_snapshot=snapshot
        )
    # The pool drops dead connections (pre-ping), so this answers 200 again as soon as the
    # database is back, with no restart; API routes answer 503 meanwhile.
    response.status_code = 503
    response.headers["Retry-After"] = RETRY_AFTER_S
    return Health(
        status="degraded",
        database="unreachable",
        backend=engine.dialect.name,
        member_snapshot=snapshot,
    )


class Me(BaseModel):
    """Who the key belongs to."""

    role: Role
    id: Id | None
    community_ids: CommunityIds


@caller.get("/v1/me", responses=responses(Unauthorized))
def me(principal: CurrentPrincipal) -> Me:
    """The caller's role and identity, handy to check a key."""
    return Me(role=principal.role, id=principal.id, community_ids=sorted(principal.community_ids))
