"""Geodesy and places for ServeMatch.

How far apart two points are on the real Earth, which rows a radius query must look at, how
coarsely a home may be shown, and where named places are. Pure functions over coordinates;
nothing here imports the API or the matching engine.
"""

from geo.bbox import BoundingBox, radius_bounding_boxes
from geo.cities import City, find_city, largest_cities
from geo.distance import geodesic_km, geodesic_km_exact
from geo.points import Point
from geo.privacy import coarsen

__all__ = [
    "BoundingBox",
    "City",
    "Point",
    "coarsen",
    "find_city",
    "geodesic_km",
    "geodesic_km_exact",
    "largest_cities",
    "radius_bounding_boxes",
]
