"""Members as columns: the form the vectorised constraints and scores work on.

Ranking 100k members cannot afford a Python loop per member, so members are laid out as
numpy arrays, one row per member, with the variable-length parts (weekly slots, blackout
dates, commitments) flattened into their own row-per-item arrays keyed by member index.
Every column is plain data (strings, numbers, epoch seconds) so a database layer can fill
`MemberPool` straight from query results; `build_pool` is the in-memory route from profiles.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np
import numpy.typing as npt
from scipy.sparse import vstack

from matcher.availability import (
    BLACKOUT_ORDINAL_LIMIT,
    blackout_keys,
    merge_slots,
    slot_keys,
)
from matcher.columns import coerce_columns, column, dtypes, expand, names_by_rows, sort_ranks
from matcher.inputs import EXPERIENCED_STAGES, MINUTES_PER_DAY, STAGES, MemberProfile
from matcher.local_time import epoch_seconds
from matcher.text_fit import TextFit, TextVectors

IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]
StrArray = npt.NDArray[np.str_]
ObjectArray = npt.NDArray[np.object_]


@dataclass(frozen=True, eq=False)
class MemberPool:
    """Columnar members. N members; S skills; C checks; K slots; B blackouts; J commitments.

    Each column's field says its dtype and what its rows are (`columns.column`): one per
    member (N,), per member and skill (N, S), per slot (K,), and so on.

    Invariants (checked on construction): slots are merged within a day and sorted by
    (member, day, start); blackouts sorted by (member, date) without repeats; commitments
    grouped by member in ascending member order.
    """

    ids: StrArray = field(metadata=column(np.str_, "member"))
    names: ObjectArray = field(metadata=column(np.object_, "member"))  # str
    community_ids: StrArray = field(metadata=column(np.str_, "member"))
    lat: FloatArray = field(metadata=column(np.float64, "member"))
    lon: FloatArray = field(metadata=column(np.float64, "member"))
    max_travel_km: FloatArray = field(metadata=column(np.float64, "member"))
    # IANA zone of the member's community
    timezones: StrArray = field(metadata=column(np.str_, "member"))
    stages: StrArray = field(metadata=column(np.str_, "member"))  # new | growing | mature | leader
    active: BoolArray = field(metadata=column(np.bool_, "member"))
    max_commitments_per_month: IntArray = field(metadata=column(np.int64, "member"))
    services_last_90_days: IntArray = field(metadata=column(np.int64, "member"))
    # epoch seconds; NaN means never served
    last_served_s: FloatArray = field(metadata=column(np.float64, "member"))
    interests: ObjectArray = field(metadata=column(np.object_, "member"))  # str
    skill_names: tuple[str, ...]  # (S,)
    # (N, S); 0 where the member lacks the skill
    skill_levels: IntArray = field(metadata=column(np.int64, "member x skill"))
    check_names: tuple[str, ...]  # (C,)
    has_check: BoolArray = field(metadata=column(np.bool_, "member x check"))
    slot_member: IntArray = field(metadata=column(np.int64, "slot"))
    slot_day: IntArray = field(metadata=column(np.int64, "slot"))  # 0 = Monday
    slot_start_minute: IntArray = field(metadata=column(np.int64, "slot"))
    slot_end_minute: IntArray = field(metadata=column(np.int64, "slot"))
    blackout_member: IntArray = field(metadata=column(np.int64, "blackout"))
    # date.toordinal() of the local date
    blackout_ordinal: IntArray = field(metadata=column(np.int64, "blackout"))
    commitment_member: IntArray = field(metadata=column(np.int64, "commitment"))
    commitment_need_ids: StrArray = field(metadata=column(np.str_, "commitment"))
    commitment_starts_s: IntArray = field(metadata=column(np.int64, "commitment"))  # epoch s
    commitment_ends_s: IntArray = field(metadata=column(np.int64, "commitment"))  # epoch s
    # Optional cache of the interests as text-model vectors, so ranking a large pool does
    # not re-vectorise every member's interests on each call.
    interest_vectors: TextVectors | None = None

    # Derived on construction.
    zone_names: tuple[str, ...] = field(init=False)
    zone_codes: IntArray = field(init=False)  # (N,) index into zone_names
    is_experienced: BoolArray = field(init=False)  # (N,) mature or leader
    id_rank: IntArray = field(init=False)  # (N,) position of each id in sorted order
    slot_start_keys: IntArray = field(init=False)  # (K,) sorted
    sorted_blackout_keys: IntArray = field(init=False)  # (B,)
    commitment_offsets: IntArray = field(init=False)  # (N + 1,) commitments of member i

    def __post_init__(self) -> None:
        coerce_columns(self, POOL_DTYPES)
        count = self.ids.shape[0]
        self._check_shapes(count)

        zone_names, zone_codes = np.unique(self.timezones, return_inverse=True)
        for zone in zone_names:
            ZoneInfo(str(zone))  # fail on construction, not mid-ranking, for a bad zone
        if not np.isin(self.stages, STAGES).all():
            raise ValueError(f"stages must be among {', '.join(STAGES)}")

        if np.any(
            (self.slot_day < 0)
            | (self.slot_day > 6)
            | (self.slot_start_minute < 0)
            | (self.slot_start_minute >= self.slot_end_minute)
            | (self.slot_end_minute > MINUTES_PER_DAY)
        ):
            raise ValueError("slots need day 0..6 and 0 <= start < end <= 1440")
        keys = slot_keys(self.slot_member, self.slot_day, self.slot_start_minute)
        same_day = np.diff(keys // MINUTES_PER_DAY) == 0
        if np.any(np.diff(keys) <= 0) or np.any(
            same_day & (self.slot_start_minute[1:] <= self.slot_end_minute[:-1])
        ):
            raise ValueError("slots must be merged and sorted by (member, day, start)")
        if np.any((self.blackout_ordinal <= 0) | (self.blackout_ordinal >= BLACKOUT_ORDINAL_LIMIT)):
            raise ValueError("blackout ordinal out of range")
        blackout_sorted = blackout_keys(self.blackout_member, self.blackout_ordinal)
        if np.any(np.diff(blackout_sorted) <= 0):
            raise ValueError("blackouts must be sorted by (member, date) without repeats")
        if np.any(np.diff(self.commitment_member) < 0):
            raise ValueError("commitments must be grouped by member in ascending order")

        derived: dict[str, object] = {
            "zone_names": tuple(str(zone) for zone in zone_names),
            "zone_codes": zone_codes.astype(np.int64).reshape(count),
            "is_experienced": np.isin(self.stages, sorted(EXPERIENCED_STAGES)),
            "id_rank": sort_ranks(self.ids),
            "slot_start_keys": keys,
            "sorted_blackout_keys": blackout_sorted,
            "commitment_offsets": np.searchsorted(
                self.commitment_member, np.arange(count + 1), side="left"
            ).astype(np.int64),
        }
        for name, value in derived.items():
            object.__setattr__(self, name, value)

    def _check_shapes(self, count: int) -> None:
        if any(getattr(self, name).shape != (count,) for name in POOL_COLUMNS["member"]):
            raise ValueError("every per-member column must have one row per member")
        if self.skill_levels.shape != (count, len(self.skill_names)):
            raise ValueError("skill_levels must be (members, skills)")
        if self.has_check.shape != (count, len(self.check_names)):
            raise ValueError("has_check must be (members, checks)")
        for rows in ITEM_ROWS:
            group = POOL_COLUMNS[rows]
            sizes = {getattr(self, name).shape for name in group}
            if len(sizes) != 1 or len(next(iter(sizes))) != 1:
                raise ValueError(f"{', '.join(group)} must be 1-d and equally long")
            owner = getattr(self, f"{rows}_member")
            if np.any((owner < 0) | (owner >= count)):
                raise ValueError(f"{rows}_member must index members")

    def __len__(self) -> int:
        return int(self.ids.shape[0])

    def take(self, rows: IntArray) -> MemberPool:
        """The members at pool indices `rows`, in that order, with their slots, blackouts,
        commitments and interest vectors.

        Costs what is taken, not the pool's size (each member's items are found by binary
        search), so a large resident pool can be ranked a slice at a time.
        """
        rows = np.asarray(rows, dtype=np.int64)
        taken: dict[str, Any] = {name: getattr(self, name)[rows] for name in POOL_COLUMNS["member"]}
        for kind in ITEM_ROWS:
            owner = getattr(self, f"{kind}_member")
            starts = np.searchsorted(owner, rows, side="left").astype(np.int64)
            counts = np.searchsorted(owner, rows, side="right") - starts
            new_owner, source, _ = expand(starts, counts)
            for name in POOL_COLUMNS[kind]:
                taken[name] = new_owner if name == f"{kind}_member" else getattr(self, name)[source]
        vectors = self.interest_vectors
        return MemberPool(
            **taken,
            skill_names=self.skill_names,
            skill_levels=self.skill_levels[rows],
            check_names=self.check_names,
            has_check=self.has_check[rows],
            interest_vectors=None
            if vectors is None
            else TextVectors(rows=vectors.rows[rows], fitting=vectors.fitting),
        )

    def with_interest_vectors(self, text_model: TextFit) -> MemberPool:
        """The same pool with interests vectorised once by a fitted `text_model`."""
        vectors = text_model.vectors(list(self.interests))
        return dataclasses.replace(self, interest_vectors=vectors)


POOL_DTYPES = dtypes(MemberPool)
POOL_COLUMNS = names_by_rows(MemberPool)
"""The pool's columns by what their rows are: "member", "slot", "blackout", "commitment"…"""
ITEM_ROWS = ("slot", "blackout", "commitment")
"""The variable-length parts: rows of each point at their member through ``<rows>_member``."""


