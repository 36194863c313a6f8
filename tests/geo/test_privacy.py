import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from geo.distance import geodesic_km
from geo.points import normalise_lon
from geo.privacy import coarsen

latitudes = st.one_of(
    st.floats(min_value=-90, max_value=90),
    st.floats(min_value=89.9, max_value=90),
    st.floats(min_value=-90, max_value=-89.9),
)
longitudes = st.one_of(
    st.floats(min_value=-180, max_value=180),
    st.floats(min_value=179.9, max_value=180),
    st.floats(min_value=-180, max_value=-179.9),
)
cell_sizes_km = st.floats(min_value=0.05, max_value=100)


@given(latitudes, longitudes, cell_sizes_km)
def test_coarse_point_is_a_valid_position_within_one_cell_of_the_true_one(
    lat: float, lon: float, cell_km: float
) -> None:
    # Point construction inside coarsen already guarantees a valid lat/lon.
    coarse = coarsen(lat, lon, cell_km=cell_km)
    assert geodesic_km(lat, lon, coarse.lat, coarse.lon) <= cell_km


@given(latitudes, longitudes, cell_sizes_km)
def test_coarsening_twice_changes_nothing(lat: float, lon: float, cell_km: float) -> None:
    coarse = coarsen(lat, lon, cell_km=cell_km)
    assert coarsen(coarse.lat, coarse.lon, cell_km=cell_km) == coarse


@given(latitudes, longitudes, st.floats(min_value=0, max_value=0.999))
def test_every_point_in_a_cell_is_reported_as_the_same_coarse_point(
    lat: float, lon: float, step: float
) -> None:
    # Cells are latitude/longitude rectangles, so everything on the way from the true point
    # to its cell centre is in the same cell. The answer depends on the cell alone, which is
    # why asking repeatedly (or from nearby) reveals nothing more.
    coarse = coarsen(lat, lon)
    between_lat = coarse.lat + (lat - coarse.lat) * step
    between_lon = coarse.lon + (normalise_lon(lon) - coarse.lon) * step
    assert coarsen(between_lat, between_lon) == coarse


def test_a_home_is_snapped_away_from_its_exact_position_to_within_a_kilometre() -> None:
    coarse = coarsen(51.50740, -0.12780)
    assert (coarse.lat, coarse.lon) != (51.50740, -0.12780)
    assert geodesic_km(51.50740, -0.12780, coarse.lat, coarse.lon) <= 1.0


@pytest.mark.parametrize("lat", [0.3, 37.0, 60.2])
def test_neighbouring_cells_are_about_cell_km_apart(lat: float) -> None:
    here = coarsen(lat, 10.0, cell_km=2.0)
    north = coarsen(here.lat + 2.0 / 111.0, 10.0, cell_km=2.0)
    east = coarsen(here.lat, here.lon + 2.0 / (111.0 * math.cos(math.radians(lat))), cell_km=2.0)
    # Rows differ in column count, so compare row spacing along the meridian.
    assert geodesic_km(here.lat, here.lon, north.lat, here.lon) == pytest.approx(2.0, rel=0.02)
    assert geodesic_km(here.lat, here.lon, east.lat, east.lon) == pytest.approx(2.0, rel=0.02)


def test_both_spellings_of_the_antimeridian_land_in_the_same_cell() -> None:
    assert coarsen(-16.5, 180.0) == coarsen(-16.5, -180.0)


@pytest.mark.parametrize("cell_km", [0.0, -1.0, math.nan, math.inf])
def test_cell_size_must_be_positive_and_finite(cell_km: float) -> None:
    with pytest.raises(ValueError, match="cell_km"):
        coarsen(0.0, 0.0, cell_km=cell_km)


def test_latitude_must_be_on_the_globe() -> None:
    with pytest.raises(ValueError, match="lat"):
        coarsen(-90.5, 0.0)
