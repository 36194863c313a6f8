"""Coordinators' pages (admins see them too, over every community): the map of needs, a new
need, a need's page (holders, candidates, invitations, a proposed team), the week, the load
report and the community's health.

Every figure comes from the domains' services with the caller's principal, as the API's
routes get it; the pages only choose, group and format.
"""

from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime, time, timedelta
from itertools import islice
from typing import Annotated, Any, TypeVar, cast
from zoneinfo import ZoneInfo

from fastapi import Query, Request, Response

from api.assignment import service as assignment
from api.assignment.schemas import TeamProposal
from api.auth.principal import Principal
from api.communities import service as communities
from api.communities.schemas import CommunityOut
from api.db.types import utcnow
from api.deps import AppGeocoder, AppSettings, DbSession
from api.errors import FieldError
from api.maps import service as maps
from api.maps.schemas import NeedFeature
from api.matching import service as matching
from api.matching.dependencies import Rankings
from api.needs import service as needs
from api.needs.schemas import NeedCreate, NeedFilter, NeedOut
from api.schemas import ResourceId
from api.signups import service as signups
from api.signups.schemas import InvitationCreate
from api.vocabulary import Category, Urgency, values
from api.web.forms import FormErrors, FormInvalid, shown_on
from api.web.pages import page_router, redirect, render
from api.web.session import CoordinatorPage
from api.web.times import zone_of

router = page_router()

T = TypeVar("T")

NEEDS_SHOWN = 100
"""The most needs the map, its list or the week shows."""
NEEDS_READ = 1_000
"""The most needs read (a page of 100 at a time, soonest first) to find those shown."""
PAGE_SIZE = 100
ROLE_ROWS = 3
"""Role rows on the new-need form: enough without JavaScript for most needs."""
CANDIDATES_SHOWN = 20
DAYS_IN_WEEK = 7
CATEGORIES = values(Category)
URGENCIES = values(Urgency)


def options(words: tuple[str, ...]) -> list[tuple[str, str]]:
    """A select's (value, label) pairs for stored words: ``not_for_me`` reads "not for me"."""
    return [(word, word.replace("_", " ")) for word in words]


