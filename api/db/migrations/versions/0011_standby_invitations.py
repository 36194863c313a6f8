"""Standby invitations: one more member asked for a need nobody has taken, the first yes takes
the place (``signups.standby``), and the status ``superseded`` for the one who did not get it.

A standby invitation holds no place (``need_roles.invited`` does not count it), so the role
counters, the held index and the expiry CHECK are unchanged; only the status CHECK learns the
new word. SQLite cannot alter a CHECK in place: batch mode rebuilds the table there.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-02
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

STATUSES_BEFORE = (
    "status IN ('confirmed', 'withdrawn', 'invited', 'declined', 'expired', 'waiting')"
)
STATUSES = (
    "status IN ('confirmed', 'withdrawn', 'invited', 'declined', 'expired', 'waiting', "
    "'superseded')"
)


def upgrade() -> None:
    with op.batch_alter_table("signups") as batch:
        batch.add_column(
            sa.Column("standby", sa.Boolean(), server_default=sa.false(), nullable=False)
        )
        batch.drop_constraint("status_known", type_="check")
        batch.create_check_constraint("status_known", STATUSES)


def downgrade() -> None:
    """Standby invitations do not survive a downgrade: pending ones are withdrawn (they hold
    no place, so no counter changes), and a superseded sign-up reads as withdrawn."""
    op.execute(
        "UPDATE signups SET status = 'withdrawn', withdrawn_at = CURRENT_TIMESTAMP "
        "WHERE standby AND status IN ('invited', 'waiting')"
    )
    op.execute(
        "UPDATE signups SET status = 'withdrawn', withdrawn_at = CURRENT_TIMESTAMP "
        "WHERE status = 'superseded'"
    )
    with op.batch_alter_table("signups") as batch:
        batch.drop_constraint("status_known", type_="check")
        batch.create_check_constraint("status_known", STATUSES_BEFORE)
        batch.drop_column("standby")
