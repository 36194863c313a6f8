"""Waiting invitations: a new member's invitation may hold its place unsent (``waiting``)
until the invitation of the mentor it is paired with is accepted (``signups.waits_for_id``).

A waiting invitation holds a place like an invitation, so the status joins the CHECK, the
one-held-sign-up-per-(need, member) unique index and the rule that an invitation has an
expiry. SQLite cannot alter a CHECK or add a foreign key in place: batch mode rebuilds the
table there (PostgreSQL alters it).

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-12
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

STATUSES_BEFORE = "status IN ('confirmed', 'withdrawn', 'invited', 'declined', 'expired')"
STATUSES = "status IN ('confirmed', 'withdrawn', 'invited', 'declined', 'expired', 'waiting')"
HOLDS_A_PLACE_BEFORE = "status = 'confirmed' OR status = 'invited'"
HOLDS_A_PLACE = "status = 'confirmed' OR status = 'invited' OR status = 'waiting'"
EXPIRES_BEFORE = "status <> 'invited' OR expires_at IS NOT NULL"
EXPIRES = "(status <> 'invited' AND status <> 'waiting') OR expires_at IS NOT NULL"
FOREIGN_KEY = "fk_signups_waits_for_id"


def _held_index(where: str) -> None:
    op.create_index(
        "uq_signups_held_need_member",
        "signups",
        ["need_id", "member_id"],
        unique=True,
        sqlite_where=sa.text(where),
        postgresql_where=sa.text(where),
    )


def upgrade() -> None:
    op.drop_index("uq_signups_held_need_member", table_name="signups")
    with op.batch_alter_table("signups") as batch:
        batch.add_column(sa.Column("waits_for_id", sa.String(length=36), nullable=True))
        batch.create_foreign_key(
            FOREIGN_KEY, "signups", ["waits_for_id"], ["id"], ondelete="SET NULL"
        )
        batch.drop_constraint("status_known", type_="check")
        batch.create_check_constraint("status_known", STATUSES)
        batch.drop_constraint("invitation_expires", type_="check")
        batch.create_check_constraint("invitation_expires", EXPIRES)
    _held_index(HOLDS_A_PLACE)


def downgrade() -> None:
    """Waiting invitations do not survive a downgrade: they give their places back and
    become withdrawn (their members were never asked)."""
    op.execute(
        "UPDATE need_roles SET invited = invited - (SELECT count(*) FROM signups "
        "WHERE signups.role_id = need_roles.id AND signups.status = 'waiting')"
    )
    op.execute(
        "UPDATE signups SET status = 'withdrawn', withdrawn_at = CURRENT_TIMESTAMP "
        "WHERE status = 'waiting'"
    )
    op.drop_index("uq_signups_held_need_member", table_name="signups")
    with op.batch_alter_table("signups") as batch:
        batch.drop_constraint("invitation_expires", type_="check")
        batch.create_check_constraint("invitation_expires", EXPIRES_BEFORE)
        batch.drop_constraint("status_known", type_="check")
        batch.create_check_constraint("status_known", STATUSES_BEFORE)
        batch.drop_constraint(FOREIGN_KEY, type_="foreignkey")
        batch.drop_column("waits_for_id")
    _held_index(HOLDS_A_PLACE_BEFORE)
