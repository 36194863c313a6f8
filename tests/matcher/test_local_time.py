from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from matcher.local_time import ZoneClock, clock_covering, epoch_seconds, local_segments
from tests.matcher.strategies import ZONES

YEAR_2025 = (
    epoch_seconds(datetime(2025, 1, 1, tzinfo=UTC)),
    epoch_seconds(datetime(2026, 1, 1, tzinfo=UTC)),
)


def segments(zone, starts_at, ends_at):
    clock = ZoneClock.covering(zone, *YEAR_2025)
    found = local_segments(
        clock, np.array([epoch_seconds(starts_at)]), np.array([epoch_seconds(ends_at)])
    )
    return [
        (int(w), int(s), int(e))
        for w, s, e in zip(found.weekday, found.start_minute, found.end_minute, strict=True)
    ]


def test_epoch_seconds_is_exact_and_rounds_ends_up():
    moment = datetime(2025, 3, 8, 10, 0, 0, 500_000, tzinfo=UTC)
    assert epoch_seconds(moment) == 1741428000
    assert epoch_seconds(moment, round_up=True) == 1741428001


@settings(max_examples=200, deadline=None)
@given(
    st.sampled_from(ZONES),
    st.integers(min_value=YEAR_2025[0], max_value=YEAR_2025[1]),
)
def test_zone_clock_agrees_with_zoneinfo_at_every_instant(zone, instant):
    clock = ZoneClock.covering(zone, *YEAR_2025)
    expected = datetime.fromtimestamp(instant, ZoneInfo(zone)).utcoffset()
    assert clock.offset_at(np.array([instant]))[0] == expected // timedelta(seconds=1)


def test_zone_clock_finds_both_london_transitions_to_the_second():
    clock = ZoneClock.covering("Europe/London", *YEAR_2025)
    assert clock.transitions_s.tolist() == [
        epoch_seconds(datetime(2025, 3, 30, 1, tzinfo=UTC)),
        epoch_seconds(datetime(2025, 10, 26, 1, tzinfo=UTC)),
    ]
    assert clock.offsets_s.tolist() == [0, 3600, 0]


def test_zone_without_dst_has_one_offset():
    clock = ZoneClock.covering("Asia/Kolkata", *YEAR_2025)
    assert clock.transitions_s.size == 0
    assert segments(
        "Asia/Kolkata", datetime(2025, 6, 1, 3, 30, tzinfo=UTC), datetime(2025, 6, 1, 5, tzinfo=UTC)
    ) == [(6, 9 * 60, 10 * 60 + 30)]


def test_window_crossing_midnight_is_cut_into_two_days():
    london = ZoneInfo("Europe/London")
    assert segments(
        "Europe/London",
        datetime(2025, 3, 8, 22, tzinfo=london),
        datetime(2025, 3, 9, 1, tzinfo=london),
    ) == [(5, 22 * 60, 1440), (6, 0, 60)]


def test_window_of_several_days_covers_each_day():
    london = ZoneInfo("Europe/London")
    found = segments(
        "Europe/London",
        datetime(2025, 3, 7, 12, tzinfo=london),
        datetime(2025, 3, 9, 12, tzinfo=london),
    )
    assert found == [(4, 720, 1440), (5, 0, 1440), (6, 0, 720)]


def test_spring_forward_leaves_out_the_skipped_hour():
    found = segments(
        "Europe/London",
        datetime(2025, 3, 30, 0, 30, tzinfo=UTC),
        datetime(2025, 3, 30, 1, 30, tzinfo=UTC),
    )
    assert found == [(6, 30, 60), (6, 120, 150)]


def test_fall_back_reads_the_repeated_hour_twice():
    found = segments(
        "Europe/London",
        datetime(2025, 10, 26, 0, 30, tzinfo=UTC),
        datetime(2025, 10, 26, 1, 30, tzinfo=UTC),
    )
    assert found == [(6, 90, 120), (6, 60, 90)]


def test_lord_howe_half_hour_fall_back():
    # 02:00 +11:00 becomes 01:30 +10:30 at 15:00 UTC on 5 April 2025.
    found = segments(
        "Australia/Lord_Howe",
        datetime(2025, 4, 5, 14, 30, tzinfo=UTC),
        datetime(2025, 4, 5, 15, 30, tzinfo=UTC),
    )
    assert found == [(6, 90, 120), (6, 90, 120)]


def test_local_month_follows_the_wall_clock():
    clock = ZoneClock.covering("Europe/London", *YEAR_2025)
    # 23:30 UTC on 31 March is 00:30 on 1 April in London (months counted from Jan 1970).
    instant = epoch_seconds(datetime(2025, 3, 31, 23, 30, tzinfo=UTC))
    assert clock.local_month(np.array([instant]))[0] == (2025 - 1970) * 12 + 3


@settings(max_examples=200, deadline=None)
@given(
    st.sampled_from(ZONES),
    st.integers(min_value=YEAR_2025[0], max_value=YEAR_2025[1]),
    st.integers(min_value=1, max_value=200 * 86_400),
    st.lists(st.floats(min_value=0, max_value=1), min_size=1, max_size=8),
    st.lists(st.integers(min_value=1, max_value=3 * 86_400), min_size=8, max_size=8),
)
def test_a_shared_clock_reads_its_span_as_a_clock_built_for_it_alone(
    zone, first_s, span_s, places, lengths
):
    last_s = first_s + span_s
    exact, shared = ZoneClock.covering(zone, first_s, last_s), clock_covering(zone, first_s, last_s)
    starts = np.array([first_s + int(place * span_s) for place in places], dtype=np.int64)
    ends = np.minimum(starts + np.array(lengths[: starts.size]), last_s + 1)
    assert shared.offset_at(starts).tolist() == exact.offset_at(starts).tolist()
    assert shared.local_month(starts).tolist() == exact.local_month(starts).tolist()
    mine, theirs = local_segments(shared, starts, ends), local_segments(exact, starts, ends)
    for name in ("window", "ordinal", "weekday", "start_minute", "end_minute", "offsets"):
        assert getattr(mine, name).tolist() == getattr(theirs, name).tolist()


def test_a_shared_clock_is_built_once_and_cannot_be_changed():
    first = clock_covering("Europe/London", *YEAR_2025)
    assert clock_covering("Europe/London", YEAR_2025[0] + 3600, YEAR_2025[1] - 3600) is first
    assert not first.transitions_s.flags.writeable
    assert not first.offsets_s.flags.writeable
