"""``column IN (ids)`` that stays cheap for long id lists.

On PostgreSQL the ids travel as one array parameter (``= ANY(:ids)``): an expanded
``IN (…)`` with thousands of placeholders costs more to build and parse than to run, and caps
at 65,535 parameters. SQLite has no arrays; callers keep its lists within its 32,766 limit
(``in_batches``).
"""

from collections.abc import Iterator, Sequence
from typing import Any

from sqlalchemy import ARRAY, BindParameter, ColumnElement, String, any_, bindparam
from sqlalchemy.orm import InstrumentedAttribute

ID_BATCH = 5_000
"""Ids per statement for lists of any length: well within SQLite's parameter limit."""


def in_batches(ids: Sequence[str]) -> Iterator[Sequence[str]]:
    """``ids`` in slices of at most ``ID_BATCH``, one statement each."""
    for start in range(0, len(ids), ID_BATCH):
        yield ids[start : start + ID_BATCH]


def id_in(
    dialect: str, column: InstrumentedAttribute[str], ids: Sequence[str]
) -> ColumnElement[bool]:
    """Rows whose ``column`` is one of ``ids``."""
    return _one_of(dialect, column, _id_list(dialect, None, value=list(ids)))


def id_in_parameter(
    dialect: str, column: InstrumentedAttribute[str], name: str
) -> ColumnElement[bool]:
    """Rows whose ``column`` is one of the ids given as parameter ``name`` at execution: for a
    statement built once and run many times."""
    return _one_of(dialect, column, _id_list(dialect, name))


def _id_list(dialect: str, name: str | None, **value: Any) -> BindParameter[Any]:
    if dialect == "postgresql":
        return bindparam(name, type_=ARRAY(String), **value)
    return bindparam(name, expanding=True, **value)


def _one_of(
    dialect: str, column: InstrumentedAttribute[str], ids: BindParameter[Any]
) -> ColumnElement[bool]:
    return column == any_(ids) if dialect == "postgresql" else column.in_(ids)
