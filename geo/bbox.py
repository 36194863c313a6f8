"""Latitude/longitude boxes that are guaranteed to contain a geodesic circle.

The SQLite backend cannot index a geodesic distance, so it first narrows rows with an
indexed `lat BETWEEN .. AND lon BETWEEN ..` and only then computes exact distances. That is
correct only if the boxes never exclude a point inside the circle, so the bounds here are
derived as provable upper bounds rather than approximations:

On Vincenty's/Karney's auxiliary sphere (reduced latitude, radius b) a geodesic of length s
becomes a great-circle arc of at most s / b radians, and the ellipsoidal longitude differs
from the auxiliary-sphere longitude by at most f times that arc (Karney 2013, eqs. 7-8).
So the circle lies within a spherical cap we can bound exactly, plus a sliver of f.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from geo.points import normalise_lon

_SEMI_MINOR_AXIS_KM = 6356.752314245179
_FLATTENING = 1 / 298.257223563
# Absorbs floating-point rounding in the trigonometry below: 1e-9 degrees is ~0.1 mm.
_ROUNDING_MARGIN_DEG = 1e-9


@dataclass(frozen=True)
class BoundingBox:
    """A latitude/longitude rectangle in degrees that never crosses the antimeridian."""

    min_lat: float
    max_lat: float
    min_lon: float
    max_lon: float

    def __post_init__(self) -> None:
        if not -90.0 <= self.min_lat <= self.max_lat <= 90.0:
            raise ValueError("need -90 <= min_lat <= max_lat <= 90")
        if not -180.0 <= self.min_lon <= self.max_lon <= 180.0:
            raise ValueError("need -180 <= min_lon <= max_lon <= 180")

    def contains(self, lat: float, lon: float) -> bool:
        """Whether the point passes the same test as the SQL `BETWEEN` prefilter."""
        return self.min_lat <= lat <= self.max_lat and self.min_lon <= lon <= self.max_lon


def radius_bounding_boxes(lat: float, lon: float, radius_km: float) -> tuple[BoundingBox, ...]:
    """Boxes that together contain every point within `radius_km` (geodesic) of the centre.

    One box normally; two when the circle crosses the antimeridian; a full band of
    longitude when it reaches a pole, where every longitude names the same point.
    """
    if not -90.0 <= lat <= 90.0:
        raise ValueError(f"lat must be within [-90, 90] degrees, got {lat!r}")
    if not (math.isfinite(radius_km) and radius_km >= 0.0):
        raise ValueError(f"radius_km must be a non-negative finite number, got {radius_km!r}")
    lon = normalise_lon(lon)

    arc = radius_km / _SEMI_MINOR_AXIS_KM
    if arc >= math.pi:
        return (BoundingBox(-90.0, 90.0, -180.0, 180.0),)
    reduced_lat = math.atan2(
        (1 - _FLATTENING) * math.sin(math.radians(lat)), math.cos(math.radians(lat))
    )
    min_lat = _geographic_lat_deg(max(reduced_lat - arc, -math.pi / 2)) - _ROUNDING_MARGIN_DEG
    max_lat = _geographic_lat_deg(min(reduced_lat + arc, math.pi / 2)) + _ROUNDING_MARGIN_DEG
    min_lat, max_lat = max(min_lat, -90.0), min(max_lat, 90.0)

    reaches_pole = arc + math.radians(_ROUNDING_MARGIN_DEG) >= math.pi / 2 - abs(reduced_lat)
    if reaches_pole:
        return (BoundingBox(min_lat, max_lat, -180.0, 180.0),)

    # Widest longitude of a spherical cap, plus the ellipsoid's longitude slack. The cap misses
    # the poles here, so this stays under ~91 degrees and a circle needs at most two boxes.
    half_width_deg = (
        math.degrees(math.asin(min(1.0, math.sin(arc) / math.cos(reduced_lat))) + _FLATTENING * arc)
        + _ROUNDING_MARGIN_DEG
    )
    west, east = lon - half_width_deg, lon + half_width_deg
    # Equality splits too: a row stored at lon -180 is the same meridian as one at 180.
    if west <= -180.0:
        return (
            BoundingBox(min_lat, max_lat, west + 360.0, 180.0),
            BoundingBox(min_lat, max_lat, -180.0, east),
        )
    if east >= 180.0:
        return (
            BoundingBox(min_lat, max_lat, west, 180.0),
            BoundingBox(min_lat, max_lat, -180.0, east - 360.0),
        )
    return (BoundingBox(min_lat, max_lat, west, east),)


def _geographic_lat_deg(reduced_lat: float) -> float:
    return math.degrees(
        math.atan2(math.sin(reduced_lat), (1 - _FLATTENING) * math.cos(reduced_lat))
    )
