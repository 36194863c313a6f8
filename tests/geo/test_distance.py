import numpy as np
import pytest
from geographiclib.geodesic import Geodesic
from geopy.distance import geodesic
from hypothesis import given
from hypothesis import strategies as st

from geo.distance import SPHERE_MARGIN, geodesic_km, geodesic_km_exact, great_circle_km

latitudes = st.floats(min_value=-90, max_value=90)
longitudes = st.floats(min_value=-180, max_value=180)


def _random_pairs(regime: str, count: int, seed: int) -> tuple[np.ndarray, ...]:
    rng = np.random.default_rng(seed)
    # Uniform on the sphere, so high latitudes are not over-represented.
    lat1 = np.degrees(np.arcsin(rng.uniform(-1, 1, count)))
    lon1 = rng.uniform(-180, 180, count)
    if regime == "global":
        lat2 = np.degrees(np.arcsin(rng.uniform(-1, 1, count)))
        lon2 = rng.uniform(-180, 180, count)
    elif regime == "short_range":
        lat2 = np.clip(lat1 + rng.normal(0, 0.05, count), -90, 90)
        lon2 = lon1 + rng.normal(0, 0.05, count)
    elif regime == "near_poles":
        lat1 = rng.uniform(85, 90, count) * rng.choice([-1, 1], count)
        lat2 = np.sign(lat1) * rng.uniform(85, 90, count)
        lon2 = rng.uniform(-180, 180, count)
    elif regime == "across_antimeridian":
        lon1 = rng.uniform(170, 180, count)
        lat2 = np.clip(lat1 + rng.normal(0, 1, count), -90, 90)
        lon2 = rng.uniform(-180, -170, count)
    elif regime == "near_antipodal":
        lat2 = np.clip(-lat1 + rng.normal(0, 0.5, count), -90, 90)
        lon2 = lon1 + 180 + rng.normal(0, 0.5, count)
    elif regime == "near_antipodal_on_equator":
        lat1 = rng.normal(0, 0.01, count)
        lat2 = rng.normal(0, 0.01, count)
        lon2 = lon1 + 180 + rng.normal(0, 0.3, count)
    else:
        raise AssertionError(regime)
    lon2 = np.remainder(lon2 + 180, 360) - 180
    return lat1, lon1, lat2, lon2


@pytest.mark.parametrize(
    "regime",
    [
        "global",
        "short_range",
        "near_poles",
        "across_antimeridian",
        "near_antipodal",
        "near_antipodal_on_equator",
    ],
)
def test_vectorised_distance_matches_geopy_geodesic_to_a_millionth(regime: str) -> None:
    # The contract is 0.5 %; holding it to 1e-6 catches a broken formula long before that.
    lat1, lon1, lat2, lon2 = _random_pairs(regime, 1500, seed=len(regime))
    got = geodesic_km(lat1, lon1, lat2, lon2)
    expected = np.array(
        [geodesic((a, b), (c, d)).km for a, b, c, d in zip(lat1, lon1, lat2, lon2, strict=True)]
    )
    # A micrometre of absolute slack for pairs a few metres apart.
    np.testing.assert_allclose(got, expected, rtol=1e-6, atol=1e-9)


def test_vincentys_own_reference_line_flinders_peak_to_buninyong() -> None:
    # Published in Vincenty (1975) / Geoscience Australia: 54 972.271 m.
    lat1, lon1 = -(37 + 57 / 60 + 3.72030 / 3600), 144 + 25 / 60 + 29.52440 / 3600
    lat2, lon2 = -(37 + 39 / 60 + 10.15610 / 3600), 143 + 55 / 60 + 35.38390 / 3600
    assert geodesic_km(lat1, lon1, lat2, lon2) == pytest.approx(54.972271, abs=1e-6)


@given(latitudes, longitudes)
def test_a_point_is_zero_km_from_itself(lat: float, lon: float) -> None:
    assert geodesic_km(lat, lon, lat, lon) == 0.0


@given(latitudes, longitudes, latitudes, longitudes)
def test_distance_is_symmetric_and_never_exceeds_half_a_meridian(
    lat1: float, lon1: float, lat2: float, lon2: float
) -> None:
    there = geodesic_km(lat1, lon1, lat2, lon2)
    back = geodesic_km(lat2, lon2, lat1, lon1)
    assert there == pytest.approx(back, rel=1e-9, abs=1e-9)
    assert 0.0 <= there <= 20003.932


