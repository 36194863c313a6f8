"""Alembic environment: migrations run against the URL given by ``api.db.migrate``."""

from typing import Any

from alembic import context
from sqlalchemy import engine_from_config, pool

from api.db.models import POSTGIS_ONLY, Base

config = context.config


def include_object(
    obj: Any, name: str | None, type_: str, reflected: bool, compare_to: Any
) -> bool:
    """Compare only our own objects; PostGIS-only ones are absent on SQLite by design."""
    if type_ == "table" and reflected and compare_to is None:
        return False  # PostGIS's own tables (spatial_ref_sys, …) are not ours to manage.
    if context.get_context().dialect.name != "sqlite":
        return True
    return getattr(obj, "info", {}).get("postgis_only") != POSTGIS_ONLY["postgis_only"]


def run_migrations_online() -> None:
    connectable = engine_from_config(
        config.get_section(config.config_ini_section, {}),
        prefix="sqlalchemy.",
        poolclass=pool.NullPool,
    )
    with connectable.connect() as connection:
        context.configure(
            connection=connection,
            target_metadata=Base.metadata,
            include_object=include_object,
            render_as_batch=connection.dialect.name == "sqlite",
        )
        with context.begin_transaction():
            context.run_migrations()


run_migrations_online()
