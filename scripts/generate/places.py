"""Where the network lives: communities placed by population, their coordinators, and agencies.

A national network in one country: communities land in real cities with probability
proportional to population, scattered around the centre by the city's size; some were
multiplied from an older community in the same city (``parent``), and half of those are still
led by the parent's coordinator. Partner agencies sit in the largest cities.
"""

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from geo.cities import City
from scripts.generate import vocabulary as words
from scripts.generate.sampling import (
    FloatArray,
    IntArray,
    choose,
    scatter,
    uuid4_ids,
    within_groups,
)

DAY_S = 86_400
MEAN_COMMUNITY_SIZE = 15
SMALLEST_COMMUNITY = 8
LARGEST_COMMUNITY = 25
MULTIPLIED_SHARE = 0.25
"""Share of communities (other than a city's first) multiplied from an older one."""
SHARED_COORDINATOR_SHARE = 0.5
"""Share of multiplied communities still led by their parent's coordinator."""
COMMUNITIES_PER_AGENCY = 40
AGENCY_CITY_SHARE = 0.1
"""Agencies sit in the largest tenth of the cities that have communities."""

Strings = npt.NDArray[np.str_]
Ids = npt.NDArray[np.bytes_]


@dataclass(frozen=True)
class CommunityTable:
    """Communities; ``parent`` and ``coordinator`` are row indexes (-1: no parent)."""

    id: Ids
    name: Strings
    city: IntArray
    lat: FloatArray
    lon: FloatArray
    parent: IntArray
    coordinator: IntArray
    created_at: IntArray
    size: IntArray
    """How many members each community gets."""


@dataclass(frozen=True)
class CoordinatorTable:
    """Coordinators, one per community except where a parent's coordinator also leads."""

    id: Ids
    name: Strings
    email: Strings
    created_at: IntArray


@dataclass(frozen=True)
class AgencyTable:
    """Partner agencies; ``lat``/``lon`` is their site (not stored: it places their needs)."""

    id: Ids
    name: Strings
    email: Strings
    kind: IntArray
    city: IntArray
    lat: FloatArray
    lon: FloatArray
    created_at: IntArray


def city_radius_km(population: npt.ArrayLike) -> FloatArray:
    """How far from the centre a city's communities spread: ~2 km for a town, ~16 for London."""
    radius: FloatArray = 1.5 + 5.0 * np.sqrt(np.asarray(population, dtype=np.float64) / 1e6)
    return radius


def community_sizes(rng: np.random.Generator, member_count: int) -> IntArray:
    """Sizes of 8 to 25 (mean 15) summing to ``member_count``; the last takes the remainder."""
    span = LARGEST_COMMUNITY - SMALLEST_COMMUNITY
    mean_share = (MEAN_COMMUNITY_SIZE - SMALLEST_COMMUNITY) / span
    draws = member_count // SMALLEST_COMMUNITY + 1
    sizes = SMALLEST_COMMUNITY + rng.binomial(span, mean_share, size=draws)
    totals = np.cumsum(sizes)
    count = int(np.searchsorted(totals, member_count)) + 1
    sizes = sizes[:count].astype(np.int64)
    sizes[-1] -= int(totals[count - 1]) - member_count
    return sizes


def _full_names(rng: np.random.Generator, count: int) -> tuple[IntArray, IntArray, Strings]:
    first = rng.integers(0, len(words.FIRST_NAMES), size=count)
    last = rng.integers(0, len(words.SURNAMES), size=count)
    names = np.strings.add(
        np.strings.add(np.array(words.FIRST_NAMES)[first], " "), np.array(words.SURNAMES)[last]
    )
    return first, last, names


def _creation_in_rank_order(
    rng: np.random.Generator, city: IntArray, now_s: int
) -> tuple[IntArray, IntArray, IntArray]:
    """Creation times increasing with index within each city, so parents predate children."""
    order, rank, _ = within_groups(city)
    drawn = now_s - rng.integers(60 * DAY_S, 3650 * DAY_S, size=city.size)
    created = np.empty_like(drawn)
    created[order] = drawn[np.lexsort((drawn, city))]
    return created, order, rank


def _parents(
    rng: np.random.Generator, order: IntArray, rank: IntArray
) -> tuple[IntArray, npt.NDArray[np.bool_]]:
    """A random older community of the same city for about a quarter of the communities."""
    count = order.size
    multiplied = (rank > 0) & (rng.random(count) < MULTIPLIED_SHARE)
    position = np.empty_like(order)
    position[order] = np.arange(count)
    earlier = np.floor(rng.random(count) * rank).astype(np.int64)
    parent = np.where(multiplied, order[position - rank + earlier], -1)
    return parent, multiplied


def _coordinator_of(
    rng: np.random.Generator, parent: IntArray, multiplied: npt.NDArray[np.bool_]
) -> IntArray:
    """Coordinator row per community: its own, or (for some children) its parent's."""
    shares = multiplied & (rng.random(parent.size) < SHARED_COORDINATOR_SHARE)
    owner = np.arange(parent.size)
    while True:  # follow chains of shared leadership up to the community that owns it
        followed = np.where(shares, owner[np.maximum(parent, 0)], owner)
        if np.array_equal(followed, owner):
            break
        owner = followed
    _, coordinator = np.unique(owner, return_inverse=True)
    return coordinator.astype(np.int64)


