"""Multiplying a missional community: is it ready to split, and how good is a given split.

A community that has grown large and healthy multiplies into two (or more) daughter groups.
This module holds the data the service fills from its rows, the readiness rules
(`readiness`), and `evaluate`, which scores any split — the engine's plan, a baseline, or a
coordinator's edit of either — by the same figures and the same rules. Making a plan is
`matcher.split`'s job; keeping the scoring here means a coordinator's moved member is judged
exactly as the engine judges itself.

Groups are numbered from 0 in `Violation.group` (an index into the split) and from 1 in the
messages, which a coordinator reads.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property

import numpy as np
import numpy.typing as npt

from geo.distance import geodesic_km
from matcher.inputs import EXPERIENCED_STAGES, MAX_SKILL_LEVEL, STAGES, Stage

FloatMatrix = npt.NDArray[np.float64]

# Readiness rule codes, in the order a coordinator reads them.
READINESS_RULES = ("members", "leaders", "group_size")
# Split rule codes, most important first: `plan_split` gives up the later ones first.
SPLIT_RULES = ("size", "household", "leader", "new_with_mature", "mature_spread", "skills")
_NUMBER_WORDS = ("no", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine")


@dataclass(frozen=True)
class SplitMember:
    """An active member as the split sees them: home, stage, household and skills."""

    id: str
    lat: float  # home
    lon: float
    stage: Stage
    apprentice: bool  # marked apprentice of a leader: counts as a leader-to-be
    household: str | None  # members sharing a household id must stay in one group
    skills: Mapping[str, int] = field(default_factory=dict)  # skill -> level 1..3

    def __post_init__(self) -> None:
        if self.stage not in STAGES:
            raise ValueError(f"stage must be one of {', '.join(STAGES)}")
        for skill, level in self.skills.items():
            if not 1 <= level <= MAX_SKILL_LEVEL:
                raise ValueError(f"skill {skill!r}: level must be 1..{MAX_SKILL_LEVEL}")

    @property
    def leads(self) -> bool:
        """A leader or an apprentice: someone who can lead a daughter group."""
        return self.stage == "leader" or self.apprentice

    @property
    def experienced(self) -> bool:
        """Mature or leader: someone a new member can walk with."""
        return self.stage in EXPERIENCED_STAGES


@dataclass(frozen=True)
class SkillNeed:
    """A role the community's past needs asked for: `count` places of `skill` at `min_level`."""

    skill: str
    min_level: int
    count: int  # most places of that skill/level one past need asked for

    def __post_init__(self) -> None:
        if not 1 <= self.min_level <= MAX_SKILL_LEVEL:
            raise ValueError(f"min_level must be 1..{MAX_SKILL_LEVEL}")
        if self.count < 1:
            raise ValueError("count must be >= 1")


@dataclass(frozen=True)
class SplitRules:
    """The thresholds of readiness and of a good split (the issue's defaults)."""

    groups: int = 2
    min_members: int = 16  # active members for readiness (also: groups * min_group_size)
    min_leaders: int = 2  # leaders + apprentices, at least one of them a leader
    min_group_size: int = 8
    max_size_gap: int = 2  # largest group minus smallest at most this (households may need it)

    def __post_init__(self) -> None:
        if self.groups < 2:
            raise ValueError("groups must be >= 2: a split makes at least two groups")
        if self.min_group_size < 1 or self.min_members < 0 or self.min_leaders < 0:
            raise ValueError("min_group_size must be >= 1, the other minimums >= 0")
        if self.max_size_gap < 0:
            raise ValueError("max_size_gap must be >= 0")

    @property
    def members_needed(self) -> int:
        """Active members needed: the threshold, and enough for every group's minimum."""
        return max(self.min_members, self.groups * self.min_group_size)

    @property
    def leaders_needed(self) -> int:
        """Leaders and apprentices needed: the threshold, and one for every group."""
        return max(self.min_leaders, self.groups)


@dataclass(frozen=True)
class MeetingPlace:
    """Where a group meets: a member's home, or the community's current meeting point."""

    lat: float
    lon: float
    member_id: str | None  # a member's home, or None for the community's current meeting point


