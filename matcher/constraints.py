"""Hard constraints: when a member may never be matched to a role, decided for many at once.

`evaluate_constraints` decides every (member, need, role) row of a pool x table in one
vectorised pass. Ranking and `check_member_for_role` both read its result, so what a sign-up
refuses and what a ranking leaves out cannot drift apart.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from geo.distance import geodesic_km
from matcher.availability import covering_slots, on_blackout
from matcher.columns import expand
from matcher.explain import VIOLATION_CODES, unknown_role, violation_messages
from matcher.inputs import MemberProfile, NeedSpec
from matcher.local_time import SECONDS_PER_DAY, clock_covering, local_segments
from matcher.need_table import NeedTable, build_need_table
from matcher.pool import MemberPool, build_pool
from matcher.results import ConstraintViolation

IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]

# Commitments further than this from every need cannot share its local month, so the zone
# clocks only need to be exact this far around the needs.
_MONTH_MARGIN_S = 40 * SECONDS_PER_DAY
_NO_MONTH = np.iinfo(np.int64).min


@dataclass(frozen=True, slots=True)
class PairSegments:
    """Each pair's need window, cut into local days in the member's zone (CSR by pair)."""

    pair: IntArray
    weekday: IntArray
    ordinal: IntArray
    start_minute: IntArray
    end_minute: IntArray
    slot: IntArray  # covering slot in the pool's slot arrays, or -1
    on_blackout: BoolArray
    offsets: IntArray  # (P + 1,)


@dataclass(frozen=True, slots=True)
class PairCommitments:
    """Each pair's member's commitments, set against the pair's need (CSR by pair)."""

    pair: IntArray
    commitment: IntArray  # index into the pool's commitment arrays
    overlaps: BoolArray  # overlaps the need window (commitments to other needs only)
    same_need: BoolArray
    in_month: BoolArray  # starts in the need's local month, in the member's zone


@dataclass(frozen=True, slots=True)
class Feasibility:
    """Hard-constraint verdicts for pool x table.

    Pairs are (member, need) in member-major order; rows are (pair, role). `violations`
    holds one boolean row-array per code; a row is eligible when none is set.
    """

    pair_member: IntArray  # (P,)
    pair_need: IntArray  # (P,)
    distance_km: FloatArray  # (P,)
    segments: PairSegments
    commitments: PairCommitments
    month_count: IntArray  # (P,) commitments in the need's local month
    row_pair: IntArray  # (Q,)
    row_role: IntArray  # (Q,) index into the table's role arrays
    member_level: IntArray  # (Q,) member's level in the role's skill, 0 if none
    violations: dict[str, BoolArray]  # code -> (Q,)
    eligible: BoolArray  # (Q,)


def _concatenate(arrays: list[IntArray]) -> IntArray:
    # np.concatenate refuses an empty list, which an empty pool legitimately produces.
    return np.concatenate([*arrays, np.zeros(0, dtype=np.int64)])


def _any_by(owner: IntArray, flags: BoolArray, size: int) -> BoolArray:
    return np.bincount(owner[flags], minlength=size) > 0


def evaluate_constraints(pool: MemberPool, table: NeedTable) -> Feasibility:
    """Decide every hard constraint for every member x need x role."""
    members, needs = len(pool), len(table)
    pairs = members * needs
    pair_member = np.repeat(np.arange(members, dtype=np.int64), needs)
    pair_need = np.tile(np.arange(needs, dtype=np.int64), members)
    distance_km = np.asarray(
        geodesic_km(pool.lat[:, None], pool.lon[:, None], table.lat[None, :], table.lon[None, :]),
        dtype=np.float64,
    ).reshape(pairs)

    segments, need_month, commitment_month = _local_calendar(pool, table, pair_member, pair_need)
    commitments = _pair_commitments(
        pool, table, pair_member, pair_need, need_month, commitment_month
    )
    month_count = np.bincount(commitments.pair[commitments.in_month], minlength=pairs)

    held = _aligned_columns(pool.check_names, pool.has_check, table.requirement_names)
    missing_check = (table.requires[pair_need] & ~held[pair_member]).any(axis=1)
    community = table.community_ids[pair_need]
    in_network = (
        (pool.community_ids[pair_member] == community)
        | (community == "")
        | table.open_to_network[pair_need]
    )
    pair_level = {
        "inactive": ~pool.active[pair_member],
        "not_in_network": ~in_network,
        "outside_radius": distance_km > pool.max_travel_km[pair_member],
        "unavailable": _any_by(segments.pair, segments.slot < 0, pairs),
        "blackout": _any_by(segments.pair, segments.on_blackout, pairs),
        "missing_check": missing_check,
        "overlap": _any_by(commitments.pair, commitments.overlaps, pairs),
        "already_signed_up": _any_by(commitments.pair, commitments.same_need, pairs),
        "monthly_limit": month_count >= pool.max_commitments_per_month[pair_member],
    }

    role_starts = table.role_offsets[pair_need]
    row_pair, row_role, _ = expand(role_starts, table.role_offsets[pair_need + 1] - role_starts)
    member_level = _member_levels(pool, table, pair_member[row_pair], row_role)
    role_level = {
        "skill_level": (table.role_skills[row_role] != "")
        & (member_level < table.role_min_level[row_role]),
        "role_full": table.role_filled[row_role] >= table.role_count[row_role],
    }
    violations: dict[str, BoolArray] = {}
    for code in VIOLATION_CODES:
        if code in pair_level:
            violations[code] = pair_level[code][row_pair]
        elif code in role_level:
            violations[code] = role_level[code]
    eligible = ~np.logical_or.reduce(list(violations.values()))
    return Feasibility(
        pair_member=pair_member,
        pair_need=pair_need,
        distance_km=distance_km,
        segments=segments,
        commitments=commitments,
        month_count=month_count,
        row_pair=row_pair,
        row_role=row_role,
        member_level=member_level,
        violations=violations,
        eligible=eligible,
    )


