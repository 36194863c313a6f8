"""Members' pages: what to do, and what they said yes to."""

from fastapi import Request, Response

from api.db.types import utcnow
from api.deps import AppSettings, DbSession
from api.matching import service as matching
from api.matching.dependencies import NeedCaches, TextModels
from api.web.pages import page_router, render
from api.web.session import MemberPage

router = page_router()

SUGGESTIONS_SHOWN = 10


@router.get("/member")
def home(
    request: Request,
    db: DbSession,
    principal: MemberPage,
    settings: AppSettings,
    text_models: TextModels,
    need_cache: NeedCaches,
) -> Response:
    """The member's suggestions, best first, with their reasons."""
    assert principal.id is not None  # a member key always names its member
    suggested = matching.suggestions(
        db,
        principal=principal,
        member_id=principal.id,
        limit=SUGGESTIONS_SHOWN,
        now=utcnow(),
        weights=settings.weight,
        text_models=text_models,
        need_cache=need_cache,
    )
    return render(request, "member/home.html", {"suggestions": suggested.suggestions})
