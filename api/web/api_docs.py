"""The API's own pages, ``/docs`` (Swagger UI) and ``/redoc``, from the package's vendored
copies: FastAPI's defaults load them (and a favicon) from other hosts, so they were blank
offline."""

from fastapi import Request
from fastapi.openapi.docs import get_redoc_html, get_swagger_ui_html
from fastapi.responses import HTMLResponse

from api.settings import Settings
from api.web.pages import content_security_policy, page_router

router = page_router()

VENDOR = "/static/vendor"
FAVICON = f"{VENDOR}/swagger-ui/favicon-32x32.png"


def _openapi_url(request: Request) -> str:
    url: str = request.app.openapi_url
    return url


def _offline(request: Request, page: HTMLResponse) -> HTMLResponse:
    # The policy also keeps ReDoc's "by Redocly" logo, hard-wired to its CDN, from loading.
    settings: Settings = request.app.state.settings
    page.headers["Content-Security-Policy"] = content_security_policy(settings, inline_scripts=True)
    return page


@router.get("/docs")
def swagger_ui(request: Request) -> HTMLResponse:
    """Try the API in the browser (Swagger UI)."""
    return _offline(
        request,
        get_swagger_ui_html(
            openapi_url=_openapi_url(request),
            title=f"{request.app.title} — API",
            swagger_js_url=f"{VENDOR}/swagger-ui/swagger-ui-bundle.js",
            swagger_css_url=f"{VENDOR}/swagger-ui/swagger-ui.css",
            swagger_favicon_url=FAVICON,
        ),
    )


@router.get("/redoc")
def redoc(request: Request) -> HTMLResponse:
    """Read the API's reference (ReDoc)."""
    return _offline(
        request,
        get_redoc_html(
            openapi_url=_openapi_url(request),
            title=f"{request.app.title} — API reference",
            redoc_js_url=f"{VENDOR}/redoc/redoc.standalone.js",
            redoc_favicon_url=FAVICON,
            with_google_fonts=False,
        ),
    )
