"""Feedback on what members are shown, and the re-rankers trained on it.

``match_events``: one row per (member, need, kind) shown — a suggestion, or an invitation
sent — with its rank, score and score components as the engine gave them, and what became of
it (signed up, accepted, declined with its reason, "not for me", "maybe later", ignored,
expired). ``ranking_models``: each re-ranker ``servematch train`` fitted, its figures beside
the hand weights', and whether it ranks.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-10
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")
KINDS = "kind IN ('suggestion', 'invitation')"
OUTCOMES = (
    "outcome IN ('signed_up', 'accepted', 'declined', 'not_for_me', 'maybe_later', "
    "'ignored', 'expired')"
)
UNANSWERED = "outcome IS NULL"
REASONS = "decline_reason IN ('busy', 'not_for_me', 'other')"


def upgrade() -> None:
    op.create_table(
        "match_events",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("member_id", sa.String(length=36), nullable=False),
        sa.Column("need_id", sa.String(length=36), nullable=False),
        sa.Column("role", sa.String(length=60), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("rank", sa.Integer(), nullable=True),
        sa.Column("score", sa.Float(), nullable=True),
        sa.Column("components", JSON, nullable=True),
        sa.Column("category", sa.String(length=16), nullable=False),
        sa.Column("starts_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("local_weekday", sa.Integer(), nullable=False),
        sa.Column("local_hour", sa.Float(), nullable=False),
        sa.Column("shown_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_shown_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("shown_count", sa.Integer(), nullable=False),
        sa.Column("outcome", sa.String(length=16), nullable=True),
        sa.Column("decline_reason", sa.String(length=16), nullable=True),
        sa.Column("outcome_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("snoozed_until", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint(KINDS, name="kind_known"),
        sa.CheckConstraint(OUTCOMES, name="outcome_known"),
        sa.CheckConstraint(REASONS, name="decline_reason_known"),
        sa.ForeignKeyConstraint(["member_id"], ["members.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["need_id"], ["needs.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint(
            "member_id", "need_id", "kind", name="uq_match_events_member_need_kind"
        ),
    )
    op.create_index("ix_match_events_need_id", "match_events", ["need_id"])
    op.create_index("ix_match_events_shown_at", "match_events", ["shown_at"])
    op.create_index(
        "ix_match_events_unanswered_starts_at",
        "match_events",
        ["starts_at"],
        sqlite_where=sa.text(UNANSWERED),
        postgresql_where=sa.text(UNANSWERED),
    )
    op.create_table(
        "ranking_models",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("trained_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("events", sa.Integer(), nullable=False),
        sa.Column("figures", JSON, nullable=False),
        sa.Column("parameters", JSON, nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("reason", sa.String(length=300), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_ranking_models_trained_at", "ranking_models", ["trained_at"])


def downgrade() -> None:
    op.drop_table("ranking_models")
    op.drop_table("match_events")