def _community_names(rng: np.random.Generator, city_names: Strings) -> Strings:
    count = city_names.size
    word = np.array(words.COMMUNITY_WORDS)[rng.integers(0, len(words.COMMUNITY_WORDS), count)]
    kind = np.array(words.COMMUNITY_KINDS)[
        choose(rng, [6, 2, 1, 1, 1], count)  # mostly plain "Community"
    ]
    district = np.array(words.DISTRICTS)[rng.integers(0, len(words.DISTRICTS), count)]
    name = np.strings.add(np.strings.add(word, " "), kind)
    name = np.strings.add(np.strings.add(name, ", "), city_names)
    return np.strings.add(np.strings.add(name, " "), district)


def synthesize_communities(
    rng: np.random.Generator, cities: tuple[City, ...], *, member_count: int, now_s: int
) -> tuple[CommunityTable, CoordinatorTable]:
    """Communities sized for ``member_count`` members, and their coordinators."""
    sizes = community_sizes(rng, member_count)
    count = sizes.size
    population = np.array([city.population for city in cities], dtype=np.float64)
    city = choose(rng, population, count)
    centre_lat = np.array([c.lat for c in cities])[city]
    centre_lon = np.array([c.lon for c in cities])[city]
    spread = np.minimum(rng.rayleigh(city_radius_km(population[city]) / 2), 40.0)
    lat, lon = scatter(rng, centre_lat, centre_lon, spread)
    created, order, rank = _creation_in_rank_order(rng, city, now_s)
    parent, multiplied = _parents(rng, order, rank)
    # A multiplied community meets a neighbourhood or two away from the one it came from.
    near_lat, near_lon = scatter(
        rng, lat[np.maximum(parent, 0)], lon[np.maximum(parent, 0)], rng.rayleigh(1.5, count)
    )
    lat, lon = np.where(multiplied, near_lat, lat), np.where(multiplied, near_lon, lon)
    coordinator = _coordinator_of(rng, parent, multiplied)
    city_names = np.array([c.name for c in cities])[city]
    communities = CommunityTable(
        id=uuid4_ids(rng, count),
        name=_community_names(rng, city_names),
        city=city,
        lat=lat,
        lon=lon,
        parent=parent,
        coordinator=coordinator,
        created_at=created,
        size=sizes,
    )
    return communities, _coordinators(rng, communities)


def _coordinators(rng: np.random.Generator, communities: CommunityTable) -> CoordinatorTable:
    count = int(communities.coordinator.max()) + 1
    first, last, names = _full_names(rng, count)
    emails = [
        f"{words.FIRST_NAMES[f].lower()}.{words.SURNAMES[s].lower()}.{index}@example.net"
        for index, (f, s) in enumerate(zip(first.tolist(), last.tolist(), strict=True))
    ]
    # A coordinator has been around since their oldest community began.
    created = np.full(count, np.iinfo(np.int64).max)
    np.minimum.at(created, communities.coordinator, communities.created_at)
    return CoordinatorTable(
        id=uuid4_ids(rng, count), name=names, email=np.array(emails), created_at=created
    )


def synthesize_agencies(
    rng: np.random.Generator,
    cities: tuple[City, ...],
    communities: CommunityTable,
    *,
    now_s: int,
) -> AgencyTable:
    """About one agency per 40 communities, in the largest cities that have communities."""
    count = max(1, round(communities.id.size / COMMUNITIES_PER_AGENCY))
    hosts = np.unique(communities.city)  # cities are ordered largest first, so are these
    hosts = hosts[: max(1, int(np.ceil(hosts.size * AGENCY_CITY_SHARE)))]
    population = np.array([cities[i].population for i in hosts], dtype=np.float64)
    city = hosts[choose(rng, population, count)]
    centre_lat = np.array([cities[i].lat for i in city])
    centre_lon = np.array([cities[i].lon for i in city])
    radius_km = city_radius_km([cities[i].population for i in city])
    lat, lon = scatter(rng, centre_lat, centre_lon, rng.rayleigh(radius_km / 4))
    kind = rng.integers(0, len(words.AGENCY_KINDS), count)
    district = np.array(words.DISTRICTS)[rng.integers(0, len(words.DISTRICTS), count)]
    names = [
        f"{cities[c].name} {d} {words.AGENCY_KINDS[k]}"
        for c, d, k in zip(city.tolist(), district.tolist(), kind.tolist(), strict=True)
    ]
    emails = [
        f"hello.{index}@{words.AGENCY_KINDS[k].lower().replace(' ', '')}.example"
        for index, k in enumerate(kind.tolist())
    ]
    return AgencyTable(
        id=uuid4_ids(rng, count),
        name=np.array(names),
        email=np.array(emails),
        kind=kind,
        city=city,
        lat=lat,
        lon=lon,
        created_at=now_s - rng.integers(30 * DAY_S, 3650 * DAY_S, size=count),
    )
