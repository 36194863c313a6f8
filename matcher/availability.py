"""Weekly availability and blackout dates: is a member free for a need, and how freely.

Slots are kept merged and sorted by (member, day, start), so at most one slot can cover any
window piece and a single `searchsorted` over composite keys finds it for every
member/segment row at once.
"""

from __future__ import annotations

from collections.abc import Iterable
from itertools import pairwise

import numpy as np
import numpy.typing as npt

from matcher.columns import ragged
from matcher.inputs import MINUTES_PER_DAY, WeeklyWindow

IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]

MINUTES_PER_WEEK = 7 * MINUTES_PER_DAY
# Blackout keys pack (member, date ordinal) into one int64; ordinals stay below 2**20
# until the year 2871.
BLACKOUT_ORDINAL_LIMIT = 1 << 20


def merge_slots(slots: Iterable[WeeklyWindow]) -> list[tuple[int, int, int]]:
    """Sorted (day, start, end) with overlapping or touching slots joined.

    Merging is what lets one slot stand for "free 9:00-13:00" when the member entered
    9-11 and 11-13; without it a window across 11:00 would look uncovered.
    """
    merged: list[tuple[int, int, int]] = []
    for slot in sorted(slots, key=lambda s: (s.day, s.start_minute)):
        if merged and merged[-1][0] == slot.day and slot.start_minute <= merged[-1][2]:
            day, start, end = merged[-1]
            merged[-1] = (day, start, max(end, slot.end_minute))
        else:
            merged.append((slot.day, slot.start_minute, slot.end_minute))
    return merged


def slot_keys(member: IntArray, day: IntArray, minute: IntArray) -> IntArray:
    """Composite sort key of a (member, weekday, minute) position in the week."""
    return member * MINUTES_PER_WEEK + day * MINUTES_PER_DAY + minute


def covering_slots(
    slot_start_keys: IntArray,
    slot_end_minute: IntArray,
    *,
    member: IntArray,
    weekday: IntArray,
    start_minute: IntArray,
    end_minute: IntArray,
) -> IntArray:
    """Index of the slot covering each (member, weekday, start, end) row, or -1 if none.

    `slot_start_keys` must be sorted; the candidate is the last slot starting at or before
    the row's start, which covers it when it is the same member and day and ends late enough.
    """
    keys = slot_keys(member, weekday, start_minute)
    if slot_start_keys.size == 0:
        return np.full(keys.shape, -1, dtype=np.int64)
    index = np.searchsorted(slot_start_keys, keys, side="right") - 1
    safe = np.maximum(index, 0)
    found_start_keys = slot_start_keys[safe]
    # Keys minus their minute identify (member, day), since a week is whole days.
    same_member_and_day = (
        found_start_keys - found_start_keys % MINUTES_PER_DAY == keys - start_minute
    )
    covered = (index >= 0) & same_member_and_day & (slot_end_minute[safe] >= end_minute)
    return np.where(covered, index, -1)


def slack_minutes(
    *,
    start_minute: IntArray,
    first_slot: IntArray,
    end_minute: IntArray,
    last_slot: IntArray,
    slot_start_minute: IntArray,
    slot_end_minute: IntArray,
) -> IntArray:
    """Free minutes before a window's start and after its end, within the covering slots.

    0 where either end is uncovered (slot -1); such rows are infeasible anyway.
    """
    # One padding entry, which slot index -1 reads, keeps uncovered rows in bounds.
    slot_starts = np.append(slot_start_minute, 0)
    slot_ends = np.append(slot_end_minute, 0)
    slack = (start_minute - slot_starts[first_slot]) + (slot_ends[last_slot] - end_minute)
    return np.where((first_slot >= 0) & (last_slot >= 0), slack, 0).astype(np.int64)


def blackout_keys(member: IntArray, ordinal: IntArray) -> IntArray:
    """Composite sort key of a (member, local date) pair."""
    return member * BLACKOUT_ORDINAL_LIMIT + ordinal


def on_blackout(sorted_blackout_keys: IntArray, member: IntArray, ordinal: IntArray) -> BoolArray:
    """Whether each (member, local date) row is one of that member's blackout dates."""
    keys = blackout_keys(member, ordinal)
    if sorted_blackout_keys.size == 0:
        return np.zeros(keys.shape, dtype=np.bool_)
    index = np.minimum(np.searchsorted(sorted_blackout_keys, keys), sorted_blackout_keys.size - 1)
    return np.asarray(sorted_blackout_keys[index] == keys)


HALF_HOUR_MINUTES = 30
HALF_HOURS_PER_DAY = MINUTES_PER_DAY // HALF_HOUR_MINUTES
HALF_HOURS_PER_WEEK = 7 * HALF_HOURS_PER_DAY
_BITMAP_CHUNK = 1 << 16  # members laid out at once: a (chunk, week) grid of booleans


def free_half_hours(
    members: int, slot_member: IntArray, slot_day: IntArray, start: IntArray, end: IntArray
) -> npt.NDArray[np.uint8]:
    """Which half-hours of the week each member has any free time in, packed 8 to a byte.

    (members, 42) bytes: a summary that a million members can keep in memory, enough to tell
    at a glance who cannot be free when a need starts. `slot_member` must be sorted.
    """
    first = slot_day * HALF_HOURS_PER_DAY + start // HALF_HOUR_MINUTES
    last = slot_day * HALF_HOURS_PER_DAY + (end - 1) // HALF_HOUR_MINUTES
    packed = np.zeros((members, HALF_HOURS_PER_WEEK // 8), dtype=np.uint8)
    bounds = np.searchsorted(slot_member, np.arange(0, members + _BITMAP_CHUNK, _BITMAP_CHUNK))
    for chunk, (low, high) in enumerate(pairwise(bounds)):
        offset = chunk * _BITMAP_CHUNK
        owner, rank, _ = ragged(last[low:high] - first[low:high] + 1)
        grid = np.zeros((min(_BITMAP_CHUNK, members - offset), HALF_HOURS_PER_WEEK), np.bool_)
        grid[slot_member[low:high][owner] - offset, first[low:high][owner] + rank] = True
        packed[offset : offset + grid.shape[0]] = np.packbits(grid, axis=1)
    return packed


def free_in_half_hour(packed: npt.NDArray[np.uint8], half_hour: IntArray) -> BoolArray:
    """Whether each member (a row of `free_half_hours`) has free time in their half-hour."""
    byte = packed[np.arange(half_hour.size), half_hour // 8]
    return np.asarray((byte >> (7 - half_hour % 8)) & 1, dtype=np.bool_)
