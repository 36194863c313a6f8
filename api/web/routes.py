"""The web app's own routes — sign in at ``/``, sign out — and :func:`install`, which adds the
pages, their static files and the offline API docs to the service.

Role pages live in a module per role (``coordinator.py``, ``member.py``, ``agency.py``), each
with its own :func:`~api.web.pages.page_router`; add a page there (see docs/architecture.md).
"""

import secrets
from typing import Annotated

from fastapi import FastAPI, Form, Request, Response
from fastapi.staticfiles import StaticFiles

from api.auth.principal import sign_in as resolve_key
from api.deps import DbSession
from api.errors import Unauthorized
from api.settings import Settings
from api.web import agency, api_docs, coordinator, grow, member, session
from api.web.forms import FormErrors, FormInvalid
from api.web.pages import (
    FOLDER,
    flashes_for,
    home_of,
    install_error_pages,
    page_router,
    redirect,
    render,
)

router = page_router()

SIGN_IN = "sign_in.html"
NO_KEY = "Enter your key: it starts with sm_."
WRONG_KEY = "That key is unknown, revoked or expired: check it and try again."


@router.get("/")
def sign_in_page(request: Request, db: DbSession) -> Response:
    """The sign-in form; a browser already signed in goes on to its home."""
    try:
        principal = session.signed_in(request, db)
    except session.SignInRequired:
        response = render(request, SIGN_IN)
        if session.COOKIE in request.cookies:  # a session that ended: forget it
            session.end(request, response)
        return response
    return redirect(request, home_of(principal.role))


@router.post("/")
def sign_in(request: Request, db: DbSession, key: Annotated[str, Form()] = "") -> Response:
    """Check the key as the API would; a live one signs the browser in (as the key's id)."""
    if not key.strip():
        raise FormInvalid(SIGN_IN, {}, FormErrors(fields={"key": NO_KEY}), status_code=422)
    try:
        signed = resolve_key(request, db, key.strip())
    except Unauthorized as error:
        errors = FormErrors(fields={"key": WRONG_KEY})
        raise FormInvalid(SIGN_IN, {}, errors, status_code=error.status_code) from error
    response = redirect(request, home_of(signed.principal.role))
    session.start(request, response, key_id=signed.key_id)
    return response


@router.post("/sign-out")
def sign_out(request: Request) -> Response:
    """End the browser's session (the key itself stays valid for the API)."""
    response = redirect(request, "/", flash="You are signed out.")
    session.end(request, response)
    return response


def install(app: FastAPI, settings: Settings) -> None:
    """Serve the pages, their static files and the API docs from ``app``, and answer a page's
    failures (5xx) with pages: call it after the app's error handlers are installed.

    Without ``SERVEMATCH_SESSION_SECRET`` a secret is made here, so sessions last as long as
    the process (``servematch serve`` makes one for all its workers).
    """
    secret = (
        settings.session_secret.get_secret_value()
        if settings.session_secret is not None
        else secrets.token_urlsafe(32)
    )
    app.state.web_secret = secret.encode()
    app.state.web_sessions = session.sessions_for(secret)
    app.state.web_flashes = flashes_for(app.state.web_secret)
    app.mount("/static", StaticFiles(directory=FOLDER / "static"), name="static")
    install_error_pages(app)
    for pages in (
        router,
        coordinator.router,
        grow.router,
        member.router,
        agency.router,
        api_docs.router,
    ):
        app.include_router(pages)
