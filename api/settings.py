"""Service settings, read once from the environment (prefix ``SERVEMATCH_``).

One pydantic-settings class so every knob is typed, documented and listed in the README's
configuration table.
"""

from functools import lru_cache

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    """Everything the service reads from its environment."""

    model_config = SettingsConfigDict(env_prefix="SERVEMATCH_", env_file=".env", extra="ignore")

    database_url: str = Field(
        default="sqlite:///./servematch.db",
        description="SQLAlchemy URL: a SQLite file, or postgresql+psycopg://… (PostGIS).",
    )
    max_body_bytes: int = Field(
        default=256 * 1024, ge=1024, description="Request bodies above this answer 413."
    )
    db_pool_size: int = Field(default=10, ge=1, description="PostgreSQL connections per worker.")
    location_coarsening_km: float = Field(
        default=1.0, gt=0, description="Grid size used to hide private need locations."
    )


@lru_cache
def get_settings() -> Settings:
    """Settings for this process; cached because the environment does not change under us."""
    return Settings()
