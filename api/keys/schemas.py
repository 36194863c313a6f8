"""Request and response bodies for API keys: metadata only, the key itself once at issue."""

from datetime import datetime, timedelta
from typing import Annotated

from pydantic import AfterValidator, BaseModel, Field

from api import patterns
from api.auth.credentials import ApiKeyText, KeyPrefix
from api.db.types import utcnow
from api.schemas import Id, Input, Instant, Name
from api.vocabulary import Role

MAX_LIFETIME = timedelta(days=3650)
MAX_GRACE_S = 3600


def _future(value: datetime) -> datetime:
    now = utcnow()
    if value <= now:
        raise ValueError("must be in the future")
    if value - now > MAX_LIFETIME:
        raise ValueError("must be within ten years")
    return value


Expiry = Annotated[
    Instant,
    AfterValidator(_future),
    Field(description="When the key stops working (with a time zone; within ten years)."),
]


class KeyCreate(Input):
    """A new key. Anyone may issue one for themselves; only an admin for someone else."""

    name: Name = Field(description="Who or what the key is for, e.g. 'rota script'.")
    expires_at: Expiry | None = None
    role: Role | None = Field(
        default=None, description="Admin only: the role of the principal the key is for."
    )
    principal_id: str | None = Field(
        default=None,
        max_length=36,
        pattern=patterns.ID,
        description="Admin only: the coordinator, member or agency the key is for.",
    )


class KeyRotate(Input):
    """Options of a rotation; an empty body is fine."""

    expires_at: Expiry | None = Field(
        default=None,
        description="Expiry of the new key. Omitted: it lives as long as the old one was "
        "issued for, counted from now (or never expires, like the old one).",
    )
    grace_s: int = Field(
        default=0,
        ge=0,
        le=MAX_GRACE_S,
        description="Seconds the old key keeps working, so clients can switch over.",
    )


class KeyOut(BaseModel):
    """A key's metadata. Neither the key nor its digest ever leave the service after issue."""

    id: Id
    prefix: KeyPrefix = Field(description="The key's first characters, to recognise it.")
    name: Name
    role: Role
    principal_id: Id | None
    created_at: datetime
    last_used_at: datetime | None = Field(description="Updated at most once a minute.")
    expires_at: datetime | None
    revoked_at: datetime | None = Field(
        description="When it stopped (or, during a rotation's grace period, will stop) working."
    )


class KeyIssued(KeyOut):
    """A new key: ``api_key`` is shown in this response only."""

    api_key: ApiKeyText


class KeyRotated(KeyIssued):
    """The replacement key, and the key it replaces (revoked now or after the grace period)."""

    replaced: KeyOut
