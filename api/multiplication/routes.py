"""HTTP routes for multiplication: readiness and the plan, a split's figures, multiplying,
and a community's lineage."""

from typing import Annotated

from fastapi import APIRouter, Query, status

from api.db.types import utcnow
from api.deps import AppGeocoder, AppSettings, CommunityPerson, DbSession, Manager
from api.errors import Conflict, FieldError, Forbidden, NotFound, Unauthorized, responses
from api.idempotency import IdempotencyKey
from api.multiplication import service
from api.multiplication.schemas import (
    MAX_GROUPS,
    Lineage,
    Multiplication,
    MultiplyOut,
    MultiplyRequest,
    SplitOut,
    SplitRequest,
)
from api.schemas import ResourceId

router = APIRouter(prefix="/v1/communities", tags=["multiplication"])


@router.get(
    "/{community_id}/multiplication",
    responses=responses(Unauthorized, Forbidden, NotFound, FieldError),
)
def multiplication(
    community_id: ResourceId,
    session: DbSession,
    principal: Manager,
    settings: AppSettings,
    groups: Annotated[
        int, Query(ge=2, le=MAX_GROUPS, description="How many groups to split into.")
    ] = 2,
) -> Multiplication:
    """Whether the community is ready to multiply (each rule, held or missing) and, when it
    is, the advised split: compact groups, each with a leader or apprentice, mature members
    spread, new members beside mature ones, households whole, past needs' skills covered;
    its meeting places and travel, beside a random balanced split and plain k-means
    (admins, the community's coordinators)."""
    return service.plan(
        session,
        principal=principal,
        community_id=community_id,
        groups=groups,
        thresholds=service.Thresholds.of(settings),
        now=utcnow(),
    )


@router.post(
    "/{community_id}/multiplication/evaluate",
    responses=responses(Unauthorized, Forbidden, NotFound, FieldError),
)
def evaluate_split(
    community_id: ResourceId,
    body: SplitRequest,
    session: DbSession,
    principal: Manager,
    settings: AppSettings,
) -> SplitOut:
    """The figures of a split the coordinator edited (members moved between groups): each
    group's meeting place and travel, and every rule it breaks. Changes nothing."""
    return service.evaluate_split(
        session,
        principal=principal,
        community_id=community_id,
        groups=body.groups,
        thresholds=service.Thresholds.of(settings),
        now=utcnow(),
    )


@router.post(
    "/{community_id}/multiplication",
    status_code=status.HTTP_201_CREATED,
    responses=responses(Unauthorized, Forbidden, NotFound, Conflict, FieldError),
)
def multiply(
    community_id: ResourceId,
    body: MultiplyRequest,
    session: DbSession,
    principal: Manager,
    settings: AppSettings,
    geocoder: AppGeocoder,
    idempotency: IdempotencyKey,
) -> MultiplyOut:
    """Multiply the community: the first group stays, each further group becomes a new
    community (its `parent_id` this one) with its members, their households and their
    sign-ups, coordinated by its leader or apprentice (whose key is shown this once).

    409 when the community is not ready; 422 naming `groups` when a member is left out or a
    household split, naming `leader_ids` when a new community has nobody to lead it."""
    out = service.multiply(
        session,
        principal=principal,
        community_id=community_id,
        data=body,
        thresholds=service.Thresholds.of(settings),
        geocoder=geocoder,
        now=utcnow(),
    )
    idempotency.save(status.HTTP_201_CREATED, out)
    return out


@router.get("/{community_id}/lineage", responses=responses(Unauthorized, Forbidden, NotFound))
def lineage(community_id: ResourceId, session: DbSession, principal: CommunityPerson) -> Lineage:
    """The community's family tree: the communities it came from (oldest first) and those
    that came from it, by generation, with their active members and when each began."""
    return service.lineage(session, principal=principal, community_id=community_id)
