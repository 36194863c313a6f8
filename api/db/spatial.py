"""Radius filters that use each backend's spatial index.

PostGIS: ``ST_DWithin`` on geography (spheroidal, GiST-backed). The column is compared as it
is stored: a cast or ``ST_Distance`` in the WHERE clause would defeat the index.
SQLite: an indexed lat/lon bounding-box prefilter (split at the antimeridian, widened at the
poles), then a spherical test in SQLite's native math that settles every row except those
within 1% of the radius, which get the exact ``geodesic_km`` SQL function (the geodesic
algorithm PostGIS uses), so both backends return the same rows.
"""

import math
from typing import Any

from geoalchemy2 import Geography
from sqlalchemy import (
    BindParameter,
    ColumnElement,
    Select,
    SQLColumnExpression,
    and_,
    cast,
    func,
    or_,
    select,
)

from geo.bbox import radius_bounding_boxes
from geo.distance import MEAN_EARTH_RADIUS_KM, SPHERE_MARGIN

NumberOrParameter = float | BindParameter[float]
"""A coordinate or radius as a value, or (PostGIS only) as a parameter of a statement built once."""


def postgis_point(lat: NumberOrParameter, lon: NumberOrParameter) -> ColumnElement[Any]:
    """A constant geography point (lon/lat order, as PostGIS wants it)."""
    return cast(func.ST_SetSRID(func.ST_MakePoint(lon, lat), 4326), Geography)


def within_km(
    dialect: str,
    *,
    lat_column: Any,
    lon_column: Any,
    geography_column: Any,
    lat: NumberOrParameter,
    lon: NumberOrParameter,
    radius_km: NumberOrParameter,
    row_radius_km: SQLColumnExpression[float] | None = None,
) -> ColumnElement[bool]:
    """Rows whose point lies within ``radius_km`` (geodesic) of (lat, lon).

    ``row_radius_km`` narrows further to each row's own radius (a member's travel radius);
    ``radius_km`` must then bound it, as it is what the index is searched with.

    On PostGIS ``lat``, ``lon`` and ``radius_km`` may be parameters, so that a statement can be
    built once; SQLite's bounding boxes are computed from their values.
    """
    if dialect == "postgresql":
        point = postgis_point(lat, lon)
        within = func.ST_DWithin(geography_column, point, radius_km * 1000.0)
        if row_radius_km is None:
            return within
        return and_(within, func.ST_DWithin(geography_column, point, row_radius_km * 1000.0))
    if not (
        isinstance(lat, float | int)
        and isinstance(lon, float | int)
        and isinstance(radius_km, float | int)
    ):
        raise TypeError("SQLite's bounding boxes are computed from the point and radius")
    exact_radius = radius_km if row_radius_km is None else row_radius_km
    boxes = [
        and_(
            lat_column.between(box.min_lat, box.max_lat),
            lon_column.between(box.min_lon, box.max_lon),
        )
        for box in radius_bounding_boxes(lat, lon, radius_km)
    ]
    # The sphere is within 0.6% of the spheroid: well inside or outside a 1% band around the
    # radius, SQLite's native math decides; only the band calls the exact geodesic (Python).
    nearness = _haversine_term(lat_column, lon_column, lat, lon)
    return and_(
        or_(*boxes),
        or_(
            nearness <= _haversine_of(exact_radius, 1 - SPHERE_MARGIN),
            and_(
                nearness <= _haversine_of(exact_radius, 1 + SPHERE_MARGIN),
                func.geodesic_km(lat_column, lon_column, lat, lon) <= exact_radius,
            ),
        ),
    )


def _haversine_of(radius_km: Any, factor: float) -> Any:
    """The haversine term of a distance of ``radius_km × factor`` (a number or a column)."""
    half_angle = radius_km * factor / (2 * MEAN_EARTH_RADIUS_KM)
    if isinstance(radius_km, int | float):
        return math.sin(half_angle) ** 2
    return func.sin(half_angle) * func.sin(half_angle)


def nearest_within(
    dialect: str,
    statement: Select[Any],
    *,
    lat_column: Any,
    lon_column: Any,
    geography_column: Any,
    lat: NumberOrParameter,
    lon: NumberOrParameter,
    radius_km: NumberOrParameter,
    limit: int,
) -> Select[Any]:
    """The ``limit`` rows of ``statement`` nearest to (lat, lon) within ``radius_km``, in order.

    PostGIS: a KNN walk (``<->`` on the GiST index) takes the nearest rows that pass the other
    filters and stops at ``limit``; the radius is applied to those few. Filtering by radius
    first would check every row in a dense city's radius before sorting (50 ms instead of
    4 ms for 8,000 needs within 30 km, measured at 100k needs). SQLite: the radius filter,
    then a spherical sort key in SQLite's own math functions (the exact geodesic is a Python
    call per row; nearness for ordering needs no better than PostGIS's sphere).

    On PostGIS ``lat``, ``lon`` and ``radius_km`` may be parameters, so that a statement can be
    built once; SQLite's bounding boxes are computed from their values.
    """
    if dialect != "postgresql":
        if not (
            isinstance(lat, float | int)
            and isinstance(lon, float | int)
            and isinstance(radius_km, float | int)
        ):
            raise TypeError("SQLite's bounding boxes are computed from the point and radius")
        within = within_km(
            dialect,
            lat_column=lat_column,
            lon_column=lon_column,
            geography_column=geography_column,
            lat=lat,
            lon=lon,
            radius_km=radius_km,
        )
        nearness = _haversine_term(lat_column, lon_column, lat, lon)
        return statement.where(within).order_by(nearness).limit(limit)
    point = postgis_point(lat, lon)
    distance = geography_column.op("<->")(point)
    nearest = (
        statement.add_columns(distance.label("knn_distance"), geography_column.label("knn_point"))
        .order_by(distance)
        .limit(limit)
        .subquery("nearest")
    )
    shown = [column for column in nearest.c if column.name not in ("knn_distance", "knn_point")]
    return (
        select(*shown)
        .where(func.ST_DWithin(nearest.c.knn_point, point, radius_km * 1000.0))
        .order_by(nearest.c.knn_distance)
    )


def _haversine_term(lat_column: Any, lon_column: Any, lat: float, lon: float) -> ColumnElement[Any]:
    """``sin²(Δφ/2) + cos φ₀ cos φ sin²(Δλ/2)``: grows with great-circle distance; wraps at 180°."""
    half_dlat = func.sin(func.radians(lat_column - lat) / 2)
    half_dlon = func.sin(func.radians(lon_column - lon) / 2)
    return half_dlat * half_dlat + math.cos(math.radians(lat)) * func.cos(
        func.radians(lat_column)
    ) * (half_dlon * half_dlon)
