"""HTTP routes for team proposals and batch assignment."""

from typing import Any, TypeVar

from fastapi import APIRouter, Response, status
from pydantic import BaseModel

from api.assignment import service
from api.assignment.schemas import BatchRequest, BatchResult, TeamProposal, TeamRequest
from api.db.types import utcnow
from api.deps import AppSettings, DbSession, Manager
from api.errors import Conflict, Forbidden, NotFound, Unauthorized, responses
from api.idempotency import Idempotency, IdempotencyKey
from api.matching.dependencies import Rankings
from api.schemas import ResourceId

router = APIRouter(tags=["assignment"])

Answer = TypeVar("Answer", TeamProposal, BatchResult)


def _sent(model: type[BaseModel]) -> dict[int | str, dict[str, Any]]:
    """The 201 of a proposal sent as invitations: the same body, with what was sent."""
    return {status.HTTP_201_CREATED: {"model": model, "description": "Sent as invitations."}}


@router.post(
    "/v1/needs/{need_id}/team",
    responses={**responses(Unauthorized, Forbidden, NotFound, Conflict), **_sent(TeamProposal)},
)
def propose_team(
    need_id: ResourceId,
    body: TeamRequest,
    response: Response,
    session: DbSession,
    principal: Manager,
    settings: AppSettings,
    ranking: Rankings,
    idempotency: IdempotencyKey,
) -> TeamProposal:
    """A member for every open place, maximising total fit, a mature member beside every new
    one whenever one is eligible. ``commit: true`` sends it as invitations (201).

    Coordinators propose from their own members, also for agency and network needs.
    """
    proposal = service.propose_team(
        session,
        principal=principal,
        need_id=need_id,
        commit=body.commit,
        standby=body.standby,
        keep_asking=body.keep_asking,
        now=utcnow(),
        ranking=ranking,
        invitation_ttl_hours=settings.invitation_ttl_hours,
    )
    return _answer(proposal, sent=body.commit, response=response, idempotency=idempotency)


@router.post(
    "/v1/match/batch",
    responses={**responses(Unauthorized, Forbidden, NotFound, Conflict), **_sent(BatchResult)},
)
def match_batch(
    body: BatchRequest,
    response: Response,
    session: DbSession,
    principal: Manager,
    settings: AppSettings,
    ranking: Rankings,
    idempotency: IdempotencyKey,
) -> BatchResult:
    """Assign members to every open place of every open need starting in [from, to): the
    best total score under every hard constraint, households and pairing, with load spread
    fairly. Coordinators fill their community; an admin may omit it to fill the network.
    ``commit: true`` sends the assignment as invitations (201).
    """
    result = service.batch(
        session,
        principal=principal,
        request=body,
        now=utcnow(),
        ranking=ranking,
        invitation_ttl_hours=settings.invitation_ttl_hours,
    )
    return _answer(result, sent=body.commit, response=response, idempotency=idempotency)


def _answer(body: Answer, *, sent: bool, response: Response, idempotency: Idempotency) -> Answer:
    """A proposal is 200; sent as invitations it is 201, remembered for the key's retries."""
    if sent:
        response.status_code = status.HTTP_201_CREATED
        idempotency.save(status.HTTP_201_CREATED, body)
    return body
