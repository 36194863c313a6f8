"""Times as every page shows them: in the zone of the community the thing happens in, with
the zone named ("Sat 5 Dec 2026, 10:00–12:00 GMT"), so nobody converts from UTC in their head.

The formatters are the templates' filters (``when``, ``span``, ``day``, ``hours``, ``month``);
which zone a page uses is the page's choice (the member's community; the need's community, or
the coordinator's for an agency's or another community's need).
"""

from datetime import datetime
from zoneinfo import ZoneInfo

DAY = "%a %-d %b %Y"
CLOCK = "%H:%M"


def zone_of(timezone: str | None) -> ZoneInfo:
    """A community's ``timezone`` as a zone; UTC when there is no community to take it from."""
    return ZoneInfo(timezone or "UTC")


def _zoned(moment: datetime, zone: ZoneInfo | None) -> datetime:
    return moment.astimezone(zone) if zone else moment


def _named(text: str, moment: datetime) -> str:
    return f"{text} {moment.tzname() or ''}".rstrip()


def when(moment: datetime, zone: ZoneInfo | None = None) -> str:
    """A moment in ``zone`` (its own when None): ``Sat 14 Jun 2025, 10:00 BST``."""
    local = _zoned(moment, zone)
    return _named(f"{local:{DAY}, {CLOCK}}", local)


def day(moment: datetime, zone: ZoneInfo) -> str:
    """The local day a moment falls on: ``Sat 14 Jun 2025``."""
    return f"{moment.astimezone(zone):{DAY}}"


def month(moment: datetime, zone: ZoneInfo) -> str:
    """The local calendar month a moment falls in: ``Jun 2025``."""
    return f"{moment.astimezone(zone):%b %Y}"


def hours(starts_at: datetime, ends_at: datetime, zone: ZoneInfo) -> str:
    """From when until when on the start's day: ``10:00–12:00 BST``, or with the end's day
    when it ends on another (``22:00–Sun 15 Jun, 02:00 BST``)."""
    start, end = starts_at.astimezone(zone), ends_at.astimezone(zone)
    until = f"{end:{CLOCK}}" if end.date() == start.date() else f"{end:%a %-d %b, {CLOCK}}"
    return _named(f"{start:{CLOCK}}–{until}", end)


def span(starts_at: datetime, ends_at: datetime, zone: ZoneInfo) -> str:
    """When something happens: ``Sat 14 Jun 2025, 10:00–12:00 BST``."""
    return f"{day(starts_at, zone)}, {hours(starts_at, ends_at, zone)}"
