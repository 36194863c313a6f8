"""HTTP routes for maps: GeoJSON (RFC 7946) served as ``application/geo+json``.

``/v1/needs.geojson`` takes exactly the query of ``GET /v1/needs`` (its definitions are
imported, not copied) so a map and the list it draws never disagree.
"""

from typing import Annotated, Any, get_args
from urllib.parse import urlencode

from fastapi import APIRouter, Query, Request, Response
from fastapi.responses import JSONResponse

from api.deps import AppSettings, CurrentPrincipal, DbSession, Manager
from api.errors import (
    API_ERRORS,
    FieldError,
    Forbidden,
    NotFound,
    ServeMatchError,
    Unauthorized,
    responses,
)
from api.maps import service
from api.maps.schemas import CommunityMap, NeedFeatureCollection
from api.needs.schemas import (
    CategoryFilter,
    Near,
    NeedFilter,
    RadiusKm,
    StartsBefore,
    StartsFrom,
)
from api.schemas import Cursor, Limit, ResourceId
from api.vocabulary import NeedStatus

router = APIRouter(tags=["maps"])


class GeoJSONResponse(JSONResponse):
    """JSON labelled as GeoJSON (RFC 7946 §12), so map tools open it as a layer."""

    media_type = "application/geo+json"


def json_errors(*errors: type[ServeMatchError]) -> dict[int | str, dict[str, Any]]:
    """``responses(...)`` for a route whose success is not JSON, app-wide errors included.

    FastAPI documents every ``model`` response under the route's media type, which would
    claim errors leave as ``application/geo+json``; they leave as ``application/json`` (the
    error handlers), so each is given as explicit content referring to its body's schema
    (registered by the other routes). Declared per route, they replace the app-wide
    ``API_ERRORS`` of the same statuses that ``include_router`` would add with ``model``.
    """
    documented: dict[int | str, dict[str, Any]] = {}
    for status_code, response in (API_ERRORS | responses(*errors)).items():
        models = get_args(response["model"]) or (response["model"],)
        refs = [{"$ref": f"#/components/schemas/{model.__name__}"} for model in models]
        schema = refs[0] if len(refs) == 1 else {"anyOf": refs}
        documented[status_code] = {
            "description": response["description"],
            "content": {"application/json": {"schema": schema}},
        }
    return documented


LINK_MAX_CHARS = 2048
NEXT_LINK = {
    "description": "RFC 8288 link to the next page, when there is one: this path, the same "
    "filters and the new cursor.",
    "required": False,
    "schema": {"type": "string", "maxLength": LINK_MAX_CHARS, "pattern": '^<[^>]+>; rel="next"$'},
}


def _next_link(request: Request, **query: str | float | None) -> str:
    """An RFC 8288 ``Link`` to the next page. Relative, so it stays right behind a proxy that
    rewrites the host; built from the values as read (not the query as sent, which may pad
    a number with any number of zeros), so it is never longer than ``LINK_MAX_CHARS``."""
    given = urlencode({name: value for name, value in query.items() if value is not None})
    return f'<{request.url.path}?{given}>; rel="next"'


@router.get(
    "/v1/needs.geojson",
    response_class=GeoJSONResponse,
    responses={**json_errors(Unauthorized, FieldError), 200: {"headers": {"Link": NEXT_LINK}}},
)
def needs_geojson(
    request: Request,
    response: Response,
    session: DbSession,
    principal: CurrentPrincipal,
    status: NeedStatus | None = None,
    near: Near = None,
    radius_km: RadiusKm = None,
    category: CategoryFilter = None,
    from_: StartsFrom = None,
    to: StartsBefore = None,
    limit: Limit = 50,
    cursor: Cursor = None,
) -> NeedFeatureCollection:
    """``GET /v1/needs`` as a FeatureCollection of points; private places the caller is not
    entitled to are at their coarse point, marked ``approximate``."""
    collection = service.need_features(
        session,
        principal=principal,
        filters=NeedFilter.from_query(
            status, near, radius_km, category=category, starts_from=from_, starts_before=to
        ),
        limit=limit,
        cursor=cursor,
    )
    if collection.next_cursor is not None:
        response.headers["Link"] = _next_link(
            request,
            status=status,
            near=near,
            radius_km=radius_km,
            category=category,
            **{"from": from_.isoformat() if from_ else None},
            to=to.isoformat() if to else None,
            limit=limit,
            cursor=collection.next_cursor,
        )
    return collection


@router.get(
    "/v1/communities/{community_id}/map.geojson",
    response_class=GeoJSONResponse,
    responses=json_errors(Unauthorized, Forbidden, NotFound, FieldError),
)
def community_map(
    community_id: ResourceId,
    session: DbSession,
    principal: Manager,
    settings: AppSettings,
    names: Annotated[
        bool, Query(description="Label members with their name and id (default: anonymous).")
    ] = False,
) -> CommunityMap:
    """The community's meeting point, open needs and members, all coarse: an export to share
    (admins, and the community's coordinators). Never an exact home."""
    return service.community_map(
        session,
        principal=principal,
        community_id=community_id,
        names=names,
        cell_km=settings.location_coarsening_km,
    )
