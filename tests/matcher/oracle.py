"""A slow, obvious restatement of the hard constraints, to check the vectorised engine against.

It walks the need window minute by minute on the member's wall clock with `zoneinfo`, so it
shares none of the engine's machinery (zone clocks, segments, composite keys). It assumes
need windows fall on whole minutes, as the strategies generate them.
"""

from datetime import timedelta
from zoneinfo import ZoneInfo

from geo.distance import geodesic_km
from matcher import MemberProfile, NeedSpec, RoleSpec
from matcher.availability import merge_slots

EXPERIENCED = {"mature", "leader"}


def free_minutes(record: MemberProfile) -> set[tuple[int, int]]:
    return {
        (day, minute)
        for day, start, end in merge_slots(record.availability)
        for minute in range(start, end)
    }


def expected_violations(record: MemberProfile, need: NeedSpec, role: RoleSpec) -> set[str]:
    codes: set[str] = set()
    zone = ZoneInfo(record.timezone)
    if not record.active:
        codes.add("inactive")
    if not (
        need.community_id is None
        or need.community_id == record.community_id
        or need.open_to_network
    ):
        codes.add("not_in_network")
    if float(geodesic_km(record.lat, record.lon, need.lat, need.lon)) > record.max_travel_km:
        codes.add("outside_radius")

    free = free_minutes(record)
    moment = need.starts_at
    while moment < need.ends_at:
        local = moment.astimezone(zone)
        if (local.weekday(), local.hour * 60 + local.minute) not in free:
            codes.add("unavailable")
        if local.date() in record.blackout_dates:
            codes.add("blackout")
        moment += timedelta(minutes=1)

    if need.requirements - record.checks:
        codes.add("missing_check")
    if role.skill is not None and record.skills.get(role.skill, 0) < role.min_level:
        codes.add("skill_level")
    for held in record.commitments:
        if held.need_id == need.id:
            codes.add("already_signed_up")
        elif held.starts_at < need.ends_at and held.ends_at > need.starts_at:
            codes.add("overlap")
    if role.filled >= role.count:
        codes.add("role_full")
    need_month = need.starts_at.astimezone(zone)
    in_month = sum(
        1
        for held in record.commitments
        if (held.starts_at.astimezone(zone).year, held.starts_at.astimezone(zone).month)
        == (need_month.year, need_month.month)
    )
    if in_month >= record.max_commitments_per_month:
        codes.add("monthly_limit")
    return codes
