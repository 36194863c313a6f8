"""Typed dependency aliases, defined once: ``DbSession``, ``CurrentPrincipal``, ``AppSettings``,
and the role gates ``Admin``, ``Manager``, ``NeedPoster`` and ``CommunityPerson``.

The request owns the transaction: the session commits after the route returns and before the
response is sent (``scope="function"``), and rolls back on any error, so a response never
confirms a write that was not committed. The one exception is an error that is itself a
change of state (``ServeMatchError.keeps_writes``: a standby told the place is taken).
"""

from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from api.auth.principal import Principal, authenticate, is_cached
from api.db.engine import WRITE_OPTION
from api.errors import Forbidden, ServeMatchError
from api.settings import Settings
from api.vocabulary import Role
from geo.geocoding import Geocoder

READ_ONLY_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


async def get_db_session(request: Request) -> AsyncIterator[Session]:
    """One session and transaction per request.

    Async so that only the steps that touch the database leave the event loop: each hop to
    a worker thread waits for the GIL behind whatever request is computing (up to the 5 ms
    switch interval), so a read request makes one hop for its route and one to commit.
    """
    session: Session = request.app.state.sessionmaker()
    try:
        if request.method not in READ_ONLY_METHODS:
            await run_in_threadpool(session.connection, execution_options={WRITE_OPTION: True})
        yield session
        await run_in_threadpool(_commit_and_close, session)
    except BaseException as error:
        finish = _commit_and_close if _keeps_writes(error) else _roll_back_and_close
        await run_in_threadpool(finish, session)
        raise


def _keeps_writes(error: BaseException) -> bool:
    """A refusal that is itself a change of state (``ServeMatchError.keeps_writes``), raised
    as it is or wrapped by a page that shows it next to a form."""
    return any(
        isinstance(each, ServeMatchError) and each.keeps_writes for each in (error, error.__cause__)
    )


def _commit_and_close(session: Session) -> None:
    try:
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


def _roll_back_and_close(session: Session) -> None:
    try:
        session.rollback()
    finally:
        session.close()


async def get_settings(request: Request) -> Settings:
    """The settings the app was built with (tests build apps with their own)."""
    settings: Settings = request.app.state.settings
    return settings


async def get_geocoder(request: Request) -> Geocoder:
    """The process's geocoder for ``address`` inputs (one, so its rate limit holds)."""
    geocoder: Geocoder = request.app.state.geocoder
    return geocoder


DbSession = Annotated[Session, Depends(get_db_session, scope="function")]
AppSettings = Annotated[Settings, Depends(get_settings)]
AppGeocoder = Annotated[Geocoder, Depends(get_geocoder)]


BEARER = HTTPBearer(
    auto_error=False,
    scheme_name="ApiKey",
    description="An API key: `Authorization: Bearer sm_…` (shown once when issued).",
)
"""Declares the key in OpenAPI; the checking itself is ``authenticate``'s (401, not 403)."""


async def get_principal(
    request: Request,
    session: DbSession,
    _key: Annotated[HTTPAuthorizationCredentials | None, Depends(BEARER)],
) -> Principal:
    """The authenticated caller of this request; a cached key costs no thread hop."""
    if is_cached(request):
        return authenticate(request, session)
    return await run_in_threadpool(authenticate, request, session)


CurrentPrincipal = Annotated[Principal, Depends(get_principal)]


def require_roles(
    *allowed: Role, caller: Callable[..., Awaitable[Principal] | Principal] = get_principal
) -> Callable[[Principal], Awaitable[Principal]]:
    """A dependency passing the caller through if their role is one of ``allowed``; others get
    403 (the route exists, not for them). ``caller`` says who is calling: the bearer key's
    principal, or a signed-in browser's (``api.web.session``)."""

    async def gate(principal: Annotated[Principal, Depends(caller)]) -> Principal:
        if principal.role not in allowed:
            names = ", ".join(allowed)
            raise Forbidden(f"role '{principal.role}' may not do this; allowed: {names}")
        return principal

    return gate


Admin = Annotated[Principal, Depends(require_roles("admin"))]
Manager = Annotated[Principal, Depends(require_roles("admin", "coordinator"))]
NeedPoster = Annotated[Principal, Depends(require_roles("admin", "coordinator", "agency"))]
CommunityPerson = Annotated[Principal, Depends(require_roles("admin", "coordinator", "member"))]
"""Anyone but an agency: agencies never read members or communities, nor sign anyone up."""