@given(latitudes, longitudes, latitudes, longitudes)
def test_vectorised_distance_agrees_with_the_exact_scalar_distance(
    lat1: float, lon1: float, lat2: float, lon2: float
) -> None:
    # abs=1e-7 km (0.1 mm): Vincenty's formula loses a few micrometres to rounding on
    # sub-millimetre separations, which no distance shown to anyone can notice.
    assert geodesic_km(lat1, lon1, lat2, lon2) == pytest.approx(
        geodesic_km_exact(lat1, lon1, lat2, lon2), rel=1e-9, abs=1e-7
    )


def test_exact_distance_is_karneys_algorithm_as_used_by_postgis() -> None:
    expected_m = Geodesic.WGS84.Inverse(51.5074, -0.1278, 40.7128, -74.0060)["s12"]
    assert geodesic_km_exact(51.5074, -0.1278, 40.7128, -74.0060) == expected_m / 1000


def test_crossing_the_antimeridian_takes_the_short_way_round() -> None:
    # 0.2 degrees of longitude on the equator, not 359.8.
    assert geodesic_km(0, 179.9, 0, -179.9) == pytest.approx(22.264, abs=1e-3)
    assert geodesic_km(0, 179.9, 0, -179.9) == pytest.approx(geodesic_km(0, 179.9, 0, 180.1))


def test_longitude_at_a_pole_does_not_matter() -> None:
    assert geodesic_km(90, 0, 90, 123) == pytest.approx(0.0, abs=1e-9)
    assert geodesic_km(90, 0, 45, 10) == pytest.approx(geodesic_km(90, 170, 45, 10), rel=1e-12)


def test_pole_to_pole_and_exact_equatorial_antipodes_are_half_a_meridian() -> None:
    half_meridian_km = 20003.931458623
    assert geodesic_km(90, 0, -90, 0) == pytest.approx(half_meridian_km, abs=1e-6)
    # Vincenty fails to converge here; the Karney fallback must still answer.
    assert geodesic_km(0, 0, 0, 180) == pytest.approx(half_meridian_km, abs=1e-6)


def test_scalars_give_a_zero_dimensional_float64_array() -> None:
    result = geodesic_km(0, 0, 1, 1)
    assert result.shape == ()
    assert result.dtype == np.float64


def test_inputs_broadcast_like_numpy_arithmetic() -> None:
    need_lats = np.array([51.5, 48.9, 40.7])[:, np.newaxis]
    need_lons = np.array([-0.1, 2.35, -74.0])[:, np.newaxis]
    member_lats = np.array([52.2, 53.5])
    member_lons = np.array([0.12, -2.2])
    matrix = geodesic_km(need_lats, need_lons, member_lats, member_lons)
    assert matrix.shape == (3, 2)
    assert matrix[1, 0] == pytest.approx(geodesic_km_exact(48.9, 2.35, 52.2, 0.12), rel=1e-9)


def test_empty_input_gives_empty_output() -> None:
    assert geodesic_km([], [], [], []).shape == (0,)


@pytest.mark.parametrize("bad_lat", [90.0001, -91, float("nan")])
def test_out_of_range_latitude_is_rejected(bad_lat: float) -> None:
    with pytest.raises(ValueError, match="latitude"):
        geodesic_km([0, bad_lat], 0, 0, 0)
    with pytest.raises(ValueError, match="latitude"):
        geodesic_km_exact(0, 0, bad_lat, 0)


@pytest.mark.parametrize("bad_lon", [float("inf"), float("nan")])
def test_non_finite_longitude_is_rejected(bad_lon: float) -> None:
    with pytest.raises(ValueError, match="longitude"):
        geodesic_km(0, bad_lon, 0, 0)
    with pytest.raises(ValueError, match="longitude"):
        geodesic_km_exact(0, 0, 0, bad_lon)


@given(latitudes, longitudes, latitudes, longitudes)
def test_the_great_circle_is_within_the_spheres_margin_of_the_geodesic(
    lat1: float, lon1: float, lat2: float, lon2: float
) -> None:
    """What makes it a bound: shortened by the margin it never exceeds the geodesic."""
    sphere = float(great_circle_km(lat1, lon1, lat2, lon2))
    exact = geodesic_km_exact(lat1, lon1, lat2, lon2)
    assert sphere * (1 - SPHERE_MARGIN) <= exact + 1e-9
    assert exact <= sphere * (1 + SPHERE_MARGIN) + 1e-9
