"""The simulated city: communities, members, agencies, and the needs that will arrive.

Everything a policy may see (homes, radii, skills, checks, weekly windows, stated monthly
limits, stages) and everything it may not (preferences, true capacity, how readily a member
ignores messages or browses a sign-up sheet) is drawn here once per seed, so every policy
meets the same people and the same stream of needs. The hidden part lives in
``people.Hidden``; policies get a ``City`` without it.

Times are hours since ``EPOCH`` (a Monday, 00:00 UTC); the city keeps UTC so a day of the
simulation is a day of the members' week (zones are the engine's business and tested there).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

import numpy as np
import numpy.typing as npt

from matcher.inputs import STAGES

IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]

EPOCH = datetime(2026, 1, 5, tzinfo=UTC)  # a Monday
HOURS_PER_DAY = 24
HOURS_PER_WEEK = 7 * HOURS_PER_DAY
CENTRE = (52.2053, 0.1218)  # lat, lon: a mid-sized town
KM_PER_DEGREE_LAT = 111.32
TIMEZONE = "UTC"

CATEGORIES = ("meals", "transport", "childcare", "repairs", "tutoring", "visiting")
CATEGORY_SHARES = (0.25, 0.2, 0.1, 0.1, 0.1, 0.25)
SKILLS = ("cooking", "driving", "childcare", "repairs", "teaching")
CHECKS = ("safeguarding",)
# Per category: (role name, skill index or -1, lowest min level, highest, most places),
# then an optional helper role anyone can fill (its most places; 0: none).
ROLE_SHAPES: dict[str, tuple[tuple[str, int, int, int, int], int]] = {
    "meals": (("cook", 0, 1, 2, 2), 2),
    "transport": (("driver", 1, 1, 1, 3), 0),
    "childcare": (("carer", 2, 1, 2, 2), 0),
    "repairs": (("fixer", 3, 1, 2, 2), 1),
    "tutoring": (("tutor", 4, 1, 2, 2), 0),
    "visiting": (("visitor", -1, 0, 0, 3), 0),
}
NEEDS_SAFEGUARDING = frozenset({"childcare", "tutoring"})

# Weekly windows members choose from (day 0 = Monday, minutes); needs start inside them.
WINDOW_TEMPLATES = (
    *((day, 17 * 60, 21 * 60 + 30) for day in range(5)),
    (5, 8 * 60, 12 * 60 + 30),
    (5, 13 * 60, 18 * 60),
    (6, 12 * 60, 18 * 60),
)
# Start hours of needs by weekday; each fits in a window above with a 2-3 h need.
START_HOURS = {0: (18,), 1: (18,), 2: (18,), 3: (18,), 4: (18,), 5: (9, 10, 14, 15), 6: (13, 14)}
STAGE_SHARES = (0.2, 0.3, 0.35, 0.15)  # new, growing, mature, leader
STATED_LIMITS = (1, 2, 3, 4, 5, 6)
STATED_LIMIT_SHARES = (0.1, 0.3, 0.25, 0.15, 0.12, 0.08)
TRAVEL_KM = (3.0, 5.0, 8.0, 12.0, 20.0)


@dataclass(frozen=True, slots=True)
class Size:
    """How big the city is and how busy its weeks are."""

    communities: int = 30
    members_per_community: tuple[int, int] = (8, 25)
    agencies: int = 10
    needs_per_week: float = 40.0
    city_radius_km: float = 10.0


FULL = Size()
QUICK = Size(communities=8, agencies=3, needs_per_week=12.0)


@dataclass(frozen=True, slots=True)
class Members:
    """What the service knows about each member (one row each; slots and blackouts CSR)."""

    community: IntArray
    lat: FloatArray
    lon: FloatArray
    max_travel_km: FloatArray
    stage: IntArray  # index into matcher.inputs.STAGES
    skill_levels: IntArray  # (members, SKILLS): 0 lacking, 1..3
    has_check: BoolArray  # (members, CHECKS)
    stated_limit: IntArray  # places a month they told the service they would take
    slot_member: IntArray
    slot_day: IntArray
    slot_start_minute: IntArray
    slot_end_minute: IntArray
    blackout_member: IntArray
    blackout_ordinal: IntArray  # date.toordinal()

    def __len__(self) -> int:
        return int(self.community.size)


@dataclass(frozen=True, slots=True)
class Needs:
    """Every need that will be posted, in order of posting; roles flattened (CSR)."""

    posted_h: FloatArray
    starts_h: FloatArray
    ends_h: FloatArray
    category: IntArray  # index into CATEGORIES
    community: IntArray  # owning community, -1 for an agency's request
    agency: IntArray  # -1 for a community's need
    open_to_network: BoolArray
    lat: FloatArray
    lon: FloatArray
    urgency: IntArray  # index into matcher.inputs.URGENCIES
    needs_check: BoolArray  # safeguarding required
    role_offsets: IntArray  # (needs + 1,)
    role_name: npt.NDArray[np.str_]
    role_skill: IntArray  # index into SKILLS, -1 for anyone
    role_min_level: IntArray
    role_count: IntArray

    def __len__(self) -> int:
        return int(self.posted_h.size)

    @property
    def role_need(self) -> IntArray:
        """Per role: its need."""
        return np.repeat(np.arange(len(self)), np.diff(self.role_offsets)).astype(np.int64)


@dataclass(frozen=True, slots=True)
class City:
    """The visible city: members, needs, and the span simulated."""

    members: Members
    needs: Needs
    warmup_days: int
    weeks: int

    @property
    def first_day(self) -> int:
        """The warm-up starts this many days before the measured weeks (day 0)."""
        return -self.warmup_days

    @property
    def last_day(self) -> int:
        """The day after the last measured one."""
        return 7 * self.weeks


def _offsets_km(rng: np.random.Generator, count: int, radius_km: float) -> FloatArray:
    angle = rng.random(count) * 2 * np.pi
    distance = np.sqrt(rng.random(count)) * radius_km
    return np.stack([distance * np.cos(angle), distance * np.sin(angle)], axis=1)


def _to_lat_lon(km: FloatArray) -> tuple[FloatArray, FloatArray]:
    lat = CENTRE[0] + km[:, 1] / KM_PER_DEGREE_LAT
    lon = CENTRE[1] + km[:, 0] / (KM_PER_DEGREE_LAT * np.cos(np.radians(CENTRE[0])))
    return lat, lon


def meeting_places(rng: np.random.Generator, size: Size) -> FloatArray:
    """Each community's meeting place (km from the centre): its members live around it."""
    return _offsets_km(rng, size.communities, size.city_radius_km)


