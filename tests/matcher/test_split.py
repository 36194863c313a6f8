"""The multiplication plan: each rule it keeps, how compact it is, and when it is optimal."""

from dataclasses import replace
from itertools import product

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from matcher.multiplication import SplitMember, SplitProblem, SplitRules, evaluate
from matcher.split import SplitPlan, kmeans_split, plan_split, random_split
from tests.matcher.split_factories import (
    crowd,
    mirrored_communities,
    problem_of,
    tiny_communities,
)

# Every communities' shape the plan is asked about: two groups, and three.
communities = st.one_of(
    mirrored_communities(groups=2), mirrored_communities(groups=3, min_size=8, max_size=10)
)
# The plan's travel is optimal for costs rounded to the millimetre per member and place.
ROUNDING_KM = 1e-6
planned = settings(max_examples=25, deadline=None)


def _members(problem: SplitProblem, plan: SplitPlan) -> list[list[SplitMember]]:
    return [[problem.members[index] for index in group] for group in plan.groups]


@planned
@given(communities)
def test_a_plan_keeps_every_rule_when_a_split_could(problem: SplitProblem) -> None:
    plan = plan_split(problem)
    assert plan.figures.violations == ()
    assert plan.optimal
    assert len(plan.groups) == problem.rules.groups
    assert sorted(i for group in plan.groups for i in group) == list(range(len(problem.members)))


@planned
@given(communities)
def test_every_group_has_a_leader_or_an_apprentice(problem: SplitProblem) -> None:
    for group in _members(problem, plan_split(problem)):
        assert any(m.stage == "leader" or m.apprentice for m in group)


@planned
@given(communities)
def test_households_stay_whole(problem: SplitProblem) -> None:
    group_of_household: dict[str, set[int]] = {}
    for number, group in enumerate(_members(problem, plan_split(problem))):
        for m in group:
            if m.household is not None:
                group_of_household.setdefault(m.household, set()).add(number)
    assert all(len(groups) == 1 for groups in group_of_household.values())


@planned
@given(communities)
def test_every_new_member_has_a_mature_one_beside_them(problem: SplitProblem) -> None:
    for group in _members(problem, plan_split(problem)):
        if any(m.stage == "new" for m in group):
            assert any(m.stage in ("mature", "leader") for m in group)


@planned
@given(communities)
def test_group_sizes_stay_within_bounds(problem: SplitProblem) -> None:
    sizes = [len(group) for group in plan_split(problem).groups]
    assert min(sizes) >= problem.rules.min_group_size
    assert max(sizes) - min(sizes) <= problem.rules.max_size_gap


