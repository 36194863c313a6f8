"""The IANA time zone of a point, offline, for places that arrive without one.

A geocoded address gives coordinates, but needs are scheduled in local time, so the zone
has to come from the point itself. `timezonefinder` answers from boundary polygons shipped
in its package: no network, microseconds per lookup.

One finder is shared and built on first use, because building it reads its index. The
finder is documented as unsafe to share across threads and the API calls this from a
thread pool, so lookups take a lock; at microseconds each, the lock costs nothing.
"""

from __future__ import annotations

import threading

from timezonefinder import TimezoneFinder

_finder: TimezoneFinder | None = None
_finder_lock = threading.Lock()


def timezone_at(lat: float, lon: float) -> str | None:
    """The IANA zone name at a WGS84 point ("America/Chicago"), or None at sea.

    At sea timezonefinder only knows nautical zones ("Etc/GMT+2"); no one lives there, so
    they are reported as None rather than passed off as a place's zone. Raises ValueError
    for coordinates outside [-90, 90] × [-180, 180].
    """
    global _finder
    with _finder_lock:
        if _finder is None:
            _finder = TimezoneFinder()
        return _finder.timezone_at_land(lng=lon, lat=lat)
