import random
from dataclasses import replace
from datetime import datetime

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from matcher import (
    TextFit,
    Weights,
    build_need_table,
    build_pool,
    check_member_for_role,
    rank_candidates,
    rank_suggestions,
    scored_rows,
)
from tests.matcher.factories import NOW, distance_km, km_north, member, need, role
from tests.matcher.strategies import SKILLS, members, needs, scenarios

PROPERTY = settings(max_examples=50, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def candidates(need_record, records, **kwargs):
    options = {"weights": Weights(), "text_model": None, "now": NOW, "limit": 100} | kwargs
    return rank_candidates(need_record, records, **options)


def suggestions(record, needs_list, **kwargs):
    options = {"weights": Weights(), "text_model": None, "now": NOW, "limit": 100} | kwargs
    return rank_suggestions(record, needs_list, **options)


def best_score(need_record, record):
    ranked = candidates(need_record, [record])
    return ranked[0].score if ranked else None


# Shape of the results


def test_each_member_appears_once_with_their_best_role():
    senior = member(id="a", skills={"cooking": 3})
    junior = member(id="b", skills={"cooking": 1})
    ranked = candidates(need(), [senior, junior])
    assert sorted(c.member_id for c in ranked) == ["a", "b"]
    roles = {c.member_id: c.role for c in ranked}
    assert roles == {"a": "cook", "b": "driver"}


def test_equal_scores_are_ordered_by_member_id():
    twins = [member(id=i) for i in ("m3", "m1", "m2")]
    ranked = candidates(need(), twins)
    assert [c.member_id for c in ranked] == ["m1", "m2", "m3"]
    assert len({c.score for c in ranked}) == 1


def test_limit_keeps_the_best_and_breaks_ties_at_the_cut_by_id():
    twins = [member(id=f"m{i}") for i in (5, 3, 4, 1, 2)]
    assert [c.member_id for c in candidates(need(), twins, limit=2)] == ["m1", "m2"]
    assert candidates(need(), twins, limit=0) == []
    with pytest.raises(ValueError):
        candidates(need(), twins, limit=-1)


def test_candidate_carries_distance_components_and_reasons():
    lat, lon = km_north(1.234)
    [candidate] = candidates(need(roles=(role(),)), [member(lat=lat, lon=lon, name="Ada")])
    assert candidate.name == "Ada"
    assert candidate.role == "cook"
    assert candidate.distance_km == round(distance_km(member(lat=lat, lon=lon), need()), 1)
    assert f"{candidate.distance_km:.1f} km from home" in candidate.reasons
    assert all(0.0 <= value <= 1.0 for value in candidate.components.values())


def test_suggestions_list_each_feasible_need_once_ties_by_need_id():
    needs_list = [need(id="n3"), need(id="n1"), need(id="n2", roles=(role(filled=2),))]
    ranked = suggestions(member(), needs_list)
    assert [s.need_id for s in ranked] == ["n1", "n3"]
    assert ranked[0].role == "cook"


def test_a_pair_scores_the_same_seen_from_either_side():
    record, need_record = member(), need(urgency="high")
    [candidate] = candidates(need_record, [record])
    [suggestion] = suggestions(record, [need_record])
    assert candidate.score == suggestion.score
    assert candidate.components == suggestion.components


def test_prebuilt_pool_and_need_table_rank_like_the_records():
    records = [member(id=f"m{i}", services_last_90_days=i) for i in range(4)]
    needs_list = [need(id=f"n{i}", urgency=u) for i, u in enumerate(("low", "high"))]
    assert candidates(need(), build_pool(records)) == candidates(need(), records)
    assert suggestions(records[0], build_need_table(needs_list)) == suggestions(
        records[0], needs_list
    )


def test_cached_interest_vectors_rank_like_fresh_ones():
    records = [member(id="a", interests="gardening"), member(id="b", interests="family meals")]
    model = TextFit().fit([need().description, *(r.interests for r in records)])
    fresh = candidates(need(), records, text_model=model)
    cached = candidates(need(), build_pool(records, text_model=model), text_model=model)
    assert cached == fresh
    assert [c.member_id for c in fresh] == ["b", "a"]


def test_empty_inputs_give_empty_rankings():
    assert candidates(need(), []) == []
    assert suggestions(member(), []) == []


def test_naive_now_is_refused():
    with pytest.raises(ValueError):
        candidates(need(), [member()], now=datetime(2025, 3, 1))


# Properties


@PROPERTY
@given(scenarios() | scenarios(welcoming=True))
def test_every_returned_candidate_passes_every_hard_constraint_for_their_role(scenario):
    need_record, records = scenario
    for candidate in candidates(need_record, records):
        record = next(r for r in records if r.id == candidate.member_id)
        assert check_member_for_role(record, need_record, candidate.role) == []


@PROPERTY
@given(members(welcoming=True), st.lists(needs(welcoming=True), min_size=1, max_size=4))
def test_every_suggestion_passes_every_hard_constraint_for_its_role(record, needs_list):
    needs_list = [replace(n, id=f"n{i}") for i, n in enumerate(needs_list)]
    by_id = {n.id: n for n in needs_list}
    ranked = suggestions(record, needs_list)
    for suggestion in ranked:
        need_record = by_id[suggestion.need_id]
        assert check_member_for_role(record, need_record, suggestion.role) == []
    feasible = {
        n.id
        for n in needs_list
        if any(check_member_for_role(record, n, r.name) == [] for r in n.roles)
    }
    assert {s.need_id for s in ranked} == feasible


@PROPERTY
@given(
    scenarios(welcoming=True),
    st.floats(min_value=-0.2, max_value=0.2),
    st.floats(min_value=-0.3, max_value=0.3),
)
def test_moving_a_member_closer_never_lowers_their_score(scenario, dlat, dlon):
    need_record, (record, *_) = scenario
    here = replace(record, id="a")
    there = replace(record, id="b", lat=need_record.lat + dlat, lon=need_record.lon + dlon)
    ranked = {c.member_id: c for c in candidates(need_record, [here, there])}
    assume(len(ranked) == 2)
    nearer, farther = sorted([here, there], key=lambda r: distance_km(r, need_record))
    assert ranked[nearer.id].score >= ranked[farther.id].score


@PROPERTY
@given(scenarios(welcoming=True), st.sampled_from(SKILLS))
def test_raising_a_skill_level_never_lowers_a_score(scenario, skill):
    need_record, (record, *_) = scenario
    before = best_score(need_record, record)
    assume(before is not None)
    for level in range(record.skills.get(skill, 0) + 1, 4):
        raised = replace(record, skills={**record.skills, skill: level})
        after = best_score(need_record, raised)
        assert after is not None and after >= before
        before = after


@PROPERTY
@given(scenarios() | scenarios(welcoming=True), st.booleans())
def test_scores_and_components_stay_within_zero_and_one(scenario, with_text):
    need_record, records = scenario
    model = (
        TextFit().fit([need_record.description, *(r.interests for r in records), "meals"])
        if with_text
        else None
    )
    for candidate in candidates(need_record, records, text_model=model):
        assert 0.0 <= candidate.score <= 1.0
        assert all(0.0 <= value <= 1.0 for value in candidate.components.values())


@PROPERTY
@given(scenarios(welcoming=True), st.randoms(use_true_random=False))
def test_ranking_is_deterministic_and_ties_go_to_the_lower_id(scenario, shuffler):
    need_record, records = scenario
    twins = [*records, replace(records[0], id="m-twin")]
    ranked = candidates(need_record, twins)
    shuffled = twins[:]
    shuffler.shuffle(shuffled)
    assert candidates(need_record, shuffled) == ranked
    keys = [(-c.score, c.member_id) for c in ranked]
    assert keys == sorted(keys)


def test_ranking_a_large_shuffled_pool_is_stable():
    records = [member(id=f"m{i:03d}", services_last_90_days=i % 4) for i in range(120)]
    shuffled = records[:]
    random.Random(3).shuffle(shuffled)
    assert candidates(need(), shuffled, limit=50) == candidates(need(), records, limit=50)


def test_vectors_cached_before_a_refit_are_not_reused():
    records = [member(id="a", interests="gardening"), member(id="b", interests="family meals")]
    model = TextFit().fit(["gardening allotment"])
    stale_pool = build_pool(records, text_model=model)
    model.fit([need().description, *(r.interests for r in records)])
    assert candidates(need(), stale_pool, text_model=model) == candidates(
        need(), records, text_model=model
    )


# Every feasible row, for solvers


@PROPERTY
@given(scenario=scenarios())
def test_scored_rows_hold_every_role_a_member_may_take_and_the_rankings_best(scenario):
    need_record, records = scenario
    pool = build_pool(records)
    rows = scored_rows(
        pool, build_need_table([need_record]), weights=Weights(), text_model=None, now=NOW
    )
    for record in records:
        mine = [i for i in range(len(rows)) if pool.ids[rows.member[i]] == record.id]
        allowed = {
            spec.name
            for spec in need_record.roles
            if not check_member_for_role(record, need_record, spec.name)
        }
        assert {rows.candidate(i).role for i in mine} == allowed
        ranked = candidates(need_record, [record])
        if ranked:
            assert max(rows.score[mine]) == pytest.approx(ranked[0].score)


def test_a_scored_row_explains_itself_like_a_candidate():
    cook = member(id="a", skills={"cooking": 3})
    rows = scored_rows(
        build_pool([cook]), build_need_table([need()]), weights=Weights(), text_model=None, now=NOW
    )
    by_role = {rows.candidate(i).role: rows.candidate(i) for i in range(len(rows))}
    assert set(by_role) == {"cook", "driver"}
    (ranked,) = candidates(need(), [cook])
    assert by_role[ranked.role] == ranked
