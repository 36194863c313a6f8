"""Cross-site request forgery: every write from a page carries a token only our pages know.

Double submit, signed: the browser holds a random nonce in an HttpOnly, SameSite=Strict
cookie, and every form (or htmx request, as the ``X-CSRF-Token`` header) sends the HMAC of
that nonce under the server's secret. Another site can neither read the cookie nor compute
the HMAC, and a cookie planted from elsewhere is useless without it. Every unsafe request to
a page route is checked (:func:`check`, a dependency of every page router), so no form can
forget it; a missing or wrong token is a 403 page.
"""

import hashlib
import hmac
import secrets

from fastapi import Request, Response

from api.errors import Forbidden

COOKIE = "servematch_csrf"
FIELD = "csrf_token"
"""The hidden form field carrying the token (``forms.html``'s ``csrf()`` macro writes it)."""
HEADER = "X-CSRF-Token"
"""The header htmx sends it in (``base.html`` sets it on ``<body hx-headers>``)."""
NEW_NONCE_STATE = "servematch_csrf_nonce"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


class CsrfRefused(Forbidden):
    """A write without our token: shown as a 403 page, nothing done."""

    code = "csrf_refused"


def _sign(request: Request, nonce: str) -> str:
    secret: bytes = request.app.state.web_secret
    return hmac.new(secret, nonce.encode(), hashlib.sha256).hexdigest()


def token(request: Request) -> str:
    """The token for this browser's forms, making its nonce if it has none yet."""
    nonce = request.cookies.get(COOKIE) or getattr(request.state, NEW_NONCE_STATE, None)
    if nonce is None:
        nonce = secrets.token_urlsafe(32)
        setattr(request.state, NEW_NONCE_STATE, nonce)
    return _sign(request, nonce)


def remember(request: Request, response: Response) -> None:
    """Set the nonce cookie on ``response`` if :func:`token` made one for this request."""
    nonce = getattr(request.state, NEW_NONCE_STATE, None)
    if nonce is not None:
        response.set_cookie(
            COOKIE, nonce, httponly=True, samesite="strict", secure=request.url.scheme == "https"
        )


async def check(request: Request) -> None:
    """Refuse an unsafe request whose token is missing or does not match the nonce cookie."""
    if request.method in SAFE_METHODS:
        return
    nonce = request.cookies.get(COOKIE)
    sent = request.headers.get(HEADER)
    if sent is None and request.headers.get("content-type", "").startswith(
        ("application/x-www-form-urlencoded", "multipart/form-data")
    ):
        field = (await request.form()).get(FIELD)
        sent = field if isinstance(field, str) else None
    if nonce is None or sent is None or not hmac.compare_digest(sent, _sign(request, nonce)):
        raise CsrfRefused("this form has expired or did not come from ServeMatch: reload the page")
