"""Relax and repair, the path of components too large for the exact solvers, forced on small
and mid-size instances (`exact_up_to=0`) where its answers can be checked."""

import numpy as np
import pytest
from hypothesis import given, settings

from matcher import AssignmentProblem, AssignmentWeights, assign, greedy_assign
from scripts.bench.batch import SCARCE, city
from tests.matcher.assignment_factories import problems, weightings
from tests.matcher.assignment_oracle import brute_force, objective, violations

LARGE_PATH = dict(exact_up_to=0, time_budget_s=60.0)


@pytest.fixture(scope="module")
def town() -> AssignmentProblem:
    """A synthetic town whose candidate graph percolates, as a city's does."""
    return city(400, 4_000, seed=3)


@pytest.fixture(scope="module")
def scarce_town() -> AssignmentProblem:
    """The same town short of volunteers: greedy strands places."""
    return city(400, 4_000, seed=3, shape=SCARCE)


def test_town_on_the_large_path_is_feasible_bounded_and_beats_greedy(
    town: AssignmentProblem,
) -> None:
    result = assign(town, **LARGE_PATH)
    greedy = greedy_assign(town)
    assert violations(town, result.edges) == []
    assert result.bound >= result.objective
    assert result.objective >= greedy.objective
    assert result.objective == pytest.approx(objective(town, result.edges, AssignmentWeights()))
    assert result.gap == pytest.approx(
        (result.bound - result.objective) / max(1.0, abs(result.objective))
    )


@pytest.mark.parametrize("budget_s", [1e-4, 0.02, 0.2, 60.0])
@pytest.mark.parametrize("shape", ["plentiful", "scarce"])
def test_whatever_the_budget_the_large_path_fills_no_fewer_places_than_greedy(
    town: AssignmentProblem, scarce_town: AssignmentProblem, shape: str, budget_s: float
) -> None:
    instance = town if shape == "plentiful" else scarce_town
    result = assign(instance, exact_up_to=0, time_budget_s=budget_s)
    greedy = greedy_assign(instance)
    assert violations(instance, result.edges) == []
    assert len(result.edges) >= len(greedy.edges)
    assert result.objective >= greedy.objective
    assert result.bound >= result.objective


def test_town_on_the_large_path_gives_the_same_answer_twice(town: AssignmentProblem) -> None:
    first, second = assign(town, **LARGE_PATH), assign(town, **LARGE_PATH)
    assert np.array_equal(first.edges, second.edges) and first.bound == second.bound


@settings(max_examples=40, deadline=None)
@given(problems(), weightings)
def test_large_path_bound_is_at_least_the_brute_force_optimum_and_the_answer_feasible(
    instance: AssignmentProblem, weights: AssignmentWeights
) -> None:
    result = assign(instance, weights=weights, **LARGE_PATH)
    best = brute_force(instance, weights)
    assert violations(instance, result.edges) == []
    assert result.bound >= best - 1e-6
    assert result.objective <= best + 1e-6
    assert result.objective >= greedy_assign(instance, weights=weights).objective - 1e-9
    assert result.optimal == (result.gap <= 1e-9)
