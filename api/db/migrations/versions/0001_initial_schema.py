"""Initial schema: communities, coordinators, agencies, members, needs, roles, sign-ups, keys.

On PostgreSQL each located table also gets a generated ``geography(Point, 4326)`` column with a
GiST index, so radius searches run as index-backed ``ST_DWithin`` on geography.

Revision ID: 0001
Revises:
Create Date: 2026-11-24
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

JSON_DOCUMENT = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")
POINTS = (("communities", "meeting"), ("members", "home"), ("needs", "location"))
TABLES = (
    "signups",
    "need_roles",
    "needs",
    "members",
    "coordinator_communities",
    "coordinators",
    "communities",
    "api_keys",
    "agencies",
)


def _add_geography(table: str, prefix: str) -> None:
    op.execute(
        f"ALTER TABLE {table} ADD COLUMN {prefix}_geog geography(Point, 4326) "
        f"GENERATED ALWAYS AS ((ST_SetSRID(ST_MakePoint({prefix}_lon, {prefix}_lat), 4326))"
        "::geography) STORED"
    )
    op.execute(f"CREATE INDEX ix_{table}_{prefix}_geog ON {table} USING gist ({prefix}_geog)")


def upgrade() -> None:
    op.create_table(
        "agencies",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column("email", sa.String(length=254), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("email"),
    )
    op.create_table(
        "api_keys",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("key_hash", sa.String(length=64), nullable=False),
        sa.Column("prefix", sa.String(length=16), nullable=False),
        sa.Column("role", sa.String(length=16), nullable=False),
        sa.Column("principal_id", sa.String(length=36), nullable=True),
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_used_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint(
            "role IN ('admin', 'coordinator', 'member', 'agency')", name="role_known"
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("key_hash"),
    )
    op.create_index("ix_api_keys_principal_id", "api_keys", ["principal_id"], unique=False)
    op.create_table(
        "communities",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column("meeting_lat", sa.Float(), nullable=False),
        sa.Column("meeting_lon", sa.Float(), nullable=False),
        sa.Column("timezone", sa.String(length=64), nullable=False),
        sa.Column("parent_id", sa.String(length=36), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["parent_id"], ["communities.id"], ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(
        "ix_communities_meeting_lat_lon",
        "communities",
        ["meeting_lat", "meeting_lon"],
        unique=False,
    )
    op.create_index(op.f("ix_communities_parent_id"), "communities", ["parent_id"], unique=False)
    op.create_table(
        "coordinators",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column("email", sa.String(length=254), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("email"),
    )
    op.create_table(
        "coordinator_communities",
        sa.Column("coordinator_id", sa.String(length=36), nullable=False),
        sa.Column("community_id", sa.String(length=36), nullable=False),
        sa.ForeignKeyConstraint(["community_id"], ["communities.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["coordinator_id"], ["coordinators.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("coordinator_id", "community_id"),
    )
    op.create_index(
        op.f("ix_coordinator_communities_community_id"),
        "coordinator_communities",
        ["community_id"],
        unique=False,
    )
    op.create_table(
        "members",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("community_id", sa.String(length=36), nullable=False),
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column("email", sa.String(length=254), nullable=False),
        sa.Column("home_lat", sa.Float(), nullable=False),
        sa.Column("home_lon", sa.Float(), nullable=False),
        sa.Column("max_travel_km", sa.Float(), nullable=False),
        sa.Column("skills", JSON_DOCUMENT, nullable=False),
        sa.Column("interests", sa.Text(), nullable=False),
        sa.Column("availability", JSON_DOCUMENT, nullable=False),
        sa.Column("blackout_dates", JSON_DOCUMENT, nullable=False),
        sa.Column("stage", sa.String(length=16), nullable=False),
        sa.Column("checks", JSON_DOCUMENT, nullable=False),
        sa.Column("max_commitments_per_month", sa.Integer(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("stage IN ('new', 'growing', 'mature', 'leader')", name="stage_known"),
        sa.CheckConstraint("max_travel_km > 0", name="max_travel_km_positive"),
        sa.ForeignKeyConstraint(["community_id"], ["communities.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("community_id", "email", name="uq_members_community_email"),
    )
    op.create_index(op.f("ix_members_community_id"), "members", ["community_id"], unique=False)
    op.create_index("ix_members_home_lat_lon", "members", ["home_lat", "home_lon"], unique=False)
    op.create_index("ix_members_max_travel_km", "members", ["max_travel_km"], unique=False)
    op.create_table(
        "needs",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("community_id", sa.String(length=36), nullable=True),
        sa.Column("agency_id", sa.String(length=36), nullable=True),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("category", sa.String(length=16), nullable=False),
        sa.Column("location_lat", sa.Float(), nullable=False),
        sa.Column("location_lon", sa.Float(), nullable=False),
        sa.Column("private_location", sa.Boolean(), nullable=False),
        sa.Column("starts_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ends_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("requirements", JSON_DOCUMENT, nullable=False),
        sa.Column("urgency", sa.String(length=16), nullable=False),
        sa.Column("open_to_network", sa.Boolean(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "category IN ('meals', 'tutoring', 'visiting', 'cleanup', 'transport', 'repair', "
            "'prayer', 'other')",
            name="category_known",
        ),
        sa.CheckConstraint(
            "status IN ('open', 'filled', 'cancelled', 'done')", name="status_known"
        ),
        sa.CheckConstraint(
            "urgency IN ('low', 'normal', 'high', 'critical')", name="urgency_known"
        ),
        sa.CheckConstraint(
            "(community_id IS NULL) <> (agency_id IS NULL)", name="need_has_exactly_one_source"
        ),
        sa.CheckConstraint("ends_at > starts_at", name="need_ends_after_start"),
        sa.ForeignKeyConstraint(["agency_id"], ["agencies.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["community_id"], ["communities.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(op.f("ix_needs_agency_id"), "needs", ["agency_id"], unique=False)
    op.create_index(op.f("ix_needs_community_id"), "needs", ["community_id"], unique=False)
    op.create_index(
        "ix_needs_location_lat_lon", "needs", ["location_lat", "location_lon"], unique=False
    )
    op.create_index("ix_needs_status_starts_at", "needs", ["status", "starts_at"], unique=False)
    op.create_table(
        "need_roles",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("need_id", sa.String(length=36), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=60), nullable=False),
        sa.Column("skill", sa.String(length=40), nullable=True),
        sa.Column("min_level", sa.Integer(), nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.Column("filled", sa.Integer(), nullable=False),
        sa.CheckConstraint("count >= 1", name="role_count_positive"),
        sa.CheckConstraint("filled >= 0 AND filled <= count", name="role_never_overfilled"),
        sa.CheckConstraint("min_level BETWEEN 1 AND 3", name="role_min_level_range"),
        sa.ForeignKeyConstraint(["need_id"], ["needs.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("need_id", "name", name="uq_need_roles_need_name"),
    )
    op.create_index(op.f("ix_need_roles_need_id"), "need_roles", ["need_id"], unique=False)
    op.create_table(
        "signups",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("need_id", sa.String(length=36), nullable=False),
        sa.Column("role_id", sa.String(length=36), nullable=False),
        sa.Column("member_id", sa.String(length=36), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("withdrawn_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint("status IN ('confirmed', 'withdrawn')", name="status_known"),
        sa.ForeignKeyConstraint(["member_id"], ["members.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["need_id"], ["needs.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["role_id"], ["need_roles.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(op.f("ix_signups_member_id"), "signups", ["member_id"], unique=False)
    op.create_index(op.f("ix_signups_need_id"), "signups", ["need_id"], unique=False)
    op.create_index(
        "uq_signups_confirmed_need_member",
        "signups",
        ["need_id", "member_id"],
        unique=True,
        sqlite_where=sa.text("status = 'confirmed'"),
        postgresql_where=sa.text("status = 'confirmed'"),
    )
    if op.get_bind().dialect.name == "postgresql":
        op.execute("CREATE EXTENSION IF NOT EXISTS postgis")
        for table, prefix in POINTS:
            _add_geography(table, prefix)


def downgrade() -> None:
    for table in TABLES:
        op.drop_table(table)
