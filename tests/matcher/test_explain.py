from datetime import timedelta

from hypothesis import given
from hypothesis import strategies as st

from matcher import TextFit, Weights, check_member_for_role, rank_candidates, rank_suggestions
from matcher.explain import (
    clock_time,
    from_home,
    is_distance_reason,
    shown_distance_km,
    weekly_interval,
)
from tests.matcher.factories import NOW, km_north, member, need, role, slot


def reasons_for(record, need_record=None, **kwargs):
    options = {"weights": Weights(), "text_model": None, "now": NOW, "limit": 1} | kwargs
    [candidate] = rank_candidates(need_record or need(), [record], **options)
    return candidate.reasons


def test_clock_times_read_like_a_timetable():
    assert [clock_time(m) for m in (0, 540, 615, 1440)] == ["0:00", "9:00", "10:15", "24:00"]
    assert weekly_interval(5, 540, 780) == "Saturday 9:00–13:00"


def test_distance_is_given_to_a_tenth_of_a_kilometre():
    assert from_home(1.234) == "1.2 km from home"
    assert from_home(0.01) == "under 0.1 km from home"


def test_a_distance_to_a_coarse_area_is_said_no_finer_than_its_cell():
    assert shown_distance_km(2.34, 1.0) == 2.0
    assert shown_distance_km(2.34, 0.5) == 2.5
    assert from_home(2.6, 1.0) == "about 3 km from home"
    assert from_home(0.4, 1.0) == "within about 1 km of home"


@given(
    distance_km=st.floats(min_value=0, max_value=500, allow_nan=False),
    precision_km=st.sampled_from([0.0, 0.5, 1.0, 2.0]),
)
def test_every_distance_reason_is_known_as_one(distance_km, precision_km):
    assert is_distance_reason(from_home(distance_km, precision_km))


def test_only_the_distance_is_a_distance_reason():
    lat, lon = km_north(1.2)
    said = reasons_for(
        member(lat=lat, lon=lon, skills={"cooking": 2}), need(roles=(role(skill="cooking"),))
    )
    assert [is_distance_reason(reason) for reason in said] == [
        reason == "1.2 km from home" for reason in said
    ]
    assert len(said) > 1


def test_reasons_and_distances_to_a_private_place_are_rounded_to_its_cell():
    lat, lon = km_north(2.3)
    private = need(roles=(role(),), location_precision_km=1.0)
    [candidate] = rank_candidates(
        private, [member(lat=lat, lon=lon)], weights=Weights(), text_model=None, now=NOW, limit=1
    )
    assert candidate.distance_km == 2.0
    assert "about 2 km from home" in candidate.reasons


def test_a_refusal_for_distance_names_the_cell_rounded_distance():
    lat, lon = km_north(12.3)
    private = need(roles=(role(),), location_precision_km=1.0)
    violations = check_member_for_role(member(lat=lat, lon=lon, max_travel_km=10), private, "cook")
    assert [v.message for v in violations if v.code == "outside_radius"] == [
        "about 12 km away, beyond the 10 km travel radius"
    ]


def test_reasons_name_distance_skill_and_free_time():
    lat, lon = km_north(1.2)
    reasons = reasons_for(member(lat=lat, lon=lon), need(roles=(role(),)))
    assert "1.2 km from home" in reasons
    assert "cooking: experienced" in reasons
    assert "free Saturday 9:00–13:00" in reasons


def test_skill_levels_have_plain_names():
    for level, words in ((1, "can help"), (2, "experienced"), (3, "can lead/teach")):
        reasons = reasons_for(member(skills={"cooking": level}), need(roles=(role(),)))
        assert f"cooking: {words}" in reasons


def test_free_time_across_midnight_names_both_days():
    late = need(
        starts_at=NOW.replace(day=8, hour=23), ends_at=NOW.replace(day=9, hour=1), roles=(role(),)
    )
    record = member(availability=(slot("Sat", "20:00", "24:00"), slot("Sun", "0:00", "2:00")))
    assert "free Saturday 20:00–24:00, Sunday 0:00–2:00" in reasons_for(record, late)


def test_service_history_is_described_kindly():
    assert "hasn't served in 6 weeks" in reasons_for(
        member(services_last_90_days=1, last_served_at=NOW - timedelta(weeks=6, days=3))
    )
    assert "first time serving" in reasons_for(member(services_last_90_days=0, last_served_at=None))
    assert "served 3 times in the last 90 days" in reasons_for(
        member(services_last_90_days=3, last_served_at=NOW - timedelta(days=4))
    )


def test_matching_interests_are_named_when_a_text_model_is_given():
    record = member(interests="meals and baking")
    model = TextFit().fit([need().title, need().description, record.interests, "gardening"])
    assert "interests match: meals" in reasons_for(record, text_model=model)
    assert not any(r.startswith("interests") for r in reasons_for(record))


def test_mentoring_reasons():
    mentored = need(roles=(role(signed_up_stages=("leader",)),))
    assert "joins a mature member" in reasons_for(member(stage="new"), mentored)
    assert "can guide newer members" in reasons_for(member(stage="mature"), need())


def test_community_reasons_speak_to_their_audience():
    assert "member of this community" in reasons_for(member())
    network_need = need(open_to_network=True)
    assert "from another community" in reasons_for(member(community_id="c2"), network_need)
    [suggestion] = rank_suggestions(
        member(), [need(urgency="critical")], weights=Weights(), text_model=None, now=NOW, limit=1
    )
    assert "in your community" in suggestion.reasons
    assert "critical urgency" in suggestion.reasons


def test_reasons_lead_with_what_weighed_most():
    only_distance = Weights(
        distance=1, skill=0, availability=0, fairness=0, urgency=0, affinity=0, mentoring=0
    )
    reasons = reasons_for(member(), weights=only_distance)
    assert reasons[0].endswith("km from home")