def build_pool(
    members: Sequence[MemberProfile], *, text_model: TextFit | None = None
) -> MemberPool:
    """Lay profiles out as columns in one pass; pass a fitted `text_model` to cache vectors."""
    # Scalars go straight into per-column lists: row tuples would be garbage-collector
    # tracked and, at 100k members, the collector's passes cost more than the copying.
    column_names = [
        *(name for rows in ("member", *ITEM_ROWS) for name in POOL_COLUMNS[rows]),
        *("skill_row", "skill_column", "skill_level", "check_row", "check_column"),
    ]
    columns: dict[str, list[Any]] = {name: [] for name in column_names}
    add = {name: column.append for name, column in columns.items()}
    skill_columns: dict[str, int] = {}
    check_columns: dict[str, int] = {}

    for row, member in enumerate(members):
        add["ids"](member.id)
        add["names"](member.name)
        add["community_ids"](member.community_id)
        add["lat"](member.lat)
        add["lon"](member.lon)
        add["max_travel_km"](member.max_travel_km)
        add["timezones"](member.timezone)
        add["stages"](member.stage)
        add["active"](member.active)
        add["max_commitments_per_month"](member.max_commitments_per_month)
        add["services_last_90_days"](member.services_last_90_days)
        served = member.last_served_at
        add["last_served_s"](np.nan if served is None else epoch_seconds(served))
        add["interests"](member.interests)
        for skill, level in member.skills.items():
            add["skill_row"](row)
            add["skill_column"](skill_columns.setdefault(skill, len(skill_columns)))
            add["skill_level"](level)
        for check in member.checks:
            add["check_row"](row)
            add["check_column"](check_columns.setdefault(check, len(check_columns)))
        for day, start, end in merge_slots(member.availability):
            add["slot_member"](row)
            add["slot_day"](day)
            add["slot_start_minute"](start)
            add["slot_end_minute"](end)
        for blackout in sorted(member.blackout_dates):
            add["blackout_member"](row)
            add["blackout_ordinal"](blackout.toordinal())
        for commitment in member.commitments:
            add["commitment_member"](row)
            add["commitment_need_ids"](commitment.need_id)
            add["commitment_starts_s"](epoch_seconds(commitment.starts_at))
            add["commitment_ends_s"](epoch_seconds(commitment.ends_at, round_up=True))

    count = len(columns["ids"])
    skill_levels = np.zeros((count, len(skill_columns)), dtype=np.int64)
    skill_levels[columns.pop("skill_row"), columns.pop("skill_column")] = columns.pop("skill_level")
    has_check = np.zeros((count, len(check_columns)), dtype=np.bool_)
    has_check[columns.pop("check_row"), columns.pop("check_column")] = True
    pool = MemberPool(
        **{name: np.asarray(values, dtype=POOL_DTYPES[name]) for name, values in columns.items()},
        skill_names=tuple(skill_columns),
        skill_levels=skill_levels,
        check_names=tuple(check_columns),
        has_check=has_check,
        interest_vectors=None,
    )
    return pool if text_model is None else pool.with_interest_vectors(text_model)


