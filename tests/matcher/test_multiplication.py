"""Readiness to multiply and the evaluation of a split: each rule as a coordinator reads it."""

from collections.abc import Sequence
from dataclasses import replace

import numpy as np
import pytest
from hypothesis import given, settings

from geo.distance import geodesic_km
from matcher.multiplication import (
    SkillNeed,
    SplitMember,
    SplitProblem,
    SplitRules,
    Violation,
    evaluate,
    readiness,
)
from tests.matcher.split_factories import (
    CENTRE_LAT,
    CENTRE_LON,
    HERE,
    crowd,
    member,
    mirrored_communities,
    problem_of,
)


def _check(members: Sequence[SplitMember], rules: SplitRules, rule: str) -> tuple[bool, str]:
    found = readiness(members, rules)
    check = next(check for check in found.checks if check.rule == rule)
    return check.holds, check.message


def test_fifteen_active_members_are_not_ready_and_the_shortfall_is_named() -> None:
    members = crowd(["leader", "leader", *["growing"] * 13])
    found = readiness(members, SplitRules())
    assert not found.ready
    holds, message = _check(members, SplitRules(), "members")
    assert not holds
    assert message == "15 active members (16 needed): needs one more active member"


def test_sixteen_with_a_leader_and_an_apprentice_are_ready() -> None:
    members = crowd(["leader", *["growing"] * 15])
    members = (members[0], replace(members[1], apprentice=True), *members[2:])
    found = readiness(members, SplitRules())
    assert found.ready
    assert all(check.holds for check in found.checks)
    assert [check.rule for check in found.checks] == ["members", "leaders", "group_size"]


def test_sixteen_with_one_leader_only_need_one_more_leader_or_apprentice() -> None:
    members = crowd(["leader", *["mature"] * 15])
    assert not readiness(members, SplitRules()).ready
    holds, message = _check(members, SplitRules(), "leaders")
    assert not holds
    assert message.endswith("needs one more leader or apprentice")


def test_apprentices_without_a_leader_need_a_leader() -> None:
    members = tuple(member(index, "mature", apprentice=True) for index in range(16))
    holds, message = _check(members, SplitRules(), "leaders")
    assert not holds
    assert message.endswith("needs a leader")


def test_three_groups_need_twenty_four_members_and_three_leaders_or_apprentices() -> None:
    rules = SplitRules(groups=3)
    too_few = crowd(["leader", "leader", "leader", *["growing"] * 20])
    assert not readiness(too_few, rules).ready
    assert _check(too_few, rules, "members")[1].startswith("23 active members (24 needed)")
    two_leading = crowd(["leader", "leader", *["growing"] * 22])
    holds, message = _check(two_leading, rules, "leaders")
    assert not holds
    assert message.endswith("needs one more leader or apprentice")
    enough = crowd(["leader", "leader", *["growing"] * 22])
    enough = (*enough[:2], replace(enough[2], apprentice=True), *enough[3:])
    assert readiness(enough, rules).ready


def test_groups_too_small_for_the_rules_are_not_ready() -> None:
    rules = SplitRules(min_members=16, min_group_size=9)
    members = crowd(["leader", "leader", *["growing"] * 15])
    holds, message = _check(members, rules, "group_size")
    assert not holds
    assert message == "the smallest of 2 groups would have 8 members (9 needed)"


def _hand_made() -> tuple[SplitProblem, list[list[int]]]:
    """Group 1 keeps every rule; group 2 breaks each group rule, and a household is split."""
    stages = ["leader", "mature", "mature", "new", "growing", "new", "growing", "growing"]
    members = list(crowd(stages))
    members[0] = replace(members[0], skills={"cooking": 2})
    members[1] = replace(members[1], skills={"cooking": 3}, household="easton")
    members[6] = replace(members[6], household="easton")
    rules = SplitRules(min_members=0, min_group_size=4, max_size_gap=2)
    problem = problem_of(members, rules, needs=[SkillNeed("cooking", 2, 1)])
    return problem, [[0, 1, 2, 3, 4], [5, 6, 7]]


def test_evaluate_reports_each_broken_rule_with_its_group() -> None:
    problem, groups = _hand_made()
    found = evaluate(problem, groups).violations
    assert [(v.rule, v.group) for v in found] == [
        ("size", 1),
        ("household", None),
        ("leader", 1),
        ("new_with_mature", 1),
        ("mature_spread", 1),
        ("skills", 1),
    ]
    messages = {v.rule: v.message for v in found}
    assert messages["size"] == "group 2 has 3 members (4 needed)"
    assert (
        messages["household"]
        == "household easton is split across groups 1 and 2 (m1 in 1, m6 in 2)"
    )
    assert messages["leader"] == "group 2 has no leader or apprentice"
    assert (
        messages["new_with_mature"] == "group 2 has new members (m5) but no mature member or leader"
    )
    assert messages["skills"].startswith("group 2 cannot fill 1 cooking (level 2)")


