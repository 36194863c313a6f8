"""Keep asking: a need whose places are given back (declined, expired, withdrawn) is asked
again by the sweep, on behalf of whoever asked for it (``api.assignment.ask_again``).

``keep_asking_role``/``keep_asking_by`` name that caller (NULL: off); ``ask_again`` marks a
need with a place given back since, which the sweep finds through its index.

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-02
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("needs") as batch:
        batch.add_column(sa.Column("keep_asking_role", sa.String(16), nullable=True))
        batch.add_column(sa.Column("keep_asking_by", sa.String(36), nullable=True))
        batch.add_column(
            sa.Column("ask_again", sa.Boolean(), server_default=sa.false(), nullable=False)
        )
        batch.create_index("ix_needs_ask_again", ["ask_again"])


def downgrade() -> None:
    with op.batch_alter_table("needs") as batch:
        batch.drop_index("ix_needs_ask_again")
        batch.drop_column("ask_again")
        batch.drop_column("keep_asking_by")
        batch.drop_column("keep_asking_role")
