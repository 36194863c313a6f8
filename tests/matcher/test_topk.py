"""The ceiling that lets a nearest-first walk stop early, and the merge of ranked batches."""

from dataclasses import replace
from datetime import timedelta

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from geo.distance import SPHERE_MARGIN
from matcher import Candidate, TextFit, Weights, build_pool, rank_candidates
from matcher.availability import free_half_hours
from matcher.scoring import TEXT_SHARE_OF_SKILL
from matcher.topk import (
    free_when_it_starts,
    member_ceilings,
    merge_best,
    resident_ceilings,
    settled,
)
from tests.matcher.factories import NOW, at, distance_km, member, need, role
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


def resident(records, model):
    """A snapshot's pool: the same members without commitments or service history."""
    plain = [
        replace(r, commitments=(), services_last_90_days=0, last_served_at=None) for r in records
    ]
    return build_pool(plain, text_model=model)


@PROPERTY
@given(
    scenarios() | scenarios(welcoming=True), weights(), st.sampled_from(["none", "same", "refit"])
)
def test_a_resident_ceiling_bounds_the_fresh_score_and_is_the_score_without_history(
    scenario, chosen, text
):
    """The bound that orders who is read fresh: never below the real score, and equal to it
    for a member with nothing the snapshot leaves out (no history, no commitments)."""
    need_record, records = scenario
    texts = [need_record.description, *(r.interests for r in records)]
    model = None if text == "none" else TextFit().fit(texts)
    # A refit since the snapshot: its vectors are another fitting's and cannot be reused.
    snapshot_model = TextFit().fit(texts) if text == "refit" else model
    ranked = rank_candidates(
        need_record, records, weights=chosen, text_model=model, now=NOW, limit=len(records)
    )
    bound = dict(
        zip(
            [r.id for r in records],
            resident_ceilings(
                need_record,
                resident(records, snapshot_model),
                weights=chosen,
                text_model=model,
                now=NOW,
            ),
            strict=True,
        )
    )
    plain = {r.id for r in records if not r.commitments and not r.services_last_90_days}
    plain -= {r.id for r in records if r.last_served_at is not None}
    for candidate in ranked:
        assert candidate.score <= bound[candidate.member_id]
        if candidate.member_id in plain and text != "refit":
            assert bound[candidate.member_id] == pytest.approx(candidate.score, abs=1e-8)


def test_interests_count_in_full_when_the_snapshot_was_vectorised_by_an_older_fitting():
    """A refit since the snapshot: someone whose interests are the need's very words still
    fits under their bound, though the snapshot cannot say how well they match."""
    wanted = need()
    keen = member(
        interests=f"{wanted.title} {wanted.description}",
        services_last_90_days=0,
        last_served_at=None,
    )
    texts = [wanted.title, wanted.description, "driving", "gardening"]
    model, older = TextFit().fit(texts), TextFit().fit(texts)
    (score,) = [
        c.score
        for c in rank_candidates(
            wanted, [keen], weights=Weights(), text_model=model, now=NOW, limit=1
        )
    ]
    (bound,) = resident_ceilings(
        wanted, resident([keen], older), weights=Weights(), text_model=model, now=NOW
    )
    assert score <= bound <= score + Weights().normalised()["skill"] * TEXT_SHARE_OF_SKILL


def free_when_need_starts(need_record, pool):
    half_hours = free_half_hours(
        len(pool), pool.slot_member, pool.slot_day, pool.slot_start_minute, pool.slot_end_minute
    )
    return free_when_it_starts(need_record, half_hours, pool.zone_codes, pool.zone_names)


@PROPERTY
@given(scenarios() | scenarios(welcoming=True))
def test_nobody_the_engine_finds_free_is_said_to_be_busy_when_the_need_starts(scenario):
    """What lets the walk drop members before the engine sees them: never a wrong "busy"."""
    need_record, records = scenario
    pool = build_pool(records)
    free = dict(
        zip([str(i) for i in pool.ids], free_when_need_starts(need_record, pool), strict=True)
    )
    ranked = rank_candidates(
        need_record, records, weights=Weights(), text_model=None, now=NOW, limit=len(records)
    )
    assert all(free[candidate.member_id] for candidate in ranked)


def test_a_member_free_only_in_the_morning_is_busy_for_an_afternoon_need():
    """Saturday 9:00-13:00 in London: free for a need at 10:00 or 12:30, not at 13:00 or on
    Sunday; in New York 10:00 London time is 5:00, before they are free."""
    morning = member(timezone="Europe/London")
    far_west = member(id="m2", timezone="America/New_York")
    pool = build_pool([morning, far_west])
    starts = {
        "10:00": at("2025-03-08", "10:00"),
        "12:30": at("2025-03-08", "12:30"),
        "13:00": at("2025-03-08", "13:00"),
        "Sunday": at("2025-03-09", "10:00"),
    }
    found = {
        label: free_when_need_starts(
            replace(need(), starts_at=start, ends_at=start + timedelta(hours=1)), pool
        ).tolist()
        for label, start in starts.items()
    }
    assert found == {
        "10:00": [True, False],
        "12:30": [True, False],
        "13:00": [False, False],
        "Sunday": [False, False],
    }


def test_a_resident_pool_holds_no_history():
    served = member(services_last_90_days=2)
    with pytest.raises(ValueError, match="no commitments and no service history"):
        resident_ceilings(need(), build_pool([served]), weights=Weights(), text_model=None, now=NOW)


@PROPERTY
@given(scenarios(welcoming=True), st.data())
def test_taking_members_from_a_pool_ranks_like_a_pool_of_just_them(scenario, data):
    need_record, records = scenario
    rows = data.draw(st.lists(st.sampled_from(range(len(records))), unique=True))
    model = TextFit().fit([need_record.description, *(r.interests for r in records)])
    taken = build_pool(records, text_model=model).take(np.asarray(rows, dtype=np.int64))
    alone = build_pool([records[row] for row in rows], text_model=model)
    assert [str(i) for i in taken.ids] == [str(i) for i in alone.ids]
    for pool_of in (taken, alone):
        assert pool_of.interest_vectors is not None
    assert rank_candidates(
        need_record, taken, weights=Weights(), text_model=model, now=NOW, limit=len(rows)
    ) == rank_candidates(
        need_record, alone, weights=Weights(), text_model=model, now=NOW, limit=len(rows)
    )


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


def test_a_ceiling_is_the_real_distance_part_to_within_the_spheres_margin():
    """Full marks for interests, free time and fairness; the rest is the real score's, the
    distance shortened by at most 2% (the sphere's margin and its error)."""
    near, far = member(lat=need().lat, lon=need().lon), member(id="m2", max_travel_km=1.5)
    close, distant = ceilings(need(), [near, far], Weights())
    shares = Weights().normalised()
    real_gap = shares["distance"] * 1.0 / 1.5 * distance_km(far, need())
    assert real_gap * (1 - 2 * SPHERE_MARGIN) <= close - distant <= real_gap


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
