"""Open needs over the next four weeks, and their roles.

Community needs sit near their meeting point (meals and visits at a private home); about one
in seven comes from a partner agency instead, at or around its site and open to the whole
network. Windows are local times chosen to fall inside the weekly rhythms members commonly
keep (weekday evenings, Saturday mornings, weekday daytime), converted to UTC per time zone.
"""

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import numpy as np
import numpy.typing as npt

from geo.cities import City
from scripts.generate import vocabulary as words
from scripts.generate.places import DAY_S, AgencyTable, CommunityTable
from scripts.generate.sampling import (
    FloatArray,
    IntArray,
    choose,
    heavy_tailed_km,
    scatter,
    uuid4_ids,
)

AGENCY_SHARE = 0.15
OPEN_TO_NETWORK_SHARE = 0.10
URGENCY_WEIGHTS = (0.15, 0.60, 0.18, 0.07)  # low, normal, high, critical
MIN_LEVEL_WEIGHTS = (0.80, 0.17, 0.03)
EXTRA_ROLE_SHARE = 0.5
WEEKS_AHEAD = 4
TEMPLATES = words.COMMUNITY_TEMPLATES + words.AGENCY_TEMPLATES
ROLE_TEMPLATES = tuple(role for template in TEMPLATES for role in template.roles)
MAX_ROLES = max(len(template.roles) for template in TEMPLATES)


@dataclass(frozen=True)
class NeedTable:
    """Needs; ``community`` / ``agency`` are row indexes, -1 for the other source."""

    id: npt.NDArray[np.bytes_]
    community: IntArray
    agency: IntArray
    template: IntArray
    """Index into ``TEMPLATES`` (category, privacy, roles)."""
    title: npt.NDArray[np.object_]
    """Python strings: a fixed-width numpy string column would pad every title to the longest."""
    description: npt.NDArray[np.object_]
    lat: FloatArray
    lon: FloatArray
    starts_at: IntArray
    ends_at: IntArray
    background_check: npt.NDArray[np.bool_]
    urgency: IntArray
    open_to_network: npt.NDArray[np.bool_]
    created_at: IntArray


@dataclass(frozen=True)
class RoleTable:
    """Roles of needs, in need order then position."""

    id: npt.NDArray[np.bytes_]
    need: IntArray
    position: IntArray
    template: IntArray
    """Index into ``ROLE_TEMPLATES`` (name and skill)."""
    min_level: IntArray
    count: IntArray


def _role_matrix() -> IntArray:
    """(template, slot) -> index into ROLE_TEMPLATES, -1 where the template has fewer roles."""
    matrix = np.full((len(TEMPLATES), MAX_ROLES), -1, dtype=np.int64)
    offset = 0
    for row, template in enumerate(TEMPLATES):
        matrix[row, : len(template.roles)] = np.arange(offset, offset + len(template.roles))
        offset += len(template.roles)
    return matrix


def _templates(rng: np.random.Generator, agency: IntArray, agencies: AgencyTable) -> IntArray:
    count = agency.size
    community_choice = choose(rng, [t.weight for t in words.COMMUNITY_TEMPLATES], count)
    options = words.AGENCY_TEMPLATES_BY_KIND
    padded = np.array([row + (row[0],) * (2 - len(row)) for row in options])
    kind = agencies.kind[np.maximum(agency, 0)]
    sizes = np.array([len(row) for row in options])[kind]
    pick = np.floor(rng.random(count) * sizes).astype(np.int64)
    agency_choice = len(words.COMMUNITY_TEMPLATES) + padded[kind, pick]
    return np.where(agency >= 0, agency_choice, community_choice)


def _local_windows(
    rng: np.random.Generator, template: IntArray, start: date
) -> tuple[IntArray, IntArray, IntArray]:
    """(days after ``start``, local start minute, duration minutes) per need."""
    count = template.size
    kind = np.empty(count, dtype=np.int64)
    for index, spec in enumerate(TEMPLATES):
        mask = template == index
        names, weights = zip(*spec.slots, strict=True)
        kind[mask] = np.array([words.SLOT_KINDS.index(n) for n in names])[
            choose(rng, weights, int(mask.sum()))
        ]
    day_offset = np.empty(count, dtype=np.int64)
    minute = np.empty(count, dtype=np.int64)
    duration = np.empty(count, dtype=np.int64)
    first_day = start + timedelta(days=1)
    for index, (weekdays, starts, durations) in enumerate(words.NEED_SLOTS.values()):
        mask = kind == index
        size = int(mask.sum())
        weekday = np.array(weekdays)[rng.integers(0, len(weekdays), size)]
        week = rng.integers(0, WEEKS_AHEAD, size)
        day_offset[mask] = 1 + (weekday - first_day.weekday()) % 7 + 7 * week
        minute[mask] = np.array(starts)[rng.integers(0, len(starts), size)]
        duration[mask] = np.array(durations)[rng.integers(0, len(durations), size)]
    return day_offset, minute, duration


def _utc_starts(
    zone: IntArray, zones: tuple[str, ...], day_offset: IntArray, minute: IntArray, start: date
) -> IntArray:
    """Local (zone, day, minute) to epoch seconds, through each distinct combination once."""
    keys = np.stack([zone, day_offset, minute], axis=1)
    unique, inverse = np.unique(keys, axis=0, return_inverse=True)
    epoch = np.empty(len(unique), dtype=np.int64)
    for row, (zone_index, offset, local_minute) in enumerate(unique.tolist()):
        local = datetime.combine(start + timedelta(days=offset), datetime.min.time())
        aware = (local + timedelta(minutes=local_minute)).replace(
            tzinfo=ZoneInfo(zones[zone_index])
        )
        epoch[row] = int(aware.timestamp())
    starts: IntArray = epoch[inverse.ravel()]
    return starts


