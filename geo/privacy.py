"""Coarsening of home locations before they are shown to anyone but their owner.

A point is replaced by the centre of the fixed grid cell it falls in, rather than jittered:
random noise averages away over repeated queries, but a fixed snap returns the same answer
every time, so asking again reveals nothing more than the cell.
"""

from __future__ import annotations

import math

from geo.points import Point, normalise_lon

# WGS84 pole-to-pole meridian length and equatorial radius. Cell sizes only need to be
# about right, so a mean row height and the equatorial radius for row widths suffice.
_HALF_MERIDIAN_KM = 20003.931458623
_SEMI_MAJOR_AXIS_KM = 6378.137
_ECCENTRICITY_SQUARED = 0.00669437999014


def coarsen(lat: float, lon: float, *, cell_km: float = 1.0) -> Point:
    """Snap a point to the centre of its grid cell, about `cell_km` on a side.

    The grid is rows of equal latitude height; each row is cut into equal longitude slices
    whose count is chosen so a slice is about `cell_km` wide at the row's central latitude.
    The result is within `cell_km` of the input everywhere, including the poles, for cells
    up to ~100 km (tested range); continent-sized cells are not a use we have.
    """
    if not -90.0 <= lat <= 90.0:
        raise ValueError(f"lat must be within [-90, 90] degrees, got {lat!r}")
    if not (math.isfinite(cell_km) and cell_km > 0.0):
        raise ValueError(f"cell_km must be a positive finite number, got {cell_km!r}")
    lon = normalise_lon(lon)

    row_count = max(1, round(_HALF_MERIDIAN_KM / cell_km))
    row_height_deg = 180.0 / row_count
    # The north pole itself belongs to the top row rather than starting a row of its own.
    row = min(math.floor((lat + 90.0) / row_height_deg), row_count - 1)
    row_centre_lat = -90.0 + (row + 0.5) * row_height_deg

    column_count = max(1, round(_parallel_length_km(row_centre_lat) / cell_km))
    column_width_deg = 360.0 / column_count
    column = min(math.floor((lon + 180.0) / column_width_deg), column_count - 1)
    column_centre_lon = -180.0 + (column + 0.5) * column_width_deg
    return Point(row_centre_lat, column_centre_lon)


def _parallel_length_km(lat: float) -> float:
    # Circumference of the parallel: 2 pi times the distance from the polar axis.
    sin_lat = math.sin(math.radians(lat))
    prime_vertical_radius = _SEMI_MAJOR_AXIS_KM / math.sqrt(1 - _ECCENTRICITY_SQUARED * sin_lat**2)
    return 2 * math.pi * prime_vertical_radius * math.cos(math.radians(lat))