def _local_calendar(
    pool: MemberPool, table: NeedTable, pair_member: IntArray, pair_need: IntArray
) -> tuple[PairSegments, IntArray, IntArray]:
    """Need windows in each member's local time, and local months of needs and commitments.

    Work is done once per distinct timezone (there are few), never once per member.
    """
    needs = len(table)
    commitment_month = np.full(pool.commitment_starts_s.size, _NO_MONTH, dtype=np.int64)
    zone_of_commitment = pool.zone_codes[pool.commitment_member]
    if needs:
        first_s = int(table.starts_s.min()) - _MONTH_MARGIN_S
        last_s = int(table.ends_s.max()) + _MONTH_MARGIN_S
    else:
        first_s = last_s = 0
    parts = []
    months = []
    for code, zone in enumerate(pool.zone_names):
        clock = clock_covering(zone, first_s, last_s)
        parts.append(local_segments(clock, table.starts_s, table.ends_s))
        months.append(clock.local_month(table.starts_s))
        in_zone = zone_of_commitment == code
        commitment_month[in_zone] = clock.local_month(pool.commitment_starts_s[in_zone])

    def joined(name: str) -> IntArray:
        return _concatenate([getattr(part, name) for part in parts])

    # Combination (zone, need) -> its run of segments in the joined arrays.
    base = np.cumsum([0] + [part.window.size for part in parts])[:-1]
    combo_start = _concatenate(
        [part.offsets[:-1] + start for part, start in zip(parts, base, strict=True)]
    )
    combo_count = _concatenate([np.diff(part.offsets) for part in parts])
    combo = pool.zone_codes[pair_member] * needs + pair_need
    seg_pair, source, offsets = expand(combo_start[combo], combo_count[combo])
    member = pair_member[seg_pair]
    weekday, ordinal = joined("weekday")[source], joined("ordinal")[source]
    start_minute, end_minute = joined("start_minute")[source], joined("end_minute")[source]
    segments = PairSegments(
        pair=seg_pair,
        weekday=weekday,
        ordinal=ordinal,
        start_minute=start_minute,
        end_minute=end_minute,
        slot=covering_slots(
            pool.slot_start_keys,
            pool.slot_end_minute,
            member=member,
            weekday=weekday,
            start_minute=start_minute,
            end_minute=end_minute,
        ),
        on_blackout=on_blackout(pool.sorted_blackout_keys, member, ordinal),
        offsets=offsets,
    )
    need_month = _concatenate(months)[combo]
    return segments, need_month, commitment_month


def _pair_commitments(
    pool: MemberPool,
    table: NeedTable,
    pair_member: IntArray,
    pair_need: IntArray,
    need_month: IntArray,
    commitment_month: IntArray,
) -> PairCommitments:
    first = pool.commitment_offsets[pair_member]
    pair, commitment, _ = expand(first, pool.commitment_offsets[pair_member + 1] - first)
    need = pair_need[pair]
    same_need = pool.commitment_need_ids[commitment] == table.ids[need]
    overlaps = (
        (pool.commitment_starts_s[commitment] < table.ends_s[need])
        & (pool.commitment_ends_s[commitment] > table.starts_s[need])
        & ~same_need
    )
    return PairCommitments(
        pair=pair,
        commitment=commitment,
        overlaps=overlaps,
        same_need=same_need,
        in_month=commitment_month[commitment] == need_month[pair],
    )


def _aligned_columns(
    names: tuple[str, ...], values: BoolArray, wanted: tuple[str, ...]
) -> BoolArray:
    """Columns of `values` reordered to `wanted`; a name nobody has is an all-False column."""
    position = {name: column for column, name in enumerate(names)}
    aligned = np.zeros((values.shape[0], len(wanted)), dtype=np.bool_)
    for column, name in enumerate(wanted):  # over the vocabulary, not over members
        if name in position:
            aligned[:, column] = values[:, position[name]]
    return aligned


def _member_levels(
    pool: MemberPool, table: NeedTable, member: IntArray, role: IntArray
) -> IntArray:
    """Each row's member's level in the row's role skill (0 when lacking or none asked)."""
    if not pool.skill_names or role.size == 0:
        return np.zeros(member.size, dtype=np.int64)
    position = {name: column for column, name in enumerate(pool.skill_names)}
    # Look up each distinct skill name once, then broadcast to rows.
    skills, inverse = np.unique(table.role_skills, return_inverse=True)
    column_of_skill = np.array([position.get(str(skill), -1) for skill in skills], dtype=np.int64)
    column = column_of_skill[inverse.reshape(-1)][role]
    levels = pool.skill_levels[member, np.maximum(column, 0)]
    return np.where(column >= 0, levels, 0).astype(np.int64)


def check_member_for_role(
    member: MemberProfile, need: NeedSpec, role_name: str
) -> list[ConstraintViolation]:
    """Every reason `member` may not take `role_name` on `need`; empty means they may.

    Runs the same vectorised evaluation as ranking (on a pool of one), so a sign-up is
    refused exactly when ranking would have left the member out. No hard constraint reads
    the clock (whether a need has started is the caller's check), so none is passed.
    """
    role_names = [role.name for role in need.roles]
    if role_name not in role_names:
        return [unknown_role(role_name)]
    pool, table = build_pool([member]), build_need_table([need])
    feasibility = evaluate_constraints(pool, table)
    return violation_messages(feasibility, pool, table, row=role_names.index(role_name))
