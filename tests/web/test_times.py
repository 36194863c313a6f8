"""Times on the pages: in the community's zone, the zone named (api/web/times.py)."""

from datetime import UTC, datetime

from api.web.times import hours, span, when, zone_of

LONDON = zone_of("Europe/London")


def test_a_span_reads_in_the_communitys_zone_with_the_zone_named() -> None:
    winter = span(
        datetime(2026, 12, 5, 10, tzinfo=UTC), datetime(2026, 12, 5, 12, tzinfo=UTC), LONDON
    )
    summer = span(datetime(2026, 6, 6, 9, tzinfo=UTC), datetime(2026, 6, 6, 11, tzinfo=UTC), LONDON)
    assert (winter, summer) == (
        "Sat 5 Dec 2026, 10:00–12:00 GMT",
        "Sat 6 Jun 2026, 10:00–12:00 BST",
    )


def test_a_span_past_midnight_names_the_days_it_ends_on() -> None:
    starts_at, ends_at = datetime(2026, 6, 5, 22, tzinfo=UTC), datetime(2026, 6, 6, 2, tzinfo=UTC)
    assert span(starts_at, ends_at, LONDON) == "Fri 5 Jun 2026, 23:00–Sat 6 Jun, 03:00 BST"
    assert hours(starts_at, ends_at, LONDON) == "23:00–Sat 6 Jun, 03:00 BST"


def test_a_moment_is_shown_in_the_zone_given_or_its_own() -> None:
    moment = datetime(2026, 6, 5, 22, tzinfo=UTC)
    assert when(moment, LONDON) == "Fri 5 Jun 2026, 23:00 BST"
    assert when(moment) == "Fri 5 Jun 2026, 22:00 UTC"


def test_without_a_community_times_are_utc() -> None:
    assert zone_of(None).key == "UTC"
