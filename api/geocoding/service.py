"""Resolving an ``address`` field on a write: cache first, then the configured geocoder.

Geocoding happens only when a need, member or community is written, never on the matching
path, and each normalised address is asked of a provider once (the cache is a table, so it
survives restarts and is shared by workers). Answers the API can act on become 422s that
name the field: ``unknown_address``, or ``ambiguous_address`` with the candidates to choose
from. A provider that fails is a 503: not the user's fault, and worth a retry.
"""

from dataclasses import dataclass

from sqlalchemy.orm import Session

from api.errors import (
    AddressAmbiguous,
    AddressCandidate,
    AddressNotFound,
    FieldError,
    GeocoderUnavailable,
)
from api.geocoding import repository
from api.schemas import LatLon
from api.settings import Settings
from geo.geocoding import (
    AmbiguousAddress,
    Geocoder,
    GeocodingError,
    Place,
    UnknownAddress,
    make_geocoder,
)


def configured_geocoder(settings: Settings) -> Geocoder:
    """The geocoder the settings name; build one per process so its rate limit holds."""
    return make_geocoder(
        settings.geocoder,
        url=settings.geocoder_url,
        user_agent=settings.geocoder_user_agent,
        timeout_s=settings.geocoder_timeout_s,
    )


def normalise(address: str) -> str:
    """The cache key: case and spacing do not make a different place."""
    return " ".join(address.split()).casefold()


def locate(session: Session, geocoder: Geocoder, address: str, *, field: tuple[str, ...]) -> Place:
    """The place ``address`` names, or a 422 naming ``field`` (or a 503 if the provider fails)."""
    query = normalise(address)
    place = repository.cached(session, provider=geocoder.provider, query=query)
    if place is not None:
        return place
    try:
        place = geocoder.geocode(address)
    except UnknownAddress as error:
        raise AddressNotFound(field, f"no place found for this address: {error}") from None
    except AmbiguousAddress as error:
        candidates = [
            AddressCandidate(
                name=candidate.name,
                region=candidate.region,
                country=candidate.country_code,
                lat=candidate.lat,
                lon=candidate.lon,
            )
            for candidate in error.candidates
        ]
        raise AddressAmbiguous(
            field,
            f"{len(candidates)} places fit this address; add the region or country, "
            "or pick one of the candidates and send its coordinates",
            candidates,
        ) from None
    except GeocodingError as error:
        raise GeocoderUnavailable(
            f"{error}: retry shortly, or give coordinates instead of an address"
        ) from None
    repository.remember(session, provider=geocoder.provider, query=query, place=place)
    return place


@dataclass(frozen=True)
class Located:
    """Where a write puts something, and the address it was given as (None: coordinates)."""

    lat: float
    lon: float
    address: str | None


def located(
    session: Session,
    geocoder: Geocoder,
    *,
    point: LatLon | None,
    address: str | None,
    point_field: str,
) -> Located | None:
    """The place a body gives as coordinates (``point_field``) or as ``address``, not both;
    None when it gives neither (an update keeping its place)."""
    if point is not None and address is not None:
        raise FieldError(("body", "address"), f"give either {point_field} or address, not both")
    if address is not None:
        place = locate(session, geocoder, address, field=("body", "address"))
        return Located(lat=place.lat, lon=place.lon, address=address)
    if point is not None:
        return Located(lat=point.lat, lon=point.lon, address=None)
    return None


def required_place(
    session: Session,
    geocoder: Geocoder,
    *,
    point: LatLon | None,
    address: str | None,
    point_field: str,
) -> Located:
    """``located``, for a body that must say where (a new need, member or community)."""
    place = located(session, geocoder, point=point, address=address, point_field=point_field)
    if place is None:
        raise FieldError(
            ("body", point_field), f"{point_field} (lat and lon) or an address is required"
        )
    return place
