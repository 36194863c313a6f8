"""Exact top-k candidates without ranking everyone in reach.

A dense city puts a hundred thousand members within reach of an agency's request, and a
coordinator asks for twenty. Reading each member's whole profile (weekly rhythm, service
history, commitments) costs far more than ranking them. So the caller bounds what each member
could score, reads and ranks members in order of falling bound, and stops once the k-th best
beats the next bound: nobody left could enter the list. The result equals the first k of
ranking everyone, ties included, because every batch is ranked by the same rule (score, then
member id) and the stop is strict.

Two bounds, loose and cheap to tight and dearer:

* `member_ceilings` from an outline (home, radius, stage, skills): the parts the outline
  decides (distance, to within the sphere's margin; skill level, mentoring, urgency,
  affinity, which roles they could take at all), with interests, free time and fairness at
  full marks.
* `resident_ceilings` from a resident pool kept between requests: the engine's own score
  without what changes with every sign-up (commitments, service history).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime

import numpy as np
import numpy.typing as npt

from geo.distance import SPHERE_MARGIN, great_circle_km
from matcher.availability import (
    HALF_HOUR_MINUTES,
    HALF_HOURS_PER_DAY,
    free_in_half_hour,
)
from matcher.inputs import EXPERIENCED_STAGES, URGENCIES, NeedSpec
from matcher.local_time import clock_covering, epoch_seconds, local_segments
from matcher.pool import MemberPool
from matcher.ranking import best_scores
from matcher.results import Candidate
from matcher.scoring import (
    NEUTRAL_TEXT_FIT,
    NO_SKILL_LEVEL_FIT,
    TEXT_SHARE_OF_SKILL,
    URGENCY_FIT,
    affinity_fit,
    distance_fit,
    mentoring_fit,
    skill_level_fit,
)
from matcher.text_fit import TextFit
from matcher.weights import Weights

FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]

# Scores are sums of floats computed in numpy; each ceiling is lifted by this much so that
# rounding can never put a real score above it.
CEILING_SLACK = 1e-9


def member_ceilings(
    need: NeedSpec,
    *,
    weights: Weights,
    lat: npt.ArrayLike,
    lon: npt.ArrayLike,
    max_travel_km: npt.ArrayLike,
    community_ids: Sequence[str] | npt.NDArray[np.str_],
    stages: Sequence[str] | npt.NDArray[np.str_],
    levels: Mapping[str, npt.ArrayLike],
) -> FloatArray:
    """The most each member could score for `need`; -inf where no role could be theirs.

    Exact for the parts the outline decides but distance, which is taken on the sphere and
    shortened by its margin; interests, free time and fairness at 1. A member beyond their own
    radius, or below every open role's skill level, can never be a candidate.
    `levels` holds each member's level in each skill a role asks for (0 when they have none).
    """
    count = np.asarray(lat).size
    if count == 0:
        return np.zeros(0)
    shares = weights.normalised()
    # No more than the geodesic distance, at a tenth of its cost: a bound needs no more.
    distance = great_circle_km(lat, lon, need.lat, need.lon) * (1 - SPHERE_MARGIN)
    radius = np.asarray(max_travel_km, dtype=np.float64)
    # Element-wise comparisons, not np.isin: no sorting of a few hundred thousand strings.
    stage_of = np.asarray(stages)
    experienced = np.zeros(count, dtype=np.bool_)
    for stage in EXPERIENCED_STAGES:
        experienced |= stage_of == stage
    same_community = (
        np.zeros(count, dtype=np.bool_)
        if need.community_id is None
        else np.asarray(community_ids) == need.community_id
    )
    is_agency_request = np.full(count, need.agency_id is not None or need.community_id is None)
    common = (
        shares["distance"] * distance_fit(distance, radius)
        + shares["urgency"] * float(URGENCY_FIT[URGENCIES.index(need.urgency)])
        + shares["affinity"] * affinity_fit(same_community, is_agency_request, np.ones(count, bool))
        + shares["availability"]
        + shares["fairness"]
    )
    best_role = np.full(count, -np.inf)
    for role in need.roles:
        if role.filled >= role.count:
            continue
        if role.skill is None:
            level_fit = np.full(count, NO_SKILL_LEVEL_FIT)
            eligible = np.ones(count, dtype=np.bool_)
        else:
            level = np.asarray(levels[role.skill], dtype=np.int64)
            level_fit = skill_level_fit(level, np.full(count, role.min_level), np.ones(count, bool))
            eligible = level >= role.min_level
        has_experienced = not EXPERIENCED_STAGES.isdisjoint(role.signed_up_stages)
        part = shares["skill"] * (
            (1 - TEXT_SHARE_OF_SKILL) * level_fit + TEXT_SHARE_OF_SKILL
        ) + shares["mentoring"] * mentoring_fit(np.full(count, has_experienced), experienced)
        best_role = np.where(eligible, np.maximum(best_role, part), best_role)
    ceilings = np.minimum(common + best_role, 1.0) + CEILING_SLACK
    return np.where(distance <= radius, ceilings, -np.inf)


def free_when_it_starts(
    need: NeedSpec,
    half_hours: npt.NDArray[np.uint8],
    zone_codes: npt.NDArray[np.int64],
    zone_names: Sequence[str],
) -> BoolArray:
    """Whether each member could be free when the need starts, in their own zone's time.

    `half_hours` are the members' rows of `availability.free_half_hours`. False means the
    engine will refuse them (no weekly window can cover the need's first minute), so their
    ceiling is -inf; True promises nothing more.
    """
    start_s = np.array([epoch_seconds(need.starts_at)])
    end_s = np.array([epoch_seconds(need.ends_at, round_up=True)])
    half_hour_of_zone = np.zeros(len(zone_names), dtype=np.int64)
    for code, zone in enumerate(zone_names):
        clock = clock_covering(zone, int(start_s[0]), int(end_s[0]))
        first = local_segments(clock, start_s, end_s)
        half_hour_of_zone[code] = (
            first.weekday[0] * HALF_HOURS_PER_DAY + first.start_minute[0] // HALF_HOUR_MINUTES
        )
    return free_in_half_hour(half_hours, half_hour_of_zone[zone_codes])


def resident_ceilings(
    need: NeedSpec,
    pool: MemberPool,
    *,
    weights: Weights,
    text_model: TextFit | None,
    now: datetime,
) -> FloatArray:
    """The most each member of a resident pool could score for `need`; -inf where no role
    could be theirs.

    A resident pool is a snapshot kept between requests without what changes with every
    sign-up: no commitments and no service history (nobody has served, so fairness counts
    in full). The engine's score on it can therefore only fall when a member's fresh profile
    is ranked. When its interest vectors are not `text_model`'s (the model was refitted since),
    interests count in full instead of being vectorised again.
    """
    if pool.commitment_member.size or pool.services_last_90_days.any():
        raise ValueError("a resident pool holds no commitments and no service history")
    if not np.isnan(pool.last_served_s).all():
        raise ValueError("a resident pool holds no service history")
    stale_text = text_model is not None and not text_model.made(pool.interest_vectors)
    scores = best_scores(
        need, pool, weights=weights, text_model=None if stale_text else text_model, now=now
    )
    if stale_text:
        scores = scores + weights.normalised()["skill"] * TEXT_SHARE_OF_SKILL * (
            1 - NEUTRAL_TEXT_FIT
        )
    return np.minimum(scores, 1.0) + CEILING_SLACK


def merge_best(
    best: Sequence[Candidate], more: Sequence[Candidate], *, limit: int
) -> list[Candidate]:
    """The `limit` best of two ranked lists, by the engine's order: score, then member id."""
    merged = sorted([*best, *more], key=lambda candidate: (-candidate.score, candidate.member_id))
    return merged[:limit]


def settled(best: Sequence[Candidate], *, limit: int, ceiling: float) -> bool:
    """Whether no member still unseen (all scoring at most `ceiling`) can enter the top `limit`.

    Strict: an unseen member scoring exactly the k-th best could still win on the id tie-break.
    """
    if limit <= 0:
        return True
    return len(best) >= limit and best[limit - 1].score > ceiling
