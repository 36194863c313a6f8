"""Service settings, read once from the environment (prefix ``SERVEMATCH_``).

One pydantic-settings class so every knob is typed, documented and listed in the README's
configuration table.
"""

from functools import lru_cache
from typing import Literal

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

from matcher import Weights

RATE_LIMIT_MAX = 1_000_000
"""The largest rate or burst a limit may be set to (above it, turn the limit off with 0); the
published contract bounds the ``RateLimit-*`` headers by it."""


class Settings(BaseSettings):
    """Everything the service reads from its environment."""

    # ``SERVEMATCH_WEIGHT_DISTANCE`` fills ``weight.distance``: only a nested field (``weight``)
    # is split on the delimiter, and only once, so a component may have "_" in its name.
    model_config = SettingsConfigDict(
        env_prefix="SERVEMATCH_",
        env_file=".env",
        extra="ignore",
        env_nested_delimiter="_",
        env_nested_max_split=1,
    )

    database_url: str = Field(
        default="sqlite:///./servematch.db",
        description="SQLAlchemy URL: a SQLite file, or postgresql+psycopg://… (PostGIS).",
    )
    max_body_bytes: int = Field(
        default=256 * 1024, ge=1024, description="Request bodies above this answer 413."
    )
    db_pool_size: int = Field(default=10, ge=1, description="PostgreSQL connections per worker.")
    location_coarsening_km: float = Field(
        default=1.0,
        gt=0,
        le=100,
        description="Side of the fixed grid cell a private place or a home is shown as to "
        "those not entitled to it; distances to it are rounded to this. Changing it applies "
        "to places written afterwards: run `servematch privacy recoarsen` for the rest.",
    )
    geocoder: Literal["offline", "nominatim", "photon", "pelias"] = Field(
        default="offline",
        description="Turns `address` inputs into points: `offline` resolves 'City, Country' "
        "from shipped GeoNames data; the others are OpenStreetMap geocoders (via geopy).",
    )
    geocoder_url: str | None = Field(
        default=None,
        max_length=300,
        description="Base URL of the geocoder (e.g. your own Nominatim); unset: its public "
        "server (Pelias has none).",
    )
    geocoder_user_agent: str = Field(
        default="ServeMatch/1.0 (self-hosted volunteer matching)",
        min_length=1,
        description="Identifies this install to the geocoder; Nominatim's policy asks for an "
        "application name and a contact.",
    )
    geocoder_timeout_s: float = Field(
        default=5, gt=0, le=60, description="Seconds a write waits for the geocoder."
    )

    auth_cache_ttl_s: float = Field(
        default=5,
        ge=0,
        le=300,
        description="Seconds a resolved key is trusted without SQL (0 disables); another "
        "worker may accept a revoked key for at most this long.",
    )
    rate_limit_per_minute: int = Field(
        default=600,
        ge=0,
        le=RATE_LIMIT_MAX,
        description="Requests per minute per key, per worker (0: no limit).",
    )
    rate_limit_burst: int = Field(
        default=100,
        ge=1,
        le=RATE_LIMIT_MAX,
        description="Requests a key may make at once before the rate applies.",
    )
    rate_limit_anonymous_per_minute: int = Field(
        default=60,
        ge=0,
        le=RATE_LIMIT_MAX,
        description="Calls without a valid key (or with a bad one) per minute per client "
        "address, per worker (0: no limit).",
    )

    idempotency_ttl_hours: float = Field(
        default=24, gt=0, description="Hours an Idempotency-Key is remembered for replays."
    )
    invitation_ttl_hours: float = Field(
        default=48,
        gt=0,
        le=24 * 90,
        description="Hours an invitation holds its place before it expires unanswered (never "
        "past the need's start).",
    )
    invitation_sweep_s: float = Field(
        default=60,
        ge=0,
        le=3600,
        description="Seconds between a worker's sweeps that give overdue invitations' places "
        "back, so needs read right when nobody writes to them (0: no sweep).",
    )
    multiply_min_members: int = Field(
        default=16,
        ge=2,
        le=1000,
        description="Active members a community needs before it is ready to multiply.",
    )
    multiply_min_leaders: int = Field(
        default=2,
        ge=1,
        le=100,
        description="Leaders and apprentices (at least one a leader) a community needs to be "
        "ready to multiply; never fewer than one per group.",
    )
    multiply_min_group_size: int = Field(
        default=8,
        ge=1,
        le=500,
        description="Members each group of a multiplication must have, at least.",
    )
    multiply_plan_seconds: float = Field(
        default=5,
        gt=0,
        le=60,
        description="Seconds the multiplication plan's solver may take.",
    )
    suggestion_cache_needs: int = Field(
        default=50_000,
        ge=1,
        description="Open needs each worker keeps ready for suggestions (least recently "
        "used out first); ~1 kB each.",
    )
    text_model_max_age_s: float = Field(
        default=600, gt=0, description="Seconds before the TF-IDF text model is refitted."
    )
    feedback_snooze_days: float = Field(
        default=3,
        gt=0,
        le=90,
        description="Days a member's `maybe_later` keeps a need out of their suggestions (at "
        "most until 24 h before it starts).",
    )
    feedback_retention_days: float = Field(
        default=365,
        ge=1,
        le=3650,
        description="Days what members were shown and how they answered is kept; the sweep "
        "deletes older records.",
    )
    ranking_model_max_age_s: float = Field(
        default=60,
        gt=0,
        le=3600,
        description="Seconds a worker trusts its cached re-ranker before checking for a newly "
        "trained one.",
    )
    rerank_min_events: int = Field(
        default=200,
        ge=20,
        description="Answered suggestions `servematch train` needs before it fits a re-ranker.",
    )
    rerank_min_gain: float = Field(
        default=0.01,
        ge=0,
        le=1,
        description="How much better than the hand weights (ROC AUC and NDCG@5 alike) a "
        "learned re-ranker must be before it ranks.",
    )
    rerank_min_auc: float = Field(
        default=0.6,
        ge=0.5,
        le=1,
        description="The held-out ROC AUC a learned re-ranker must reach itself before it "
        "ranks, however weak the hand weights are on the same answers.",
    )
    member_snapshot: bool = Field(
        default=True,
        description="Keep every active member's matching data in each worker's memory, so "
        "candidates for agency and network requests in dense places take milliseconds "
        "(about 0.5 GB per worker per million members); off, they are read from the database.",
    )
    session_secret: SecretStr | None = Field(
        default=None,
        min_length=32,
        description="Signs the web app's session cookies and CSRF tokens (32+ characters); "
        "unset: `servematch serve` makes one at start-up, so sign-ins end when it stops.",
    )
    session_hours: float = Field(
        default=12, gt=0, le=24 * 30, description="Hours a web sign-in lasts."
    )
    map_tile_url: str = Field(
        default="https://tile.openstreetmap.org/{z}/{x}/{y}.png",
        max_length=300,
        description="Map tiles for the web app's maps (the only thing pages load from "
        "another host); {z}/{x}/{y} as Leaflet takes them.",
    )
    map_attribution: str = Field(
        default='&copy; <a href="https://www.openstreetmap.org/copyright">OpenStreetMap</a> '
        "contributors",
        max_length=300,
        description="The tiles' attribution, shown on every map (HTML).",
    )
    weight: Weights = Field(
        default_factory=Weights,
        description="The engine's score weights, one per component of ``matcher.Weights`` "
        "(``SERVEMATCH_WEIGHT_DISTANCE`` …); only their ratios matter.",
    )


@lru_cache
def get_settings() -> Settings:
    """Settings for this process; cached because the environment does not change under us."""
    return Settings()
