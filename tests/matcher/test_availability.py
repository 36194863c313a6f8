import numpy as np

from matcher.availability import blackout_keys, covering_slots, merge_slots, on_blackout, slot_keys
from tests.matcher.factories import slot


def test_touching_and_overlapping_slots_merge_within_a_day():
    merged = merge_slots(
        [slot("Sat", "11:00", "13:00"), slot("Sat", "9:00", "11:00"), slot("Sat", "12:00", "14:00")]
    )
    assert merged == [(5, 540, 840)]


def test_slots_on_different_days_or_with_a_gap_stay_apart():
    merged = merge_slots(
        [slot("Sun", "0:00", "1:00"), slot("Sat", "23:00", "24:00"), slot("Sat", "9:00", "10:00")]
    )
    assert merged == [(5, 540, 600), (5, 1380, 1440), (6, 0, 60)]


def test_contained_slot_does_not_shrink_its_container():
    assert merge_slots([slot("Mon", "8:00", "18:00"), slot("Mon", "9:00", "10:00")]) == [
        (0, 480, 1080)
    ]


def test_covering_slot_is_found_only_for_the_same_member_and_day():
    # Member 0: Sat 9-13. Member 1: Sun 9-13.
    member = np.array([0, 1])
    day = np.array([5, 6])
    start = np.array([540, 540])
    keys = slot_keys(member, day, start)
    ends = np.array([780, 780])

    def find(who, weekday, begin, finish):
        return covering_slots(
            keys,
            ends,
            member=np.array([who]),
            weekday=np.array([weekday]),
            start_minute=np.array([begin]),
            end_minute=np.array([finish]),
        )[0]

    assert find(0, 5, 600, 720) == 0
    assert find(1, 6, 540, 780) == 1
    assert find(0, 6, 600, 720) == -1  # member 0 is not free on Sunday
    assert find(1, 5, 600, 720) == -1  # member 1 is not free on Saturday
    assert find(0, 5, 500, 720) == -1  # starts before the slot
    assert find(0, 5, 600, 800) == -1  # ends after it


def test_blackouts_match_only_that_member_and_date():
    keys = blackout_keys(np.array([0, 2]), np.array([739318, 739319]))
    hits = on_blackout(keys, np.array([0, 0, 2, 1]), np.array([739318, 739319, 739319, 739318]))
    assert hits.tolist() == [True, False, True, False]
    assert not on_blackout(keys[:0], np.array([0]), np.array([739318])).any()
