"""Agencies' pages: their own requests, and how full they are (never any member's data)."""

from fastapi import Request, Response

from api.deps import DbSession
from api.needs import service as needs
from api.needs.schemas import NeedFilter
from api.web.pages import page_router, render
from api.web.session import AgencyPage

router = page_router()

REQUESTS_SHOWN = 100


@router.get("/agency")
def home(request: Request, db: DbSession, principal: AgencyPage) -> Response:
    """The agency's requests, soonest first, each with its fill."""
    page = needs.list_needs(
        db, principal=principal, filters=NeedFilter(), limit=REQUESTS_SHOWN, cursor=None
    )
    return render(request, "agency/home.html", {"requests": page.items})