def generate_members(
    rng: np.random.Generator, size: Size, centres: FloatArray, first_day: int
) -> Members:
    """Communities of 8-25 around their meeting place, members' facts drawn per member."""
    low, high = size.members_per_community
    sizes = rng.integers(low, high + 1, size=size.communities)
    community = np.repeat(np.arange(size.communities), sizes).astype(np.int64)
    count = community.size
    home = centres[community] + rng.normal(0.0, 1.5, size=(count, 2))
    lat, lon = _to_lat_lon(home)
    stage = rng.choice(len(STAGES), size=count, p=STAGE_SHARES).astype(np.int64)
    has_skill = rng.random((count, len(SKILLS))) < 0.4
    levels = rng.choice((1, 2, 3), size=(count, len(SKILLS)), p=(0.5, 0.3, 0.2))
    # Experience brings checks: a mature member or leader is more often safeguarded.
    check_share = np.array([0.15, 0.3, 0.5, 0.7])[stage]
    windows = [
        np.sort(rng.choice(len(WINDOW_TEMPLATES), size=rng.integers(2, 6), replace=False))
        for _ in range(count)
    ]
    slot_member = np.repeat(np.arange(count), [len(w) for w in windows]).astype(np.int64)
    chosen = np.array(WINDOW_TEMPLATES, dtype=np.int64)[np.concatenate(windows)]
    # About one member in ten is away for a week some time in the span (holidays).
    away = np.flatnonzero(rng.random(count) < 0.1)
    first_ordinal = EPOCH.date().toordinal() + first_day
    away_start = rng.integers(0, 7 * 12, size=away.size) + first_ordinal
    return Members(
        community=community,
        lat=lat,
        lon=lon,
        max_travel_km=rng.choice(TRAVEL_KM, size=count),
        stage=stage,
        skill_levels=np.where(has_skill, levels, 0).astype(np.int64),
        has_check=(rng.random(count) < check_share)[:, None],
        stated_limit=rng.choice(STATED_LIMITS, size=count, p=STATED_LIMIT_SHARES).astype(np.int64),
        slot_member=slot_member,
        slot_day=chosen[:, 0],
        slot_start_minute=chosen[:, 1],
        slot_end_minute=chosen[:, 2],
        blackout_member=np.repeat(away, 7).astype(np.int64),
        blackout_ordinal=(away_start[:, None] + np.arange(7)[None, :]).ravel().astype(np.int64),
    )


