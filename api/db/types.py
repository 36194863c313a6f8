"""Column types that behave the same on SQLite and PostgreSQL.

SQLite has no time zones and no JSONB; these decorators make both backends hand back the
same Python values, so services never branch on the dialect.
"""

import uuid
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import JSON, DateTime, Dialect
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.types import TypeDecorator

JSONDocument = JSON().with_variant(JSONB(), "postgresql")


def new_id() -> str:
    """Opaque random identifier: ids must not be guessable sequences."""
    return str(uuid.uuid4())


def utcnow() -> datetime:
    """Timezone-aware current time (the one place the persistence layer reads the clock)."""
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator[datetime]):
    """Stores instants in UTC and always returns timezone-aware values."""

    impl = DateTime(timezone=True)
    cache_ok = True

    @property
    def python_type(self) -> type[datetime]:
        """What values come back as (TypeDecorator does not say by itself)."""
        return datetime

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> Any:
        """Normalise to UTC; naive values are refused rather than guessed."""
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime: instants must carry a time zone")
        value = value.astimezone(UTC)
        # SQLite stores text; dropping the offset keeps the ISO strings sortable.
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        """Hand back an aware UTC instant whatever the backend stored."""
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
