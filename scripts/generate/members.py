"""Members: homes around their meeting point, gifts, weekly rhythms, stages and limits.

Everything is a column of codes (indexes into ``vocabulary``) so a million members stay a
few tens of megabytes; ``rows`` turns a slice of them into strings only while it is loaded.
"""

import json
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from scripts.generate import vocabulary as words
from scripts.generate.places import DAY_S, CommunityTable
from scripts.generate.sampling import (
    FloatArray,
    IntArray,
    choose,
    heavy_tailed_km,
    scatter,
    uuid4_ids,
)

MAX_SKILLS = 5
SKILL_COUNT_WEIGHTS = (0.07, 0.25, 0.30, 0.22, 0.11, 0.05)  # 0..5 skills
LEVEL_WEIGHTS = (0.55, 0.32, 0.13)  # levels 1..3: most people are beginners at most things
STAGE_WEIGHTS = (0.36, 0.34, 0.21, 0.09)  # new, growing, mature, leader
TENURE_DAYS = ((1, 180), (90, 730), (365, 1825), (730, 2920))  # per stage
BACKGROUND_CHECKED = (0.15, 0.25, 0.5, 0.8)  # per stage: ~30% overall
TRAVEL_KM = (2.0, 3.0, 5.0, 8.0, 10.0, 15.0, 20.0, 30.0, 50.0)
TRAVEL_WEIGHTS = (3, 10, 24, 20, 18, 14, 6, 3, 2)  # most 3-15 km, a few up to 50
MONTHLY_LIMITS = (2, 3, 4, 5, 6, 8)
MONTHLY_LIMIT_WEIGHTS = (0.2, 0.15, 0.3, 0.1, 0.15, 0.1)
ACTIVE_SHARE = 0.95
CHECK_DOCUMENTS = (
    "[]",
    '["background_check"]',
    '["food_hygiene"]',
    '["background_check", "food_hygiene"]',
)
"""Checks held, indexed by a bitmask: 1 = background check, 2 = food hygiene."""
BLACKOUT_WINDOW_DAYS = 56
SKILL_BLOCK = 65_536


@dataclass(frozen=True)
class MemberTable:
    """Members as columns of codes; see ``vocabulary`` for what the codes index.

    Codes are stored in the narrowest integer type that holds them: at a million members
    every byte per column is a megabyte.
    """

    id: npt.NDArray[np.bytes_]
    community: IntArray
    first_name: IntArray
    surname: IntArray
    lat: FloatArray
    lon: FloatArray
    max_travel_km: FloatArray
    skill: IntArray
    """(members, 5) indexes into ``SKILLS``, most popular first, padded with -1."""
    level: IntArray
    interest: IntArray
    """(members, 2) indexes into the flattened interest phrases, -1 for none."""
    availability: IntArray
    availability_documents: tuple[str, ...]
    """The distinct weekly rhythms as JSON, indexed by ``availability``."""
    blackout_start: IntArray
    """Days after the network's start date of the first blackout date, -1 for none."""
    blackout_days: IntArray
    blackout_extra: IntArray
    stage: IntArray
    checks: IntArray
    max_commitments_per_month: IntArray
    active: npt.NDArray[np.bool_]
    created_at: IntArray
    updated_at: IntArray

    def __len__(self) -> int:
        return int(self.id.size)


INTEREST_PHRASES = tuple(phrase for phrases in words.INTERESTS_BY_SKILL for phrase in phrases)
_VARIANTS = tuple(
    (family, variant)
    for family, (_, variants) in enumerate(words.AVAILABILITY_FAMILIES)
    for variant in variants
)
_FAMILY_OFFSETS = np.cumsum([0] + [len(v) for _, v in words.AVAILABILITY_FAMILIES])
_FAMILY_WEIGHTS = [weight for weight, _ in words.AVAILABILITY_FAMILIES]
_NEVER_FREE = len(words.AVAILABILITY_FAMILIES) - 1


