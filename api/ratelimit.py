"""Rate limits: a token bucket per API key, and one per client address for calls without a key.

Why a hand-written bucket rather than the ``limits`` library: its strategies are windows
(fixed, moving, sliding counter), so a burst allowance on top of a per-minute rate would take
two limits and two lookups per request; a token bucket is that pair in one number and a dozen
lines. Buckets live in this process: with N workers a client may get up to N times the limit
(each worker refills its own bucket), which the README states instead of dividing the limit
by N (a client on one keep-alive connection only ever reaches one worker).

The per-address bucket is spent by requests that carry no bearer key nor a browser's session
cookie (charged here, in the middleware) and by failed authentications, bad session cookies
included (charged in :mod:`api.auth.principal` and :mod:`api.web.session`), so keys cannot be
guessed quickly. Authenticated requests never spend it.
"""

import math
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from starlette.requests import cookie_parser
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.errors import ErrorBody, RateLimited
from api.settings import Settings

EXEMPT_PATHS = frozenset({"/healthz"})
"""Load balancers probe these; they never count against anyone."""
EXEMPT_PREFIX = "/static/"
"""The pages' stylesheets, scripts and images: files, served to anyone at no cost."""

QUOTA_STATE = "servematch_rate_quota"
"""Where a request's quota waits (``request.state``) for the middleware to add its headers."""


@dataclass(frozen=True, slots=True)
class Quota:
    """One bucket's answer: allowed or not, and what the ``RateLimit-*`` headers report."""

    allowed: bool
    limit: int
    remaining: int
    reset_s: int
    """Seconds until the bucket is full again."""
    retry_after_s: int
    """Seconds until the next request would be allowed (0 when it is now)."""

    def headers(self) -> dict[str, str]:
        """``RateLimit-*`` headers (IETF httpapi draft), plus ``Retry-After`` when refused."""
        headers = {
            "RateLimit-Limit": str(self.limit),
            "RateLimit-Remaining": str(self.remaining),
            "RateLimit-Reset": str(self.reset_s),
        }
        if not self.allowed:
            headers["Retry-After"] = str(self.retry_after_s)
        return headers


