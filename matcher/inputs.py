"""The engine's inputs: the plain, frozen data the API layer fills before asking for matches.

These are the matcher's public contract. They hold no behaviour beyond validating their own
invariants, so a bad row fails where it is built rather than mis-ranking somebody later.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Literal, get_args

MINUTES_PER_DAY = 1440

# Ordered from least to most experienced; the order is used by mentoring.
Stage = Literal["new", "growing", "mature", "leader"]
STAGES: tuple[Stage, ...] = get_args(Stage)
EXPERIENCED_STAGES = frozenset({"mature", "leader"})
# Ordered from least to most urgent; the order is used by scoring.
Urgency = Literal["low", "normal", "high", "critical"]
URGENCIES: tuple[Urgency, ...] = get_args(Urgency)
MAX_SKILL_LEVEL = 3


def _require_aware(moment: datetime, what: str) -> None:
    # A naive datetime would silently be read as the server's zone: refuse it instead.
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError(f"{what} must be timezone-aware")


@dataclass(frozen=True, slots=True)
class WeeklyWindow:
    """A weekly free interval in the member's community timezone (0=Monday, minutes).

    The columnar pool calls these slots (`MemberPool.slot_day` …).
    """

    day: int
    start_minute: int
    end_minute: int

    def __post_init__(self) -> None:
        if not 0 <= self.day <= 6:
            raise ValueError("day must be 0 (Monday) to 6 (Sunday)")
        if not 0 <= self.start_minute < self.end_minute <= MINUTES_PER_DAY:
            raise ValueError("need 0 <= start_minute < end_minute <= 1440")


@dataclass(frozen=True, slots=True)
class Commitment:
    """A member's confirmed sign-up, kept so nobody is booked twice at once."""

    need_id: str
    starts_at: datetime
    ends_at: datetime

    def __post_init__(self) -> None:
        _require_aware(self.starts_at, "starts_at")
        _require_aware(self.ends_at, "ends_at")
        if self.ends_at <= self.starts_at:
            raise ValueError("a commitment must end after it starts")


@dataclass(frozen=True, slots=True)
class MemberProfile:
    """Everything the matcher needs to know about one member."""

    id: str
    community_id: str
    name: str
    lat: float
    lon: float
    max_travel_km: float
    skills: Mapping[str, int]  # skill slug -> level 1 (can help) .. 3 (can lead/teach)
    interests: str
    availability: tuple[WeeklyWindow, ...]
    blackout_dates: frozenset[date]  # local dates in the member's community timezone
    timezone: str  # IANA zone of the member's community
    stage: Stage
    checks: frozenset[str]
    max_commitments_per_month: int
    active: bool
    commitments: tuple[Commitment, ...] = ()
    services_last_90_days: int = 0
    last_served_at: datetime | None = None

    def __post_init__(self) -> None:
        if self.stage not in STAGES:
            raise ValueError(f"stage must be one of {', '.join(STAGES)}")
        if not self.max_travel_km >= 0:  # written this way so NaN fails too
            raise ValueError("max_travel_km must be >= 0")
        for skill, level in self.skills.items():
            if not 1 <= level <= MAX_SKILL_LEVEL:
                raise ValueError(f"skill {skill!r}: level must be 1..{MAX_SKILL_LEVEL}")
        if self.max_commitments_per_month < 0 or self.services_last_90_days < 0:
            raise ValueError("counts must be >= 0")
        if self.last_served_at is not None:
            _require_aware(self.last_served_at, "last_served_at")


@dataclass(frozen=True, slots=True)
class RoleSpec:
    """One role on a need (e.g. cook x2) and who has already signed up for it."""

    name: str
    skill: str | None
    min_level: int
    count: int
    filled: int
    signed_up_stages: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if not 0 <= self.min_level <= MAX_SKILL_LEVEL:
            raise ValueError(f"min_level must be 0..{MAX_SKILL_LEVEL}")
        if self.count < 0 or self.filled < 0:
            raise ValueError("count and filled must be >= 0")
        unknown = set(self.signed_up_stages) - set(STAGES)
        if unknown:
            raise ValueError(f"unknown stages: {', '.join(sorted(unknown))}")


@dataclass(frozen=True, slots=True)
class NeedSpec:
    """A need posted by a community coordinator (community_id) or partner agency (agency_id)."""

    id: str
    community_id: str | None
    agency_id: str | None
    title: str
    description: str
    category: str
    lat: float
    lon: float
    starts_at: datetime
    ends_at: datetime
    roles: tuple[RoleSpec, ...]
    requirements: frozenset[str] = field(default_factory=frozenset)
    urgency: Urgency = "normal"
    open_to_network: bool = False
    # 0 when (lat, lon) is the place itself; for a private place seen only as its coarse
    # cell, the cell size: distances to it are then shown no finer than this.
    location_precision_km: float = 0.0

    def __post_init__(self) -> None:
        _require_aware(self.starts_at, "starts_at")
        _require_aware(self.ends_at, "ends_at")
        if self.ends_at <= self.starts_at:
            raise ValueError("a need must end after it starts")
        if not self.location_precision_km >= 0:  # written this way so NaN fails too
            raise ValueError("location_precision_km must be >= 0")
        if self.urgency not in URGENCIES:
            raise ValueError(f"urgency must be one of {', '.join(URGENCIES)}")
        names = [role.name for role in self.roles]
        if len(set(names)) != len(names):
            raise ValueError("role names must be unique within a need")
