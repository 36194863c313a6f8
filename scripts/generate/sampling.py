"""Vectorised sampling helpers shared by the synthesis steps: ids, places, weighted choices.

Everything takes an explicit ``numpy.random.Generator`` so a seed fixes every draw; nothing
here reads the global random state or the clock.
"""

from typing import Any

import numpy as np
import numpy.typing as npt

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.integer[Any]]
"""Indexes and codes, in whatever integer width holds them."""

KM_PER_DEGREE_LATITUDE = 111.2
_HEX = np.frombuffer(b"0123456789abcdef", dtype=np.uint8)
# Where the 32 hex digits go in the 36 characters of a UUID (the rest are dashes).
_DIGIT_POSITIONS = np.array([i for i in range(36) if i not in (8, 13, 18, 23)])


def uuid4_ids(rng: np.random.Generator, count: int) -> npt.NDArray[np.bytes_]:
    """``count`` random version-4 UUIDs as 36-byte ASCII strings (dtype ``S36``).

    Built from the seeded generator rather than ``uuid.uuid4`` so ids are reproducible, and
    as bytes rather than Python strings so a million of them cost 36 MB, not 100.
    """
    raw = rng.integers(0, 256, size=(count, 16), dtype=np.uint8)
    raw[:, 6] = (raw[:, 6] & 0x0F) | 0x40  # version 4
    raw[:, 8] = (raw[:, 8] & 0x3F) | 0x80  # RFC 4122 variant
    nibbles = np.empty((count, 32), dtype=np.uint8)
    nibbles[:, 0::2] = raw >> 4
    nibbles[:, 1::2] = raw & 0x0F
    text = np.full((count, 36), ord("-"), dtype=np.uint8)
    text[:, _DIGIT_POSITIONS] = _HEX[nibbles]
    return text.view("S36").ravel()


def choose(
    rng: np.random.Generator, weights: npt.ArrayLike, size: int | tuple[int, ...]
) -> IntArray:
    """Indexes drawn with probability proportional to ``weights``."""
    probabilities = np.asarray(weights, dtype=np.float64)
    return rng.choice(probabilities.size, size=size, p=probabilities / probabilities.sum())


def heavy_tailed_km(
    rng: np.random.Generator, *, median_km: float, spread: float, size: int, cap_km: float
) -> FloatArray:
    """Log-normal distances: most close to ``median_km``, a long tail up to ``cap_km``."""
    distances: FloatArray = np.minimum(rng.lognormal(np.log(median_km), spread, size), cap_km)
    return distances


def scatter(
    rng: np.random.Generator, lat: FloatArray, lon: FloatArray, distance_km: FloatArray
) -> tuple[FloatArray, FloatArray]:
    """Points ``distance_km`` from (lat, lon) in uniformly random directions.

    A flat-earth offset: the distances are a few kilometres (tens at most), where its error
    is far below the realism of the data itself.
    """
    bearing = rng.uniform(0.0, 2.0 * np.pi, size=np.shape(distance_km))
    north_km = distance_km * np.cos(bearing)
    east_km = distance_km * np.sin(bearing)
    new_lat = np.clip(lat + north_km / KM_PER_DEGREE_LATITUDE, -89.9, 89.9)
    new_lon = lon + east_km / (KM_PER_DEGREE_LATITUDE * np.cos(np.radians(lat)))
    # Six decimals (~10 cm) is what a geocoder hands back; more digits only bloat the rows.
    return np.round(new_lat, 6), np.round((new_lon + 180.0) % 360.0 - 180.0, 6)


def within_groups(group: IntArray) -> tuple[IntArray, IntArray, IntArray]:
    """For items labelled by ``group``: (stable order by group, each item's rank, group sizes).

    ``rank[i]`` is how many items of ``group[i]`` come before item ``i`` in index order.
    """
    order = np.argsort(group, kind="stable")
    sizes = np.bincount(group)
    starts = np.concatenate(([0], np.cumsum(sizes)[:-1]))
    rank = np.empty_like(order)
    rank[order] = np.arange(order.size) - np.repeat(starts, sizes)
    return order, rank, sizes