def concat_pools(pools: Sequence[MemberPool]) -> MemberPool:
    """One pool of several, members in order: how a large pool is built a slice at a time,
    so no more than a slice's profiles are ever alive at once.

    Skills and checks are aligned by name; interest vectors are kept when every part has
    them from the same fitting.
    """
    if not pools:
        raise ValueError("concatenate at least one pool")
    skill_names = tuple(dict.fromkeys(name for pool in pools for name in pool.skill_names))
    check_names = tuple(dict.fromkeys(name for pool in pools for name in pool.check_names))
    counts = np.array([len(pool) for pool in pools], dtype=np.int64)
    first_member = np.concatenate([[0], np.cumsum(counts)[:-1]]).astype(np.int64)
    joined: dict[str, Any] = {
        name: np.concatenate([getattr(pool, name) for pool in pools])
        for name in POOL_COLUMNS["member"]
    }
    for kind in ITEM_ROWS:
        for name in POOL_COLUMNS[kind]:
            parts = [getattr(pool, name) for pool in pools]
            if name == f"{kind}_member":
                parts = [part + first for part, first in zip(parts, first_member, strict=True)]
            joined[name] = np.concatenate(parts)
    skill_levels = np.zeros((int(counts.sum()), len(skill_names)), dtype=np.int64)
    has_check = np.zeros((int(counts.sum()), len(check_names)), dtype=np.bool_)
    for pool, first, count in zip(pools, first_member, counts, strict=True):
        rows = slice(int(first), int(first + count))
        for index, name in enumerate(pool.skill_names):
            skill_levels[rows, skill_names.index(name)] = pool.skill_levels[:, index]
        for index, name in enumerate(pool.check_names):
            has_check[rows, check_names.index(name)] = pool.has_check[:, index]
    vectors = [pool.interest_vectors for pool in pools]
    fittings = {id(v.fitting) if v is not None else None for v in vectors}
    interest_vectors = None
    if len(fittings) == 1 and vectors[0] is not None:  # all vectorised, by one fitting
        stacked = vstack([v.rows for v in vectors if v is not None], format="csr")
        interest_vectors = TextVectors(rows=stacked, fitting=vectors[0].fitting)
    return MemberPool(
        **joined,
        skill_names=skill_names,
        skill_levels=skill_levels,
        check_names=check_names,
        has_check=has_check,
        interest_vectors=interest_vectors,
    )
