"""UTC instants to local wall-clock time, vectorised and DST-correct.

Availability, blackout dates and monthly limits are all stated in a community's local time,
while needs and commitments are instants. `zoneinfo` converts one datetime at a time, which
would put a Python loop over every need (or commitment) back into the ranking path. Instead a
`ZoneClock` records a zone's UTC offsets and transition instants over the span in play, so
any number of instants convert with one `searchsorted`.

Building a clock asks `zoneinfo` for the offset every six hours over its span (hundreds of
calls for a few months of needs), so `clock_covering` widens a span to whole
`CLOCK_SPAN_STEP_S` steps and remembers the clocks it built: a clock that is exact over a wider
span converts every instant of the narrower one to the same wall-clock time, and requests
whose needs lie in the same months share one clock.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

import numpy as np
import numpy.typing as npt

from matcher.columns import ragged

IntArray = npt.NDArray[np.int64]

SECONDS_PER_DAY = 86_400
SECONDS_PER_MINUTE = 60
# date.toordinal() of 1970-01-01, to turn days since the epoch into comparable dates.
EPOCH_ORDINAL = date(1970, 1, 1).toordinal()
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_ONE_SECOND = timedelta(seconds=1)
# Offsets are sampled this often and bisected where they change. Real zones never change
# offset twice within six hours, so no transition can hide between two samples.
_SAMPLE_STEP_S = 6 * 3600
CLOCK_SPAN_STEP_S = 64 * SECONDS_PER_DAY
"""Spans `clock_covering` is widened to: their ends are whole multiples of this."""


def epoch_seconds(moment: datetime, *, round_up: bool = False) -> int:
    """Whole seconds since the epoch, in exact integer arithmetic (no float rounding).

    Window ends round up so that a window is never shortened by a fraction of a second.
    """
    if round_up:
        return -((_EPOCH - moment) // _ONE_SECOND)
    return (moment - _EPOCH) // _ONE_SECOND


@dataclass(frozen=True, slots=True)
class ZoneClock:
    """One zone's UTC offsets over a span of time, ready for vectorised lookups.

    `offsets_s[i]` is the offset in force before `transitions_s[i]`; the last entry is the
    offset after the final transition.
    """

    zone: str
    transitions_s: IntArray
    offsets_s: IntArray

    @classmethod
    def covering(cls, zone: str, first_s: int, last_s: int) -> ZoneClock:
        """Build a clock that is exact for every instant in [first_s, last_s]."""
        tzinfo = ZoneInfo(zone)

        def offset_at(instant_s: int) -> int:
            offset = datetime.fromtimestamp(instant_s, tzinfo).utcoffset()
            assert offset is not None  # zoneinfo always knows the offset of an instant
            return offset // _ONE_SECOND

        samples = list(range(first_s, last_s + _SAMPLE_STEP_S, _SAMPLE_STEP_S))
        offsets = [offset_at(sample) for sample in samples]
        transitions: list[int] = []
        in_force = [offsets[0]]
        for before_s, after_s, offset_before, offset_after in zip(
            samples, samples[1:], offsets, offsets[1:], strict=False
        ):
            if offset_before == offset_after:
                continue
            # Bisect to the first second with the new offset.
            low, high = before_s, after_s
            while high - low > 1:
                middle = (low + high) // 2
                if offset_at(middle) == offset_before:
                    low = middle
                else:
                    high = middle
            transitions.append(high)
            in_force.append(offset_after)
        transitions_s = np.asarray(transitions, dtype=np.int64)
        offsets_s = np.asarray(in_force, dtype=np.int64)
        # Clocks are shared (`clock_covering`): nobody may change one in place.
        transitions_s.flags.writeable = offsets_s.flags.writeable = False
        return cls(zone=zone, transitions_s=transitions_s, offsets_s=offsets_s)

    def offset_at(self, instants_s: IntArray) -> IntArray:
        """UTC offset in seconds at each instant."""
        return self.offsets_s[np.searchsorted(self.transitions_s, instants_s, side="right")]

    def local_seconds(self, instants_s: IntArray) -> IntArray:
        """Wall-clock time of each instant, as seconds since the local epoch."""
        return instants_s + self.offset_at(instants_s)

    def local_month(self, instants_s: IntArray) -> IntArray:
        """Local calendar month of each instant, as months since January 1970."""
        days = self.local_seconds(instants_s) // SECONDS_PER_DAY
        months = days.astype("datetime64[D]").astype("datetime64[M]")
        return months.astype(np.int64)


def clock_covering(zone: str, first_s: int, last_s: int) -> ZoneClock:
    """A clock exact for every instant in [first_s, last_s], shared with every other call
    whose span widens to the same whole steps (`CLOCK_SPAN_STEP_S`)."""
    return _widened_clock(
        zone,
        first_s // CLOCK_SPAN_STEP_S * CLOCK_SPAN_STEP_S,
        -(-last_s // CLOCK_SPAN_STEP_S) * CLOCK_SPAN_STEP_S,
    )


# Memoising a pure function: the same arguments always build the same clock. Bounded, since
# each entry is a zone and a few months; a long-lived worker moves on to later months.
_widened_clock = lru_cache(maxsize=512)(ZoneClock.covering)


@dataclass(frozen=True, slots=True)
class LocalSegments:
    """Windows cut into pieces of wall-clock minutes on one local day each.

    Segments of window `w` are rows `offsets[w]:offsets[w + 1]`, in time order.
    """

    window: IntArray
    ordinal: IntArray  # date.toordinal() of the local date
    weekday: IntArray  # 0 = Monday
    start_minute: IntArray
    end_minute: IntArray
    offsets: IntArray


def local_segments(clock: ZoneClock, starts_s: IntArray, ends_s: IntArray) -> LocalSegments:
    """Split windows [start, end) into the local days and wall-clock minutes they occupy.

    A window is first cut at every UTC-offset change inside it, so each piece reads the clock
    in force at the time: falling back, 00:30-01:30 UTC in London occupies 01:30-02:00 BST
    and then 01:00-01:30 GMT; springing forward, the hour the clocks skip is never asked for.
    Pieces are then cut at local midnight, so a window crossing midnight needs both days.
    """
    first_inside = np.searchsorted(clock.transitions_s, starts_s, side="right")
    # Transitions in (start, end - 1]: one landing exactly on the end changes nothing.
    inside = np.searchsorted(clock.transitions_s, ends_s - 1, side="right") - first_inside
    window_of_piece, rank, _ = ragged(inside + 1)
    transition = first_inside[window_of_piece] + rank  # the one ending this piece, if any
    last = rank == inside[window_of_piece]
    # Padded by one so the lookups np.where is about to discard stay in bounds.
    edges = np.append(clock.transitions_s, np.int64(0))
    piece_start = np.where(rank == 0, starts_s[window_of_piece], edges[transition - 1])
    piece_end = np.where(last, ends_s[window_of_piece], edges[transition])
    offset = clock.offsets_s[transition]
    local_start, local_end = piece_start + offset, piece_end + offset

    first_day = local_start // SECONDS_PER_DAY
    day_count = (local_end - 1) // SECONDS_PER_DAY - first_day + 1
    piece, day_rank, _ = ragged(day_count)
    window = window_of_piece[piece]
    day = first_day[piece] + day_rank
    midnight = day * SECONDS_PER_DAY
    start_s = np.maximum(local_start[piece], midnight) - midnight
    end_s = np.minimum(local_end[piece], midnight + SECONDS_PER_DAY) - midnight
    ordinal = day + EPOCH_ORDINAL
    offsets = np.zeros(starts_s.size + 1, dtype=np.int64)
    np.cumsum(np.bincount(window, minlength=starts_s.size), out=offsets[1:])
    return LocalSegments(
        window=window,
        ordinal=ordinal,
        # Ordinal 1 (0001-01-01) was a Monday.
        weekday=(ordinal - 1) % 7,
        start_minute=start_s // SECONDS_PER_MINUTE,
        # Round the end up: a window ending 10:00:30 needs the member free until 10:01.
        end_minute=-(-end_s // SECONDS_PER_MINUTE),
        offsets=offsets,
    )