def generate_needs(
    rng: np.random.Generator, size: Size, centres: FloatArray, first_day: int, last_day: int
) -> Needs:
    """Needs posted day by day (Poisson), with lead times from a day to four weeks.

    Most needs are planned about a week ahead (log-normal lead time, median 7 days); one in
    seven is urgent, posted a day or two before. Agencies post 45 % of needs, anywhere in the
    city; communities post the rest near their meeting place, 30 % open to the network.
    """
    days = np.arange(first_day, last_day)
    per_day = rng.poisson(size.needs_per_week / 7, size=days.size)
    post_day = np.repeat(days, per_day)
    count = post_day.size
    posted_h = post_day * HOURS_PER_DAY + 8.0  # before the morning's round of offers
    urgent = rng.random(count) < 1 / 7
    lead_days = np.where(
        urgent,
        rng.integers(1, 3, size=count),
        np.clip(np.round(rng.lognormal(np.log(7.0), 0.6, size=count)), 2, 28),
    ).astype(np.int64)
    start_day = post_day + lead_days
    weekday = np.mod(start_day, 7)
    start_hour = np.array([rng.choice(START_HOURS[int(day)]) for day in weekday], dtype=float)
    starts_h = start_day * HOURS_PER_DAY + start_hour
    ends_h = starts_h + rng.choice((2.0, 2.0, 3.0), size=count)
    urgency = np.where(urgent, rng.choice((2, 3), size=count), rng.choice((0, 1, 1, 1), size=count))
    category = rng.choice(len(CATEGORIES), size=count, p=CATEGORY_SHARES).astype(np.int64)
    is_agency = rng.random(count) < 0.45
    agency_places = _offsets_km(rng, size.agencies, size.city_radius_km)
    community = np.where(is_agency, -1, rng.integers(0, size.communities, size=count))
    agency = np.where(is_agency, rng.integers(0, size.agencies, size=count), -1)
    where = np.where(
        is_agency[:, None], agency_places[np.maximum(agency, 0)], centres[community]
    ) + rng.normal(0.0, 1.0, size=(count, 2))
    lat, lon = _to_lat_lon(where)
    names: list[str] = []
    skills: list[int] = []
    min_levels: list[int] = []
    counts: list[int] = []
    offsets = [0]
    for index in range(count):
        (name, skill, low, high, most), helpers = ROLE_SHAPES[CATEGORIES[category[index]]]
        names.append(name)
        skills.append(skill)
        min_levels.append(int(rng.integers(low, high + 1)))
        counts.append(int(rng.integers(1, most + 1)))
        extra = int(rng.integers(0, helpers + 1)) if helpers else 0
        if extra:
            names.append("helper")
            skills.append(-1)
            min_levels.append(0)
            counts.append(extra)
        offsets.append(len(names))
    return Needs(
        posted_h=posted_h.astype(np.float64),
        starts_h=starts_h.astype(np.float64),
        ends_h=ends_h.astype(np.float64),
        category=category,
        community=community.astype(np.int64),
        agency=agency.astype(np.int64),
        open_to_network=~is_agency & (rng.random(count) < 0.3),
        lat=lat,
        lon=lon,
        urgency=urgency.astype(np.int64),
        needs_check=np.isin(category, [CATEGORIES.index(c) for c in NEEDS_SAFEGUARDING]),
        role_offsets=np.array(offsets, dtype=np.int64),
        role_name=np.array(names, dtype=np.str_),
        role_skill=np.array(skills, dtype=np.int64),
        role_min_level=np.array(min_levels, dtype=np.int64),
        role_count=np.array(counts, dtype=np.int64),
    )