def _read(fetch: Callable[[str | None], tuple[list[T], str | None]]) -> Iterator[T]:
    """Every item of a paged list (soonest first), a page at a time, up to ``NEEDS_READ``."""
    cursor: str | None = None
    for _ in range(NEEDS_READ // PAGE_SIZE):
        items, cursor = fetch(cursor)
        yield from items
        if cursor is None:
            return


def _map_needs(
    db: DbSession, principal: CoordinatorPage, filters: NeedFilter
) -> Iterator[NeedFeature]:
    """The needs the caller may see as the maps service draws them (``/v1/needs.geojson``)."""

    def fetch(cursor: str | None) -> tuple[list[NeedFeature], str | None]:
        page = maps.need_features(
            db,
            principal=principal,
            filters=filters,
            limit=PAGE_SIZE,
            cursor=cursor,
        )
        return page.features, page.next_cursor

    return _read(fetch)


def _listed_needs(
    db: DbSession, principal: CoordinatorPage, filters: NeedFilter
) -> Iterator[NeedOut]:
    """The needs the caller may see, as ``GET /v1/needs`` lists them."""

    def fetch(cursor: str | None) -> tuple[list[NeedOut], str | None]:
        page = needs.list_needs(
            db, principal=principal, filters=filters, limit=PAGE_SIZE, cursor=cursor
        )
        return page.items, page.next_cursor

    return _read(fetch)


def _first(items: Iterator[T], keep: Callable[[T], bool] = lambda _: True) -> list[T]:
    """Up to ``NEEDS_SHOWN`` of ``items`` (soonest first) that ``keep`` accepts."""
    return list(islice(filter(keep, items), NEEDS_SHOWN))


def _managed(db: DbSession, principal: CoordinatorPage) -> list[CommunityOut]:
    return communities.list_readable(db, principal=principal)


def _chosen(managed: list[CommunityOut], community_id: str | None) -> CommunityOut | None:
    """The community asked for (``?community=``), else the first the caller coordinates."""
    for community in managed:
        if community.id == community_id:
            return community
    return managed[0] if managed else None


def _communities(managed: list[CommunityOut], chosen: CommunityOut | None) -> dict[str, Any]:
    """What a page choosing among the caller's communities draws."""
    return {
        "communities": managed,
        "community_options": [(community.id, community.name) for community in managed],
        "community": chosen,
    }


def _zone(community: CommunityOut | None) -> ZoneInfo:
    """The zone a page about ``community`` shows times in (and reads typed dates in)."""
    return zone_of(community.timezone if community else None)


def _day(text: str | None, name: str, errors: dict[str, str]) -> date | None:
    """A ``YYYY-MM-DD`` query value, or None when empty; a wrong one is noted by its name."""
    if not text:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        errors[name] = "a date like 2030-06-01"
        return None


def _midnight(day: date, zone: ZoneInfo) -> datetime:
    return datetime.combine(day, time(), tzinfo=zone).astimezone(UTC)


def _map_config(settings: AppSettings, needs_shown: list[NeedFeature]) -> dict[str, Any]:
    """What the map script reads from the page: the tiles and the needs as GeoJSON."""
    return {
        "tiles": {"url": settings.map_tile_url, "attribution": settings.map_attribution},
        "needs": {
            "type": "FeatureCollection",
            "features": [feature.model_dump(mode="json") for feature in needs_shown],
        },
    }


@router.get("/coordinator")
def home(
    request: Request,
    db: DbSession,
    principal: CoordinatorPage,
    settings: AppSettings,
    category: str = "",
    from_: Annotated[str, Query(alias="from")] = "",
    to: str = "",
) -> Response:
    """The open needs the coordinator may see (their communities', agencies' and the
    network's) on a map and in a list, soonest first, with their fill; by dates and category."""
    filters = {"from": from_, "to": to, "category": category}
    problems: dict[str, str] = {}
    if category and category not in CATEGORIES:
        problems["category"] = "not a category"
    zone = _zone(_chosen(_managed(db, principal), None))
    first, last = _day(filters["from"], "from", problems), _day(filters["to"], "to", problems)
    if first and last and last < first:
        problems["to"] = "the last day is before the first"
    # A filter in error is left out: the page shows every open need and says what was wrong.
    wanted = NeedFilter(status="open")
    if not problems:
        wanted = NeedFilter(
            status="open",
            category=cast(Category, category) if category else None,
            starts_from=_midnight(first, zone) if first else None,
            starts_before=_midnight(last + timedelta(days=1), zone) if last else None,
        )
    shown = _first(_map_needs(db, principal, wanted))
    return render(
        request,
        "coordinator/home.html",
        {
            "needs": shown,
            "zone": zone,
            "map": _map_config(settings, shown),
            "category_options": options(CATEGORIES),
            "urgencies": URGENCIES,
            "values": filters,
            "errors": FormErrors(fields=problems),
        },
    )


def _need_form(
    db: DbSession, principal: CoordinatorPage, settings: AppSettings, values: dict[str, str]
) -> dict[str, Any]:
    """What the new-need form draws: the communities, the choices, the map's starting view."""
    managed = _managed(db, principal)
    community = _chosen(managed, values.get("community_id"))
    centre = community.meeting_point if community else None
    return {
        **_communities(managed, community),
        "category_options": options(CATEGORIES),
        "urgency_options": options(URGENCIES),
        "role_rows": range(max(ROLE_ROWS, _role_count(values))),
        "values": {"urgency": "normal", "roles.0.count": "1", **values},
        "map": {
            "tiles": {"url": settings.map_tile_url, "attribution": settings.map_attribution},
            "centre": centre.model_dump() if centre else None,
            "pick": True,
        },
    }


def _role_count(values: dict[str, str]) -> int:
    return sum(1 for name in values if name.startswith("roles.") and name.endswith(".name"))


@router.get("/coordinator/needs/new")
def new_need(
    request: Request, db: DbSession, principal: CoordinatorPage, settings: AppSettings
) -> Response:
    """The form for a new need: where by address or by a point on the map, and its roles."""
    return render(request, "coordinator/new_need.html", _need_form(db, principal, settings, {}))


def _instant(text: str, zone: ZoneInfo) -> str:
    """A form's ``datetime-local`` value in the community's zone; anything else is left for
    the schema to judge (and name)."""
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        return text
    return (moment if moment.tzinfo else moment.replace(tzinfo=zone)).isoformat()


def _need_data(values: dict[str, str], zone: ZoneInfo) -> tuple[dict[str, Any], list[int]]:
    """The form as ``NeedCreate`` reads it, and the form row of each role it keeps (rows
    left empty are skipped)."""
    rows = [
        index
        for index in range(_role_count(values))
        if values.get(f"roles.{index}.name") or values.get(f"roles.{index}.skill")
    ]
    lat, lon = values.get("location.lat", ""), values.get("location.lon", "")
    data = {
        "community_id": values.get("community_id") or None,
        "title": values.get("title", ""),
        "description": values.get("description", ""),
        "category": values.get("category", ""),
        "address": values.get("address") or None,
        "location": {"lat": lat, "lon": lon} if lat or lon else None,
        "starts_at": _instant(values.get("starts_at", ""), zone),
        "ends_at": _instant(values.get("ends_at", ""), zone),
        "roles": [
            {
                "name": values.get(f"roles.{row}.name", ""),
                "skill": values.get(f"roles.{row}.skill") or None,
                "min_level": values.get(f"roles.{row}.min_level") or 1,
                "count": values.get(f"roles.{row}.count", ""),
            }
            for row in rows
        ],
        "urgency": values.get("urgency", "normal"),
        "private_location": "private_location" in values,
        "open_to_network": "open_to_network" in values,
    }
    return data, rows


def _on_form_rows(invalid: FormInvalid, rows: list[int]) -> FormInvalid:
    """The errors with each ``roles.N`` renamed to the form row the role came from; an error
    about the roles as a whole goes on the first row's name."""

    def renamed(name: str) -> str:
        parts = name.split(".")
        if parts[0] != "roles":
            return name
        if len(parts) == 1:
            return "roles.0.name"
        index = int(parts[1]) if parts[1].isdigit() else 0
        return ".".join(["roles", str(rows[index] if index < len(rows) else 0), *parts[2:]])

    fields = {renamed(name): message for name, message in invalid.errors.fields.items()}
    errors = FormErrors(fields=fields, form=invalid.errors.form)
    return FormInvalid(invalid.template, invalid.context, errors, status_code=invalid.status_code)


@router.post("/coordinator/needs/new")
async def post_need(
    request: Request,
    db: DbSession,
    principal: CoordinatorPage,
    settings: AppSettings,
    geocoder: AppGeocoder,
) -> Response:
    """Post the need through ``needs.create``; its errors shown by the field they name."""
    values = {name: str(value) for name, value in (await request.form()).items()}
    values.pop("csrf_token", None)
    context = _need_form(db, principal, settings, values)
    managed = _managed(db, principal)
    data, rows = _need_data(values, _zone(_chosen(managed, values.get("community_id"))))
    try:
        with shown_on("coordinator/new_need.html", **context):
            need = needs.create(
                db,
                principal=principal,
                data=NeedCreate.model_validate(data),
                now=utcnow(),
                cell_km=settings.location_coarsening_km,
                geocoder=geocoder,
            )
    except FormInvalid as invalid:
        raise _on_form_rows(invalid, rows) from invalid
    return redirect(request, f"/coordinator/needs/{need.id}", flash="Need posted.")


def _need_page(
    request: Request,
    db: DbSession,
    principal: CoordinatorPage,
    settings: AppSettings,
    ranking: Rankings,
    need_id: str,
    role: str | None,
    **extra: Any,
) -> Response:
    stored, exact = needs.get(db, principal=principal, need_id=need_id)
    need = needs.to_out(stored, exact=exact)
    # The need's community's zone; an agency's request, or another community's need open to
    # the network, is shown in the coordinator's own community's.
    zone = _zone(_chosen(_managed(db, principal), need.community_id))
    names = {role.name for role in need.roles}
    if role is not None and role not in names:
        raise FieldError(("query", "role"), f"the need has no role '{role}'")
    ranked = matching.candidates(
        db,
        principal=principal,
        need_id=need_id,
        limit=CANDIDATES_SHOWN,
        now=utcnow(),
        weights=settings.weight,
        text_models=ranking.text_models,
        snapshots=ranking.snapshots,
        role=role,
    )
    holders: dict[str, list[str]] = {}
    waiting: dict[str, list[tuple[str, str]]] = {}  # per role: (new member, their mentor)
    standby: dict[str, list[str]] = {}  # per role: members asked on standby, still pending
    listed = signups.list_for_need(db, principal=principal, need_id=need_id)
    mentors = signups.member_names(
        db,
        principal=principal,
        need_id=need_id,
        signup_ids=[signup.waits_for for signup in listed if signup.waits_for],
    )
    for signup in listed:
        if signup.status == "waiting":
            mentor = mentors.get(signup.waits_for or "", "their mentor")
            waiting.setdefault(signup.role, []).append((signup.member_name, mentor))
        elif signup.standby and signup.status == "invited":
            standby.setdefault(signup.role, []).append(signup.member_name)
        else:
            holders.setdefault(signup.role, []).append(signup.member_name)
    return render(
        request,
        "coordinator/need.html",
        {
            "need": need,
            "zone": zone,
            "holders": holders,
            "waiting": waiting,
            "standby": standby,
            "candidates": ranked.candidates,
            "role": role or "",
            "role_options": [("", "Any role"), *((name, name) for name in sorted(names))],
            "values": {"role": role or ""},
            "proposal": None,
            **extra,
        },
    )


@router.get("/coordinator/needs/{need_id}")
def need_page(
    request: Request,
    need_id: ResourceId,
    db: DbSession,
    principal: CoordinatorPage,
    settings: AppSettings,
    ranking: Rankings,
    role: str = "",
) -> Response:
    """A need: its roles and who holds them, and its ranked candidates with their reasons."""
    return _need_page(request, db, principal, settings, ranking, need_id, role or None)


@router.post("/coordinator/needs/{need_id}/invitations")
async def invite(
    request: Request,
    need_id: ResourceId,
    db: DbSession,
    principal: CoordinatorPage,
    settings: AppSettings,
) -> Response:
    """Invite one candidate to one role (``signups.invite``, as ``POST .../invitations``)."""
    form = await request.form()
    invitation = signups.invite(
        db,
        principal=principal,
        need_id=need_id,
        data=InvitationCreate.model_validate(
            {"member_id": form.get("member_id", ""), "role": form.get("role", "")}
        ),
        now=utcnow(),
        ttl_hours=settings.invitation_ttl_hours,
    )
    return redirect(
        request,
        f"/coordinator/needs/{need_id}",
        flash=f"{invitation.member_name} is invited as {invitation.role}.",
    )


def _team(
    db: DbSession,
    principal: Principal,
    settings: AppSettings,
    ranking: Rankings,
    need_id: str,
    *,
    commit: bool,
    standby: bool = False,
    keep_asking: bool = False,
) -> TeamProposal:
    """The need's team, proposed (or sent as invitations: ``commit``, with one more member
    on standby: ``standby``, asking again for places given back: ``keep_asking``) as the
    API does."""
    return assignment.propose_team(
        db,
        principal=principal,
        need_id=need_id,
        commit=commit,
        now=utcnow(),
        ranking=ranking,
        invitation_ttl_hours=settings.invitation_ttl_hours,
        standby=standby,
        keep_asking=keep_asking,
    )


@router.post("/coordinator/needs/{need_id}/team")
def propose_team(
    request: Request,
    need_id: ResourceId,
    db: DbSession,
    principal: CoordinatorPage,
    settings: AppSettings,
    ranking: Rankings,
) -> Response:
    """The team ``assignment.propose_team`` would invite, shown on the need's page."""
    proposal = _team(db, principal, settings, ranking, need_id, commit=False)
    names = {place.member_id: place.name for place in proposal.proposal}
    return _need_page(
        request, db, principal, settings, ranking, need_id, None, proposal=proposal, names=names
    )


@router.post("/coordinator/needs/{need_id}/team/invitations")
async def send_team(
    request: Request,
    need_id: ResourceId,
    db: DbSession,
    principal: CoordinatorPage,
    settings: AppSettings,
    ranking: Rankings,
) -> Response:
    """Propose the team again and send it as invitations, all or none (``commit=True``); a
    new member's waits for their mentor's to be accepted, and the message says so, as it
    says who was asked on standby when the box was ticked, and that it keeps asking."""
    form = await request.form()
    keep_asking = form.get("keep_asking") == "yes"
    sent = _team(
        db,
        principal,
        settings,
        ranking,
        need_id,
        commit=True,
        standby=form.get("standby") == "yes",
        keep_asking=keep_asking,
    )
    invitations = sent.invitations or []
    waiting = sum(invitation.status == "waiting" for invitation in invitations)
    count = len(invitations) - waiting
    flash = f"{count} invitation{'s' if count != 1 else ''} sent."
    if waiting:
        flash += f" {waiting} wait{'s' if waiting == 1 else ''} for a mentor to accept."
    for extra in sent.standby_invitations or []:
        flash += f" {extra.member_name} is asked on standby."
    if keep_asking:
        flash += " When someone says no or does not answer, the next member is asked."
    return redirect(request, f"/coordinator/needs/{need_id}", flash=flash)


def _week_start(text: str, zone: ZoneInfo) -> tuple[date, dict[str, str]]:
    problems: dict[str, str] = {}
    return _day(text, "start", problems) or datetime.now(zone).date(), problems


@router.get("/coordinator/week")
def week(
    request: Request,
    db: DbSession,
    principal: CoordinatorPage,
    start: str = "",
    community: str = "",
) -> Response:
    """The community's needs (any status) for seven days from ``start``, day by day."""
    managed = _managed(db, principal)
    chosen = _chosen(managed, community)
    zone = _zone(chosen)
    first, problems = _week_start(start, zone)
    begin = _midnight(first, zone)
    week_of = NeedFilter(starts_from=begin, starts_before=begin + timedelta(days=DAYS_IN_WEEK))
    shown = _first(
        _listed_needs(db, principal, week_of),
        keep=lambda need: chosen is not None and need.community_id == chosen.id,
    )
    days = [first + timedelta(days=offset) for offset in range(DAYS_IN_WEEK)]
    by_day: dict[date, list[NeedOut]] = {day: [] for day in days}
    for need in shown:
        by_day.setdefault(need.starts_at.astimezone(zone).date(), []).append(need)
    return render(
        request,
        "coordinator/week.html",
        {
            **_communities(managed, chosen),
            "days": days,
            "by_day": by_day,
            "zone": zone,
            "previous": (first - timedelta(days=DAYS_IN_WEEK)).isoformat(),
            "next": (first + timedelta(days=DAYS_IN_WEEK)).isoformat(),
            "values": {"start": first.isoformat(), "community": chosen.id if chosen else ""},
            "errors": FormErrors(fields=problems),
        },
    )


@router.get("/coordinator/load")
def load(
    request: Request,
    db: DbSession,
    principal: CoordinatorPage,
    community: str = "",
) -> Response:
    """Who carries the community's load in the next four weeks, and who has not been asked."""
    managed = _managed(db, principal)
    chosen = _chosen(managed, community)
    report = (
        communities.load(
            db, principal=principal, community_id=chosen.id, start=None, end=None, now=utcnow()
        )
        if chosen
        else None
    )
    return render(
        request,
        "coordinator/load.html",
        {
            **_communities(managed, chosen),
            "zone": _zone(chosen),
            "report": report,
            "asked": [m for m in report.members if m.confirmed or m.invited] if report else [],
            "unasked": [m for m in report.members if not (m.confirmed or m.invited)]
            if report
            else [],
            "values": {"community": chosen.id if chosen else ""},
        },
    )


@router.get("/coordinator/health")
def health(
    request: Request,
    db: DbSession,
    principal: CoordinatorPage,
    community: str = "",
) -> Response:
    """The community's members by stage, and its service over the last 90 days."""
    managed = _managed(db, principal)
    chosen = _chosen(managed, community)
    figures = (
        communities.health(db, principal=principal, community_id=chosen.id, now=utcnow())
        if chosen
        else None
    )
    return render(
        request,
        "coordinator/health.html",
        {
            **_communities(managed, chosen),
            "zone": _zone(chosen),
            "health": figures,
            "values": {"community": chosen.id if chosen else ""},
        },
    )
