import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from geo.points import Point, normalise_lon


def test_point_holds_latitude_and_longitude_in_degrees() -> None:
    home = Point(51.5, -0.12)
    assert (home.lat, home.lon) == (51.5, -0.12)


@pytest.mark.parametrize("lat", [-90.0001, 90.0001, math.nan, math.inf])
def test_point_rejects_latitude_off_the_globe_naming_the_field(lat: float) -> None:
    with pytest.raises(ValueError, match=r"^lat "):
        Point(lat, 0.0)


@pytest.mark.parametrize("lon", [-180.0001, 180.0001, math.nan, -math.inf])
def test_point_rejects_longitude_off_the_globe_naming_the_field(lon: float) -> None:
    with pytest.raises(ValueError, match=r"^lon "):
        Point(0.0, lon)


def test_point_accepts_the_poles_and_both_antimeridian_spellings() -> None:
    assert Point(90, 180) != Point(-90, -180)


def test_point_is_immutable_and_hashable() -> None:
    point = Point(1.0, 2.0)
    with pytest.raises(AttributeError):
        point.lat = 3.0  # type: ignore[misc]
    assert {point, Point(1.0, 2.0)} == {point}


@given(st.floats(min_value=-1e6, max_value=1e6))
def test_normalised_longitude_is_in_range_and_names_the_same_meridian(lon: float) -> None:
    wrapped = normalise_lon(lon)
    assert -180.0 <= wrapped < 180.0
    turns = (lon - wrapped) / 360.0
    assert turns == pytest.approx(round(turns), abs=1e-9)


@pytest.mark.parametrize(("lon", "expected"), [(180, -180), (-180, -180), (190, -170), (-190, 170)])
def test_normalised_longitude_wraps_across_the_antimeridian(lon: float, expected: float) -> None:
    assert normalise_lon(lon) == expected


def test_normalised_longitude_of_a_tiny_negative_stays_in_range() -> None:
    assert normalise_lon(-1e-300) == pytest.approx(0.0)
    assert normalise_lon(-180 - 1e-14) < 180.0


def test_non_finite_longitude_cannot_be_normalised() -> None:
    with pytest.raises(ValueError, match="lon"):
        normalise_lon(math.inf)
