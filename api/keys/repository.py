"""Key queries, scoped so a caller only ever reaches keys they may manage."""

from sqlalchemy import Select, select

from api.auth.principal import Principal
from api.db.models import ApiKey


def readable(principal: Principal) -> Select[tuple[ApiKey]]:
    """Admins: every key; anyone else: the keys issued for themselves."""
    statement = select(ApiKey)
    if principal.is_admin:
        return statement
    return statement.where(ApiKey.role == principal.role, ApiKey.principal_id == principal.id)


writable = readable
"""Whoever may see a key may rotate or revoke it."""