class TokenBuckets:
    """Named token buckets holding up to ``burst`` tokens, refilled at ``per_minute``.

    Thread-safe (sync routes run on a thread pool). A bucket that has refilled to full is the
    same as no bucket, so full ones are dropped from time to time: memory follows the callers
    active in the last minute or so, not every address ever seen.
    """

    def __init__(
        self, *, per_minute: int, burst: int, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.per_minute = per_minute
        self.capacity = max(1, burst)
        self._rate_per_s = per_minute / 60
        self._clock = clock
        self._buckets: dict[str, tuple[float, float]] = {}  # name -> (tokens, as of)
        self._lock = threading.Lock()
        self._sweep_above = 1024

    @property
    def enabled(self) -> bool:
        """A rate of 0 turns the limit off."""
        return self.per_minute > 0

    def take(self, name: str) -> Quota:
        """Spend one token from ``name``'s bucket if it has one."""
        return self._use(name, spend=True)

    def peek(self, name: str) -> Quota:
        """Whether ``name`` could spend a token now, without spending it."""
        return self._use(name, spend=False)

    def _use(self, name: str, *, spend: bool) -> Quota:
        now = self._clock()
        with self._lock:
            tokens, as_of = self._buckets.get(name, (self.capacity, now))
            tokens = min(self.capacity, tokens + (now - as_of) * self._rate_per_s)
            allowed = tokens >= 1
            if allowed and spend:
                tokens -= 1
            if spend or name in self._buckets:
                self._buckets[name] = (tokens, now)
            if len(self._buckets) > self._sweep_above:
                self._sweep(now)
        return Quota(
            allowed=allowed,
            limit=self.capacity,
            remaining=math.floor(tokens),
            reset_s=math.ceil((self.capacity - tokens) / self._rate_per_s),
            retry_after_s=0 if allowed else max(1, math.ceil((1 - tokens) / self._rate_per_s)),
        )

    def _sweep(self, now: float) -> None:
        full_after_s = self.capacity / self._rate_per_s
        self._buckets = {
            name: (tokens, as_of)
            for name, (tokens, as_of) in self._buckets.items()
            if now - as_of < full_after_s
        }
        self._sweep_above = max(1024, 2 * len(self._buckets))


class RateLimits:
    """The service's limits: per key, and per client address without a valid key."""

    def __init__(
        self,
        *,
        per_key_per_minute: int,
        per_key_burst: int,
        anonymous_per_minute: int,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.per_key = TokenBuckets(per_minute=per_key_per_minute, burst=per_key_burst, clock=clock)
        # A minute's worth of anonymous calls may come at once, then one every 60/N seconds.
        self.per_address = TokenBuckets(
            per_minute=anonymous_per_minute, burst=anonymous_per_minute, clock=clock
        )

    @classmethod
    def from_settings(cls, settings: Settings) -> "RateLimits":
        """The limits ``settings`` ask for."""
        return cls(
            per_key_per_minute=settings.rate_limit_per_minute,
            per_key_burst=settings.rate_limit_burst,
            anonymous_per_minute=settings.rate_limit_anonymous_per_minute,
        )

    def charge_key(self, key_id: str) -> Quota | None:
        """Spend from a key's bucket; raise 429 when it is empty. None when unlimited."""
        if not self.per_key.enabled:
            return None
        quota = self.per_key.take(key_id)
        if not quota.allowed:
            raise RateLimited(
                f"too many requests with this key; retry after {quota.retry_after_s} s",
                headers=quota.headers(),
            )
        return quota

    def charge_address(self, address: str) -> Quota | None:
        """Spend from an address's bucket (a call without a valid key). None when unlimited."""
        return self.per_address.take(address) if self.per_address.enabled else None

    def refuse_if_spent(self, address: str) -> None:
        """429 before even looking a key up, once an address has spent its failures."""
        if not self.per_address.enabled:
            return
        quota = self.per_address.peek(address)
        if not quota.allowed:
            raise _address_refused(quota)

    def fail(self, address: str, error: Exception) -> Exception:
        """The error for a failed authentication: ``error``, or 429 once the address is spent."""
        quota = self.charge_address(address)
        return error if quota is None or quota.allowed else _address_refused(quota)


def _address_refused(quota: Quota) -> RateLimited:
    return RateLimited(
        "too many requests without a valid key from this address; "
        f"retry after {quota.retry_after_s} s",
        headers=quota.headers(),
    )


def client_address(scope: Scope) -> str:
    """The caller's address as the server saw it (behind a proxy: see uvicorn's proxy headers)."""
    client = scope.get("client")
    return str(client[0]) if client else "unknown"


def bearer_token(header: str) -> str | None:
    """The key in an ``Authorization: Bearer …`` header, or None."""
    scheme, _, token = header.partition(" ")
    token = token.strip()
    return token if scheme.lower() == "bearer" and token else None


class RateLimitMiddleware:
    """Throttle calls without a key per address, and add ``RateLimit-*`` headers to answers."""

    def __init__(self, app: ASGIApp, *, limits: RateLimits, session_cookie: str) -> None:
        self.app = app
        self.limits = limits
        # A session cookie stands for a key, checked (and charged to the key) on use.
        self.session_cookie = session_cookie

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Refuse an address that has spent its anonymous calls; otherwise pass through."""
        path = scope.get("path", "")
        if scope["type"] != "http" or path in EXEMPT_PATHS or path.startswith(EXEMPT_PREFIX):
            await self.app(scope, receive, send)
            return
        state = scope.setdefault("state", {})
        headers = dict(scope["headers"])
        authorization = headers.get(b"authorization", b"").decode("latin-1")
        cookies = cookie_parser(headers.get(b"cookie", b"").decode("latin-1"))
        if bearer_token(authorization) is None and self.session_cookie not in cookies:
            quota = self.limits.charge_address(client_address(scope))
            if quota is not None and not quota.allowed:
                await _refuse(send, _address_refused(quota))
                return
            state[QUOTA_STATE] = quota

        async def send_with_quota(message: Message) -> None:
            quota = state.get(QUOTA_STATE)
            if message["type"] == "http.response.start" and quota is not None:
                present = {name.lower() for name, _ in message.get("headers", [])}
                extra = [
                    (name.lower().encode(), value.encode())
                    for name, value in quota.headers().items()
                    if name.lower().encode() not in present
                ]
                message = {**message, "headers": [*message.get("headers", []), *extra]}
            await send(message)

        await self.app(scope, receive, send_with_quota)


async def _refuse(send: Send, error: RateLimited) -> None:
    body = ErrorBody(detail=error.message, code=error.code).model_dump_json(exclude_none=True)
    headers = [(b"content-type", b"application/json")]
    headers += [(name.lower().encode(), value.encode()) for name, value in error.headers.items()]
    await send({"type": "http.response.start", "status": 429, "headers": headers})
    await send({"type": "http.response.body", "body": body.encode()})
