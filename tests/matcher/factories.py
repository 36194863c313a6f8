"""Small builders for matcher inputs: sensible defaults, override only what a test is about.

The default member can take either role of the default need, so a test that changes one
field is a test of exactly that field.
"""

from dataclasses import replace
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from geo.distance import geodesic_km
from matcher import Commitment, MemberProfile, NeedSpec, RoleSpec, WeeklyWindow

LONDON = ZoneInfo("Europe/London")
NEW_YORK = ZoneInfo("America/New_York")
DAYS = {"Mon": 0, "Tue": 1, "Wed": 2, "Thu": 3, "Fri": 4, "Sat": 5, "Sun": 6}

# Saturday 1 March 2025; the default need is the following Saturday, 10:00-12:00 London.
NOW = datetime(2025, 3, 1, 9, 0, tzinfo=LONDON)
NEED_LAT, NEED_LON = 51.5072, -0.1276


def minutes(clock: str) -> int:
    """ "9:30" -> 570."""
    hours, mins = clock.split(":")
    return int(hours) * 60 + int(mins)


def slot(day: str, start: str, end: str) -> WeeklyWindow:
    """slot("Sat", "9:00", "13:00")."""
    return WeeklyWindow(DAYS[day], minutes(start), minutes(end))


def at(day: date | str, clock: str = "10:00", zone: ZoneInfo = LONDON) -> datetime:
    """A local time: at("2025-03-08", "10:00")."""
    when = date.fromisoformat(day) if isinstance(day, str) else day
    return datetime(when.year, when.month, when.day, tzinfo=zone) + timedelta(
        minutes=minutes(clock)
    )


def commitment(need_id: str, starts_at: datetime, hours: float = 2) -> Commitment:
    return Commitment(need_id, starts_at, starts_at + timedelta(hours=hours))


def km_north(km: float, lat: float = NEED_LAT, lon: float = NEED_LON) -> tuple[float, float]:
    """A point about `km` north of (lat, lon); tests that need the exact figure measure it."""
    return lat + km / 111.2, lon


def distance_km(record: MemberProfile, need_record: NeedSpec) -> float:
    return float(geodesic_km(record.lat, record.lon, need_record.lat, need_record.lon))


def member(**overrides: Any) -> MemberProfile:
    lat, lon = km_north(1.0)
    defaults: dict[str, Any] = {
        "id": "m1",
        "community_id": "c1",
        "name": "Ada",
        "lat": lat,
        "lon": lon,
        "max_travel_km": 10.0,
        "skills": {"cooking": 2},
        "interests": "cooking family meals",
        "availability": (slot("Sat", "9:00", "13:00"),),
        "blackout_dates": frozenset(),
        "timezone": "Europe/London",
        "stage": "growing",
        "checks": frozenset({"background_check"}),
        "max_commitments_per_month": 4,
        "active": True,
        "commitments": (),
        "services_last_90_days": 2,
        "last_served_at": NOW - timedelta(weeks=3),
    }
    defaults.update(overrides)
    return MemberProfile(**defaults)


def role(**overrides: Any) -> RoleSpec:
    defaults: dict[str, Any] = {
        "name": "cook",
        "skill": "cooking",
        "min_level": 1,
        "count": 2,
        "filled": 0,
        "signed_up_stages": (),
    }
    defaults.update(overrides)
    return RoleSpec(**defaults)


def need(**overrides: Any) -> NeedSpec:
    defaults: dict[str, Any] = {
        "id": "n1",
        "community_id": "c1",
        "agency_id": None,
        "title": "Meals for a family",
        "description": "Cook and deliver a hot dinner for a family with a new baby",
        "category": "meals",
        "lat": NEED_LAT,
        "lon": NEED_LON,
        "starts_at": at("2025-03-08", "10:00"),
        "ends_at": at("2025-03-08", "12:00"),
        "roles": (role(), role(name="driver", skill=None, min_level=0, count=1)),
        "requirements": frozenset({"background_check"}),
        "urgency": "normal",
        "open_to_network": False,
    }
    defaults.update(overrides)
    return NeedSpec(**defaults)


def during(need_record: NeedSpec, starts: datetime, ends: datetime) -> NeedSpec:
    """The same need at another time."""
    return replace(need_record, starts_at=starts, ends_at=ends)
