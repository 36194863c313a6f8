"""Domain errors, each carrying its HTTP status, and the handlers that render them.

Every error leaves as JSON ``{"detail": …, "code": …}``; validation errors keep FastAPI's
list of ``{loc, msg, type}`` (so the field is named) plus a one-line ``message`` for people.
Nothing ever answers with a stack trace.
"""

import logging
from typing import Annotated, Any, Union

from fastapi import FastAPI, Request
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from fastapi.routing import iter_route_contexts
from pydantic import BaseModel, Field, StringConstraints
from sqlalchemy.exc import OperationalError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import Match

from api import patterns
from api.text import Message, PlaceName
from geo.geocoding import MAX_CANDIDATES
from matcher import VIOLATION_CODES

logger = logging.getLogger("servematch")

RETRY_AFTER_S = "5"
"""Seconds a client is told to wait (``Retry-After``) while the database or geocoder is away."""


class ServeMatchError(Exception):
    """Base of every error a client may see."""

    status_code = 500
    code = "internal_error"
    keeps_writes = False
    """True for a refusal that is itself a change of state: the request commits what it wrote
    before raising it instead of rolling back (``api.deps``)."""

    def __init__(self, message: str, *, violations: list["Violation"] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.violations = violations


class InternalError(ServeMatchError):
    """An unexpected failure: logged on the server, never detailed to the client."""


class BadRequest(ServeMatchError):
    """The body could not be read at all (not JSON, or not UTF-8)."""

    status_code = 400
    code = "bad_request"


class Unauthorized(ServeMatchError):
    """No key, or a key we do not know (revoked, expired, mistyped)."""

    status_code = 401
    code = "unauthorized"


class Forbidden(ServeMatchError):
    """The caller is known but their role may not do this at all."""

    status_code = 403
    code = "forbidden"


class NotFound(ServeMatchError):
    """Missing, or not the caller's to see: the two are indistinguishable on purpose."""

    status_code = 404
    code = "not_found"


class Conflict(ServeMatchError):
    """The request clashes with the current state (duplicate, full, already done)."""

    status_code = 409
    code = "conflict"


class PlaceTaken(Conflict):
    """An invitation on standby was accepted after its place went to someone else: 409, and the
    invitation's ``superseded`` stands (the request commits it)."""

    keeps_writes = True


class PayloadTooLarge(ServeMatchError):
    """The body is above the configured bound."""

    status_code = 413
    code = "payload_too_large"


class NotEligible(ServeMatchError):
    """The member does not meet the need's requirements (check, skill level, radius, time)."""

    status_code = 422
    code = "not_eligible"


class ServiceUnavailable(ServeMatchError):
    """The database cannot be reached; the client may retry."""

    status_code = 503
    code = "service_unavailable"


class GeocoderUnavailable(ServiceUnavailable):
    """The address could not be looked up just now; retry, or give coordinates."""

    code = "geocoder_unavailable"


class FieldError(ServeMatchError):
    """A value that passed the schema but not a business rule; names the field like a 422."""

    status_code = 422
    code = "validation_error"

    def __init__(self, loc: tuple[str | int, ...], message: str) -> None:
        super().__init__(message)
        self.loc = loc


class AddressCandidate(BaseModel):
    """One place an ambiguous address could mean."""

    name: PlaceName
    region: PlaceName | None
    country: PlaceName | None
    lat: float
    lon: float


class AddressNotFound(FieldError):
    """No place fits the address given."""

    code = "unknown_address"


class AddressAmbiguous(FieldError):
    """Several places fit the address; ``candidates`` lists them to choose from."""

    code = "ambiguous_address"

    def __init__(
        self, loc: tuple[str | int, ...], message: str, candidates: list[AddressCandidate]
    ) -> None:
        super().__init__(loc, message)
        self.candidates = candidates


Code = Annotated[str, StringConstraints(max_length=40, pattern=r"^[a-z][a-z_]*$")]
"""A machine-readable reason, like ``not_found`` or ``role_full``."""

PROBLEMS_SHOWN = 50
"""Field problems a 422 lists at most: a body of thousands of unknown fields gets a bounded
answer, not one that grows with it."""


class Violation(BaseModel):
    """One reason a sign-up was refused, for programs (``code``) and people (``message``)."""

    code: Code
    message: Message


class ErrorBody(BaseModel):
    """What every non-validation error response looks like (documented in OpenAPI)."""

    detail: Message
    code: Code
    violations: Annotated[list[Violation], Field(max_length=len(VIOLATION_CODES))] | None = None


class ValidationErrorBody(BaseModel):
    """What a 422 looks like: the offending fields, and a one-line summary."""

    detail: Annotated[list[dict[str, Any]], Field(max_length=PROBLEMS_SHOWN)]
    message: Message
    code: Code = "validation_error"
    candidates: Annotated[list[AddressCandidate], Field(max_length=MAX_CANDIDATES)] | None = None


def _body_model(error: type[ServeMatchError]) -> type[BaseModel]:
    return ValidationErrorBody if issubclass(error, FieldError) else ErrorBody


def responses(*errors: type[ServeMatchError]) -> dict[int | str, dict[str, Any]]:
    """OpenAPI ``responses=`` for a route, so its documented errors match what it returns.

    Errors sharing a status are documented together (their bodies as ``anyOf``). A 422 always
    includes the validation body: any route with inputs answers it for a malformed request.
    """
    models: dict[int, list[type[BaseModel]]] = {}
    descriptions: dict[int, list[str]] = {}
    for error in errors:
        status_models = models.setdefault(error.status_code, [])
        if error.status_code == 422 and ValidationErrorBody not in status_models:
            status_models.append(ValidationErrorBody)
        if _body_model(error) not in status_models:
            status_models.append(_body_model(error))
        descriptions.setdefault(error.status_code, []).append(error.__doc__ or error.code)
    return {
        status: {
            "model": status_models[0] if len(status_models) == 1 else Union[tuple(status_models)],  # noqa: UP007
            "description": " Or: ".join(descriptions[status]),
        }
        for status, status_models in models.items()
    }


class RateLimited(ServeMatchError):
    """Too many requests for this key (or address); retry after ``Retry-After`` seconds."""

    status_code = 429
    code = "rate_limited"

    def __init__(self, message: str, *, headers: dict[str, str]) -> None:
        super().__init__(message)
        self.headers = headers  # Retry-After and RateLimit-* (see api.ratelimit.Quota)


ADDRESS_ERRORS = (AddressNotFound, AddressAmbiguous, GeocoderUnavailable)
"""What a write that takes an ``address`` may answer on its account."""

API_ERRORS = responses(
    BadRequest,
    Unauthorized,
    PayloadTooLarge,
    FieldError,
    RateLimited,
    InternalError,
    ServiceUnavailable,
)
"""What any authenticated route may answer besides its own errors (see ``create_app``)."""

SERVICE_ERRORS = responses(PayloadTooLarge, FieldError, InternalError)
"""What a route open to all and never rate limited (``/healthz``) may answer besides its own
errors: a body too large, an unknown query parameter, an unexpected failure."""


def _location(loc: tuple[str | int, ...] | list[str | int]) -> str:
    return ".".join(str(part) for part in loc)


SEND_JSON = "the body must be a JSON object, sent with Content-Type: application/json"
WHOLE_BODY_WORDS = {
    "model_attributes_type": SEND_JSON,  # text/plain, a form, or no content type at all
    "model_type": SEND_JSON,
    "dict_type": SEND_JSON,
    "json_invalid": f"the body is not valid JSON: {SEND_JSON}",
}
"""What a person is told when the body as a whole could not be read as a request."""


def in_words(error: dict[str, Any]) -> str:
    """pydantic's message, except that a pattern is said in words, never as a regex, and a
    body that is not a JSON object says to send one."""
    loc = tuple(error["loc"])
    if loc[:1] == ("body",) and len(loc) <= 2 and error["type"] in WHOLE_BODY_WORDS:
        return WHOLE_BODY_WORDS[error["type"]]
    if error["type"] == "string_pattern_mismatch":
        words = patterns.IN_WORDS.get(error.get("ctx", {}).get("pattern", ""))
        if words is not None:
            return words
    return str(error["msg"])


def _validation_response(
    errors: list[dict[str, Any]],
    *,
    code: str = FieldError.code,
    candidates: list[AddressCandidate] | None = None,
) -> JSONResponse:
    detail = [
        {"loc": list(error["loc"]), "msg": in_words(error), "type": error["type"]}
        for error in errors[:PROBLEMS_SHOWN]
    ]
    message = "; ".join(f"{_location(error['loc'])}: {error['msg']}" for error in detail)
    body = ValidationErrorBody(detail=detail, message=message, code=code, candidates=candidates)
    content = jsonable_encoder(body, exclude={"candidates"} if candidates is None else None)
    return JSONResponse(status_code=422, content=content)


def _allowed_methods(request: Request) -> str:
    # Starlette answers 405 from the first route whose path matches, so its ``Allow`` names
    # only that route's methods; a path served by several routes (GET and POST) needs them all.
    methods: set[str] = set()
    for route in iter_route_contexts(request.app.routes):
        match, _ = route.matches(request.scope)
        if match != Match.NONE:
            methods.update(route.methods or ())
    return ", ".join(sorted(methods))


def install_error_handlers(app: FastAPI) -> None:
    """Register one handler per error family; unknown failures become a bare 500."""

    async def on_domain_error(_request: Request, error: Exception) -> JSONResponse:
        assert isinstance(error, ServeMatchError)
        if isinstance(error, FieldError):
            return _validation_response(
                [{"loc": error.loc, "msg": error.message, "type": "value_error"}],
                code=error.code,
                candidates=error.candidates if isinstance(error, AddressAmbiguous) else None,
            )
        headers = {"WWW-Authenticate": "Bearer"} if isinstance(error, Unauthorized) else None
        if isinstance(error, RateLimited):
            headers = error.headers
        if isinstance(error, GeocoderUnavailable):
            headers = {"Retry-After": RETRY_AFTER_S}
        body = ErrorBody(detail=error.message, code=error.code, violations=error.violations)
        content = body.model_dump(exclude_none=True)
        return JSONResponse(status_code=error.status_code, content=content, headers=headers)

    async def on_validation_error(_request: Request, error: Exception) -> JSONResponse:
        assert isinstance(error, RequestValidationError)
        return _validation_response(list(error.errors()))

    async def on_http_error(request: Request, error: Exception) -> JSONResponse:
        assert isinstance(error, StarletteHTTPException)
        body = ErrorBody(detail=str(error.detail), code="http_error").model_dump(exclude_none=True)
        headers = error.headers
        if error.status_code == 405:
            headers = {**(headers or {}), "Allow": _allowed_methods(request)}
        return JSONResponse(status_code=error.status_code, content=body, headers=headers)

    async def on_database_down(_request: Request, error: Exception) -> JSONResponse:
        logger.warning("database unavailable: %s", error)
        body = ErrorBody(detail="database unavailable, retry shortly", code="service_unavailable")
        return JSONResponse(
            status_code=503,
            content=body.model_dump(exclude_none=True),
            headers={"Retry-After": RETRY_AFTER_S},
        )

    async def on_unexpected(_request: Request, error: Exception) -> JSONResponse:
        logger.exception("unhandled error", exc_info=error)
        body = ErrorBody(detail="internal error", code=InternalError.code)
        return JSONResponse(status_code=500, content=body.model_dump(exclude_none=True))

    app.add_exception_handler(ServeMatchError, on_domain_error)
    app.add_exception_handler(RequestValidationError, on_validation_error)
    app.add_exception_handler(StarletteHTTPException, on_http_error)
    app.add_exception_handler(OperationalError, on_database_down)
    app.add_exception_handler(Exception, on_unexpected)
