"""Unknown query parameters are refused with a 422 naming them, as unknown body fields are.

A misspelt filter (``?stauts=open``) silently ignored would answer with everything; a client
would rather hear that the service does not know the word.
"""

from fastapi import Request
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute

from api.errors import FieldError


def _query_names(dependant: Dependant) -> set[str]:
    names = {getattr(field, "alias", field.name) for field in dependant.query_params}
    for dependency in dependant.dependencies:
        names |= _query_names(dependency)
    return names


async def reject_unknown_query(request: Request) -> None:
    """App-wide dependency: 422 for the first query parameter the route does not declare."""
    route = request.scope.get("route")
    if not isinstance(route, APIRoute):
        return
    known = _query_names(route.dependant)  # a few dependencies deep: microseconds
    unknown = sorted(name for name in request.query_params if name not in known)
    if unknown:
        takes = ", ".join(sorted(known)) or "none"
        raise FieldError(
            ("query", unknown[0]), f"unknown query parameter '{unknown[0]}' (this takes: {takes})"
        )
