"""Index members by when they last changed.

Each worker keeps a snapshot of every active member for candidates in dense places
(``api.matching.member_snapshot``) and asks, per request, which members changed since it was
taken: an index range scan instead of a pass over every member.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-02
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index("ix_members_updated_at", "members", ["updated_at"])


def downgrade() -> None:
    op.drop_index("ix_members_updated_at", table_name="members")
