from dataclasses import replace
from datetime import date
from zoneinfo import ZoneInfoNotFoundError

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from matcher import MemberPool, TextFit, Weights, build_pool, rank_candidates
from matcher.local_time import epoch_seconds
from matcher.pool import concat_pools
from tests.matcher.factories import NOW, at, commitment, member, need, slot
from tests.matcher.strategies import scenarios


def database_row_pool(**overrides):
    """Two members filled column by column, as a database layer would."""
    columns = {
        "ids": ["m1", "m2"],
        "names": ["Ada", "Bo"],
        "community_ids": ["c1", "c1"],
        "lat": [51.516, 51.52],
        "lon": [-0.1276, -0.1276],
        "max_travel_km": [10.0, 10.0],
        "timezones": ["Europe/London", "Europe/London"],
        "stages": ["growing", "growing"],
        "active": [True, True],
        "max_commitments_per_month": [4, 4],
        "services_last_90_days": [2, 0],
        "last_served_s": [epoch_seconds(NOW) - 21 * 86400, np.nan],
        "interests": ["cooking family meals", ""],
        "skill_names": ("cooking",),
        "skill_levels": [[2], [1]],
        "check_names": ("background_check",),
        "has_check": [[True], [True]],
        "slot_member": [0, 1],
        "slot_day": [5, 5],
        "slot_start_minute": [540, 600],
        "slot_end_minute": [780, 720],
        "blackout_member": [],
        "blackout_ordinal": [],
        "commitment_member": [],
        "commitment_need_ids": [],
        "commitment_starts_s": [],
        "commitment_ends_s": [],
    }
    return MemberPool(**(columns | overrides))


def test_build_pool_merges_and_sorts_slots_by_member_day_and_start():
    pool = build_pool(
        [
            member(
                id="a", availability=(slot("Sun", "9:00", "10:00"), slot("Sat", "9:00", "10:00"))
            ),
            member(
                id="b", availability=(slot("Sat", "11:00", "12:00"), slot("Sat", "9:00", "11:00"))
            ),
        ]
    )
    rows = list(
        zip(
            pool.slot_member,
            pool.slot_day,
            pool.slot_start_minute,
            pool.slot_end_minute,
            strict=True,
        )
    )
    assert rows == [(0, 5, 540, 600), (0, 6, 540, 600), (1, 5, 540, 720)]


def test_build_pool_lays_out_skills_checks_blackouts_and_commitments():
    pool = build_pool(
        [
            member(id="a", skills={"cooking": 3}, checks=frozenset()),
            member(
                id="b",
                skills={"driving": 1},
                blackout_dates=frozenset({date(2025, 3, 9), date(2025, 3, 8)}),
                commitments=(commitment("n7", at("2025-03-02")),),
            ),
        ]
    )
    assert pool.skill_names == ("cooking", "driving")
    assert pool.skill_levels.tolist() == [[3, 0], [0, 1]]
    assert pool.check_names == ("background_check",)
    assert pool.has_check.tolist() == [[False], [True]]
    assert pool.blackout_member.tolist() == [1, 1]
    assert pool.blackout_ordinal.tolist() == [
        date(2025, 3, 8).toordinal(),
        date(2025, 3, 9).toordinal(),
    ]
    assert pool.commitment_offsets.tolist() == [0, 0, 1]
    assert pool.commitment_need_ids.tolist() == ["n7"]


def test_a_pool_filled_column_by_column_ranks_like_records():
    records = [
        member(id="m1", name="Ada", lat=51.516),
        member(
            id="m2",
            name="Bo",
            lat=51.52,
            skills={"cooking": 1},
            interests="",
            availability=(slot("Sat", "10:00", "12:00"),),
            services_last_90_days=0,
            last_served_at=None,
        ),
    ]
    options = {"weights": Weights(), "text_model": None, "now": NOW, "limit": 5}
    assert rank_candidates(need(), database_row_pool(), **options) == rank_candidates(
        need(), records, **options
    )


@pytest.mark.parametrize(
    "overrides",
    [
        {"slot_start_minute": [600, 540]} | {"slot_member": [1, 0]},
        {"slot_member": [0, 0], "slot_start_minute": [540, 780], "slot_end_minute": [780, 800]},
        {"slot_end_minute": [780, 1500]},
        {"lat": [51.5]},
        {"stages": ["growing", "elder"]},
        {"skill_levels": [[2, 1], [1, 1]]},
        {
            "commitment_member": [1, 0],
            "commitment_need_ids": ["a", "b"],
            "commitment_starts_s": [0, 0],
            "commitment_ends_s": [1, 1],
        },
        {"blackout_member": [0, 0], "blackout_ordinal": [739318, 739318]},
    ],
)
def test_a_pool_breaking_its_layout_is_refused(overrides):
    with pytest.raises(ValueError):
        database_row_pool(**overrides)


def test_an_unknown_timezone_is_refused_when_the_pool_is_built():
    with pytest.raises(ZoneInfoNotFoundError):
        build_pool([member(timezone="Mars/Olympus_Mons")])


def test_records_refuse_impossible_values():
    with pytest.raises(ValueError):
        member(stage="elder")
    with pytest.raises(ValueError):
        member(skills={"cooking": 4})
    with pytest.raises(ValueError):
        slot("Sat", "13:00", "9:00")
    with pytest.raises(ValueError):
        replace(need(), ends_at=need().starts_at)
    with pytest.raises(ValueError):
        replace(need(), urgency="whenever")


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(scenarios() | scenarios(welcoming=True), st.data())
def test_pools_built_in_slices_and_joined_rank_like_one_pool(scenario, data):
    """How a worker's member snapshot is built: a slice of members at a time, then joined.
    Skills, checks, slots, blackouts, commitments and interest vectors all line up."""
    need_record, records = scenario
    cuts = sorted(data.draw(st.lists(st.integers(0, len(records)), max_size=3)))
    slices = [records[a:b] for a, b in zip([0, *cuts], [*cuts, len(records)], strict=True)]
    model = TextFit().fit([need_record.description, *(r.interests for r in records)])
    joined = concat_pools([build_pool(part, text_model=model) for part in slices])
    whole = build_pool(records, text_model=model)
    assert joined.interest_vectors is not None
    assert [str(i) for i in joined.ids] == [str(i) for i in whole.ids]
    assert rank_candidates(
        need_record, joined, weights=Weights(), text_model=model, now=NOW, limit=len(records)
    ) == rank_candidates(
        need_record, whole, weights=Weights(), text_model=model, now=NOW, limit=len(records)
    )
    for index in range(len(records)):
        assert joined.take(np.array([index])).skill_levels.sum() == sum(
            records[index].skills.values()
        )
