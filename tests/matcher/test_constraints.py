from dataclasses import replace
from datetime import UTC, date, datetime

from hypothesis import HealthCheck, given, settings

from matcher import Weights, build_need_table, build_pool, check_member_for_role, rank_candidates
from matcher.constraints import evaluate_constraints
from tests.matcher.factories import (
    NEW_YORK,
    NOW,
    at,
    commitment,
    distance_km,
    km_north,
    member,
    need,
    role,
    slot,
)
from tests.matcher.oracle import expected_violations
from tests.matcher.strategies import members, needs, scenarios


def codes(record, need_record, role_name="cook"):
    return [v.code for v in check_member_for_role(record, need_record, role_name)]


def messages(record, need_record, role_name="cook"):
    return [v.message for v in check_member_for_role(record, need_record, role_name)]


def candidate_ids(need_record, records):
    ranked = rank_candidates(
        need_record, records, weights=Weights(), text_model=None, now=NOW, limit=len(records)
    )
    return [c.member_id for c in ranked]


def test_member_meeting_every_rule_has_no_violations():
    assert check_member_for_role(member(), need(), "cook") == []


def test_unknown_role_is_named():
    violations = check_member_for_role(member(), need(), "juggler")
    assert [v.code for v in violations] == ["unknown_role"]
    assert "juggler" in violations[0].message


def test_inactive_member_is_never_a_candidate():
    record = member(active=False)
    assert codes(record, need()) == ["inactive"]
    assert candidate_ids(need(), [record]) == []


# Radius


def test_member_outside_radius_is_never_a_candidate():
    lat, lon = km_north(12)
    record = member(lat=lat, lon=lon, max_travel_km=10)
    assert codes(record, need()) == ["outside_radius"]
    assert messages(record, need()) == ["12.0 km away, beyond the 10 km travel radius"]
    assert candidate_ids(need(), [record]) == []


def test_member_exactly_at_their_radius_is_still_a_candidate():
    record = member()
    record = replace(record, max_travel_km=distance_km(record, need()))
    assert codes(record, need()) == []


# Network


def test_other_communitys_need_is_closed_unless_open_to_the_network():
    outsider = member(community_id="c2")
    assert codes(outsider, need()) == ["not_in_network"]
    assert codes(outsider, need(open_to_network=True)) == []


def test_agency_request_without_community_is_open_to_every_community():
    request = need(community_id=None, agency_id="foodbank")
    assert codes(member(community_id="c2"), request) == []


# Weekly availability


def test_window_outside_weekly_slots_is_unavailable():
    record = member(availability=(slot("Sun", "9:00", "13:00"),))
    assert codes(record, need()) == ["unavailable"]
    assert messages(record, need()) == ["not free Saturday 10:00–12:00"]


def test_partly_covered_window_is_unavailable():
    record = member(availability=(slot("Sat", "10:30", "13:00"),))
    assert codes(record, need()) == ["unavailable"]


def test_touching_slots_merge_to_cover_a_window():
    record = member(availability=(slot("Sat", "9:00", "11:00"), slot("Sat", "11:00", "13:00")))
    assert codes(record, need()) == []


def test_overlapping_slots_merge_to_cover_a_window():
    record = member(availability=(slot("Sat", "9:00", "11:30"), slot("Sat", "10:30", "12:00")))
    assert codes(record, need()) == []


def test_window_crossing_midnight_needs_both_days():
    late = need(starts_at=at("2025-03-08", "22:00"), ends_at=at("2025-03-09", "1:00"))
    saturday_only = member(availability=(slot("Sat", "20:00", "24:00"),))
    both = member(availability=(slot("Sat", "20:00", "24:00"), slot("Sun", "0:00", "2:00")))
    assert codes(saturday_only, late) == ["unavailable"]
    assert messages(saturday_only, late) == ["not free Sunday 0:00–1:00"]
    assert codes(both, late) == []


