"""Signing in with a key: a signed, expiring, HttpOnly cookie that holds the key's *id*.

The key itself never leaves the sign-in form. Each request resolves the id through the same
path as a bearer key (:func:`api.auth.principal.authenticate_key_id`: the principal cache,
the rate limits, last use), so revoking or rotating the key ends its sessions, and a page
acts as exactly the principal the API would.
"""

from typing import Annotated

from fastapi import Depends, Request, Response
from itsdangerous import BadSignature, URLSafeTimedSerializer

from api.auth.principal import Principal, authenticate_key_id
from api.deps import DbSession, require_roles
from api.errors import Unauthorized
from api.ratelimit import RateLimits, client_address
from api.settings import Settings

COOKIE = "servematch_session"
PRINCIPAL_STATE = "servematch_page_principal"
"""Where the signed-in principal waits (``request.state``) for the page layout's menu."""


class SignInRequired(Unauthorized):
    """No session, or one that ended (expired, bad signature, its key revoked): sign in."""


def _serializer(request: Request) -> URLSafeTimedSerializer:
    serializer: URLSafeTimedSerializer = request.app.state.web_sessions
    return serializer


def sessions_for(secret: str) -> URLSafeTimedSerializer:
    """The signer of session cookies (salted apart from any other use of the secret)."""
    return URLSafeTimedSerializer(secret, salt="servematch.web.session")


def _max_age_s(request: Request) -> int:
    settings: Settings = request.app.state.settings
    return round(settings.session_hours * 3600)


def start(request: Request, response: Response, *, key_id: str) -> None:
    """Sign the browser in as the key ``key_id``: the cookie ``response`` sets."""
    response.set_cookie(
        COOKIE,
        _serializer(request).dumps(key_id),
        max_age=_max_age_s(request),
        httponly=True,
        samesite="strict",
        secure=request.url.scheme == "https",
    )


def end(request: Request, response: Response) -> None:
    """Sign the browser out: the cookie is cleared (its key stays valid for the API)."""
    response.delete_cookie(
        COOKIE, httponly=True, samesite="strict", secure=request.url.scheme == "https"
    )


def _key_id(request: Request) -> str:
    cookie = request.cookies.get(COOKIE)
    if cookie is None:
        raise SignInRequired("sign in with your key")
    try:
        key_id: str = _serializer(request).loads(cookie, max_age=_max_age_s(request))
    except BadSignature as error:
        # A cookie we did not sign (or one past its time) counts like a wrong key, since the
        # rate-limit middleware let it through uncharged.
        limits: RateLimits = request.app.state.rate_limits
        raise limits.fail(client_address(request.scope), SignInRequired("sign in again")) from error
    return key_id


def signed_in(request: Request, session: DbSession) -> Principal:
    """The principal of the browser's session (401 as :class:`SignInRequired` otherwise)."""
    try:
        principal = authenticate_key_id(request, session, _key_id(request))
    except SignInRequired:
        raise
    except Unauthorized as error:
        raise SignInRequired("your key was revoked or expired: sign in again") from error
    setattr(request.state, PRINCIPAL_STATE, principal)
    return principal


SignedIn = Annotated[Principal, Depends(signed_in)]


CoordinatorPage = Annotated[
    Principal, Depends(require_roles("admin", "coordinator", caller=signed_in))
]
"""Coordinators' pages: admins see them too (over every community)."""
MemberPage = Annotated[Principal, Depends(require_roles("member", caller=signed_in))]
AgencyPage = Annotated[Principal, Depends(require_roles("agency", caller=signed_in))]
