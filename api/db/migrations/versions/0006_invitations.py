"""Invitations: a sign-up may be ``invited`` (holding a place), ``declined`` or ``expired``.

Roles count the places held by pending invitations (``need_roles.invited``) beside the
confirmed ones, and a CHECK keeps both together within the role's count. The unique index on
(need, member) now covers every sign-up that holds a place, invitations included.

SQLite cannot alter a CHECK in place: batch mode rebuilds the tables there (PostgreSQL alters
them).

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-03
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

STATUSES_BEFORE = "status IN ('confirmed', 'withdrawn')"
STATUSES = "status IN ('confirmed', 'withdrawn', 'invited', 'declined', 'expired')"
HOLDS_A_PLACE = "status = 'confirmed' OR status = 'invited'"
PENDING = "status = 'invited'"


def _unique_index(name: str, where: str) -> None:
    op.create_index(
        name,
        "signups",
        ["need_id", "member_id"],
        unique=True,
        sqlite_where=sa.text(where),
        postgresql_where=sa.text(where),
    )


def upgrade() -> None:
    with op.batch_alter_table("need_roles") as batch:
        batch.add_column(
            sa.Column("invited", sa.Integer(), server_default=sa.text("0"), nullable=False)
        )
        batch.create_check_constraint(
            "role_never_overheld", "invited >= 0 AND filled + invited <= count"
        )
    op.drop_index("uq_signups_confirmed_need_member", table_name="signups")
    with op.batch_alter_table("signups") as batch:
        batch.add_column(sa.Column("invited_by", sa.String(length=36), nullable=True))
        batch.add_column(sa.Column("expires_at", sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column("answered_at", sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column("decline_reason", sa.String(length=16), nullable=True))
        batch.add_column(sa.Column("decline_note", sa.String(length=500), nullable=True))
        batch.drop_constraint("status_known", type_="check")
        batch.create_check_constraint("status_known", STATUSES)
        batch.create_check_constraint(
            "decline_reason_known", "decline_reason IN ('busy', 'not_for_me', 'other')"
        )
        batch.create_check_constraint(
            "invitation_expires", "status <> 'invited' OR expires_at IS NOT NULL"
        )
    _unique_index("uq_signups_held_need_member", HOLDS_A_PLACE)
    op.create_index("ix_signups_member_created", "signups", ["member_id", "created_at"])
    op.create_index(
        "ix_signups_pending_expires",
        "signups",
        ["expires_at"],
        sqlite_where=sa.text(PENDING),
        postgresql_where=sa.text(PENDING),
    )


def downgrade() -> None:
    """Invitations do not survive a downgrade: pending ones give their places back, and
    every sign-up that is neither confirmed nor withdrawn becomes withdrawn."""
    op.execute(
        "UPDATE signups SET status = 'withdrawn' WHERE status NOT IN ('confirmed', 'withdrawn')"
    )
    op.drop_index("ix_signups_pending_expires", table_name="signups")
    op.drop_index("ix_signups_member_created", table_name="signups")
    op.drop_index("uq_signups_held_need_member", table_name="signups")
    with op.batch_alter_table("signups") as batch:
        batch.drop_constraint("invitation_expires", type_="check")
        batch.drop_constraint("decline_reason_known", type_="check")
        batch.drop_constraint("status_known", type_="check")
        batch.create_check_constraint("status_known", STATUSES_BEFORE)
        batch.drop_column("decline_note")
        batch.drop_column("decline_reason")
        batch.drop_column("answered_at")
        batch.drop_column("expires_at")
        batch.drop_column("invited_by")
    _unique_index("uq_signups_confirmed_need_member", "status = 'confirmed'")
    with op.batch_alter_table("need_roles") as batch:
        batch.drop_constraint("role_never_overheld", type_="check")
        batch.drop_column("invited")
