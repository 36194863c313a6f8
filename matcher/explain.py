"""Words for numbers: the reasons behind a match and the message behind a refusal.

Runs only for the handful of results actually returned (or the one refused sign-up), so it
may loop in Python; it reads the columnar arrays, so it works for database-filled pools too.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import TYPE_CHECKING, Literal
from zoneinfo import ZoneInfo

import numpy as np

from matcher.local_time import SECONDS_PER_DAY
from matcher.results import Violation

if TYPE_CHECKING:  # constraints and scoring import this module at runtime
    from matcher.constraints import Feasibility
    from matcher.need_table import NeedTable
    from matcher.pool import MemberPool
    from matcher.scoring import Scores
    from matcher.text_fit import TextFit

Audience = Literal["coordinator", "member"]

DAY_NAMES = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
MONTH_NAMES = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
]
SKILL_LEVEL_LABELS = {1: "can help", 2: "experienced", 3: "can lead/teach"}
# Below this a member has simply served recently; above it the gap is worth saying.
NOTABLE_GAP_DAYS = 14


def clock_time(minute: int) -> str:
    """Minutes after midnight as a short clock time: 540 -> "9:00", 1440 -> "24:00"."""
    return f"{minute // 60}:{minute % 60:02d}"


def weekly_interval(day: int, start_minute: int, end_minute: int) -> str:
    """A weekly slot as people say it: "Saturday 9:00–13:00"."""
    return f"{DAY_NAMES[day]} {clock_time(start_minute)}–{clock_time(end_minute)}"


def local_moment(epoch_s: int, zone: str) -> datetime:
    """An instant on the wall clock of `zone`."""
    return datetime.fromtimestamp(epoch_s, UTC).astimezone(ZoneInfo(zone))


def short_moment(moment: datetime) -> str:
    """A day and time a member recognises in a week: "Sat 10:00"."""
    return f"{DAY_NAMES[moment.weekday()][:3]} {moment.hour}:{moment.minute:02d}"


DISTANCE_DECIMALS = 1
"""Enough to tell 0.4 km from 0.6 km, without pinpointing anyone's front door."""


def shown_distance_km(distance_km: float, precision_km: float) -> float:
    """A distance as it may be shown: to 0.1 km, or to the nearest ``precision_km`` step.

    A private place is known to the viewer only as a grid cell; a finer distance would say
    more about where it is than the cell does.
    """
    if precision_km > 0:
        distance_km = round(distance_km / precision_km) * precision_km
    return round(distance_km, DISTANCE_DECIMALS)


def from_home(distance_km: float, precision_km: float = 0.0) -> str:
    """Distance as a reason: "1.2 km from home", or "about 2 km from home" for an area."""
    if precision_km > 0:
        shown = shown_distance_km(distance_km, precision_km)
        if shown == 0:
            return f"within about {precision_km:g} km of home"
        return f"about {shown:g} km from home"
    if distance_km < 0.05:
        return "under 0.1 km from home"
    return f"{distance_km:.1f} km from home"


def _away(distance_km: float, precision_km: float) -> str:
    shown = shown_distance_km(distance_km, precision_km)
    return f"about {shown:g} km away" if precision_km > 0 else f"{shown:.1f} km away"


def _pair_rows(start: int, stop: int) -> range:
    return range(int(start), int(stop))