def _titles(
    rng: np.random.Generator,
    template: IntArray,
    city_names: list[str],
    agency_names: list[str],
) -> tuple[npt.NDArray[np.object_], npt.NDArray[np.object_]]:
    count = template.size

    def pick(values: tuple[str, ...]) -> list[str]:
        picked: list[str] = np.array(values)[rng.integers(0, len(values), count)].tolist()
        return picked

    placeholders = {
        "surname": pick(words.SURNAMES),
        "first": pick(words.FIRST_NAMES),
        "honorific": pick(words.HONORIFICS),
        "venue": pick(words.VENUES),
        "park": pick(words.PARKS),
        "street": pick(words.STREETS),
        "hospital": pick(words.HOSPITALS),
        "district": [
            f"{city} {district}"
            for city, district in zip(city_names, pick(words.DISTRICTS), strict=True)
        ],
        "year": rng.integers(1, 7, count).tolist(),
        "agency": agency_names,
    }
    closing = pick(words.CLOSINGS)
    titles = []
    descriptions = []
    for row, index in enumerate(template.tolist()):
        spec = TEMPLATES[index]
        titles.append(
            spec.title.format(**{key: values[row] for key, values in placeholders.items()})
        )
        descriptions.append(f"{words.DESCRIPTIONS[spec.category]} {closing[row]}")
    return np.array(titles, dtype=object), np.array(descriptions, dtype=object)


def synthesize_needs(
    rng: np.random.Generator,
    cities: tuple[City, ...],
    communities: CommunityTable,
    agencies: AgencyTable,
    *,
    count: int,
    start: date,
    now_s: int,
) -> tuple[NeedTable, RoleTable]:
    """``count`` open needs over the four weeks after ``start``, with their roles."""
    from_agency = rng.random(count) < AGENCY_SHARE
    community = np.where(from_agency, -1, choose(rng, communities.size, count))
    agency = np.where(from_agency, rng.integers(0, agencies.id.size, count), -1)
    template = _templates(rng, agency, agencies)
    day_offset, minute, duration = _local_windows(rng, template, start)
    city = np.where(
        from_agency,
        agencies.city[np.maximum(agency, 0)],
        communities.city[np.maximum(community, 0)],
    )
    zones = tuple(sorted({cities[i].timezone for i in np.unique(city).tolist()}))
    zone = np.searchsorted(
        np.array(zones), np.array([cities[i].timezone for i in range(len(cities))])
    )[city]
    starts_at = _utc_starts(zone, zones, day_offset, minute, start)
    # Community needs cluster around the meeting point; agencies' mostly at their own site.
    near_lat, near_lon = scatter(
        rng,
        communities.lat[np.maximum(community, 0)],
        communities.lon[np.maximum(community, 0)],
        heavy_tailed_km(rng, median_km=0.8, spread=0.7, size=count, cap_km=15.0),
    )
    site_lat = agencies.lat[np.maximum(agency, 0)]
    site_lon = agencies.lon[np.maximum(agency, 0)]
    away_lat, away_lon = scatter(
        rng,
        site_lat,
        site_lon,
        heavy_tailed_km(rng, median_km=3.0, spread=0.6, size=count, cap_km=20.0),
    )
    at_site = rng.random(count) < 0.6
    lat = np.where(from_agency, np.where(at_site, site_lat, away_lat), near_lat)
    lon = np.where(from_agency, np.where(at_site, site_lon, away_lon), near_lon)
    check_share = np.array([t.background_check for t in TEMPLATES])[template]
    city_names = [cities[i].name for i in city.tolist()]
    agency_names = np.where(from_agency, agencies.name[np.maximum(agency, 0)], "").tolist()
    title, description = _titles(rng, template, city_names, agency_names)
    needs = NeedTable(
        id=uuid4_ids(rng, count),
        community=community,
        agency=agency,
        template=template,
        title=title,
        description=description,
        lat=lat,
        lon=lon,
        starts_at=starts_at,
        ends_at=starts_at + duration * 60,
        background_check=rng.random(count) < check_share,
        urgency=choose(rng, URGENCY_WEIGHTS, count),
        open_to_network=from_agency | (rng.random(count) < OPEN_TO_NETWORK_SHARE),
        created_at=now_s - rng.integers(0, 10 * DAY_S, count),
    )
    return needs, _roles(rng, template)


def _roles(rng: np.random.Generator, template: IntArray) -> RoleTable:
    """The first role of each template always, each further one half the time."""
    matrix = _role_matrix()[template]
    wanted = (matrix >= 0) & (
        (np.arange(MAX_ROLES) == 0) | (rng.random(matrix.shape) < EXTRA_ROLE_SHARE)
    )
    position = np.cumsum(wanted, axis=1) - 1
    need, slot = np.nonzero(wanted)
    role_template = matrix[need, slot]
    low = np.array([r.count[0] for r in ROLE_TEMPLATES])[role_template]
    high = np.array([r.count[1] for r in ROLE_TEMPLATES])[role_template]
    skilled = np.array([r.skill is not None for r in ROLE_TEMPLATES])[role_template]
    size = need.size
    return RoleTable(
        id=uuid4_ids(rng, size),
        need=need.astype(np.int64),
        position=position[need, slot].astype(np.int64),
        template=role_template,
        min_level=np.where(skilled, choose(rng, MIN_LEVEL_WEIGHTS, size) + 1, 1),
        count=low + np.floor(rng.random(size) * (high - low + 1)).astype(np.int64),
    )
