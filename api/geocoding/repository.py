"""The geocoding cache: one row per (provider, normalised address)."""

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from api.db.models import GeocodedAddress
from geo.geocoding import Place


def cached(session: Session, *, provider: str, query: str) -> Place | None:
    """The provider's earlier answer for this address, if there is one."""
    row = session.scalar(
        select(GeocodedAddress).where(
            GeocodedAddress.provider == provider, GeocodedAddress.query == query
        )
    )
    if row is None:
        return None
    return Place(
        name=row.name, lat=row.lat, lon=row.lon, region=row.region, country_code=row.country_code
    )


def remember(session: Session, *, provider: str, query: str, place: Place) -> None:
    """Keep an answer; two writers geocoding the same address at once both succeed."""
    insert = postgresql_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    session.execute(
        insert(GeocodedAddress)
        .values(
            provider=provider,
            query=query,
            name=place.name[:300],
            lat=place.lat,
            lon=place.lon,
            region=place.region,
            country_code=place.country_code,
        )
        .on_conflict_do_nothing(index_elements=["provider", "query"])
    )
