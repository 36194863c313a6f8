"""The published contract: FastAPI's OpenAPI, completed with what FastAPI cannot derive.

FastAPI documents routes and models. What middleware and exception handlers add on the way
out (``RateLimit-*``, ``Retry-After``, ``WWW-Authenticate``, ``Idempotent-Replayed``) and two
facts about how values are written (the length of a date or instant, the width of an
integer) it cannot know; they are added here, once for every operation, so no route repeats
them and none can forget them. A header is ``required`` only where it is always sent.
"""

from collections.abc import Iterator
from typing import Any

from api.idempotency import HEADER as IDEMPOTENCY_HEADER
from api.idempotency import REPLAYED_HEADER
from api.ratelimit import EXEMPT_PATHS
from api.schemas import DATE_CHARS, INSTANT_MAX_CHARS, without_null
from api.settings import RATE_LIMIT_MAX

METHODS = frozenset({"get", "put", "post", "patch", "delete", "head", "options", "trace"})
SECONDS_PER_MINUTE = 60
INT32 = (-(2**31), 2**31 - 1)


def _header(description: str, schema: dict[str, Any], *, required: bool = False) -> dict[str, Any]:
    return {"description": description, "required": required, "schema": schema}


# Bounds as ``api.ratelimit`` computes them: a bucket holds at most ``RATE_LIMIT_MAX`` tokens,
# refills at one a minute at the slowest, and a refused call waits for one token at most.
HEADERS = {
    "RateLimit-Limit": _header(
        "Requests this key (or, without a valid key, this address) may make at once. Sent "
        "while rate limits are on; never on /healthz.",
        {"type": "integer", "minimum": 1, "maximum": RATE_LIMIT_MAX},
    ),
    "RateLimit-Remaining": _header(
        "Requests left now.",
        {"type": "integer", "minimum": 0, "maximum": RATE_LIMIT_MAX},
    ),
    "RateLimit-Reset": _header(
        "Seconds until the allowance is whole again.",
        {"type": "integer", "minimum": 0, "maximum": RATE_LIMIT_MAX * SECONDS_PER_MINUTE},
    ),
    "Retry-After": _header(
        "Seconds to wait before trying again.",
        {"type": "integer", "minimum": 1, "maximum": SECONDS_PER_MINUTE},
        required=True,
    ),
    "WWW-Authenticate": _header(
        "The scheme to authenticate with: a bearer key.",
        {"type": "string", "enum": ["Bearer"]},
        required=True,
    ),
    REPLAYED_HEADER: _header(
        f"`true` when this is the stored answer to an earlier request with the same "
        f"`{IDEMPOTENCY_HEADER}`; absent on a first answer.",
        {"type": "string", "enum": ["true"]},
    ),
}
RATE_LIMIT_HEADERS = ("RateLimit-Limit", "RateLimit-Remaining", "RateLimit-Reset")
STATUS_HEADERS = {"401": ("WWW-Authenticate",), "429": ("Retry-After",), "503": ("Retry-After",)}
"""Headers the error handlers always send with these statuses."""

FORMAT_MAX_CHARS = {"date": DATE_CHARS, "date-time": INSTANT_MAX_CHARS}
"""The longest date and instant taken (``api.schemas`` refuses longer) or given back."""


def complete(document: dict[str, Any]) -> dict[str, Any]:
    """Add the response headers, and the facts about formats, to a generated document."""
    components = document.setdefault("components", {})
    components.setdefault("headers", {}).update(HEADERS)
    for path, operation in _operations(document):
        _declare_headers(operation, rate_limited=path not in EXEMPT_PATHS)
        for parameter in operation.get("parameters", []):
            # A query parameter or header cannot be null on the wire, only absent.
            without_null(parameter["schema"])
    for schema in json_objects(document):
        _bound_formats(schema)
    return document


def _operations(document: dict[str, Any]) -> Iterator[tuple[str, dict[str, Any]]]:
    for path, item in document.get("paths", {}).items():
        for method, operation in item.items():
            if method in METHODS:
                yield path, operation


def _declare_headers(operation: dict[str, Any], *, rate_limited: bool) -> None:
    takes_key = any(
        parameter["in"] == "header" and parameter["name"] == IDEMPOTENCY_HEADER
        for parameter in operation.get("parameters", [])
    )
    for status, response in operation["responses"].items():
        names = list(STATUS_HEADERS.get(status, ()))
        if rate_limited:
            names += RATE_LIMIT_HEADERS
        if takes_key and status.startswith("2"):
            names.append(REPLAYED_HEADER)
        headers = response.setdefault("headers", {})
        for name in names:
            headers.setdefault(name, {"$ref": f"#/components/headers/{name}"})
        if not headers:
            del response["headers"]


def json_objects(node: Any) -> Iterator[dict[str, Any]]:
    """Every JSON object in the document, depth first."""
    if isinstance(node, dict):
        yield node
        for value in node.values():
            yield from json_objects(value)
    elif isinstance(node, list):
        for value in node:
            yield from json_objects(value)


def _bound_formats(schema: dict[str, Any]) -> None:
    """Give dates and instants their length, and integers their width (from their bounds)."""
    if schema.get("type") == "string" and schema.get("format") in FORMAT_MAX_CHARS:
        schema.setdefault("maxLength", FORMAT_MAX_CHARS[schema["format"]])
    if schema.get("type") == "integer" and "format" not in schema:
        low = schema.get("minimum", schema.get("exclusiveMinimum"))
        high = schema.get("maximum", schema.get("exclusiveMaximum"))
        fits = low is not None and high is not None and INT32[0] <= low and high <= INT32[1]
        schema["format"] = "int32" if fits else "int64"
