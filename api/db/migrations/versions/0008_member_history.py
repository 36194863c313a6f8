"""Member history: stages over time, memberships over time, apprentices of leaders.

``stage_changes`` records each stage a member held from when (a row at joining, one per
change by a coordinator), so a community's health can be told month by month.
``memberships`` records which community a member belonged to from when until when: a
multiplication moves members into a daughter community and their past stays with the
mother's figures. ``members.apprentice_of`` marks a leader-to-be beside their leader.

Existing members get one row of each from their ``created_at`` (their stage is known only as
it is now). SQLite adds the foreign-key column in batch mode (it rebuilds the table).

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-09
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

STAGES = "stage IN ('new', 'growing', 'mature', 'leader')"


def upgrade() -> None:
    with op.batch_alter_table("members") as batch:
        batch.add_column(sa.Column("apprentice_of", sa.String(length=36), nullable=True))
        batch.create_foreign_key(
            "fk_members_apprentice_of_members",
            "members",
            ["apprentice_of"],
            ["id"],
            ondelete="SET NULL",
        )
        batch.create_index("ix_members_apprentice_of", ["apprentice_of"])
    op.create_table(
        "stage_changes",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("member_id", sa.String(length=36), nullable=False),
        sa.Column("stage", sa.String(length=16), nullable=False),
        sa.Column("changed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("changed_by", sa.String(length=36), nullable=True),
        sa.CheckConstraint(STAGES, name="stage_known"),
        sa.ForeignKeyConstraint(["member_id"], ["members.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_stage_changes_member_changed", "stage_changes", ["member_id", "changed_at"])
    op.create_table(
        "memberships",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("member_id", sa.String(length=36), nullable=False),
        sa.Column("community_id", sa.String(length=36), nullable=False),
        sa.Column("joined_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("left_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint("left_at IS NULL OR left_at >= joined_at", name="left_after_joining"),
        sa.ForeignKeyConstraint(["community_id"], ["communities.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["member_id"], ["members.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_memberships_community_joined", "memberships", ["community_id", "joined_at"])
    op.create_index("ix_memberships_member_id", "memberships", ["member_id"])
    # Ids of the backfilled rows derive from the member's (the same 36 characters, one letter
    # apart), so the statement is plain SQL on both backends.
    op.execute(
        "INSERT INTO stage_changes (id, member_id, stage, changed_at) "
        "SELECT 's' || substr(id, 2), id, stage, created_at FROM members"
    )
    op.execute(
        "INSERT INTO memberships (id, member_id, community_id, joined_at) "
        "SELECT 'm' || substr(id, 2), id, community_id, created_at FROM members"
    )


def downgrade() -> None:
    op.drop_table("memberships")
    op.drop_table("stage_changes")
    with op.batch_alter_table("members") as batch:
        batch.drop_index("ix_members_apprentice_of")
        batch.drop_constraint("fk_members_apprentice_of_members", type_="foreignkey")
        batch.drop_column("apprentice_of")
