"""``column IN (ids)`` that stays cheap for long id lists.

On PostgreSQL the ids travel as one array parameter (``= ANY(:ids)``): an expanded
``IN (…)`` with thousands of placeholders costs more to build and parse than to run, and caps
at 65,535 parameters. SQLite has no arrays; callers keep its lists within its 32,766 limit.
"""

from collections.abc import Sequence

from sqlalchemy import ARRAY, ColumnElement, String, any_, bindparam
from sqlalchemy.orm import InstrumentedAttribute


def id_in(
    dialect: str, column: InstrumentedAttribute[str], ids: Sequence[str]
) -> ColumnElement[bool]:
    """Rows whose ``column`` is one of ``ids``."""
    if dialect == "postgresql":
        return column == any_(bindparam(None, list(ids), type_=ARRAY(String)))
    return column.in_(ids)