@planned
@given(communities)
def test_each_group_can_fill_the_roles_past_needs_asked_for(problem: SplitProblem) -> None:
    k = problem.rules.groups
    available = problem.skill_matrix.sum(axis=0)
    for group in plan_split(problem).groups:
        held = problem.skill_matrix[list(group)].sum(axis=0)
        for need, have, total in zip(problem.skill_needs, held, available, strict=True):
            assert have >= min(need.count, total // k)


@planned
@given(communities, st.integers(min_value=0, max_value=1000))
def test_a_plan_is_more_compact_than_a_random_split(problem: SplitProblem, seed: int) -> None:
    plan = plan_split(problem, seed=seed).figures
    assert plan.travel_after_sum_km < random_split(problem, seed=seed).figures.travel_after_sum_km


@planned
@given(communities, st.integers(min_value=0, max_value=1000))
def test_a_plan_is_never_worse_than_k_means_when_k_means_keeps_the_rules(
    problem: SplitProblem, seed: int
) -> None:
    kmeans = kmeans_split(problem, seed=seed).figures
    if kmeans.violations:
        return
    slack = ROUNDING_KM * len(problem.members)
    assert plan_split(problem, seed=seed).figures.travel_after_sum_km <= (
        kmeans.travel_after_sum_km + slack
    )


def _brute_force(problem: SplitProblem) -> float | None:
    """The least travel over all two-group splits keeping every rule (None: none does)."""
    units = problem.units
    best = None
    # The first household in group 1 names each split once.
    for sides in product((0, 1), repeat=len(units) - 1):
        groups: list[list[int]] = [list(units[0]), []]
        for unit, side in zip(units[1:], sides, strict=True):
            groups[side].extend(unit)
        if not groups[1]:
            continue
        figures = evaluate(problem, groups)
        if not figures.violations and (best is None or figures.travel_after_sum_km < best):
            best = figures.travel_after_sum_km
    return best


@settings(max_examples=60, deadline=None)
@given(tiny_communities())
def test_a_plan_of_a_small_community_is_the_least_travel_keeping_the_rules(
    problem: SplitProblem,
) -> None:
    # Guaranteed by the exact model (up to matcher.split.EXACT_UP_TO members), not a heuristic.
    plan = plan_split(problem)
    optimum = _brute_force(problem)
    assert plan.optimal
    if optimum is None:
        assert plan.figures.violations
    else:
        assert plan.figures.violations == ()
        slack = ROUNDING_KM * len(problem.members)
        assert plan.figures.travel_after_sum_km == pytest.approx(optimum, abs=slack)


def test_one_leader_for_two_groups_still_gets_a_plan_naming_the_missing_leader() -> None:
    members = crowd(["leader", *["mature"] * 9, *["growing"] * 6])
    plan = plan_split(problem_of(members))
    leaderless = next(number for number, group in enumerate(plan.groups) if 0 not in group)
    assert [(v.rule, v.group) for v in plan.figures.violations] == [("leader", leaderless)]
    assert plan.figures.violations[0].message == (
        f"group {leaderless + 1} has no leader or apprentice"
    )
    assert min(len(group) for group in plan.groups) >= 8


def test_rules_are_given_up_least_important_first() -> None:
    # One experienced member for two groups with new members: new_with_mature must break,
    # and the leader rule (an apprentice is there) must not.
    stages = ["leader", "new", "new", "new", "growing", "new", "new", "growing"]
    members = list(crowd(stages))
    members[4] = replace(members[4], apprentice=True)
    rules = SplitRules(min_members=0, min_group_size=4)
    plan = plan_split(problem_of(members, rules))
    assert [v.rule for v in plan.figures.violations] == ["new_with_mature"]


@settings(max_examples=10, deadline=None)
@given(communities)
def test_the_alternating_method_keeps_the_rules_too(problem: SplitProblem) -> None:
    # Larger communities go to the alternating method: try it here where a witness exists.
    plan = plan_split(problem, exact_up_to=0)
    assert plan.figures.violations == ()
    assert not plan.optimal


def test_a_plan_without_time_is_still_a_split_with_households_whole() -> None:
    members = list(crowd(["leader", "mature", "new", "growing"] * 10))
    members = [replace(m, household=f"h{i // 2}") for i, m in enumerate(members)]
    problem = problem_of(members)
    plan = plan_split(problem, time_limit_s=0.0)
    assert not [v for v in plan.figures.violations if v.rule == "household"]
    assert sorted(i for group in plan.groups for i in group) == list(range(40))


@settings(max_examples=5, deadline=None)
@given(communities, st.integers(min_value=0, max_value=1000))
def test_the_same_seed_gives_the_same_plan(problem: SplitProblem, seed: int) -> None:
    assert plan_split(problem, seed=seed).groups == plan_split(problem, seed=seed).groups


@settings(max_examples=25, deadline=None)
@given(communities, st.integers(min_value=0, max_value=1000))
def test_baselines_split_every_member_into_the_groups_asked_for(
    problem: SplitProblem, seed: int
) -> None:
    for baseline in (random_split, kmeans_split):
        plan = baseline(problem, seed=seed)
        assert len(plan.groups) == problem.rules.groups
        assert sorted(i for g in plan.groups for i in g) == list(range(len(problem.members)))
    sizes = [len(group) for group in random_split(problem, seed=seed).groups]
    assert max(sizes) - min(sizes) <= 1