def _top_skills(rng: np.random.Generator, count: int) -> IntArray:
    """``MAX_SKILLS`` distinct skills per member, Zipf-weighted (the Gumbel top-k trick).

    Drawn a block at a time: the (members x skills) noise is the generator's largest array.
    """
    popularity = np.log(1.0 / np.arange(1, len(words.SKILLS) + 1))
    top = np.empty((count, MAX_SKILLS), dtype=np.int8)
    for start in range(0, count, SKILL_BLOCK):
        stop = min(start + SKILL_BLOCK, count)
        keys = popularity + rng.gumbel(size=(stop - start, len(words.SKILLS)))
        top[start:stop] = np.argpartition(-keys, MAX_SKILLS, axis=1)[:, :MAX_SKILLS]
    return top


def _skills(rng: np.random.Generator, count: int, stage: IntArray) -> tuple[IntArray, IntArray]:
    """Zipf-popular skills without repeats, levels skewed low (higher for mature members)."""
    top = _top_skills(rng, count)
    how_many = choose(rng, SKILL_COUNT_WEIGHTS, count)
    chosen = np.where(np.arange(MAX_SKILLS) < how_many[:, None], top, len(words.SKILLS))
    chosen.sort(axis=1)  # most popular first; the padding value sorts last
    skill = np.where(chosen == len(words.SKILLS), -1, chosen)
    level = choose(rng, LEVEL_WEIGHTS, (count, MAX_SKILLS)) + 1
    seasoned = (stage >= 2)[:, None] & (rng.random((count, MAX_SKILLS)) < 0.35)
    level = np.where(skill >= 0, np.minimum(level + seasoned, 3), 0)
    return skill.astype(np.int8), level.astype(np.int8)


def _interests(rng: np.random.Generator, skill: IntArray) -> IntArray:
    """One phrase from one of their own gifts, sometimes a second from anywhere; some blank."""
    count = skill.shape[0]
    held = (skill >= 0).sum(axis=1)
    which = np.floor(rng.random(count) * np.maximum(held, 1)).astype(np.int64)
    own = skill[np.arange(count), which]
    phrases_per_skill = len(words.INTERESTS_BY_SKILL[0])
    first = np.where(
        own >= 0,
        own * phrases_per_skill + rng.integers(0, phrases_per_skill, count),
        rng.integers(0, len(INTEREST_PHRASES), count),
    )
    second = np.where(rng.random(count) < 0.45, rng.integers(0, len(INTEREST_PHRASES), count), -1)
    second = np.where(second == first, -1, second)
    blank = rng.random(count) < 0.12
    return np.stack([np.where(blank, -1, first), np.where(blank, -1, second)], axis=1)


def _variant(rng: np.random.Generator, family: IntArray) -> IntArray:
    sizes = np.diff(_FAMILY_OFFSETS)[family]
    return _FAMILY_OFFSETS[family] + np.floor(rng.random(family.size) * sizes).astype(np.int64)


def _availability_document(primary: int, secondary: int) -> str:
    slots = list(_VARIANTS[primary][1])
    if secondary >= 0:
        slots += _VARIANTS[secondary][1]
    slots.sort(key=lambda slot: (words.DAYS.index(slot[0]), slot[1], slot[2]))
    return json.dumps([{"day": day, "start": start, "end": end} for day, start, end in slots])


def _availability(rng: np.random.Generator, count: int) -> tuple[IntArray, tuple[str, ...]]:
    """A weekly rhythm each, a third of people with a second one (evenings and Saturdays)."""
    family = choose(rng, _FAMILY_WEIGHTS, count)
    primary = _variant(rng, family)
    second_family = choose(rng, _FAMILY_WEIGHTS[:-1], count)
    has_second = (rng.random(count) < 0.35) & (second_family != family) & (family != _NEVER_FREE)
    secondary = np.where(has_second, _variant(rng, second_family), -1)
    codes = primary * (len(_VARIANTS) + 1) + secondary + 1
    unique, index = np.unique(codes, return_inverse=True)
    documents = tuple(
        _availability_document(
            int(code) // (len(_VARIANTS) + 1), int(code) % (len(_VARIANTS) + 1) - 1
        )
        for code in unique
    )
    return index.astype(np.int64), documents


