import math

import pytest
from geographiclib.geodesic import Geodesic
from hypothesis import given, settings
from hypothesis import strategies as st

from geo.bbox import BoundingBox, radius_bounding_boxes


def _in_some_box(boxes: tuple[BoundingBox, ...], lat: float, lon: float) -> bool:
    return any(box.contains(lat, lon) for box in boxes)


def _destination(
    lat: float, lon: float, bearing_deg: float, distance_km: float
) -> tuple[float, float]:
    # Karney's direct problem returns longitudes in [-180, 180], as they would be stored.
    result = Geodesic.WGS84.Direct(lat, lon, bearing_deg, distance_km * 1000)
    return result["lat2"], result["lon2"]


centre_latitudes = st.one_of(
    st.floats(min_value=-90, max_value=90),
    st.floats(min_value=85, max_value=90),
    st.floats(min_value=-90, max_value=-85),
)
centre_longitudes = st.one_of(
    st.floats(min_value=-180, max_value=180),
    st.floats(min_value=179, max_value=180),
    st.floats(min_value=-180, max_value=-179),
)
radii_km = st.one_of(
    st.floats(min_value=0, max_value=50),
    st.floats(min_value=0, max_value=25_000),
)


@settings(max_examples=400)
@given(
    centre_latitudes,
    centre_longitudes,
    radii_km,
    st.floats(min_value=-180, max_value=180),
    st.floats(min_value=0, max_value=1),
)
def test_every_point_within_the_radius_lies_in_some_box(
    lat: float, lon: float, radius_km: float, bearing_deg: float, fraction: float
) -> None:
    boxes = radius_bounding_boxes(lat, lon, radius_km)
    # The rim of the circle is the hard case, so test it as well as a random interior point.
    for distance_km in (radius_km, radius_km * fraction):
        assert _in_some_box(boxes, *_destination(lat, lon, bearing_deg, distance_km))


def test_the_rim_of_a_circle_crossing_the_antimeridian_is_covered_all_round() -> None:
    boxes = radius_bounding_boxes(-17.7, 179.9, 100)
    for bearing_deg in range(0, 360, 5):
        assert _in_some_box(boxes, *_destination(-17.7, 179.9, bearing_deg, 100))


def test_a_small_mid_latitude_circle_gives_one_box_hugging_it_within_one_percent() -> None:
    (box,) = radius_bounding_boxes(45.0, 10.0, 50)
    north, _ = _destination(45.0, 10.0, 0, 50)
    south, _ = _destination(45.0, 10.0, 180, 50)
    east = max(_destination(45.0, 10.0, bearing, 50)[1] for bearing in range(0, 181))
    assert north <= box.max_lat <= north + 0.01 * (north - 45.0)
    assert south - 0.01 * (45.0 - south) <= box.min_lat <= south
    assert east <= box.max_lon <= east + 0.01 * (east - 10.0)
    assert box.min_lon == pytest.approx(20.0 - box.max_lon)


def test_a_circle_crossing_the_antimeridian_splits_into_an_east_and_a_west_box() -> None:
    west_box, east_box = radius_bounding_boxes(0.0, 179.9, 50)
    assert west_box.max_lon == 180.0
    assert 179.0 < west_box.min_lon < 179.9
    assert east_box.min_lon == -180.0
    assert -180.0 < east_box.max_lon < -179.0


def test_a_centre_on_the_antimeridian_is_the_same_whichever_way_it_is_written() -> None:
    assert radius_bounding_boxes(10.0, 180.0, 30) == radius_bounding_boxes(10.0, -180.0, 30)


@pytest.mark.parametrize("lat", [90.0, 89.9, -89.95])
def test_a_circle_reaching_a_pole_takes_every_longitude(lat: float) -> None:
    (box,) = radius_bounding_boxes(lat, 33.0, 20)
    assert (box.min_lon, box.max_lon) == (-180.0, 180.0)
    assert box.max_lat == 90.0 if lat > 0 else box.min_lat == -90.0


def test_a_circle_just_short_of_the_pole_keeps_a_longitude_range() -> None:
    (box,) = radius_bounding_boxes(89.0, 33.0, 100)
    assert box.max_lat < 90.0
    assert box.max_lon - box.min_lon < 180.0


def test_a_radius_of_half_the_earth_covers_everything() -> None:
    assert radius_bounding_boxes(12.0, 34.0, 20_004) == (BoundingBox(-90, 90, -180, 180),)


def test_a_zero_radius_still_contains_its_centre() -> None:
    boxes = radius_bounding_boxes(-33.9, 151.2, 0)
    assert _in_some_box(boxes, -33.9, 151.2)


@pytest.mark.parametrize("radius_km", [-1.0, math.nan, math.inf])
def test_radius_must_be_a_non_negative_finite_number(radius_km: float) -> None:
    with pytest.raises(ValueError, match="radius_km"):
        radius_bounding_boxes(0.0, 0.0, radius_km)


def test_centre_latitude_must_be_on_the_globe() -> None:
    with pytest.raises(ValueError, match="lat"):
        radius_bounding_boxes(91.0, 0.0, 1.0)


def test_a_box_refuses_inverted_or_out_of_range_bounds() -> None:
    with pytest.raises(ValueError):
        BoundingBox(10, 0, 0, 10)
    with pytest.raises(ValueError):
        BoundingBox(0, 10, 170, 190)


def test_box_containment_includes_its_edges_like_sql_between() -> None:
    box = BoundingBox(0, 1, 2, 3)
    assert box.contains(0, 2) and box.contains(1, 3)
    assert not box.contains(1.0000001, 3)
