"""A community's health over time, told from its rows: data in, data out, no SQL.

The repository reads a community's memberships, its members' stage histories and the places
served in the window in a few queries for the whole window; these functions cut them into
intervals (local calendar months, or weeks from Monday) and count, so the cost does not grow
with the number of points.

Definitions (the public contract's descriptions say the same):

- a member counts in a point when a membership of the community covers the point's end
  (``joined_at < end <= left_at``, or not left) and they were not erased by then: erasing
  someone today does not rewrite the past;
- their stage there is the last one recorded at or before the end (before their first record,
  the stage they joined with);
- ``joined`` / ``left``: memberships of the community beginning / ending in the interval;
- a confirmed place in a need that ended in the interval (and is over) counts for the
  community its member belonged to when the need ended, whoever posted the need; erased
  members' places still count, as in the 90-day figures;
- ``new_served``: such places of members at stage ``new`` when the need started;
  ``new_served_with_mature``: those in a need where another member held a confirmed place and
  was ``mature`` or ``leader`` when it started;
- stage changes: a recorded stage that differs from the member's previous one, made while
  they belonged to the community; the stage they joined with is not a change.
"""

from bisect import bisect_right
from collections import Counter, defaultdict
from collections.abc import Sequence
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from api.communities.repository import MembershipSpan, ServedPlace, StageRecord
from api.communities.schemas import STAGE_MOVES, HealthPoint, Interval, StageMove
from api.vocabulary import Stage
from matcher.inputs import EXPERIENCED_STAGES, STAGES


def _local_midnight(day: date, zone: ZoneInfo) -> datetime:
    return datetime(day.year, day.month, day.day, tzinfo=zone).astimezone(UTC)


def _next_start(day: date, interval: Interval) -> date:
    if interval == "week":
        return day + timedelta(days=7)
    return date(day.year + 1, 1, 1) if day.month == 12 else date(day.year, day.month + 1, 1)


def _first_day(moment: datetime, zone: ZoneInfo, interval: Interval) -> date:
    """The local first day of the interval holding ``moment``."""
    local = moment.astimezone(zone).date()
    if interval == "week":
        return local - timedelta(days=local.weekday())
    return local.replace(day=1)


def interval_starts(
    start: datetime, end: datetime, zone: ZoneInfo, interval: Interval = "month"
) -> list[datetime]:
    """The first instants (UTC) of the local calendar months (or weeks from Monday) that
    [``start``, ``end``) touches, and of the one after the last: each is [bound, next bound)."""
    day = _first_day(start, zone, interval)
    bounds = [_local_midnight(day, zone)]
    while bounds[-1] < end:
        day = _next_start(day, interval)
        bounds.append(_local_midnight(day, zone))
    return bounds


def intervals_back(end: datetime, zone: ZoneInfo, interval: Interval, count: int) -> datetime:
    """The first instant of the interval ``count - 1`` intervals before the one holding
    ``end``: a window of ``count`` points ending at ``end``."""
    day = _first_day(end, zone, interval)
    for _ in range(count - 1):
        if interval == "week":
            day -= timedelta(days=7)
        else:
            day = date(day.year - 1, 12, 1) if day.month == 1 else date(day.year, day.month - 1, 1)
    return _local_midnight(day, zone)


def edges(start: datetime, end: datetime, zone: ZoneInfo, interval: Interval) -> list[datetime]:
    """[``start``, ``end``) cut at the local interval bounds: point ``i`` is
    [edges[i], edges[i + 1])."""
    bounds = interval_starts(start, end, zone, interval)
    return [start, *bounds[1:-1], end]


def _covers(span: MembershipSpan, moment: datetime) -> bool:
    return span.joined_at < moment and (span.left_at is None or span.left_at >= moment)


