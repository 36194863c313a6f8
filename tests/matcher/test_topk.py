"""The ceiling that lets a nearest-first walk stop early, and the merge of ranked batches."""

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from matcher import Candidate, TextFit, Weights, rank_candidates
from matcher.topk import member_ceilings, merge_best, settled
from tests.matcher.factories import NOW, distance_km, member, need, role
from tests.matcher.strategies import scenarios, weights

PROPERTY = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def ceilings(need_record, records, chosen):
    return member_ceilings(
        need_record,
        weights=chosen,
        lat=[r.lat for r in records],
        lon=[r.lon for r in records],
        max_travel_km=[r.max_travel_km for r in records],
        community_ids=[r.community_id for r in records],
        stages=[r.stage for r in records],
        levels={
            skill: [r.skills.get(skill, 0) for r in records]
            for skill in {role.skill for role in need_record.roles if role.skill}
        },
    )


@PROPERTY
@given(scenarios() | scenarios(welcoming=True), weights(), st.booleans())
def test_no_member_scores_above_their_ceiling_and_none_without_one_is_ranked(
    scenario, chosen, with_text
):
    need_record, records = scenario
    model = (
        TextFit().fit([need_record.description, *(r.interests for r in records)])
        if with_text
        else None
    )
    ids = [r.id for r in records]
    ceiling_of = dict(zip(ids, ceilings(need_record, records, chosen), strict=True))
    ranked = rank_candidates(
        need_record, records, weights=chosen, text_model=model, now=NOW, limit=len(records)
    )
    for candidate in ranked:
        assert candidate.score <= ceiling_of[candidate.member_id]


@PROPERTY
@given(scenarios(welcoming=True), st.integers(min_value=1, max_value=6), st.data())
def test_merging_ranked_batches_gives_the_ranking_of_their_union(scenario, limit, data):
    need_record, records = scenario
    cut = data.draw(st.integers(min_value=0, max_value=len(records)))
    whole = rank_candidates(
        need_record, records, weights=Weights(), text_model=None, now=NOW, limit=limit
    )
    parts = [records[:cut], records[cut:]]
    best: list = []
    for part in parts:
        ranked = rank_candidates(
            need_record, part, weights=Weights(), text_model=None, now=NOW, limit=limit
        )
        best = merge_best(best, ranked, limit=limit)
    assert best == whole


def test_a_ceiling_is_exact_for_what_the_outline_decides():
    """Full marks for interests, free time and fairness; the rest is the real score's."""
    near, far = member(lat=need().lat, lon=need().lon), member(id="m2", max_travel_km=1.5)
    close, distant = ceilings(need(), [near, far], Weights())
    shares = Weights().normalised()
    assert close - distant == pytest.approx(
        shares["distance"] * 1.0 / 1.5 * distance_km(far, need())
    )


def test_no_ceiling_for_members_beyond_their_radius_or_below_every_role():
    out_of_reach = member(max_travel_km=0.5)
    unskilled = member(id="m2", skills={})
    skilled_need = need(roles=(role(skill="cooking", min_level=2),))
    assert list(ceilings(skilled_need, [out_of_reach, unskilled], Weights())) == [
        float("-inf"),
        float("-inf"),
    ]


def test_a_walk_is_settled_only_when_the_kth_best_beats_the_ceiling_strictly():
    best = [Candidate(f"m{i}", f"M{i}", "cook", 0.8, 1.0, {}, []) for i in range(3)]
    assert settled(best, limit=3, ceiling=0.79)
    assert not settled(best, limit=3, ceiling=0.8)
    assert not settled(best[:2], limit=3, ceiling=0.1)
    assert settled([], limit=0, ceiling=1.0)
