"""Radius queries: both backends return exactly the geodesic truth, and PostGIS uses its index."""

import itertools
import json
import random

import pytest
from fastapi import FastAPI
from geographiclib.geodesic import Geodesic
from sqlalchemy import insert, select, text

from api.db.models import Community, Need
from api.db.spatial import nearest_within, within_km
from api.db.types import new_id, utcnow
from geo.distance import geodesic_km_exact

# Centres chosen to stress the SQLite prefilter: ordinary, antimeridian, both poles.
CENTRES = [
    (51.45, -2.59, 25.0),
    (0.0, 179.95, 40.0),
    (-16.5, -179.9, 120.0),
    (89.7, 10.0, 60.0),
    (-89.95, 135.0, 30.0),
    (65.0, -179.99, 300.0),
]
POINTS_PER_CENTRE = 500


def _points_around(rng: random.Random, lat: float, lon: float, radius_km: float) -> list:
    points = []
    while len(points) < POINTS_PER_CENTRE:
        distance_km = rng.uniform(0, 2 * radius_km)
        if abs(distance_km - radius_km) < 0.001:
            continue  # within a metre of the edge: float noise, not a meaningful disagreement
        end = Geodesic.WGS84.Direct(lat, lon, rng.uniform(-180, 180), distance_km * 1000)
        points.append((end["lat2"], end["lon2"]))
    return points


@pytest.fixture
def scattered_needs(app: FastAPI) -> list[tuple[str, float, float]]:
    rng = random.Random(20261124)
    now = utcnow()
    community_id = new_id()
    rows = []
    for lat, lon, radius_km in CENTRES:
        for point_lat, point_lon in _points_around(rng, lat, lon, radius_km):
            rows.append((new_id(), point_lat, point_lon))
    with app.state.engine.begin() as connection:
        connection.execute(
            insert(Community).values(
                id=community_id,
                name="Scatter",
                meeting_lat=0,
                meeting_lon=0,
                timezone="UTC",
                created_at=now,
            )
        )
        connection.execute(
            insert(Need),
            [
                {
                    "id": need_id,
                    "community_id": community_id,
                    "title": "point",
                    "description": "",
                    "category": "other",
                    "location_lat": lat,
                    "location_lon": lon,
                    "private_location": False,
                    "shown_lat": lat,
                    "shown_lon": lon,
                    "shown_precision_km": 0.0,
                    "starts_at": now,
                    "ends_at": now.replace(year=now.year + 1),
                    "requirements": [],
                    "urgency": "normal",
                    "open_to_network": False,
                    "status": "open",
                    "created_at": now,
                    "updated_at": now,
                }
                for need_id, lat, lon in rows
            ],
        )
        if connection.dialect.name == "postgresql":
            connection.execute(text("ANALYZE needs"))
    return rows


def _radius_statement(dialect: str, lat: float, lon: float, radius_km: float):
    return select(Need.id).where(
        within_km(
            dialect,
            lat_column=Need.location_lat,
            lon_column=Need.location_lon,
            geography_column=Need.location_geog,
            lat=lat,
            lon=lon,
            radius_km=radius_km,
        )
    )


@pytest.mark.parametrize(("lat", "lon", "radius_km"), CENTRES)
def test_radius_query_returns_exactly_the_points_within_the_geodesic_radius(
    app: FastAPI,
    scattered_needs: list[tuple[str, float, float]],
    lat: float,
    lon: float,
    radius_km: float,
) -> None:
    expected = {
        need_id
        for need_id, point_lat, point_lon in scattered_needs
        if geodesic_km_exact(lat, lon, point_lat, point_lon) <= radius_km
    }
    engine = app.state.engine
    with engine.connect() as connection:
        statement = _radius_statement(engine.dialect.name, lat, lon, radius_km)
        found = set(connection.scalars(statement))
    assert len(expected) > 100  # the scatter really straddles the edge
    assert found == expected


def test_postgis_radius_query_is_answered_from_the_gist_index(
    app: FastAPI, backend: str, scattered_needs: list[tuple[str, float, float]]
) -> None:
    if backend != "postgresql":
        pytest.skip("the GiST index exists on PostGIS only")
    statement = _radius_statement("postgresql", 51.45, -2.59, 5.0)
    compiled = statement.compile(app.state.engine, compile_kwargs={"literal_binds": True})
    with app.state.engine.connect() as connection:
        plan = connection.execute(text(f"EXPLAIN (FORMAT JSON) {compiled}")).scalar_one()
    plan_text = json.dumps(plan)
    assert "ix_needs_location_geog" in plan_text
    assert "Seq Scan" not in plan_text


def _nearest_statement(
    dialect: str, lat: float, lon: float, radius_km: float, limit: int, point: str = "location"
):
    return nearest_within(
        dialect,
        select(Need.id),
        lat_column=getattr(Need, f"{point}_lat"),
        lon_column=getattr(Need, f"{point}_lon"),
        geography_column=getattr(Need, f"{point}_geog"),
        lat=lat,
        lon=lon,
        radius_km=radius_km,
        limit=limit,
    )


@pytest.mark.parametrize(("lat", "lon", "radius_km"), CENTRES)
@pytest.mark.parametrize("limit", [10, 10_000])
def test_nearest_within_returns_the_nearest_points_inside_the_radius_in_order(
    app: FastAPI,
    scattered_needs: list[tuple[str, float, float]],
    lat: float,
    lon: float,
    radius_km: float,
    limit: int,
) -> None:
    distances = {
        need_id: geodesic_km_exact(lat, lon, point_lat, point_lon)
        for need_id, point_lat, point_lon in scattered_needs
    }
    inside = sorted((d, need_id) for need_id, d in distances.items() if d <= radius_km)
    engine = app.state.engine
    with engine.connect() as connection:
        found = list(
            connection.scalars(_nearest_statement(engine.dialect.name, lat, lon, radius_km, limit))
        )
    assert len(found) == min(limit, len(inside))
    assert all(distances[need_id] <= radius_km for need_id in found)
    # PostGIS orders by spherical distance, up to 0.6% off the spheroid's: allow 1%.
    found_distances = [distances[need_id] for need_id in found]
    assert all(b >= a * 0.99 for a, b in itertools.pairwise(found_distances))
    assert max(found_distances) <= inside[len(found) - 1][0] * 1.01


# Suggestions walk the point outsiders see (``shown``: a private place's cell), which has
# its own GiST index; the exact point's serves owners' searches.
@pytest.mark.parametrize("point", ["location", "shown"])
def test_postgis_nearest_within_walks_the_gist_index_in_distance_order(
    app: FastAPI, backend: str, scattered_needs: list[tuple[str, float, float]], point: str
) -> None:
    if backend != "postgresql":
        pytest.skip("the GiST index exists on PostGIS only")
    statement = _nearest_statement("postgresql", 51.45, -2.59, 25.0, 50, point)
    compiled = statement.compile(app.state.engine, compile_kwargs={"literal_binds": True})
    with app.state.engine.connect() as connection:
        plan = connection.execute(text(f"EXPLAIN (FORMAT JSON) {compiled}")).scalar_one()
    scans = [
        node
        for node in _plan_nodes(plan[0]["Plan"])
        if node.get("Index Name") == f"ix_needs_{point}_geog"
    ]
    assert scans and "Order By" in scans[0]  # a KNN walk, not a scan then a sort


def _plan_nodes(node: dict):
    yield node
    for child in node.get("Plans", []):
        yield from _plan_nodes(child)
