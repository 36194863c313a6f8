from datetime import timedelta

import numpy as np
import pytest

from matcher import Weights, rank_candidates, rank_suggestions
from matcher.scoring import (
    AFFINITY_AGENCY_REQUEST,
    AFFINITY_NETWORK,
    AFFINITY_OWN_COMMUNITY,
    NEUTRAL_TEXT_FIT,
    affinity_fit,
    availability_fit,
    distance_fit,
    fairness_fit,
    mentoring_fit,
    skill_level_fit,
)
from matcher.weights import COMPONENTS
from tests.matcher.factories import NOW, km_north, member, need, role, slot


def only(weights_name: str) -> Weights:
    """Weights that score by one component alone."""
    return Weights(**{name: 1.0 if name == weights_name else 0.0 for name in COMPONENTS})


def top(need_record, records, **kwargs):
    options = {"weights": Weights(), "text_model": None, "now": NOW, "limit": 10} | kwargs
    return rank_candidates(need_record, records, **options)


def test_distance_fit_is_one_at_home_and_zero_at_the_radius():
    fit = distance_fit(np.array([0.0, 5.0, 10.0, 12.0]), np.full(4, 10.0))
    assert fit.tolist() == [1.0, 0.5, 0.0, 0.0]


def test_distance_fit_is_relative_to_the_members_own_radius():
    fit = distance_fit(np.array([5.0, 5.0]), np.array([6.0, 40.0]))
    assert fit[0] < fit[1]


def test_zero_radius_fits_only_at_home():
    fit = distance_fit(np.array([0.0, 0.1]), np.array([0.0, 0.0]))
    assert fit.tolist() == [1.0, 0.0]


def test_skill_fit_rises_with_every_level_above_the_minimum():
    levels = np.array([1, 2, 3])
    fit = skill_level_fit(levels, np.full(3, 1), np.full(3, True))
    assert fit[0] < fit[1] < fit[2] == 1.0


def test_role_without_a_skill_scores_everyone_the_same_on_level():
    fit = skill_level_fit(np.array([0, 3]), np.zeros(2, dtype=np.int64), np.full(2, False))
    assert fit[0] == fit[1]


def test_free_all_morning_fits_a_two_hour_need_better_than_exactly_two_hours():
    fit = availability_fit(np.array([0, 60, 120, 240, 10_000]))
    assert fit[0] == 0.0
    assert np.all(np.diff(fit) > 0)
    assert fit[-1] == pytest.approx(1.0)


def test_fairness_favours_members_who_have_served_less():
    fit = fairness_fit(np.array([0, 1, 5, 20]), np.full(4, 10.0))
    assert np.all(np.diff(fit) < 0)


def test_fairness_favours_a_longer_gap_since_serving_and_never_serving_most():
    fit = fairness_fit(np.zeros(3, dtype=np.int64), np.array([2.0, 30.0, np.nan]))
    assert fit[0] < fit[1] < fit[2] == 1.0


def test_affinity_puts_own_community_then_agencies_then_the_network():
    fit = affinity_fit(
        np.array([True, False, False]), np.array([False, True, False]), np.array([True] * 3)
    )
    assert fit.tolist() == [AFFINITY_OWN_COMMUNITY, AFFINITY_AGENCY_REQUEST, AFFINITY_NETWORK]
    assert AFFINITY_OWN_COMMUNITY > AFFINITY_AGENCY_REQUEST > AFFINITY_NETWORK


def test_mentoring_pairs_new_members_with_mature_ones():
    role_has_experienced = np.array([True, True, False, False])
    member_is_experienced = np.array([False, True, False, True])
    assert mentoring_fit(role_has_experienced, member_is_experienced).tolist() == [1, 0, 0, 1]


def test_new_member_is_boosted_onto_a_role_a_mature_member_holds():
    mentored = need(roles=(role(signed_up_stages=("mature",)),))
    newcomer = member(id="a", stage="new")
    elder = member(id="b", stage="leader")
    ranked = top(mentored, [elder, newcomer], weights=only("mentoring"))
    assert [c.member_id for c in ranked] == ["a", "b"]
    assert "joins a mature member" in ranked[0].reasons


def test_mature_member_is_boosted_onto_a_role_without_one():
    ranked = top(
        need(),
        [member(id="a", stage="new"), member(id="b", stage="mature")],
        weights=only("mentoring"),
    )
    assert [c.member_id for c in ranked] == ["b", "a"]


def test_urgent_needs_are_suggested_first():
    needs = [need(id=f"n-{u}", urgency=u) for u in ("low", "critical", "normal", "high")]
    suggested = rank_suggestions(
        member(), needs, weights=Weights(), text_model=None, now=NOW, limit=10
    )
    assert [s.need_id for s in suggested] == ["n-critical", "n-high", "n-normal", "n-low"]


def test_urgency_is_the_same_for_every_candidate():
    ranked = top(need(urgency="critical"), [member(id="a"), member(id="b", stage="new")])
    assert {c.components["urgency"] for c in ranked} == {1.0}


def test_own_community_ranks_above_the_network():
    shared = need(open_to_network=True)
    ranked = top(shared, [member(id="a", community_id="c2"), member(id="b")])
    assert [c.member_id for c in ranked] == ["b", "a"]


def test_agency_request_scores_between_own_community_and_network():
    request = need(community_id=None, agency_id="foodbank")
    [candidate] = top(request, [member()])
    assert candidate.components["affinity"] == AFFINITY_AGENCY_REQUEST


def test_member_who_served_less_ranks_higher_all_else_equal():
    rested = member(id="b", services_last_90_days=0, last_served_at=NOW - timedelta(weeks=8))
    busy = member(id="a", services_last_90_days=9, last_served_at=NOW - timedelta(days=2))
    assert [c.member_id for c in top(need(), [busy, rested])] == ["b", "a"]


def test_closer_member_ranks_higher_all_else_equal():
    near_lat, near_lon = km_north(0.5)
    far_lat, far_lon = km_north(5)
    ranked = top(
        need(),
        [member(id="a", lat=far_lat, lon=far_lon), member(id="b", lat=near_lat, lon=near_lon)],
    )
    assert [c.member_id for c in ranked] == ["b", "a"]


def test_more_free_time_around_the_window_ranks_higher():
    exact = member(id="a", availability=(slot("Sat", "10:00", "12:00"),))
    roomy = member(id="b", availability=(slot("Sat", "8:00", "14:00"),))
    ranked = top(need(), [exact, roomy])
    assert [c.member_id for c in ranked] == ["b", "a"]
    assert ranked[1].components["availability"] == 0.0


def test_without_a_text_model_interests_are_neutral():
    [candidate] = top(need(roles=(role(),)), [member(skills={"cooking": 3})])
    assert candidate.components["skill"] == pytest.approx(0.7 * 1.0 + 0.3 * NEUTRAL_TEXT_FIT)


def test_score_is_the_weighted_sum_of_its_components():
    weights = Weights(distance=3, skill=1, availability=0, fairness=2, urgency=0, affinity=1)
    [candidate] = top(need(), [member()], weights=weights)
    shares = weights.normalised()
    expected = sum(shares[name] * value for name, value in candidate.components.items())
    assert candidate.score == pytest.approx(expected)
    assert set(candidate.components) == set(COMPONENTS)
