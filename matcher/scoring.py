"""The soft score: how good a feasible match is, as a weighted sum of parts in [0, 1].

Each component is a small vectorised function so its shape (monotone, saturating, bounded)
can be read and tested on its own; `score_rows` applies them to every evaluated row.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import numpy as np
import numpy.typing as npt

from matcher.availability import slack_minutes
from matcher.constraints import Feasibility
from matcher.inputs import MAX_SKILL_LEVEL, URGENCIES
from matcher.local_time import SECONDS_PER_DAY, epoch_seconds
from matcher.need_table import NeedTable
from matcher.pool import MemberPool
from matcher.text_fit import TextFit
from matcher.weights import COMPONENTS, Weights

IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]

# Without a fitted text model, interests neither help nor hurt anyone.
NEUTRAL_TEXT_FIT = 0.5
# Level above the minimum matters more than wording; text refines within a level.
TEXT_SHARE_OF_SKILL = 0.3
# A role anyone can fill scores the same for everyone on level.
NO_SKILL_LEVEL_FIT = 0.5
# Slack minutes at which availability fit reaches 1 - 1/e (~0.63); two hours give ~0.86.
SLACK_SCALE_MINUTES = 60.0
# Services in 90 days that halve the count part of fairness.
SERVICES_HALF_POINT = 3.0
# Weeks without serving after which the recency part of fairness is full.
RECENCY_FULL_DAYS = 56.0
RECENCY_SHARE_OF_FAIRNESS = 0.25
URGENCY_FIT = np.linspace(0.0, 1.0, len(URGENCIES))
AFFINITY_OWN_COMMUNITY = 1.0
AFFINITY_AGENCY_REQUEST = 0.6
AFFINITY_NETWORK = 0.3


def distance_fit(distance_km: FloatArray, max_travel_km: FloatArray) -> FloatArray:
    """1 at home falling linearly to 0 at the member's own travel radius.

    Relative to the radius because 5 km is a long way for someone who said 6 and nothing
    for someone who said 40.
    """
    # min(d, r) / r never overflows, however small a positive radius is.
    ratio = np.divide(
        np.minimum(distance_km, max_travel_km),
        max_travel_km,
        out=np.where(distance_km > 0, 1.0, 0.0),
        where=max_travel_km > 0,
    )
    return np.clip(1.0 - ratio, 0.0, 1.0)


def skill_level_fit(level: IntArray, min_level: IntArray, needs_skill: BoolArray) -> FloatArray:
    """Share of the levels from (just below) the minimum up to 3 that the member reaches.

    At the minimum this is 1/(4 - min), rising to 1 at level 3, so each level above the
    minimum counts and a higher level never scores lower.
    """
    fit = (1.0 + level - min_level) / (MAX_SKILL_LEVEL + 1.0 - min_level)
    return np.where(needs_skill, np.clip(fit, 0.0, 1.0), NO_SKILL_LEVEL_FIT)


def availability_fit(slack_minutes: IntArray) -> FloatArray:
    """Saturating reward for free time around the window (free all morning beats exactly 2h)."""
    return 1.0 - np.exp(-np.maximum(slack_minutes, 0) / SLACK_SCALE_MINUTES)


def fairness_fit(services_last_90_days: IntArray, days_since_served: FloatArray) -> FloatArray:
    """Higher for members who have served less, so everyone gets a turn and nobody burns out.

    Mostly the 90-day count; partly how long since they last served (NaN: never, full).
    """
    count_part = 1.0 / (1.0 + services_last_90_days / SERVICES_HALF_POINT)
    recency_part = np.where(
        np.isnan(days_since_served),
        1.0,
        np.clip(np.nan_to_num(days_since_served) / RECENCY_FULL_DAYS, 0.0, 1.0),
    )
    share = RECENCY_SHARE_OF_FAIRNESS
    return np.asarray((1.0 - share) * count_part + share * recency_part, dtype=np.float64)


def affinity_fit(
    same_community: BoolArray, is_agency_request: BoolArray, in_network: BoolArray
) -> FloatArray:
    """Own community first, then partner-agency requests, then the rest of the network."""
    return np.select(
        [same_community, is_agency_request, in_network],
        [AFFINITY_OWN_COMMUNITY, AFFINITY_AGENCY_REQUEST, AFFINITY_NETWORK],
        0.0,
    )


def mentoring_fit(role_has_experienced: BoolArray, member_is_experienced: BoolArray) -> FloatArray:
    """Pair new members with mature ones: newcomers join a role an experienced member holds,
    experienced members go where there is none yet."""
    return np.where(role_has_experienced, ~member_is_experienced, member_is_experienced).astype(
        np.float64
    )


def text_fit_of_pairs(pool: MemberPool, table: NeedTable, text_model: TextFit | None) -> FloatArray:
    """Cosine fit of each member's interests with each need's words, member-major."""
    if text_model is None:
        return np.full(len(pool) * len(table), NEUTRAL_TEXT_FIT)
    interests = text_model.transform_or_reuse(list(pool.interests), pool.interest_vectors)
    need_words = text_model.transform_or_reuse(list(table.texts), table.text_vectors)
    similarity = np.asarray((interests @ need_words.T).toarray(), dtype=np.float64)
    return np.clip(similarity.reshape(-1), 0.0, 1.0)


@dataclass(frozen=True, slots=True)
class Scores:
    """Per-row components and weighted score, aligned with `Feasibility` rows."""

    components: dict[str, FloatArray]  # component name -> (Q,)
    score: FloatArray  # (Q,)
    text_fit: FloatArray  # (P,)


def score_rows(
    feasibility: Feasibility,
    pool: MemberPool,
    table: NeedTable,
    *,
    weights: Weights,
    text_model: TextFit | None,
    now: datetime,
) -> Scores:
    """Score every evaluated row; infeasible rows get numbers too but are never returned."""
    pair_member, pair_need = feasibility.pair_member, feasibility.pair_need
    row_pair, row_role = feasibility.row_pair, feasibility.row_role
    row_member = pair_member[row_pair]

    segments = feasibility.segments
    first, last = segments.offsets[:-1], segments.offsets[1:] - 1
    slack = slack_minutes(
        start_minute=segments.start_minute[first],
        first_slot=segments.slot[first],
        end_minute=segments.end_minute[last],
        last_slot=segments.slot[last],
        slot_start_minute=pool.slot_start_minute,
        slot_end_minute=pool.slot_end_minute,
    )

    days_since_served = (epoch_seconds(now) - pool.last_served_s) / SECONDS_PER_DAY
    community = table.community_ids[pair_need]
    same_community = pool.community_ids[pair_member] == community
    is_agency_request = table.is_agency_request[pair_need] | (community == "")
    in_network = ~feasibility.violations["not_in_network"]
    text_fit = text_fit_of_pairs(pool, table, text_model)

    level_fit = skill_level_fit(
        feasibility.member_level, table.role_min_level[row_role], table.role_skills[row_role] != ""
    )
    pair_components = {
        "distance": distance_fit(feasibility.distance_km, pool.max_travel_km[pair_member]),
        "availability": availability_fit(slack),
        "fairness": fairness_fit(pool.services_last_90_days, days_since_served)[pair_member],
        "urgency": URGENCY_FIT[table.urgency_ranks][pair_need],
    }
    components = {name: values[row_pair] for name, values in pair_components.items()}
    components["affinity"] = affinity_fit(
        same_community[row_pair], is_agency_request[row_pair], in_network
    )
    text_part = text_fit[row_pair]
    components["skill"] = (1 - TEXT_SHARE_OF_SKILL) * level_fit + TEXT_SHARE_OF_SKILL * text_part
    components["mentoring"] = mentoring_fit(
        table.role_has_experienced[row_role], pool.is_experienced[row_member]
    )
    components = {name: components[name] for name in COMPONENTS}
    shares = weights.normalised()
    score = np.zeros(row_pair.size)
    for name in COMPONENTS:
        score += shares[name] * components[name]
    return Scores(
        components=components,
        score=np.clip(score, 0.0, 1.0),
        text_fit=text_fit,
    )
