"""Exact top-k candidates from members walked nearest-first, batch by batch.

A dense city puts tens of thousands of members within reach of an agency's request, and a
coordinator asks for twenty. Scores fall with distance, so the caller walks members
nearest-first (from a spatial index), ranks each batch with the engine, keeps the k best so
far, and stops as soon as no member farther out could beat the k-th: `score_ceiling` is the
most any member at a given distance can score — the distance part at that distance for the
largest travel radius anyone has, plus the most every other part can give for this need.
The result equals the first k of ranking everyone, ties included, because every batch is
ranked by the same rule (score, then member id) and the walk only stops on a strict bound.
"""

from __future__ import annotations

from collections.abc import Sequence

from matcher.inputs import URGENCIES, NeedSpec
from matcher.results import Candidate
from matcher.scoring import AFFINITY_AGENCY_REQUEST, AFFINITY_OWN_COMMUNITY, URGENCY_FIT
from matcher.weights import COMPONENTS, Weights

# Scores are sums of floats computed in numpy; the ceiling is lifted by this much so that
# rounding can never put a real score above it.
CEILING_SLACK = 1e-9


def score_ceiling(
    need: NeedSpec, *, weights: Weights, distance_km: float, largest_radius_km: float
) -> float:
    """The highest score any member at least `distance_km` from `need` could reach.

    A member's distance part is 1 - d / (their radius), at most 1 - d / `largest_radius_km`;
    urgency is the need's own; affinity at most "own community" for a community's need and
    "agency request" otherwise; skill, availability, fairness and mentoring at most 1.
    """
    if largest_radius_km <= 0 or distance_km >= largest_radius_km:
        nearness = 0.0
    else:
        nearness = 1.0 - max(distance_km, 0.0) / largest_radius_km
    most = dict.fromkeys(COMPONENTS, 1.0)
    most["distance"] = nearness
    most["urgency"] = float(URGENCY_FIT[URGENCIES.index(need.urgency)])
    most["affinity"] = (
        AFFINITY_OWN_COMMUNITY if need.community_id is not None else AFFINITY_AGENCY_REQUEST
    )
    shares = weights.normalised()
    return min(1.0, sum(shares[name] * most[name] for name in COMPONENTS)) + CEILING_SLACK


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