def test_size_gap_is_a_violation_of_the_whole_split() -> None:
    members = crowd(["leader", "mature", "growing", "growing", "leader", "mature", "growing"])
    rules = SplitRules(min_members=0, min_group_size=2, max_size_gap=0)
    found = evaluate(problem_of(members, rules), [[0, 1, 2, 3], [4, 5, 6]])
    assert found.size_gap == 1
    assert found.violations == (
        Violation(
            "size", None, "the largest group has 1 more members than the smallest (at most 0)"
        ),
    )


def test_a_moved_member_is_judged_again() -> None:
    members = crowd(["leader", "mature", "new", "leader", "mature", "new"])
    rules = SplitRules(min_members=0, min_group_size=2, max_size_gap=2)
    problem = problem_of(members, rules)
    assert evaluate(problem, [[0, 1, 2], [3, 4, 5]]).violations == ()
    moved = evaluate(problem, [[0, 1, 2, 3], [4, 5]])
    assert [(v.rule, v.group) for v in moved.violations] == [("leader", 1)]


@pytest.mark.parametrize(
    "groups",
    [[[0, 1], [2]], [[0, 1, 2], [3], [1]], [[0, 1, 2, 3], []], [[0, 1, 2, 3], [4]]],
    ids=["missing", "twice", "empty", "unknown"],
)
def test_a_split_that_is_not_a_partition_is_refused(groups: list[list[int]]) -> None:
    problem = problem_of(crowd(["leader", "mature", "growing", "new"]))
    with pytest.raises(ValueError):
        evaluate(problem, groups)


def test_each_group_meets_where_its_members_travel_least() -> None:
    # Three homes on a line, 1 km apart, and a current point far away: the middle home wins.
    members = [
        member(index, "leader" if index == 0 else "growing", lon=CENTRE_LON + 0.0144 * index)
        for index in range(3)
    ]
    problem = problem_of(members, SplitRules(min_members=0, min_group_size=1))
    far = replace(problem, meeting_point=replace(HERE, lat=CENTRE_LAT + 0.5))
    figures = evaluate(far, [[0, 1, 2]])
    (group,) = figures.groups
    assert group.meeting_place.member_id == "m1"
    assert group.travel_sum_km == pytest.approx(2 * float(far.distances_km[0, 1]))
    assert figures.travel_before_sum_km == pytest.approx(float(far.distances_km[:, 3].sum()))
    # Everyone at the current point: the current point wins, named by no member.
    at_point = replace(
        problem, meeting_point=replace(HERE, lat=CENTRE_LAT, lon=CENTRE_LON + 0.0144)
    )
    near = evaluate(at_point, [[0, 2], [1]])
    assert near.groups[0].meeting_place.member_id in ("m0", "m2", None)
    assert near.groups[1].meeting_place.member_id == "m1"


def test_distance_matrix_is_homes_to_homes_then_the_current_point() -> None:
    members = [member(index, lat=CENTRE_LAT + 0.01 * index) for index in range(4)]
    problem = problem_of(members)
    lats = [CENTRE_LAT + 0.01 * index for index in range(4)] + [HERE.lat]
    lons = [CENTRE_LON] * 4 + [HERE.lon]
    expected = geodesic_km(
        np.array(lats[:4])[:, None], np.array(lons[:4])[:, None], np.array(lats), np.array(lons)
    )
    assert problem.distances_km.shape == (4, 5)
    np.testing.assert_allclose(problem.distances_km, expected)


@settings(max_examples=30, deadline=None)
@given(mirrored_communities())
def test_figures_add_up(problem: SplitProblem) -> None:
    n = len(problem.members)
    figures = evaluate(problem, [list(range(0, n, 2)), list(range(1, n, 2))])
    assert sum(group.size for group in figures.groups) == n
    for group in figures.groups:
        stages = group.leaders + group.mature + group.growing + group.new
        assert stages == group.size == len(group.member_ids)
    assert figures.travel_after_sum_km == pytest.approx(
        sum(group.travel_sum_km for group in figures.groups)
    )
    # Meeting at its best place, no group travels more than it would to the current point.
    for group in figures.groups:
        ids = set(group.member_ids)
        indices = [i for i, m in enumerate(problem.members) if m.id in ids]
        current = float(problem.distances_km[indices, n].sum())
        assert group.travel_sum_km <= current + 1e-9
