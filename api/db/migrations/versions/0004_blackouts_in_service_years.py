"""Drop stored blackout dates outside the service's years (2000–2100).

Before the bound, a member could store a date such as 2871-11-26, and every candidates,
suggestions or sign-up call whose pool held that member failed. The API now refuses such
dates; this removes the ones already stored, so those members match again.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-01
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

FIRST, LAST = "2000-01-01", "2100-12-31"  # ISO dates compare as text

POSTGRESQL = f"""
UPDATE members SET blackout_dates = (
    SELECT coalesce(jsonb_agg(day ORDER BY day), '[]'::jsonb)
    FROM jsonb_array_elements_text(blackout_dates) AS day
    WHERE day BETWEEN '{FIRST}' AND '{LAST}')
WHERE EXISTS (
    SELECT 1 FROM jsonb_array_elements_text(blackout_dates) AS day
    WHERE day NOT BETWEEN '{FIRST}' AND '{LAST}')
"""

SQLITE = f"""
UPDATE members SET blackout_dates = (
    SELECT coalesce(json_group_array(value), '[]')
    FROM (SELECT value FROM json_each(members.blackout_dates)
          WHERE value BETWEEN '{FIRST}' AND '{LAST}' ORDER BY value))
WHERE EXISTS (
    SELECT 1 FROM json_each(members.blackout_dates)
    WHERE value NOT BETWEEN '{FIRST}' AND '{LAST}')
"""


def upgrade() -> None:
    op.execute(POSTGRESQL if op.get_bind().dialect.name == "postgresql" else SQLITE)


def downgrade() -> None:
    """The dropped dates were unusable; there is nothing to restore."""
