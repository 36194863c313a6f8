"""Validated latitude/longitude points, so bad coordinates fail where they enter."""

from __future__ import annotations

import math
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Point:
    """A WGS84 position in degrees; construction fails on anything off the globe."""

    lat: float
    lon: float

    def __post_init__(self) -> None:
        # Written as "not inside" so NaN is rejected too.
        if not -90.0 <= self.lat <= 90.0:
            raise ValueError(f"lat must be within [-90, 90] degrees, got {self.lat!r}")
        if not -180.0 <= self.lon <= 180.0:
            raise ValueError(f"lon must be within [-180, 180] degrees, got {self.lon!r}")


def normalise_lon(lon: float) -> float:
    """Wrap any finite longitude into [-180, 180), so 180 and -180 name one meridian."""
    if not math.isfinite(lon):
        raise ValueError(f"lon must be finite, got {lon!r}")
    wrapped = math.fmod(lon + 180.0, 360.0)
    if wrapped < 0.0:
        wrapped += 360.0
    # fmod is exact, but adding 360 to a tiny negative can round up to 360 itself.
    return wrapped - 180.0 if wrapped < 360.0 else -180.0
