import contextlib
import socket
import traceback
from typing import Any

import pytest

from geo.geocoding import (
    ATTRIBUTION,
    PROVIDERS,
    AmbiguousAddress,
    Geocoder,
    GeocodingError,
    Place,
    UnknownAddress,
    make_geocoder,
)
from tests.fake_geocoders import FakeGeocoders

USER_AGENT = "servematch-tests"


# --- the offline provider -------------------------------------------------------------


@pytest.fixture(scope="module")
def offline() -> Geocoder:
    return make_geocoder("offline", user_agent=USER_AGENT)


def test_offline_finds_a_city_by_name_and_country_code(offline: Geocoder) -> None:
    chicago = offline.geocode("Chicago, US")
    assert (chicago.region, chicago.country_code) == ("Illinois", "US")
    assert chicago.lat == pytest.approx(41.85, abs=0.1)
    assert chicago.lon == pytest.approx(-87.65, abs=0.1)


def test_offline_understands_country_names_and_everyday_aliases_in_any_case(
    offline: Geocoder,
) -> None:
    bristol = offline.geocode("Bristol, United Kingdom")
    assert bristol == Place("Bristol, England, United Kingdom", 51.45523, -2.59665, "England", "GB")
    assert offline.geocode("bristol, UK") == bristol
    assert offline.geocode("  Bristol ,  united   kingdom ") == bristol
    assert offline.geocode("Bristol, GBR") == bristol
    assert offline.geocode("St. Louis, U.S.A.").region == "Missouri"


def test_a_region_by_name_or_code_picks_one_of_several_namesakes(offline: Geocoder) -> None:
    springfield = offline.geocode("Springfield, Illinois, US")
    assert (springfield.region, springfield.country_code) == ("Illinois", "US")
    assert springfield.lat == pytest.approx(39.80, abs=0.1)
    assert offline.geocode("Springfield, il, United States") == springfield
    assert offline.geocode("Glasgow, Scotland, GB").region == "Scotland"


def test_namesakes_in_one_country_without_a_region_are_ambiguous(offline: Geocoder) -> None:
    with pytest.raises(AmbiguousAddress) as raised:
        offline.geocode("Springfield, US")
    candidates = raised.value.candidates
    assert 2 <= len(candidates) <= 10
    assert {"Illinois", "Missouri", "Massachusetts", "Oregon", "Ohio"} <= {
        candidate.region for candidate in candidates
    }
    assert all(candidate.country_code == "US" for candidate in candidates)
    assert len({(candidate.lat, candidate.lon) for candidate in candidates}) == len(candidates)


def test_a_place_the_gazetteer_does_not_know_is_an_unknown_address(offline: Geocoder) -> None:
    with pytest.raises(UnknownAddress):
        offline.geocode("Nowhere Town, US")
    with pytest.raises(UnknownAddress, match="country"):
        offline.geocode("Chicago, Atlantis")
    with pytest.raises(UnknownAddress, match="region"):
        offline.geocode("Chicago, Texas, US")


def test_a_bare_city_name_is_refused_with_the_form_to_use(offline: Geocoder) -> None:
    with pytest.raises(UnknownAddress, match="'City, Country'"):
        offline.geocode("Chicago")


def test_street_addresses_are_beyond_the_offline_provider(offline: Geocoder) -> None:
    with pytest.raises(UnknownAddress, match="street"):
        offline.geocode("1 Main Street, Springfield, IL, US")


def test_a_blank_query_is_refused_before_any_lookup(offline: Geocoder) -> None:
    with pytest.raises(ValueError, match="blank"):
        offline.geocode("   ")


# --- building a geocoder --------------------------------------------------------------


def test_every_provider_has_an_attribution_to_show() -> None:
    assert set(ATTRIBUTION) == set(PROVIDERS)
    assert "OpenStreetMap" in ATTRIBUTION["nominatim"]
    assert "GeoNames" in ATTRIBUTION["offline"]