def violation_messages(
    feasibility: Feasibility, pool: MemberPool, table: NeedTable, *, row: int
) -> list[Violation]:
    """Every violated hard constraint of one evaluated row, with a message naming why."""
    pair = int(feasibility.row_pair[row])
    member = int(feasibility.pair_member[pair])
    need = int(feasibility.pair_need[pair])
    role = int(feasibility.row_role[row])
    zone = str(pool.timezones[member])
    segments = feasibility.segments
    segment_rows = _pair_rows(segments.offsets[pair], segments.offsets[pair + 1])
    commitments = feasibility.commitments
    commitment_rows = np.flatnonzero(commitments.pair == pair)

    def message(code: str) -> str:
        if code == "inactive":
            return "member is not active"
        if code == "not_in_network":
            return "this need is only open to its own community"
        if code == "outside_radius":
            away = _away(
                float(feasibility.distance_km[pair]), float(table.location_precision_km[need])
            )
            return f"{away}, beyond the {pool.max_travel_km[member]:g} km travel radius"
        if code == "unavailable":
            gaps = [
                weekly_interval(
                    int(segments.weekday[i]),
                    int(segments.start_minute[i]),
                    int(segments.end_minute[i]),
                )
                for i in segment_rows
                if segments.slot[i] < 0
            ]
            return f"not free {' and '.join(gaps)}"
        if code == "blackout":
            days = [
                date.fromordinal(int(segments.ordinal[i])).isoformat()
                for i in segment_rows
                if segments.on_blackout[i]
            ]
            return f"blackout date {', '.join(days)}"
        if code == "missing_check":
            held = {pool.check_names[c] for c in np.flatnonzero(pool.has_check[member])}
            required = [table.requirement_names[c] for c in np.flatnonzero(table.requires[need])]
            return f"needs {', '.join(sorted(set(required) - held))}"
        if code == "skill_level":
            level = int(feasibility.member_level[row])
            return (
                f"{table.role_skills[role]} level {table.role_min_level[role]} required, "
                f"you have {level if level else 'none'}"
            )
        if code == "overlap":
            overlapping = commitment_rows[commitments.overlaps[commitment_rows]]
            starts = pool.commitment_starts_s[commitments.commitment[overlapping]]
            moment = local_moment(int(starts.min()), zone)
            return f"already signed up for an overlapping need at {short_moment(moment)}"
        if code == "already_signed_up":
            return "already signed up for this need"
        if code == "role_full":
            return (
                f"{table.role_names[role]} is full "
                f"({table.role_filled[role]} of {table.role_count[role]})"
            )
        if code == "monthly_limit":
            month = local_moment(int(table.starts_s[need]), zone)
            return (
                f"already {feasibility.month_count[pair]} commitments in "
                f"{MONTH_NAMES[month.month - 1]} {month.year} "
                f"(limit {pool.max_commitments_per_month[member]})"
            )
        raise ValueError(f"no message for violation {code!r}")

    return [
        Violation(code, message(code))
        for code, violated in feasibility.violations.items()
        if violated[row]
    ]


def reasons(
    feasibility: Feasibility,
    scores: Scores,
    pool: MemberPool,
    table: NeedTable,
    *,
    row: int,
    shares: dict[str, float],
    text_model: TextFit | None,
    now_s: int,
    audience: Audience,
) -> list[str]:
    """Plain-language reasons for one match, the most heavily weighted first."""
    pair = int(feasibility.row_pair[row])
    member = int(feasibility.pair_member[pair])
    need = int(feasibility.pair_need[pair])
    role = int(feasibility.row_role[row])
    distance = from_home(
        float(feasibility.distance_km[pair]), float(table.location_precision_km[need])
    )
    said: list[tuple[str, str]] = [("distance", distance)]

    skill = str(table.role_skills[role])
    level = int(feasibility.member_level[row])
    if skill and level:
        said.append(("skill", f"{skill}: {SKILL_LEVEL_LABELS[level]}"))
    if text_model is not None and scores.text_fit[pair] > 0:
        terms = text_model.shared_terms(str(table.texts[need]), str(pool.interests[member]))
        if terms:
            said.append(("skill", f"interests match: {', '.join(terms)}"))

    segments = feasibility.segments
    free: list[str] = []
    for i in _pair_rows(segments.offsets[pair], segments.offsets[pair + 1]):
        slot = int(segments.slot[i])
        if slot >= 0:
            interval = weekly_interval(
                int(pool.slot_day[slot]),
                int(pool.slot_start_minute[slot]),
                int(pool.slot_end_minute[slot]),
            )
            if interval not in free:
                free.append(interval)
    if free:
        said.append(("availability", f"free {', '.join(free)}"))

    said.append(("fairness", _service_history(pool, member, now_s)))

    urgency = str(table.urgencies[need])
    if audience == "member" and urgency in ("high", "critical"):
        said.append(("urgency", f"{urgency} urgency"))

    for_member = audience == "member"
    if pool.community_ids[member] == table.community_ids[need]:
        said.append(("affinity", "in your community" if for_member else "member of this community"))
    elif table.community_ids[need] == "" or table.is_agency_request[need]:
        said.append(("affinity", "partner agency request"))
    else:
        network = "open to the wider network" if for_member else "from another community"
        said.append(("affinity", network))

    if scores.components["mentoring"][row] > 0:
        if pool.is_experienced[member]:
            said.append(("mentoring", "can guide newer members"))
        else:
            said.append(("mentoring", "joins a mature member"))

    weight = {name: shares[name] * float(values[row]) for name, values in scores.components.items()}
    said.sort(key=lambda item: -weight[item[0]])
    return [text for _, text in said]


def _service_history(pool: MemberPool, member: int, now_s: int) -> str:
    services = int(pool.services_last_90_days[member])
    last_served_s = float(pool.last_served_s[member])
    if np.isnan(last_served_s):
        if services == 0:
            return "first time serving"
    else:
        days = (now_s - last_served_s) / SECONDS_PER_DAY
        if days >= NOTABLE_GAP_DAYS:
            return f"hasn't served in {int(days // 7)} weeks"
    if services == 0:
        return "hasn't served in the last 90 days"
    return f"served {services} time{'s' if services != 1 else ''} in the last 90 days"
