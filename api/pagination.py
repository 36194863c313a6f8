"""Keyset pagination, written once for every list.

A page is the rows after the cursor in (sort column, id) order; the cursor is the last row's
key, opaque to clients. Keyset rather than OFFSET: a page costs the same however deep it is,
and rows written meanwhile neither repeat nor vanish between pages.
"""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypeVar

from sqlalchemy import Row, Select
from sqlalchemy.orm import InstrumentedAttribute, Session

from api.schemas import Page, decode_cursor, decode_instant_cursor, encode_cursor

T = TypeVar("T")


@dataclass(frozen=True)
class SortKey:
    """The order of a list: a column, the id to break ties, and the direction."""

    column: InstrumentedAttribute[Any]
    id: InstrumentedAttribute[str]
    descending: bool = False

    @property
    def is_instant(self) -> bool:
        """Instants travel in cursors as ISO text and come back as aware datetimes."""
        return self.column.type.python_type is datetime


def paginate(
    session: Session,
    statement: Select[*tuple[Any, ...]],
    *,
    key: SortKey,
    limit: int,
    cursor: str | None,
    to_out: Callable[[Row[*tuple[Any, ...]]], T],
) -> Page[T]:
    """One page of ``statement`` (whose first entity holds ``key``), converted by ``to_out``."""
    column, row_id = key.column, key.id
    if cursor is not None:
        value, last_id = (
            decode_instant_cursor(cursor) if key.is_instant else decode_cursor(cursor, 2)
        )
        if key.descending:
            after = (column < value) | ((column == value) & (row_id < last_id))
        else:
            after = (column > value) | ((column == value) & (row_id > last_id))
        statement = statement.where(after)
    order = (column.desc(), row_id.desc()) if key.descending else (column, row_id)
    rows = session.execute(statement.order_by(*order).limit(limit + 1)).all()
    more = len(rows) > limit
    rows = rows[:limit]
    next_cursor = None
    if more:
        last = rows[-1][0]
        value = getattr(last, column.key)
        text = value.isoformat() if key.is_instant else value
        next_cursor = encode_cursor(text, getattr(last, row_id.key))
    return Page[T](items=[to_out(row) for row in rows], next_cursor=next_cursor)