@dataclass(frozen=True)
class Check:
    """One readiness rule: whether it holds, in words a coordinator reads."""

    rule: str  # one of READINESS_RULES
    holds: bool
    message: str


@dataclass(frozen=True)
class Readiness:
    """Ready when every check holds; the checks say what holds and what is missing."""

    ready: bool
    checks: tuple[Check, ...]


def readiness(members: Sequence[SplitMember], rules: SplitRules) -> Readiness:
    """Whether the active `members` are enough, and led enough, to split by `rules`."""
    count = len(members)
    checks = (
        _members_check(count, rules),
        _leaders_check(members, rules),
        _group_size_check(count, rules),
    )
    return Readiness(all(check.holds for check in checks), checks)


def _members_check(count: int, rules: SplitRules) -> Check:
    needed = rules.members_needed
    message = f"{count} active members ({needed} needed)"
    if count < needed:
        message += f": needs {_more(needed - count, 'active member')}"
    return Check("members", count >= needed, message)


def _leaders_check(members: Sequence[SplitMember], rules: SplitRules) -> Check:
    leaders = sum(member.stage == "leader" for member in members)
    leading = sum(member.leads for member in members)
    needed = rules.leaders_needed
    message = f"{leaders} {_plural(leaders, 'leader')} and {leading - leaders} " + _plural(
        leading - leaders, "apprentice"
    )
    missing = []
    if leaders == 0:
        missing.append("a leader")
    short = needed - leading - (leaders == 0)
    if short > 0:
        missing.append(_more(short, "leader or apprentice"))
    if missing:
        message += ": needs " + " and ".join(missing)
    else:
        message += f" ({needed} needed, one of them a leader)"
    return Check("leaders", not missing, message)


def _group_size_check(count: int, rules: SplitRules) -> Check:
    smallest = count // rules.groups
    message = (
        f"the smallest of {rules.groups} groups would have {smallest} "
        f"{_plural(smallest, 'member')} ({rules.min_group_size} needed)"
    )
    return Check("group_size", smallest >= rules.min_group_size, message)


def _more(count: int, noun: str) -> str:
    word = _NUMBER_WORDS[count] if count < len(_NUMBER_WORDS) else str(count)
    return f"{word} more {_plural(count, noun)}"


def _plural(count: int, noun: str) -> str:
    return noun if count == 1 else noun + "s"


