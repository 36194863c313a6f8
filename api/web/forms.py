"""Forms: the services' errors, shown next to the field they name.

A form field is named by the path the service's error would name (``title``, ``address``,
``roles.0.count``): the ``loc`` of a :class:`~api.errors.FieldError` or a pydantic error,
less its ``body``/``query``/``path`` prefix. A page route wraps its use case in
:func:`shown_on`; any input error becomes :class:`FormInvalid`, which the page router
renders as the same form again, with the values typed and each message by its field. The
error leaves the route, so the request's transaction rolls back: nothing is half written.
"""

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from fastapi.exceptions import RequestValidationError
from pydantic import ValidationError

from api.errors import (
    Conflict,
    FieldError,
    GeocoderUnavailable,
    NotEligible,
    ServeMatchError,
    in_words,
)

REQUEST_PARTS = frozenset({"body", "query", "path"})
INPUT_ERRORS = (FieldError, NotEligible, Conflict, GeocoderUnavailable)
"""Service errors about what was typed (or chosen), shown on the form; others (401, 403, 404,
429) are pages of their own."""


@dataclass(frozen=True)
class FormErrors:
    """Messages by field name, and those that name no field (shown above the form)."""

    fields: dict[str, str] = field(default_factory=dict)
    form: list[str] = field(default_factory=list)

    def __bool__(self) -> bool:
        return bool(self.fields or self.form)


def field_name(loc: Sequence[str | int]) -> str:
    """The form field a ``loc`` names: ``("body", "roles", 0, "count")`` → ``roles.0.count``."""
    parts = list(loc[1:] if loc and loc[0] in REQUEST_PARTS else loc)
    return ".".join(str(part) for part in parts)


def errors_of(error: Exception) -> FormErrors:
    """What to show for an input error: pydantic's, a request's, or a service's."""
    if isinstance(error, ValidationError | RequestValidationError):
        fields: dict[str, str] = {}
        form: list[str] = []
        for problem in error.errors():
            name, message = field_name(problem["loc"]), in_words(dict(problem))
            if name:
                fields.setdefault(name, message)  # the first problem of a field says enough
            else:
                form.append(message)
        return FormErrors(fields=fields, form=form)
    if isinstance(error, FieldError) and field_name(error.loc):
        return FormErrors(fields={field_name(error.loc): error.message})
    if isinstance(error, ServeMatchError):
        reasons = [violation.message for violation in error.violations or ()]
        return FormErrors(form=reasons or [error.message])
    raise TypeError(f"not an input error: {error!r}")


class FormInvalid(Exception):
    """Show ``template`` again with ``context`` and ``errors`` (422, or the error's 409 …)."""

    def __init__(
        self, template: str, context: dict[str, Any], errors: FormErrors, *, status_code: int
    ) -> None:
        super().__init__(f"{template}: {errors}")
        self.template = template
        self.context = context
        self.errors = errors
        self.status_code = status_code


@contextmanager
def shown_on(template: str, **context: Any) -> Iterator[None]:
    """Run a use case; an input error it raises shows ``template`` again with the messages.

    ``context`` is what the template needs to draw the form (usually ``values``: what was
    typed, by field name).
    """
    try:
        yield
    except (ValidationError, *INPUT_ERRORS) as error:
        status_code = error.status_code if isinstance(error, ServeMatchError) else 422
        raise FormInvalid(template, context, errors_of(error), status_code=status_code) from error


def by_form_field(errors: FormErrors, names: dict[str, str], shown: set[str]) -> FormErrors:
    """``errors`` under the names a form gives its fields, when they differ from the use
    case's paths: ``names`` maps a path's prefix to the field's (``availability.3`` →
    ``availability.sat.0``, so ``availability.3.end`` → ``availability.sat.0.end``); an
    error naming no field in ``shown`` is said above the form, with its path."""
    fields: dict[str, str] = {}
    form = list(errors.form)
    for path, message in errors.fields.items():
        parts = path.split(".")
        name = path
        for cut in range(len(parts), 0, -1):
            prefix = ".".join(parts[:cut])
            if prefix in names:
                name = names[prefix] + path[len(prefix) :]
                break
        if name in shown:
            fields.setdefault(name, message)
        else:
            form.append(f"{path}: {message}")
    return FormErrors(fields=fields, form=form)
