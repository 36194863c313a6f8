"""Coordinators' pages (admins see them too, over every community)."""

from fastapi import Request, Response

from api.deps import DbSession
from api.needs import service as needs
from api.needs.schemas import NeedFilter
from api.web.pages import page_router, render
from api.web.session import CoordinatorPage

router = page_router()

NEEDS_SHOWN = 100


@router.get("/coordinator")
def home(request: Request, db: DbSession, principal: CoordinatorPage) -> Response:
    """The open needs the coordinator may see (their communities', agencies' and the
    network's), soonest first, with their fill."""
    page = needs.list_needs(
        db,
        principal=principal,
        filters=NeedFilter(status="open"),
        limit=NEEDS_SHOWN,
        cursor=None,
    )
    return render(request, "coordinator/home.html", {"needs": page.items})
