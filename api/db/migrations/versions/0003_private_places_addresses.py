"""Private places: the point shown to outsiders as stored columns; addresses and their cache.

``needs.shown_*`` hold where a need is for anyone not entitled to its exact place (the
place itself, or the centre of its coarse cell when it is private), with their own indexes,
so radius filters and matching for those viewers run on the coarse point in the database.
Existing rows are filled with today's ``SERVEMATCH_LOCATION_COARSENING_KM``.

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-01
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from api.settings import get_settings
from geo.privacy import coarsen

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _fill_shown_points() -> None:
    connection = op.get_bind()
    connection.execute(
        sa.text(
            "UPDATE needs SET shown_lat = location_lat, shown_lon = location_lon, "
            "shown_precision_km = 0 WHERE NOT private_location"
        )
    )
    cell_km = get_settings().location_coarsening_km
    private = connection.execute(
        sa.text("SELECT id, location_lat, location_lon FROM needs WHERE private_location")
    ).all()
    for need_id, lat, lon in private:
        coarse = coarsen(lat, lon, cell_km=cell_km)
        connection.execute(
            sa.text(
                "UPDATE needs SET shown_lat = :lat, shown_lon = :lon, shown_precision_km = :cell "
                "WHERE id = :id"
            ),
            {"lat": coarse.lat, "lon": coarse.lon, "cell": cell_km, "id": need_id},
        )


def upgrade() -> None:
    with op.batch_alter_table("needs") as batch:
        batch.add_column(sa.Column("shown_lat", sa.Float(), nullable=True))
        batch.add_column(sa.Column("shown_lon", sa.Float(), nullable=True))
        batch.add_column(sa.Column("shown_precision_km", sa.Float(), nullable=True))
        batch.add_column(sa.Column("address", sa.String(length=300), nullable=True))
    _fill_shown_points()
    with op.batch_alter_table("needs") as batch:
        batch.alter_column("shown_lat", existing_type=sa.Float(), nullable=False)
        batch.alter_column("shown_lon", existing_type=sa.Float(), nullable=False)
        batch.alter_column("shown_precision_km", existing_type=sa.Float(), nullable=False)
    op.create_index("ix_needs_shown_lat_lon", "needs", ["shown_lat", "shown_lon"], unique=False)
    for table in ("members", "communities"):
        with op.batch_alter_table(table) as batch:
            batch.add_column(sa.Column("address", sa.String(length=300), nullable=True))
    op.create_table(
        "geocoded_addresses",
        sa.Column("provider", sa.String(length=16), nullable=False),
        sa.Column("query", sa.String(length=300), nullable=False),
        sa.Column("name", sa.String(length=300), nullable=False),
        sa.Column("lat", sa.Float(), nullable=False),
        sa.Column("lon", sa.Float(), nullable=False),
        sa.Column("region", sa.String(length=120), nullable=True),
        sa.Column("country_code", sa.String(length=2), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("provider", "query"),
    )
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            "ALTER TABLE needs ADD COLUMN shown_geog geography(Point, 4326) "
            "GENERATED ALWAYS AS ((ST_SetSRID(ST_MakePoint(shown_lon, shown_lat), 4326))"
            "::geography) STORED"
        )
        op.execute("CREATE INDEX ix_needs_shown_geog ON needs USING gist (shown_geog)")


def downgrade() -> None:
    op.drop_table("geocoded_addresses")
    for table in ("members", "communities"):
        with op.batch_alter_table(table) as batch:
            batch.drop_column("address")
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP INDEX ix_needs_shown_geog")
        op.execute("ALTER TABLE needs DROP COLUMN shown_geog")
    op.drop_index("ix_needs_shown_lat_lon", table_name="needs")
    with op.batch_alter_table("needs") as batch:
        batch.drop_column("address")
        batch.drop_column("shown_precision_km")
        batch.drop_column("shown_lon")
        batch.drop_column("shown_lat")