class _Stages:
    """Each member's recorded stages, to ask what they held at a moment."""

    def __init__(self, records: Sequence[StageRecord]) -> None:
        self.times: dict[str, list[datetime]] = {}
        self.stages: dict[str, list[Stage]] = {}
        for record in records:  # by member, then time
            self.times.setdefault(record.member_id, []).append(record.changed_at)
            self.stages.setdefault(record.member_id, []).append(record.stage)

    def at(self, member_id: str, moment: datetime, *, unrecorded: Stage) -> Stage:
        """The stage held at ``moment`` (before the first record, the first; with no record
        at all, ``unrecorded``)."""
        held = self.stages.get(member_id)
        if not held:
            return unrecorded
        index = bisect_right(self.times[member_id], moment) - 1
        return held[max(index, 0)]


def _by_stage(
    stages: _Stages, members: dict[str, MembershipSpan], moment: datetime
) -> dict[Stage, int]:
    counts: dict[Stage, int] = dict.fromkeys(STAGES, 0)
    for member_id, span in members.items():
        counts[stages.at(member_id, moment, unrecorded=span.stage)] += 1
    return counts


def points(
    cuts: Sequence[datetime],
    *,
    memberships: Sequence[MembershipSpan],
    stage_records: Sequence[StageRecord],
    served: Sequence[ServedPlace],
) -> list[HealthPoint]:
    """One point per interval [cuts[i], cuts[i + 1]) (see the module's definitions)."""
    count = len(cuts) - 1
    stages = _Stages(stage_records)

    def slot(moment: datetime) -> int | None:
        index = bisect_right(cuts, moment) - 1
        return index if 0 <= index < count else None

    joined, left = [0] * count, [0] * count
    for span in memberships:
        for moment, tally in ((span.joined_at, joined), (span.left_at, left)):
            index = None if moment is None else slot(moment)
            if index is not None:
                tally[index] += 1

    members: list[dict[str, MembershipSpan]] = []
    for end in cuts[1:]:
        members.append(
            {
                span.member_id: span
                for span in memberships
                if _covers(span, end) and (span.erased_at is None or span.erased_at >= end)
            }
        )

    seasoned_needs: dict[str, set[str]] = defaultdict(set)
    for place in served:
        if place.stage in EXPERIENCED_STAGES:
            seasoned_needs[place.need_id].add(place.member_id)
    servers: list[set[str]] = [set() for _ in range(count)]
    hours, places, new, beside = [0.0] * count, [0] * count, [0] * count, [0] * count
    for place in served:
        index = slot(place.ends_at)
        if not place.ours or index is None:
            continue
        servers[index].add(place.member_id)
        hours[index] += place.hours
        places[index] += 1
        if place.stage == "new":
            new[index] += 1
            beside[index] += bool(seasoned_needs[place.need_id] - {place.member_id})

    moves: list[Counter[tuple[Stage, Stage]]] = [Counter() for _ in range(count)]
    spans: dict[str, list[MembershipSpan]] = defaultdict(list)
    for span in memberships:
        spans[span.member_id].append(span)
    for member_id, times in stages.times.items():
        held = stages.stages[member_id]
        for moment, before, after in zip(times[1:], held, held[1:], strict=False):
            index = slot(moment)
            if (
                before != after
                and index is not None
                and any(_covers(span, moment) for span in spans[member_id])
            ):
                moves[index][before, after] += 1

    return [
        HealthPoint(
            start=cuts[index],
            end=cuts[index + 1],
            members=len(members[index]),
            by_stage=_by_stage(stages, members[index], cuts[index + 1]),
            joined=joined[index],
            left=left[index],
            served_members=len(servers[index]),
            service_hours=round(hours[index], 2),
            places_filled=places[index],
            new_served=new[index],
            new_served_with_mature=beside[index],
            stage_changes=[
                StageMove(from_stage=before, to_stage=after, count=moves[index][before, after])
                for before, after in STAGE_MOVES
                if moves[index][before, after]
            ],
        )
        for index in range(count)
    ]
