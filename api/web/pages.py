"""What every page shares: the templates, :func:`render`, redirects with a flash message, the
menu per role, and :func:`page_router` — the router every page module builds its routes on.

A page router's routes answer in HTML whatever happens: a service error is an error page with
its status (404 stays 404), an input error the form again (:mod:`api.web.forms`), an ended
session a redirect to sign in. They are left out of the OpenAPI contract, and every unsafe
request to them must carry the CSRF token (:mod:`api.web.csrf`).
"""

import inspect
from collections.abc import Awaitable, Callable, Coroutine
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import jinja2
from fastapi import APIRouter, Depends, FastAPI, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, RedirectResponse
from fastapi.routing import APIRoute
from fastapi.templating import Jinja2Templates
from itsdangerous import BadSignature, URLSafeTimedSerializer

from api.auth.principal import Principal
from api.errors import (
    FieldError,
    InternalError,
    RateLimited,
    ServeMatchError,
    ServiceUnavailable,
)
from api.needs.schemas import NeedOut
from api.settings import Settings
from api.vocabulary import Role
from api.web import csrf, session
from api.web.forms import FormErrors, FormInvalid, errors_of
from api.web.times import day, hours, month, span, when
from matcher.explain import is_distance_reason

FOLDER = Path(__file__).parent
FLASH_COOKIE = "servematch_flash"
FLASH_MAX_AGE_S = 60

COORDINATOR_MENU = (
    ("Needs", "/coordinator"),
    ("New need", "/coordinator/needs/new"),
    ("Week", "/coordinator/week"),
    ("Load", "/coordinator/load"),
    ("Health", "/coordinator/health"),
    ("Grow", "/coordinator/grow"),
    ("Lineage", "/coordinator/lineage"),
)
MENU: dict[Role, tuple[tuple[str, str], ...]] = {
    "admin": COORDINATOR_MENU,
    "coordinator": COORDINATOR_MENU,
    "member": (
        ("Suggestions", "/member"),
        ("Invitations", "/member/invitations"),
        ("My commitments", "/member/commitments"),
        ("My profile", "/member/profile"),
        ("My community", "/member/community"),
    ),
    "agency": (("Requests", "/agency"), ("New request", "/agency/requests/new")),
}
"""Each role's menu (label, path); the first entry is the role's home, where sign-in lands."""


def content_security_policy(settings: Settings, *, inline_scripts: bool = False) -> str:
    """What a page may load: its own files, and map tiles from the configured tile server
    (styles may be inline: Leaflet and htmx set some). ``inline_scripts`` is for the API
    docs, whose pages FastAPI writes with an inline script."""
    tiles = urlsplit(settings.map_tile_url)
    tile_origin = f"{tiles.scheme}://{tiles.netloc}" if tiles.netloc else ""
    scripts = "'self' 'unsafe-inline'" if inline_scripts else "'self'"
    return (
        f"default-src 'self'; script-src {scripts}; style-src 'self' 'unsafe-inline'; "
        f"img-src 'self' data: {tile_origin}; worker-src 'self' blob:; connect-src 'self'; "
        "base-uri 'self'; form-action 'self'; frame-ancestors 'none'"
    ).replace("  ", " ")


def home_of(role: Role) -> str:
    """Where a role lands after signing in."""
    return MENU[role][0][1]


def places(need: NeedOut) -> str:
    """A need's fill as its places taken over its places: ``2 / 3``."""
    return f"{sum(role.filled for role in need.roles)} / {sum(role.count for role in need.roles)}"


def _environment() -> jinja2.Environment:
    environment = jinja2.Environment(
        loader=jinja2.FileSystemLoader(FOLDER / "templates"),
        autoescape=True,  # every template, whatever its name
        undefined=jinja2.StrictUndefined,  # a misspelt name fails the test, not the page
        trim_blocks=True,
        lstrip_blocks=True,
    )
    environment.filters.update(
        when=when, span=span, day=day, hours=hours, month=month, places=places
    )
    # `reason is not distance`: a card that shows the distance leaves its reason out.
    environment.tests.update(distance=is_distance_reason)
    return environment


TEMPLATES = Jinja2Templates(env=_environment())


def flashes_for(secret: bytes) -> URLSafeTimedSerializer:
    """The signer of flash messages (a page cannot be made to say what we did not)."""
    return URLSafeTimedSerializer(secret, salt="servematch.web.flash")


def _take_flash(request: Request) -> str | None:
    cookie = request.cookies.get(FLASH_COOKIE)
    if cookie is None:
        return None
    signer: URLSafeTimedSerializer = request.app.state.web_flashes
    try:
        message: str = signer.loads(cookie, max_age=FLASH_MAX_AGE_S)
    except BadSignature:
        return None
    return message


