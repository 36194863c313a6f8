"""Words for numbers: the reasons behind a match and the message behind a refusal.

Runs only for the handful of results actually returned (or the one refused sign-up), so it
may loop in Python; it reads the columnar arrays, so it works for database-filled pools too.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import TYPE_CHECKING, Literal
from zoneinfo import ZoneInfo

import numpy as np

from matcher.local_time import SECONDS_PER_DAY
from matcher.results import ConstraintViolation

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


def is_distance_reason(reason: str) -> bool:
    """Whether ``reason`` is the distance one (:func:`from_home`'s): a page that shows the
    distance on its own leaves it out of the list rather than say it twice."""
    return reason.endswith((" from home", " of home"))


def _away(distance_km: float, precision_km: float) -> str:
    shown = shown_distance_km(distance_km, precision_km)
    return f"about {shown:g} km away" if precision_km > 0 else f"{shown:.1f} km away"


def _pair_rows(start: int, stop: int) -> range:
    return range(int(start), int(stop))


@dataclass(frozen=True, slots=True)
class _Refusal:
    """One evaluated (member, need, role) row, with the indices its messages read."""

    feasibility: Feasibility
    pool: MemberPool
    table: NeedTable
    row: int

    @property
    def pair(self) -> int:
        return int(self.feasibility.row_pair[self.row])

    @property
    def member(self) -> int:
        return int(self.feasibility.pair_member[self.pair])

    @property
    def need(self) -> int:
        return int(self.feasibility.pair_need[self.pair])

    @property
    def role(self) -> int:
        return int(self.feasibility.row_role[self.row])

    @property
    def zone(self) -> str:
        return str(self.pool.timezones[self.member])

    def segment_rows(self) -> range:
        offsets = self.feasibility.segments.offsets
        return _pair_rows(offsets[self.pair], offsets[self.pair + 1])


Facts = dict[str, object]


def _outside_radius(at: _Refusal) -> Facts:
    distance_km = float(at.feasibility.distance_km[at.pair])
    return {
        "away": _away(distance_km, float(at.table.location_precision_km[at.need])),
        "radius_km": at.pool.max_travel_km[at.member],
    }


def _unavailable(at: _Refusal) -> Facts:
    segments = at.feasibility.segments
    gaps = [
        weekly_interval(
            int(segments.weekday[i]), int(segments.start_minute[i]), int(segments.end_minute[i])
        )
        for i in at.segment_rows()
        if segments.slot[i] < 0
    ]
    return {"gaps": " and ".join(gaps)}


def _blackout(at: _Refusal) -> Facts:
    segments = at.feasibility.segments
    days = [
        date.fromordinal(int(segments.ordinal[i])).isoformat()
        for i in at.segment_rows()
        if segments.on_blackout[i]
    ]
    return {"days": ", ".join(days)}


def _missing_check(at: _Refusal) -> Facts:
    pool, table = at.pool, at.table
    held = {pool.check_names[c] for c in np.flatnonzero(pool.has_check[at.member])}
    required = [table.requirement_names[c] for c in np.flatnonzero(table.requires[at.need])]
    return {"checks": ", ".join(sorted(set(required) - held))}


def _skill_level(at: _Refusal) -> Facts:
    level = int(at.feasibility.member_level[at.row])
    return {
        "skill": at.table.role_skills[at.role],
        "min_level": at.table.role_min_level[at.role],
        "level": level if level else "none",
    }


def _overlap(at: _Refusal) -> Facts:
    commitments = at.feasibility.commitments
    commitment_rows = np.flatnonzero(commitments.pair == at.pair)
    overlapping = commitment_rows[commitments.overlaps[commitment_rows]]
    starts = at.pool.commitment_starts_s[commitments.commitment[overlapping]]
    return {"moment": short_moment(local_moment(int(starts.min()), at.zone))}


def _role_full(at: _Refusal) -> Facts:
    table = at.table
    return {
        "role": table.role_names[at.role],
        "filled": table.role_filled[at.role],
        "count": table.role_count[at.role],
    }


def _monthly_limit(at: _Refusal) -> Facts:
    month = local_moment(int(at.table.starts_s[at.need]), at.zone)
    return {
        "count": at.feasibility.month_count[at.pair],
        "month": f"{MONTH_NAMES[month.month - 1]} {month.year}",
        "limit": at.pool.max_commitments_per_month[at.member],
    }


@dataclass(frozen=True, slots=True)
class HardConstraint:
    """How a broken hard constraint is worded, and whether it is a conflict.

    A conflict is about the state of things (a full role, a clashing sign-up) rather than
    about the member: the API answers it 409 where the others are 422 (not eligible).
    """

    template: str  # str.format template, filled from `facts`
    facts: Callable[[_Refusal], Facts] | None = None
    conflict: bool = False

    def message(self, at: _Refusal) -> str:
        """The template filled in for one evaluated row."""
        return self.template.format(**self.facts(at)) if self.facts else self.template


HARD_CONSTRAINTS: dict[str, HardConstraint] = {
    "unknown_role": HardConstraint("this need has no role called {role!r}"),
    "inactive": HardConstraint("member is not active"),
    "not_in_network": HardConstraint("this need is only open to its own community"),
    "outside_radius": HardConstraint(
        "{away}, beyond the {radius_km:g} km travel radius", _outside_radius
    ),
    "unavailable": HardConstraint("not free {gaps}", _unavailable),
    "blackout": HardConstraint("blackout date {days}", _blackout),
    "missing_check": HardConstraint("needs {checks}", _missing_check),
    "skill_level": HardConstraint(
        "{skill} level {min_level} required, you have {level}", _skill_level
    ),
    "overlap": HardConstraint(
        "already signed up for an overlapping need at {moment}", _overlap, conflict=True
    ),
    "already_signed_up": HardConstraint("already signed up for this need", conflict=True),
    "role_full": HardConstraint("{role} is full ({filled} of {count})", _role_full, conflict=True),
    "monthly_limit": HardConstraint(
        "already {count} commitments in {month} (limit {limit})", _monthly_limit, conflict=True
    ),
}
"""Every hard constraint by code, in the order violations are reported."""

VIOLATION_CODES: tuple[str, ...] = tuple(HARD_CONSTRAINTS)
CONFLICT_CODES = frozenset(code for code, rule in HARD_CONSTRAINTS.items() if rule.conflict)
"""Codes about the state of things rather than the member (see `HardConstraint`)."""


def unknown_role(role_name: str) -> ConstraintViolation:
    """The violation of asking for a role the need does not have."""
    return ConstraintViolation(
        "unknown_role", HARD_CONSTRAINTS["unknown_role"].template.format(role=role_name)
    )


def violation_messages(
    feasibility: Feasibility, pool: MemberPool, table: NeedTable, *, row: int
) -> list[ConstraintViolation]:
    """Every violated hard constraint of one evaluated row, with a message naming why."""
    at = _Refusal(feasibility, pool, table, row)
    return [
        ConstraintViolation(code, HARD_CONSTRAINTS[code].message(at))
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
