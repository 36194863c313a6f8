"""Liveness and database reachability, for load balancers and people."""

from typing import Literal

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from api.deps import CurrentPrincipal
from api.errors import Unauthorized, responses

router = APIRouter(tags=["service"])


class Health(BaseModel):
    """Whether the service can reach its database."""

    status: Literal["ok", "degraded"]
    database: Literal["ok", "unreachable"]
    backend: str


@router.get("/healthz", responses={503: {"model": Health, "description": "Database down"}})
def healthz(request: Request) -> JSONResponse:
    """No auth; 200 when the database answers, 503 when it does not."""
    engine = request.app.state.engine
    try:
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))
        health = Health(status="ok", database="ok", backend=engine.dialect.name)
        return JSONResponse(health.model_dump())
    except SQLAlchemyError:
        # The pool drops dead connections (pre-ping), so this answers 200 again as soon as
        # the database is back, with no restart; API routes answer 503 meanwhile.
        health = Health(status="degraded", database="unreachable", backend=engine.dialect.name)
        return JSONResponse(health.model_dump(), status_code=503, headers={"Retry-After": "5"})


class Me(BaseModel):
    """Who the key belongs to."""

    role: str
    id: str | None
    community_ids: list[str]


@router.get("/v1/me", responses=responses(Unauthorized))
def me(principal: CurrentPrincipal) -> Me:
    """The caller's role and identity, handy to check a key."""
    return Me(role=principal.role, id=principal.id, community_ids=sorted(principal.community_ids))
