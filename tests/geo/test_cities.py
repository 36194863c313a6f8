import pytest

from geo.cities import (
    City,
    cities_named,
    country_code_for,
    country_name,
    find_city,
    largest_cities,
    region_name,
)
from geo.distance import geodesic_km


def test_a_name_finds_its_most_populous_bearer() -> None:
    london = find_city("London")
    assert (london.name, london.country_code, london.timezone) == ("London", "GB", "Europe/London")
    assert geodesic_km(london.lat, london.lon, 51.5074, -0.1278) < 5


def test_a_country_code_picks_the_namesake_in_that_country() -> None:
    ontario_london = find_city("London", "CA")
    assert ontario_london.country_code == "CA"
    assert ontario_london.population < find_city("London").population


def test_lookups_ignore_case_and_surrounding_space() -> None:
    assert find_city("  pARIS ", "fr") == find_city("Paris", "FR")


def test_an_alternate_name_finds_the_city_when_no_city_officially_has_it() -> None:
    assert find_city("Zurich").name == "Zürich"


def test_an_unknown_place_is_a_lookup_error() -> None:
    with pytest.raises(LookupError, match="Nowhereville"):
        find_city("Nowhereville")
    with pytest.raises(LookupError, match="in FR"):
        find_city("Ottawa", "fr")


def test_largest_cities_are_in_descending_population_order() -> None:
    cities = largest_cities(25)
    assert len(cities) == 25
    populations = [city.population for city in cities]
    assert populations == sorted(populations, reverse=True)
    assert all(isinstance(city, City) for city in cities)


def test_largest_cities_can_be_limited_to_one_country() -> None:
    british = largest_cities(3, country_code="gb")
    assert [city.country_code for city in british] == ["GB", "GB", "GB"]
    assert british[0] == find_city("London")


def test_asking_for_no_cities_gives_none_and_a_negative_count_is_an_error() -> None:
    assert largest_cities(0) == []
    with pytest.raises(ValueError, match="non-negative"):
        largest_cities(-1)


def test_every_shipped_city_has_a_valid_position() -> None:
    for city in largest_cities(100_000):
        assert -90 <= city.lat <= 90
        assert -180 <= city.lon <= 180


def test_all_namesakes_in_a_country_come_most_populous_first() -> None:
    springfields = cities_named("springfield", "us")
    assert len(springfields) > 2
    assert {city.country_code for city in springfields} == {"US"}
    populations = [city.population for city in springfields]
    assert populations == sorted(populations, reverse=True)
    assert cities_named("Springfield", "FR") == []


def test_countries_are_found_by_code_name_or_everyday_alias() -> None:
    for spelling in ("GB", "gbr", "United Kingdom", "UK", "u.k.", "Great Britain"):
        assert country_code_for(spelling) == "GB"
    for spelling in ("us", "USA", "U.S.A.", "United States", "united states of america"):
        assert country_code_for(spelling) == "US"
    assert country_code_for("Atlantis") is None
    assert country_name("gb") == "United Kingdom"


def test_region_names_are_known_for_us_states_and_uk_nations_only() -> None:
    assert region_name(find_city("Springfield", "US")) in {"Missouri", "Illinois", "Massachusetts"}
    assert region_name(find_city("Chicago", "US")) == "Illinois"
    assert region_name(find_city("Cardiff", "GB")) == "Wales"
    assert region_name(find_city("Toronto", "CA")) is None
    assert find_city("Toronto", "CA").admin1_code == "08"