@dataclass(frozen=True)
class SplitProblem:
    """The active members to split, where they meet now, what roles they fill, and the rules."""

    members: tuple[SplitMember, ...]
    meeting_point: MeetingPlace  # the community's current one (member_id None)
    skill_needs: tuple[SkillNeed, ...]
    rules: SplitRules

    def __post_init__(self) -> None:
        if len({member.id for member in self.members}) != len(self.members):
            raise ValueError("member ids must be unique")
        if self.meeting_point.member_id is not None:
            raise ValueError("the current meeting point is nobody's home (member_id None)")

    @cached_property
    def distances_km(self) -> FloatMatrix:
        """Home -> candidate place, n x (n + 1): every home, then the current meeting point.

        One broadcast geodesic call; built once and shared by the plan, the baselines and
        every re-evaluation of the same problem."""
        lat = np.array([member.lat for member in self.members], dtype=np.float64)
        lon = np.array([member.lon for member in self.members], dtype=np.float64)
        place_lat = np.r_[lat, self.meeting_point.lat]
        place_lon = np.r_[lon, self.meeting_point.lon]
        return geodesic_km(lat[:, None], lon[:, None], place_lat[None, :], place_lon[None, :])

    @cached_property
    def units(self) -> tuple[tuple[int, ...], ...]:
        """Households (and members without one) as indices: the pieces a split moves whole."""
        by_household: dict[str, list[int]] = defaultdict(list)
        units: list[list[int]] = []
        for index, member in enumerate(self.members):
            if member.household is None:
                units.append([index])
                continue
            if member.household not in by_household:
                units.append(by_household[member.household])
            by_household[member.household].append(index)
        return tuple(tuple(unit) for unit in units)

    @cached_property
    def skill_matrix(self) -> npt.NDArray[np.bool_]:
        """members x skill needs: whether the member has the need's skill at its level."""
        return np.array(
            [
                [member.skills.get(need.skill, 0) >= need.min_level for need in self.skill_needs]
                for member in self.members
            ],
            dtype=np.bool_,
        ).reshape(len(self.members), len(self.skill_needs))

    def skill_required(self, groups: int) -> npt.NDArray[np.int64]:
        """Per skill need, the holders each of `groups` groups needs: the count asked for,
        capped at an even share of those who have it (0 for needs nobody has)."""
        available = self.skill_matrix.sum(axis=0)
        counts = np.array([need.count for need in self.skill_needs], dtype=np.int64)
        return np.asarray(np.minimum(counts, available // groups), dtype=np.int64)

    def mature_required(self, groups: int) -> int:
        """Mature members and leaders each group needs (rule ``mature_spread``).

        An even share, give or take one, so the solver keeps room for geography: with ``e``
        experienced members, ``e // groups - 1``, but at least one when there are enough to
        give every group one."""
        share = sum(member.experienced for member in self.members) // groups
        return share - 1 if share >= 2 else share


@dataclass(frozen=True)
class Violation:
    """A split rule a split breaks, for one group or (``group`` None) the split as a whole."""

    rule: str  # one of SPLIT_RULES
    group: int | None
    message: str


@dataclass(frozen=True)
class GroupFigures:
    """One group of a split: who, how experienced, where it meets, how far everyone travels."""

    member_ids: tuple[str, ...]
    size: int
    leaders: int
    apprentices: int
    mature: int
    growing: int
    new: int
    meeting_place: MeetingPlace  # the candidate minimising the group's total travel
    travel_sum_km: float  # members' homes -> that meeting place
    travel_median_km: float


@dataclass(frozen=True)
class SplitFigures:
    """A split's groups, travel before and after, and the rules it breaks."""

    groups: tuple[GroupFigures, ...]
    travel_before_sum_km: float  # every member -> current meeting point
    travel_before_median_km: float
    travel_after_sum_km: float  # each member -> own group's place
    travel_after_median_km: float
    size_gap: int  # largest group minus smallest
    violations: tuple[Violation, ...]


def evaluate(problem: SplitProblem, groups: Sequence[Sequence[int]]) -> SplitFigures:
    """The figures and broken rules of `groups` (member indices into ``problem.members``).

    Each group meets at the candidate — one of its members' homes or the current meeting
    point — with the least total travel for its members. Rules that depend on the number
    of groups (mature spread, skills) use this split's, so a coordinator's extra group is
    judged as such. Raises ValueError unless `groups` is a partition of the members into
    non-empty groups."""
    parts = [np.asarray(group, dtype=np.int64) for group in groups]
    _require_partition(parts, len(problem.members))
    distances = problem.distances_km
    current = len(problem.members)
    before = distances[:, current]
    travel_after = np.empty(len(problem.members))
    figures = []
    for part in parts:
        place, travel = best_place(distances, part)
        travel_after[part] = travel
        figures.append(_group_figures(problem, part, place, travel))
    sizes = [len(part) for part in parts]
    return SplitFigures(
        groups=tuple(figures),
        travel_before_sum_km=float(before.sum()),
        travel_before_median_km=float(np.median(before)),
        travel_after_sum_km=float(travel_after.sum()),
        travel_after_median_km=float(np.median(travel_after)),
        size_gap=max(sizes) - min(sizes),
        violations=violations(problem, parts),
    )


def best_place(distances: FloatMatrix, part: npt.NDArray[np.int64]) -> tuple[int, FloatMatrix]:
    """The candidate column (a member of `part`'s home, or the current point, the last
    column) with the least total travel from `part`'s homes, and each member's travel to it.

    Ties go to the earlier candidate, so the answer does not depend on the solver's order."""
    candidates = np.r_[np.sort(part), distances.shape[1] - 1]
    totals = distances[np.ix_(part, candidates)].sum(axis=0)
    place = int(candidates[int(np.argmin(totals))])
    return place, distances[part, place]


def _require_partition(parts: list[npt.NDArray[np.int64]], count: int) -> None:
    if any(len(part) == 0 for part in parts):
        raise ValueError("every group needs at least one member")
    indices = np.concatenate(parts) if parts else np.empty(0, dtype=np.int64)
    if len(indices) != count or not np.array_equal(np.sort(indices), np.arange(count)):
        raise ValueError("groups must hold every member exactly once")


def _group_figures(
    problem: SplitProblem, part: npt.NDArray[np.int64], place: int, travel: FloatMatrix
) -> GroupFigures:
    members = [problem.members[index] for index in part]
    stages = [member.stage for member in members]
    home = place < len(problem.members)
    meeting = (
        MeetingPlace(
            problem.members[place].lat, problem.members[place].lon, problem.members[place].id
        )
        if home
        else problem.meeting_point
    )
    return GroupFigures(
        member_ids=tuple(member.id for member in members),
        size=len(members),
        leaders=stages.count("leader"),
        apprentices=sum(member.apprentice and member.stage != "leader" for member in members),
        mature=stages.count("mature"),
        growing=stages.count("growing"),
        new=stages.count("new"),
        meeting_place=meeting,
        travel_sum_km=float(travel.sum()),
        travel_median_km=float(np.median(travel)),
    )


def violations(
    problem: SplitProblem, parts: Sequence[npt.NDArray[np.int64]]
) -> tuple[Violation, ...]:
    """Every rule the split `parts` breaks, in `SPLIT_RULES` order, then by group."""
    members, rules, k = problem.members, problem.rules, len(parts)
    found: list[Violation] = []
    sizes = [len(part) for part in parts]
    for group, size in enumerate(sizes):
        if size < rules.min_group_size:
            found.append(
                Violation(
                    "size",
                    group,
                    f"group {group + 1} has {size} {_plural(size, 'member')}"
                    f" ({rules.min_group_size} needed)",
                )
            )
    if max(sizes) - min(sizes) > rules.max_size_gap:
        found.append(
            Violation(
                "size",
                None,
                f"the largest group has {max(sizes) - min(sizes)} more members than the smallest"
                f" (at most {rules.max_size_gap})",
            )
        )
    found += _household_violations(problem, parts)
    experienced_needed = problem.mature_required(k)
    skill_needed = problem.skill_required(k)
    for group, part in enumerate(parts):
        here = [members[index] for index in part]
        name = f"group {group + 1}"
        if not any(member.leads for member in here):
            found.append(Violation("leader", group, f"{name} has no leader or apprentice"))
        experienced = sum(member.experienced for member in here)
        new = [member.id for member in here if member.stage == "new"]
        if new and experienced == 0:
            found.append(
                Violation(
                    "new_with_mature",
                    group,
                    f"{name} has new members ({', '.join(new)}) but no mature member or leader",
                )
            )
        if experienced < experienced_needed:
            found.append(
                Violation(
                    "mature_spread",
                    group,
                    f"{name} has {experienced} mature members or leaders"
                    f" ({experienced_needed} needed for an even spread)",
                )
            )
        holders = problem.skill_matrix[part].sum(axis=0)
        for need, needed, held in zip(problem.skill_needs, skill_needed, holders, strict=True):
            if held < needed:
                found.append(
                    Violation(
                        "skills",
                        group,
                        f"{name} cannot fill {needed} {need.skill} (level {need.min_level}),"
                        f" asked for by past needs: {held} {_plural(int(held), 'member')}"
                        " can",
                    )
                )
    order = {rule: position for position, rule in enumerate(SPLIT_RULES)}
    return tuple(sorted(found, key=lambda violation: order[violation.rule]))


def _household_violations(
    problem: SplitProblem, parts: Sequence[npt.NDArray[np.int64]]
) -> list[Violation]:
    group_of = np.empty(len(problem.members), dtype=np.int64)
    for group, part in enumerate(parts):
        group_of[part] = group
    found = []
    for unit in problem.units:
        groups = sorted({int(group_of[index]) for index in unit})
        if len(groups) > 1:
            household = problem.members[unit[0]].household
            where = ", ".join(
                f"{problem.members[index].id} in {group_of[index] + 1}" for index in unit
            )
            numbers = " and ".join(str(group + 1) for group in groups)
            found.append(
                Violation(
                    "household",
                    None,
                    f"household {household} is split across groups {numbers} ({where})",
                )
            )
    return found