def test_window_crossing_sunday_midnight_wraps_to_monday():
    late = need(starts_at=at("2025-03-09", "23:00"), ends_at=at("2025-03-10", "0:30"))
    record = member(availability=(slot("Sun", "22:00", "24:00"), slot("Mon", "0:00", "1:00")))
    assert codes(record, late) == []


def test_window_is_read_in_the_members_community_timezone():
    # 15:00 UTC on Saturday is 10:00 in New York but 15:00 in London.
    window = need(
        starts_at=datetime(2025, 3, 8, 15, tzinfo=UTC),
        ends_at=datetime(2025, 3, 8, 17, tzinfo=UTC),
    )
    assert codes(member(timezone="America/New_York"), window) == []
    assert codes(member(timezone="Europe/London"), window) == ["unavailable"]


def test_window_after_london_springs_forward_is_read_on_summer_time():
    # Sunday 30 March 2025: 10:00-12:00 BST is 09:00-11:00 UTC.
    sunday = need(starts_at=at("2025-03-30", "10:00"), ends_at=at("2025-03-30", "12:00"))
    assert sunday.starts_at.astimezone(UTC).hour == 9
    assert codes(member(availability=(slot("Sun", "10:00", "12:00"),)), sunday) == []
    assert codes(member(availability=(slot("Sun", "9:00", "11:00"),)), sunday) == ["unavailable"]


def test_hour_skipped_by_london_spring_forward_is_not_asked_for():
    # 00:30-01:30 UTC on 30 March is 00:30-01:00 GMT then 02:00-02:30 BST.
    night = need(
        starts_at=datetime(2025, 3, 30, 0, 30, tzinfo=UTC),
        ends_at=datetime(2025, 3, 30, 1, 30, tzinfo=UTC),
    )
    around_the_gap = member(availability=(slot("Sun", "0:00", "1:00"), slot("Sun", "2:00", "3:00")))
    assert codes(around_the_gap, night) == []
    assert codes(member(availability=(slot("Sun", "0:00", "1:00"),)), night) == ["unavailable"]


def test_hour_repeated_by_london_fall_back_needs_the_whole_wall_clock_hour():
    # 00:30-01:30 UTC on 26 October is 01:30-02:00 BST then 01:00-01:30 GMT.
    night = need(
        starts_at=datetime(2025, 10, 26, 0, 30, tzinfo=UTC),
        ends_at=datetime(2025, 10, 26, 1, 30, tzinfo=UTC),
    )
    assert codes(member(availability=(slot("Sun", "1:00", "2:00"),)), night) == []
    late_half = member(availability=(slot("Sun", "1:30", "2:00"),))
    assert codes(late_half, night) == ["unavailable"]
    assert messages(late_half, night) == ["not free Sunday 1:00–1:30"]


def test_new_york_spring_forward_skips_two_to_three():
    # 06:30-07:30 UTC on 9 March is 01:30-02:00 EST then 03:00-03:30 EDT.
    night = need(
        starts_at=datetime(2025, 3, 9, 6, 30, tzinfo=UTC),
        ends_at=datetime(2025, 3, 9, 7, 30, tzinfo=UTC),
    )
    free = member(
        timezone="America/New_York",
        availability=(slot("Sun", "1:00", "2:00"), slot("Sun", "3:00", "4:00")),
    )
    assert codes(free, night) == []
    before_gap_only = replace(free, availability=(slot("Sun", "1:00", "2:00"),))
    assert codes(before_gap_only, night) == ["unavailable"]


def test_new_york_fall_back_reads_both_passes_of_one_oclock():
    # 05:30-06:30 UTC on 2 November is 01:30-02:00 EDT then 01:00-01:30 EST.
    night = need(
        starts_at=datetime(2025, 11, 2, 5, 30, tzinfo=UTC),
        ends_at=datetime(2025, 11, 2, 6, 30, tzinfo=UTC),
    )
    whole_hour = member(timezone="America/New_York", availability=(slot("Sun", "1:00", "2:00"),))
    assert codes(whole_hour, night) == []
    second_half = replace(whole_hour, availability=(slot("Sun", "1:30", "2:00"),))
    assert codes(second_half, night) == ["unavailable"]


