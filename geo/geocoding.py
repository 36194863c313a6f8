"""Turning an address or place name into coordinates, through any geopy provider.

Callers get one small interface (`Geocoder.geocode` returning a `Place` or None) and one
error type (`GeocodingError`), whichever provider is configured. Requests go through geopy's
`RateLimiter` because public services such as OpenStreetMap's Nominatim ban clients that
exceed their published rate. The `"gazetteer"` provider answers from `geo.cities` without
any network, for demos and tests.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from geopy.exc import GeocoderServiceError, GeocoderTimedOut, GeocoderUnavailable
from geopy.extra.rate_limiter import RateLimiter
from geopy.geocoders import get_geocoder_for_service

from geo.cities import find_city

# Nominatim's usage policy: "an absolute maximum of 1 request per second".
_NOMINATIM_MIN_DELAY_S = 1.0
# geopy's own default pause before retrying a failed request.
_ERROR_WAIT_S = 5.0


@dataclass(frozen=True)
class Place:
    """A geocoding answer: the provider's name for the place and its WGS84 position."""

    name: str
    lat: float
    lon: float


class GeocodingError(Exception):
    """The provider could not answer: timed out, unreachable, or returned an error."""


class Geocoder:
    """Geocodes free text with one provider; share one instance so its rate limit holds."""

    def __init__(self, lookup: Callable[[str], Place | None], *, provider: str) -> None:
        self.provider = provider
        self._lookup = lookup

    def geocode(self, query: str) -> Place | None:
        """The best match for `query`, or None if the provider knows no such place."""
        if not query.strip():
            raise ValueError("query must not be blank")
        try:
            return self._lookup(query)
        except (GeocoderTimedOut, GeocoderUnavailable, GeocoderServiceError) as error:
            # The query is left out on purpose: it is often someone's home address, and
            # error messages end up in logs.
            raise GeocodingError(f"{self.provider} geocoding failed: {error}") from error


def make_geocoder(
    provider: str = "nominatim",
    *,
    user_agent: str,
    domain: str | None = None,
    scheme: str = "https",
    api_key: str | None = None,
    timeout_s: float = 5.0,
    min_delay_s: float | None = None,
    max_retries: int = 2,
) -> Geocoder:
    """Build a rate-limited geocoder for a geopy service name, or the offline "gazetteer".

    `min_delay_s` defaults to Nominatim's 1 s policy for "nominatim" and to no delay for
    other providers; the public Nominatim server refuses anything shorter. Unknown provider
    names raise geopy's `GeocoderNotFound` (a ValueError).
    """
    if provider == "gazetteer":
        return Geocoder(_lookup_in_gazetteer, provider=provider)

    default_delay_s = _NOMINATIM_MIN_DELAY_S if provider == "nominatim" else 0.0
    delay_s = default_delay_s if min_delay_s is None else min_delay_s
    if provider == "nominatim" and domain is None and delay_s < _NOMINATIM_MIN_DELAY_S:
        raise ValueError("the public Nominatim server allows at most one request per second")

    service_class = get_geocoder_for_service(provider)
    accepted = inspect.signature(service_class.__init__).parameters
    options: dict[str, Any] = {"user_agent": user_agent, "timeout": timeout_s}
    # Not every provider has a scheme option (e.g. what3words); only pass it where it exists.
    if "scheme" in accepted:
        options["scheme"] = scheme
    for name, value in (("domain", domain), ("api_key", api_key)):
        if value is not None:
            if name not in accepted:
                raise ValueError(f"provider {provider!r} does not take {name}")
            options[name] = value
    service = service_class(**options)

    rate_limited_geocode = RateLimiter(
        service.geocode,
        min_delay_seconds=delay_s,
        max_retries=max_retries,
        error_wait_seconds=max(delay_s, _ERROR_WAIT_S),
        # Without this geopy turns failures into None, indistinguishable from "not found".
        swallow_exceptions=False,
    )

    def lookup(query: str) -> Place | None:
        location = rate_limited_geocode(query, exactly_one=True)
        if location is None:
            return None
        return Place(
            name=str(location.address),
            lat=float(location.latitude),
            lon=float(location.longitude),
        )

    return Geocoder(lookup, provider=provider)


def _lookup_in_gazetteer(query: str) -> Place | None:
    """Answer "Name" or "Name, CC" (ISO country code) from the shipped city list."""
    name, _, country_code = query.rpartition(",")
    if not name or len(country_code.strip()) != 2:
        name, country_code = query, ""
    try:
        city = find_city(name.strip(), country_code.strip() or None)
    except LookupError:
        return None
    return Place(name=f"{city.name}, {city.country_code}", lat=city.lat, lon=city.lon)
