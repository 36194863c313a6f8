"""The ceiling that lets a nearest-first walk stop early, and the merge of ranked batches."""

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from matcher import Candidate, TextFit, Weights, rank_candidates
from matcher.topk import merge_best, score_ceiling, settled
from tests.matcher.factories import NOW, distance_km, need
from tests.matcher.strategies import scenarios

PROPERTY = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
weights = st.builds(
    Weights,
    distance=st.floats(min_value=0.01, max_value=1),
    skill=st.floats(min_value=0, max_value=1),
    availability=st.floats(min_value=0, max_value=1),
    fairness=st.floats(min_value=0, max_value=1),
    urgency=st.floats(min_value=0, max_value=1),
    affinity=st.floats(min_value=0, max_value=1),
    mentoring=st.floats(min_value=0, max_value=1),
)


@PROPERTY
@given(scenarios() | scenarios(welcoming=True), weights, st.booleans())
def test_no_member_scores_above_the_ceiling_at_their_distance(scenario, chosen, with_text):
    need_record, records = scenario
    model = (
        TextFit().fit([need_record.description, *(r.interests for r in records)])
        if (with_text)
        else None
    )
    largest = max(record.max_travel_km for record in records)
    by_id = {record.id: record for record in records}
    ranked = rank_candidates(
        need_record, records, weights=chosen, text_model=model, now=NOW, limit=len(records)
    )
    for candidate in ranked:
        distance = distance_km(by_id[candidate.member_id], need_record)
        ceiling = score_ceiling(
            need_record, weights=chosen, distance_km=distance, largest_radius_km=largest
        )
        assert candidate.score <= ceiling


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


def test_the_ceiling_falls_with_distance_down_to_the_rest_of_the_score():
    record = need()
    near = score_ceiling(record, weights=Weights(), distance_km=0, largest_radius_km=20)
    mid = score_ceiling(record, weights=Weights(), distance_km=10, largest_radius_km=20)
    beyond = score_ceiling(record, weights=Weights(), distance_km=25, largest_radius_km=20)
    assert near > mid > beyond
    assert round(near - beyond, 6) == round(Weights().normalised()["distance"], 6)


def test_a_walk_is_settled_only_when_the_kth_best_beats_the_ceiling_strictly():
    best = [Candidate(f"m{i}", f"M{i}", "cook", 0.8, 1.0, {}, []) for i in range(3)]
    assert settled(best, limit=3, ceiling=0.79)
    assert not settled(best, limit=3, ceiling=0.8)
    assert not settled(best[:2], limit=3, ceiling=0.1)
    assert settled([], limit=0, ceiling=1.0)
