"""HTTP routes for feedback on suggestions, and which ordering ranks them."""

from fastapi import APIRouter

from api.db.types import utcnow
from api.deps import AppSettings, CommunityPerson, DbSession, Manager
from api.errors import Forbidden, NotFound, Unauthorized, responses
from api.feedback import service
from api.feedback.schemas import FeedbackIn, FeedbackOut, RankingStatus
from api.schemas import ResourceId

router = APIRouter(tags=["matching"])


@router.post(
    "/v1/members/{member_id}/suggestions/{need_id}/feedback",
    responses=responses(Unauthorized, Forbidden, NotFound),
)
def suggestion_feedback(
    member_id: ResourceId,
    need_id: ResourceId,
    data: FeedbackIn,
    session: DbSession,
    principal: CommunityPerson,
    settings: AppSettings,
) -> FeedbackOut:
    """Hide a suggested need for good (`not_for_me`) or snooze it (`maybe_later`: for
    `SERVEMATCH_FEEDBACK_SNOOZE_DAYS`, or until 24 h before it starts if sooner). The member,
    their coordinators, admins; 404 for a need the member cannot see. 200 with the state as
    recorded: the verdict is set, not added, so sending it again changes nothing."""
    return service.give_verdict(
        session,
        principal=principal,
        member_id=member_id,
        need_id=need_id,
        verdict=data.verdict,
        now=utcnow(),
        snooze_days=settings.feedback_snooze_days,
    )


@router.get("/v1/ranking/model", responses=responses(Unauthorized, Forbidden))
def ranking_model(session: DbSession, principal: Manager, settings: AppSettings) -> RankingStatus:
    """Which ordering ranks suggestions (`hand_weights` or `learned`) and why: the latest
    trained model's figures beside the hand weights' on the same held-out answers. Admins
    and coordinators (figures only: no member's data)."""
    return service.status(session, weights=settings.weight)