def test_same_local_time_is_available_either_side_of_a_transition():
    record = member(availability=(slot("Sat", "9:00", "13:00"),))
    for day in ("2025-03-29", "2025-04-05", "2025-10-25", "2025-11-01"):
        window = need(starts_at=at(day, "10:00"), ends_at=at(day, "12:00"))
        assert codes(record, window) == [], day


# Blackouts


def test_blackout_date_excludes_a_member_otherwise_free():
    record = member(blackout_dates=frozenset({date(2025, 3, 8)}))
    assert codes(record, need()) == ["blackout"]
    assert messages(record, need()) == ["blackout date 2025-03-08"]
    assert candidate_ids(need(), [record]) == []


def test_blackout_is_any_local_day_the_window_touches():
    late = need(starts_at=at("2025-03-08", "23:00"), ends_at=at("2025-03-09", "0:30"))
    record = member(
        availability=(slot("Sat", "22:00", "24:00"), slot("Sun", "0:00", "2:00")),
        blackout_dates=frozenset({date(2025, 3, 9)}),
    )
    assert codes(record, late) == ["blackout"]


def test_blackout_date_is_a_local_date():
    # 03:00 UTC on Sunday 9 March is still Saturday 8 March, 22:00, in New York.
    window = need(
        starts_at=datetime(2025, 3, 9, 3, tzinfo=UTC),
        ends_at=datetime(2025, 3, 9, 4, tzinfo=UTC),
    )
    base = member(timezone="America/New_York", availability=(slot("Sat", "21:00", "24:00"),))
    assert codes(replace(base, blackout_dates=frozenset({date(2025, 3, 8)})), window) == [
        "blackout"
    ]
    assert codes(replace(base, blackout_dates=frozenset({date(2025, 3, 9)})), window) == []


# Checks and skills


def test_member_lacking_a_required_check_is_never_a_candidate():
    record = member(checks=frozenset())
    assert codes(record, need()) == ["missing_check"]
    assert messages(record, need()) == ["needs background_check"]


def test_member_below_the_roles_skill_level_cannot_take_it():
    strict = need(roles=(role(min_level=2),))
    record = member(skills={"cooking": 1})
    assert codes(record, strict) == ["skill_level"]
    assert messages(record, strict) == ["cooking level 2 required, you have 1"]
    assert messages(member(skills={}), strict) == ["cooking level 2 required, you have none"]


def test_role_without_a_skill_ignores_skill_levels():
    assert codes(member(skills={}), need(), "driver") == []


def test_member_too_junior_for_one_role_is_offered_another():
    record = member(skills={"cooking": 1})
    ranked = rank_candidates(
        need(roles=(role(min_level=3), role(name="driver", skill=None, min_level=0))),
        [record],
        weights=Weights(),
        text_model=None,
        now=NOW,
        limit=5,
    )
    assert [c.role for c in ranked] == ["driver"]


# Commitments


def test_commitment_overlapping_the_window_is_a_clash():
    record = member(commitments=(commitment("n9", at("2025-03-08", "11:00")),))
    assert codes(record, need()) == ["overlap"]
    assert messages(record, need()) == ["already signed up for an overlapping need at Sat 11:00"]


def test_commitment_ending_as_the_need_starts_is_not_a_clash():
    record = member(commitments=(commitment("n9", at("2025-03-08", "8:00")),))
    assert codes(record, need()) == []


def test_member_already_signed_up_for_this_need_is_not_offered_it_again():
    record = member(commitments=(commitment("n1", at("2025-03-08", "10:00")),))
    assert codes(record, need()) == ["already_signed_up"]
    assert candidate_ids(need(), [record]) == []


