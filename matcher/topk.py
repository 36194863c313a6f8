"""Exact top-k candidates without loading everyone in reach.

A dense city puts a hundred thousand members within reach of an agency's request, and a
coordinator asks for twenty. Loading each member's whole profile (weekly rhythm, service
history, commitments) costs far more than ranking them. So the caller first reads a light
outline of everyone in reach (home, radius, stage, skills) and asks `member_ceilings` for the
most each could score: every part of the score that the outline decides is computed exactly
(distance, skill level, mentoring, urgency, affinity, and which roles they could take at
all), and the parts it does not (interests, free time, fairness) count as full marks. It then
loads and ranks members in order of falling ceiling and stops once the k-th best beats the
next member's ceiling: nobody left could enter the list. The result equals the first k of
ranking everyone, ties included, because every batch is ranked by the same rule (score, then
member id) and the stop is strict.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime

import numpy as np
import numpy.typing as npt

from geo.distance import geodesic_km
from matcher.inputs import EXPERIENCED_STAGES, URGENCIES, NeedSpec
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

    Exact for the parts the outline decides; interests, free time and fairness at 1. A member
    beyond their own radius, or below every open role's skill level, can never be a candidate.
    `levels` holds each member's level in each skill a role asks for (0 when they have none).
    """
    count = np.asarray(lat).size
    if count == 0:
        return np.zeros(0)
    shares = weights.normalised()
    distance = np.asarray(geodesic_km(np.asarray(lat), np.asarray(lon), need.lat, need.lon))
    radius = np.asarray(max_travel_km, dtype=np.float64)
    experienced = np.isin(np.asarray(stages, dtype=object), sorted(EXPERIENCED_STAGES))
    same_community = np.asarray(community_ids, dtype=object) == need.community_id
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
