"""The privacy model for places, applied here and nowhere else.

A private need (a sick neighbour's home) has two points: the place itself, and the centre of
its fixed grid cell (``geo.privacy.coarsen``), stored beside it as ``shown_*`` when the need
is written. Everyone not entitled to the place — entitled are its owners, admins and members
with a confirmed place on it — gets *only* the shown point, and not just in the ``location``
field: matching (candidates, suggestions, sign-up checks, their distances, order and
reasons) always runs on the shown point, whoever asks, and the ``near`` filter of need lists
uses it for every row the caller is not entitled to. An answer computed from the true point
leaks it however coarse the printed point is: a member who moves their home and reads
distances back trilaterates it, and a radius filter is an oracle. Computed from the cell
centre, every observable is the same for every place in the cell, so probing learns nothing
the shown cell does not already say. The grid is fixed, so asking again averages nothing out.

Homes are never shown to anyone but the member, their coordinators and admins (the member
schemas and scoped repositories see to that); where a map must show members, they appear as
their cell centres (``coarse_point``).
"""

from typing import Any

from sqlalchemy import ColumnElement, and_, not_, or_, select
from sqlalchemy.orm import Session

from api.auth.principal import Principal
from api.db.models import Need
from api.db.spatial import within_km
from api.schemas import Point
from api.scopes import need_seen_exactly_by
from geo.privacy import coarsen


def coarse_point(lat: float, lon: float, *, cell_km: float) -> Point:
    """The centre of the grid cell a point lies in: all anyone unentitled may see of it."""
    cell = coarsen(lat, lon, cell_km=cell_km)
    return Point(lat=cell.lat, lon=cell.lon)


def shown_place(lat: float, lon: float, *, private: bool, cell_km: float) -> tuple[Point, float]:
    """Where outsiders see a place, and how precisely (0: exactly; else the cell size)."""
    if private:
        return coarse_point(lat, lon, cell_km=cell_km), cell_km
    return Point(lat=lat, lon=lon), 0.0


def place_need(
    need: Need, *, lat: float, lon: float, address: str | None, private: bool, cell_km: float
) -> None:
    """Put a need at (lat, lon), with the point everyone else sees; the one writer of both."""
    need.location_lat, need.location_lon, need.address = lat, lon, address
    need.private_location = private
    shown, precision_km = shown_place(lat, lon, private=private, cell_km=cell_km)
    need.shown_lat, need.shown_lon = shown.lat, shown.lon
    need.shown_precision_km = precision_km


def need_location(need: Need, *, exact: bool) -> tuple[Point, bool]:
    """Where the caller sees a need, and whether that is only its coarse area."""
    if exact or not need.private_location:
        return Point(lat=need.location_lat, lon=need.location_lon), False
    return Point(lat=need.shown_lat, lon=need.shown_lon), True


def needs_within_km(
    dialect: str, principal: Principal, *, lat: float, lon: float, radius_km: float
) -> ColumnElement[bool]:
    """Needs within a radius as the caller may measure it: exact for their own, else shown."""

    def within(lat_column: Any, lon_column: Any, geography_column: Any) -> ColumnElement[bool]:
        return within_km(
            dialect,
            lat_column=lat_column,
            lon_column=lon_column,
            geography_column=geography_column,
            lat=lat,
            lon=lon,
            radius_km=radius_km,
        )

    on_shown = within(Need.shown_lat, Need.shown_lon, Need.shown_geog)
    if principal.is_admin:
        return within(Need.location_lat, Need.location_lon, Need.location_geog)
    exact = need_seen_exactly_by(principal)
    # A public need's shown point is the place itself, so only entitled private rows differ.
    return or_(
        and_(not_(exact), on_shown),
        and_(exact, within(Need.location_lat, Need.location_lon, Need.location_geog)),
    )


RECOARSEN_BATCH = 1_000


def recoarsen(session: Session, *, cell_km: float) -> int:
    """Re-place private needs shown with another cell size; how many moved.

    The shown point is stored when a need is written, so a changed
    ``SERVEMATCH_LOCATION_COARSENING_KM`` reaches older needs only through this.
    """
    stale = select(Need).where(Need.private_location.is_(True), Need.shown_precision_km != cell_km)
    moved = 0
    for need in session.scalars(stale.execution_options(yield_per=RECOARSEN_BATCH)):
        place_need(
            need,
            lat=need.location_lat,
            lon=need.location_lon,
            address=need.address,
            private=True,
            cell_km=cell_km,
        )
        moved += 1
    return moved
