"""Agencies' pages: their own requests, how full they are, and a new request by address.

An agency sees counts (places filled, held by invitations), never who: the needs service
answers it no member's data, and these pages ask for none.
"""

from typing import Any

from fastapi import Request, Response

from api.db.types import utcnow
from api.deps import AppGeocoder, AppSettings, DbSession
from api.needs import service as needs
from api.needs.schemas import NeedCreate, NeedFilter
from api.vocabulary import Category, Urgency, values
from api.web.forms import FormInvalid, by_form_field, shown_on
from api.web.pages import page_router, redirect, render
from api.web.session import AgencyPage

router = page_router()

REQUESTS_SHOWN = 100
ROLE_ROWS = 3
NEW_REQUEST = "agency/new_request.html"
ROLE_PARTS = ("name", "skill", "count")
FIELDS = (
    "title",
    "description",
    "category",
    "address",
    "starts_at",
    "ends_at",
    "urgency",
    "open_to_network",
    "roles",
)


@router.get("/agency")
def home(request: Request, db: DbSession, principal: AgencyPage) -> Response:
    """The agency's requests, soonest first, each with its fill."""
    page = needs.list_needs(
        db, principal=principal, filters=NeedFilter(), limit=REQUESTS_SHOWN, cursor=None
    )
    return render(request, "agency/home.html", {"requests": page.items})


def _form() -> dict[str, Any]:
    """What the form offers: the categories, urgencies and role rows."""
    return {
        "categories": [(word, word.capitalize()) for word in values(Category)],
        "urgencies": [(word, word.capitalize()) for word in values(Urgency)],
        "role_rows": ROLE_ROWS,
    }


@router.get("/agency/requests/new")
def new_request(request: Request, principal: AgencyPage) -> Response:
    """A new request: what, where (an address), when, and the people it takes."""
    return render(
        request,
        NEW_REQUEST,
        {**_form(), "values": {"category": "meals", "urgency": "normal", "open_to_network": "on"}},
    )


def _utc(typed: str) -> str | None:
    """A ``datetime-local`` value read as UTC (the form says so); None when left empty."""
    return f"{typed}Z" if typed.strip() else None


def _request(typed: dict[str, str]) -> tuple[dict[str, Any], dict[str, str]]:
    """The need the form asks for, and which form row each of its roles came from (empty
    rows are left out, so the third row may be the API's ``roles.0``)."""
    roles: list[dict[str, Any]] = []
    rows: dict[str, str] = {}
    for row in range(ROLE_ROWS):
        parts = {part: typed.get(f"roles.{row}.{part}", "").strip() for part in ROLE_PARTS}
        if any(parts.values()):
            rows[f"roles.{len(roles)}"] = f"roles.{row}"
            roles.append({**parts, "skill": parts["skill"] or None})
    need = {
        "title": typed.get("title", ""),
        "description": typed.get("description", ""),
        "category": typed.get("category"),
        "address": typed.get("address", "").strip() or None,
        "starts_at": _utc(typed.get("starts_at", "")),
        "ends_at": _utc(typed.get("ends_at", "")),
        "urgency": typed.get("urgency"),
        "open_to_network": "open_to_network" in typed,
        "roles": roles,
    }
    # Where the need is, by coordinates, is the address's business on this form.
    rows["location"] = "address"
    return need, rows


def _fields_shown() -> set[str]:
    roles = {f"roles.{row}.{part}" for row in range(ROLE_ROWS) for part in ROLE_PARTS}
    return {*FIELDS, *roles}


@router.post("/agency/requests/new")
async def post_request(
    request: Request,
    db: DbSession,
    principal: AgencyPage,
    settings: AppSettings,
    geocoder: AppGeocoder,
) -> Response:
    """Post the request (the address looked up by the configured geocoder), or show the
    form again with each error next to its field."""
    typed = {name: str(value) for name, value in (await request.form()).items()}
    need, rows = _request(typed)
    try:
        with shown_on(NEW_REQUEST, values=typed, **_form()):
            needs.create(
                db,
                principal=principal,
                data=NeedCreate.model_validate(need),
                now=utcnow(),
                cell_km=settings.location_coarsening_km,
                geocoder=geocoder,
            )
    except FormInvalid as invalid:
        errors = by_form_field(invalid.errors, rows, _fields_shown())
        raise FormInvalid(
            NEW_REQUEST, invalid.context, errors, status_code=invalid.status_code
        ) from invalid
    return redirect(request, "/agency", flash=f"Request posted: {need['title']}.")