def render(
    request: Request,
    template: str,
    context: dict[str, Any] | None = None,
    *,
    status_code: int = 200,
    headers: dict[str, str] | None = None,
) -> HTMLResponse:
    """``template`` filled with ``context`` and what the layout needs: the signed-in principal
    and their menu, the CSRF token, a flash message, form errors and values (none by default).
    """
    principal: Principal | None = getattr(request.state, session.PRINCIPAL_STATE, None)
    flash = _take_flash(request)
    settings: Settings = request.app.state.settings
    headers = {"Content-Security-Policy": content_security_policy(settings), **(headers or {})}
    response = TEMPLATES.TemplateResponse(
        request,
        template,
        {
            "principal": principal,
            "menu": MENU[principal.role] if principal else (),
            "csrf_token": csrf.token(request),
            "flash": flash,
            "errors": FormErrors(),
            "values": {},
            **(context or {}),
        },
        status_code=status_code,
        headers=headers,
    )
    csrf.remember(request, response)
    if flash is not None:
        response.delete_cookie(FLASH_COOKIE)
    return response


def redirect(request: Request, path: str, *, flash: str | None = None) -> RedirectResponse:
    """See other (303): after a POST, the browser GETs ``path``, which shows ``flash`` once."""
    response = RedirectResponse(path, status_code=303)
    if flash is not None:
        signer: URLSafeTimedSerializer = request.app.state.web_flashes
        response.set_cookie(
            FLASH_COOKIE,
            signer.dumps(flash),
            max_age=FLASH_MAX_AGE_S,
            httponly=True,
            samesite="strict",
            secure=request.url.scheme == "https",
        )
    return response


def _error_page(request: Request, error: ServeMatchError) -> Response:
    headers = error.headers if isinstance(error, RateLimited) else None
    return render(
        request, "error.html", {"error": error}, status_code=error.status_code, headers=headers
    )


class PageRoute(APIRoute):
    """A route answering in HTML: errors become pages, an ended session a sign-in."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        """The route's handler, with its errors turned into pages."""
        handle = super().get_route_handler()

        async def page(request: Request) -> Response:
            try:
                return await handle(request)
            except FormInvalid as invalid:
                return render(
                    request,
                    invalid.template,
                    {**invalid.context, "errors": invalid.errors},
                    status_code=invalid.status_code,
                )
            except session.SignInRequired as error:
                # Only a session that ended is worth a word; a first visit just signs in.
                had_session = session.COOKIE in request.cookies
                response = redirect(request, "/", flash=error.message if had_session else None)
                session.end(request, response)
                return response
            except ServeMatchError as error:
                return _error_page(request, error)
            except RequestValidationError as error:
                # A malformed address or form (no page makes one): say what, on a page.
                problems = errors_of(error)
                message = "; ".join([*problems.form, *problems.fields.values()])
                return _error_page(request, FieldError((), message))

        return page


UNAVAILABLE = "ServeMatch cannot reach its records just now. Try again in a few seconds."
UNEXPECTED = "Something went wrong on our side (it is logged for us). Please try again."

Handler = Callable[[Request, Exception], Response | Awaitable[Response]]


def _or_page(api_handler: Handler) -> Handler:
    """``api_handler`` for API routes; for a page, its status as an HTML page when it is a
    failure (5xx): the API's handler still runs, so it logs and picks the status and any
    Retry-After, but a browser never gets JSON, nor any detail of what broke."""

    async def handle(request: Request, error: Exception) -> Response:
        answer = api_handler(request, error)
        if inspect.isawaitable(answer):
            answer = await answer
        if answer.status_code < 500 or not isinstance(request.scope.get("route"), PageRoute):
            return answer
        failure = (
            ServiceUnavailable(UNAVAILABLE)
            if answer.status_code == 503
            else InternalError(UNEXPECTED)
        )
        retry = answer.headers.get("retry-after")
        return render(
            request,
            "error.html",
            {"error": failure},
            status_code=answer.status_code,
            headers={"Retry-After": retry} if retry else None,
        )

    return handle


def install_error_pages(app: FastAPI) -> None:
    """Answer pages with HTML when they fail past their route's own handling (the database
    out of reach, an unexpected error, a commit that fails): wraps every handler the app has
    (``api.errors.install_error_handlers``, so install the pages after it)."""
    for error_type, api_handler in list(app.exception_handlers.items()):
        app.add_exception_handler(error_type, _or_page(api_handler))


def page_router() -> APIRouter:
    """A router for pages: HTML answers, no OpenAPI entry, CSRF checked on every write."""
    return APIRouter(
        route_class=PageRoute,
        include_in_schema=False,
        default_response_class=HTMLResponse,
        dependencies=[Depends(csrf.check)],
    )
