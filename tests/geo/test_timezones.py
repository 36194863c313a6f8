import pytest

from geo.timezones import timezone_at


@pytest.mark.parametrize(
    ("lat", "lon", "zone"),
    [
        (41.85, -87.65, "America/Chicago"),
        (51.455, -2.597, "Europe/London"),
        (39.80, -89.64, "America/Chicago"),  # Springfield, Illinois
        (-33.87, 151.21, "Australia/Sydney"),
    ],
)
def test_a_point_on_land_gets_its_iana_zone(lat: float, lon: float, zone: str) -> None:
    assert timezone_at(lat, lon) == zone


def test_mid_ocean_there_is_no_zone_rather_than_a_nautical_one() -> None:
    # timezonefinder itself would say "Etc/GMT+2" here.
    assert timezone_at(0.0, -30.0) is None


def test_coordinates_off_the_globe_are_refused() -> None:
    with pytest.raises(ValueError, match="longitude"):
        timezone_at(0.0, 200.0)