def _blackouts(rng: np.random.Generator, count: int) -> tuple[IntArray, IntArray, IntArray]:
    """Most have none; some a day or two away, a few a week or so of holiday."""
    kind = choose(rng, (0.80, 0.15, 0.05), count)
    first_day = rng.integers(0, BLACKOUT_WINDOW_DAYS - 10, count)
    start = np.where(kind == 0, -1, first_day).astype(np.int64)
    days = np.where(kind == 2, rng.integers(3, 11, count), 1).astype(np.int64)
    extra = np.where(
        (kind == 1) & (rng.random(count) < 0.5), rng.integers(0, BLACKOUT_WINDOW_DAYS, count), -1
    ).astype(np.int64)
    return start, days, extra


def synthesize_members(
    rng: np.random.Generator, communities: CommunityTable, *, now_s: int
) -> MemberTable:
    """The members of every community, homes clustered around its meeting point."""
    community = np.repeat(np.arange(communities.size.size), communities.size)
    count = community.size
    distance_km = heavy_tailed_km(rng, median_km=1.5, spread=0.9, size=count, cap_km=60.0)
    lat, lon = scatter(rng, communities.lat[community], communities.lon[community], distance_km)
    travel = np.array(TRAVEL_KM)
    radius = travel[choose(rng, TRAVEL_WEIGHTS, count)]
    # People who come from further away to their community tend to travel further to serve.
    reach = travel[np.minimum(np.searchsorted(travel, distance_km), travel.size - 1)]
    radius = np.where((distance_km > radius) & (rng.random(count) < 0.7), reach, radius)
    stage = choose(rng, STAGE_WEIGHTS, count)
    skill, level = _skills(rng, count, stage)
    has_food_skill = ((skill == words.SKILLS.index("cooking")) & (level >= 2)).any(axis=1)
    checks = (rng.random(count) < np.array(BACKGROUND_CHECKED)[stage]).astype(np.int64) + 2 * (
        has_food_skill & (rng.random(count) < 0.4)
    )
    availability, documents = _availability(rng, count)
    blackout_start, blackout_days, blackout_extra = _blackouts(rng, count)
    low, high = np.array(TENURE_DAYS).T
    tenure_s = (low[stage] + rng.random(count) * (high[stage] - low[stage])) * DAY_S
    created = np.maximum(now_s - tenure_s.astype(np.int64), communities.created_at[community])
    updated = created + (rng.random(count) * (now_s - created)).astype(np.int64)
    return MemberTable(
        id=uuid4_ids(rng, count),
        community=community.astype(np.int32),
        first_name=rng.integers(0, len(words.FIRST_NAMES), count, dtype=np.int16),
        surname=rng.integers(0, len(words.SURNAMES), count, dtype=np.int16),
        lat=lat,
        lon=lon,
        max_travel_km=radius,
        skill=skill,
        level=level,
        interest=_interests(rng, skill).astype(np.int16),
        availability=availability.astype(np.int32),
        availability_documents=documents,
        blackout_start=blackout_start.astype(np.int16),
        blackout_days=blackout_days.astype(np.int8),
        blackout_extra=blackout_extra.astype(np.int16),
        stage=stage.astype(np.int8),
        checks=checks.astype(np.int8),
        max_commitments_per_month=np.array(MONTHLY_LIMITS, dtype=np.int8)[
            choose(rng, MONTHLY_LIMIT_WEIGHTS, count)
        ],
        active=rng.random(count) < ACTIVE_SHARE,
        created_at=created,
        updated_at=updated,
    )