@pytest.mark.parametrize(
    ("provider", "options", "message"),
    [
        ("google", {}, "unknown geocoding provider"),
        ("pelias", {}, "no public server"),
        ("offline", {"url": "http://127.0.0.1:1"}, "no url"),
        ("nominatim", {"url": "127.0.0.1:8089"}, "base URL"),
        ("nominatim", {"min_delay_s": 0.5}, "one request per second"),
        (
            "nominatim",
            {"url": "https://nominatim.openstreetmap.org/", "min_delay_s": 0.0},
            "one request per second",
        ),
    ],
)
def test_a_configuration_that_cannot_work_is_refused_when_built(
    provider: str, options: dict[str, Any], message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        make_geocoder(provider, user_agent=USER_AGENT, **options)


def test_public_servers_need_no_url() -> None:
    for provider in ("nominatim", "photon"):
        assert make_geocoder(provider, user_agent=USER_AGENT).provider == provider


# --- online providers, against a local server speaking their formats ----------------


@pytest.fixture
def fake(fake_geocoders: FakeGeocoders) -> FakeGeocoders:
    return fake_geocoders


def local(fake: FakeGeocoders, provider: str = "nominatim", **options: Any) -> Geocoder:
    return make_geocoder(provider, url=fake.url, user_agent=USER_AGENT, **options)


@pytest.mark.parametrize("provider", ["nominatim", "photon", "pelias"])
def test_an_online_answer_becomes_a_place_with_its_region_and_country(
    fake: FakeGeocoders, provider: str
) -> None:
    bristol = local(fake, provider).geocode("Bristol")
    assert bristol.name.startswith("Bristol, ")
    assert (bristol.lat, bristol.lon) == (51.4538, -2.5973)
    assert (bristol.region, bristol.country_code) == ("England", "GB")


def test_nominatim_is_asked_for_json_with_address_details_and_our_user_agent(
    fake: FakeGeocoders,
) -> None:
    local(fake).geocode("Bristol")
    (request,) = fake.requests
    assert request.path == "/search"
    assert request.params["q"] == ["Bristol"]
    assert request.params["format"] == ["json"]
    assert request.params["addressdetails"] == ["1"]
    assert request.user_agent == USER_AGENT


def test_a_path_in_the_url_prefixes_the_providers_own(fake: FakeGeocoders) -> None:
    geocoder = make_geocoder("nominatim", url=f"{fake.url}/osm/", user_agent=USER_AGENT)
    geocoder.geocode("Bristol")
    assert [request.path for request in fake.requests] == ["/osm/search"]


def test_the_providers_best_answer_is_taken_when_several_come_back(fake: FakeGeocoders) -> None:
    assert local(fake, "photon").geocode("Springfield").region == "Illinois"


def test_no_online_answer_is_an_unknown_address(fake: FakeGeocoders) -> None:
    with pytest.raises(UnknownAddress):
        local(fake).geocode("Atlantis")


def test_a_repeated_query_is_answered_from_the_cache(fake: FakeGeocoders) -> None:
    geocoder = local(fake)
    assert geocoder.geocode("Bristol") == geocoder.geocode("  Bristol ")
    for _ in range(2):
        with pytest.raises(UnknownAddress):
            geocoder.geocode("Atlantis")
    assert [request.params["q"] for request in fake.requests] == [["Bristol"], ["Atlantis"]]


def test_failures_are_neither_retried_nor_cached(fake: FakeGeocoders) -> None:
    geocoder = local(fake)
    for _ in range(2):
        with pytest.raises(GeocodingError, match="nominatim"):
            geocoder.geocode("fail")
    assert len(fake.requests) == 2


class FakeClock:
    """Stands in for geopy's timer and sleep, so waits are counted, not waited for."""

    def __init__(self) -> None:
        self.now_s = 0.0
        self.sleeps_s: list[float] = []

    def timer(self) -> float:
        return self.now_s

    def sleep(self, seconds: float) -> None:
        self.sleeps_s.append(seconds)
        self.now_s += seconds


def test_every_request_after_the_first_waits_its_turn_at_the_rate_limiter(
    fake: FakeGeocoders, monkeypatch: pytest.MonkeyPatch
) -> None:
    clock = FakeClock()
    monkeypatch.setattr("geopy.extra.rate_limiter.default_timer", clock.timer)
    monkeypatch.setattr("geopy.extra.rate_limiter.sleep", clock.sleep)
    geocoder = local(fake, min_delay_s=30.0)
    for query in ("Bristol", "Springfield", "Bristol", "Atlantis"):
        with contextlib.suppress(UnknownAddress):
            geocoder.geocode(query)
    assert len(fake.requests) == 3  # the second "Bristol" came from the cache
    assert clock.sleeps_s == [30.0, 30.0]


def test_a_slow_server_is_a_geocoding_error(fake: FakeGeocoders) -> None:
    with pytest.raises(GeocodingError, match="GeocoderTimedOut"):
        local(fake, timeout_s=0.05).geocode("slow")


def test_an_unreachable_server_is_a_geocoding_error_that_never_quotes_the_query() -> None:
    # Bind and close a socket to get a local port nobody is listening on.
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    geocoder = make_geocoder("nominatim", url=f"http://127.0.0.1:{port}", user_agent=USER_AGENT)
    home = "221B Baker Street, London"
    with pytest.raises(GeocodingError) as raised:
        geocoder.geocode(home)
    # What a logger would print, chained exceptions included: a home address stays out.
    logged = "".join(traceback.format_exception(raised.value))
    assert "nominatim geocoding failed" in logged
    assert "Baker" not in logged