def test_full_role_takes_nobody_more():
    full = need(roles=(role(count=2, filled=2),))
    assert codes(member(), full) == ["role_full"]
    assert messages(member(), full) == ["cook is full (2 of 2)"]


def test_member_at_their_monthly_limit_is_not_asked_again():
    busy = member(
        max_commitments_per_month=2,
        commitments=(
            commitment("n7", at("2025-03-01", "10:00")),
            commitment("n8", at("2025-03-15", "10:00")),
        ),
    )
    assert codes(busy, need()) == ["monthly_limit"]
    assert messages(busy, need()) == ["already 2 commitments in March 2025 (limit 2)"]


def test_monthly_limit_counts_the_local_month():
    # 23:30 UTC on 31 March is already 1 April, 00:30, in London.
    april_first = datetime(2025, 3, 31, 23, 30, tzinfo=UTC)
    record = member(max_commitments_per_month=1, commitments=(commitment("n7", april_first),))
    april = need(starts_at=at("2025-04-05", "10:00"), ends_at=at("2025-04-05", "12:00"))
    assert codes(record, april) == ["monthly_limit"]
    assert codes(record, need()) == []


def test_monthly_limit_uses_the_members_timezone():
    # 03:00 UTC on 1 March is still 28 February in New York.
    record = member(
        timezone="America/New_York",
        availability=(slot("Sat", "0:00", "24:00"),),
        max_commitments_per_month=1,
        commitments=(commitment("n7", datetime(2025, 3, 1, 3, tzinfo=UTC)),),
    )
    march = need(
        starts_at=at("2025-03-08", "10:00", NEW_YORK), ends_at=at("2025-03-08", "12:00", NEW_YORK)
    )
    assert codes(record, march) == []


def test_every_violation_is_reported_in_a_stable_order():
    record = member(
        active=False,
        checks=frozenset(),
        availability=(),
        commitments=(commitment("n9", at("2025-03-08", "10:00")),),
    )
    assert codes(record, need(roles=(role(filled=2),))) == [
        "inactive",
        "unavailable",
        "missing_check",
        "overlap",
        "role_full",
    ]


# Properties


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(scenarios())
def test_vectorised_constraints_match_a_minute_by_minute_reading_of_the_rules(scenario):
    need_record, records = scenario
    pool, table = build_pool(records), build_need_table([need_record])
    feasibility = evaluate_constraints(pool, table)
    for row in range(feasibility.row_pair.size):
        record = records[feasibility.pair_member[feasibility.row_pair[row]]]
        role_record = need_record.roles[row % len(need_record.roles)]
        found = {code for code, flags in feasibility.violations.items() if flags[row]}
        assert found == expected_violations(record, need_record, role_record)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(members(near=datetime(2025, 3, 30, 1, tzinfo=UTC)), needs(), needs(need_id="n2"))
def test_constraints_for_one_member_across_many_needs_match_the_rules(record, first, second):
    table = build_need_table([first, second])
    feasibility = evaluate_constraints(build_pool([record]), table)
    roles = [(first, r) for r in first.roles] + [(second, r) for r in second.roles]
    for row, (need_record, role_record) in enumerate(roles):
        found = {code for code, flags in feasibility.violations.items() if flags[row]}
        assert found == expected_violations(record, need_record, role_record)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(scenarios(max_members=4) | scenarios(max_members=4, welcoming=True))
def test_ranking_returns_exactly_the_members_check_member_for_role_allows(scenario):
    need_record, records = scenario
    ranked = rank_candidates(
        need_record, records, weights=Weights(), text_model=None, now=NOW, limit=len(records)
    )
    by_member = {c.member_id: c for c in ranked}
    for record in records:
        allowed = [
            r.name
            for r in need_record.roles
            if check_member_for_role(record, need_record, r.name) == []
        ]
        assert (record.id in by_member) == bool(allowed)
        if record.id in by_member:
            assert by_member[record.id].role in allowed
