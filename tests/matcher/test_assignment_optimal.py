"""On random small problems the batch is exactly optimal and keeps every hard constraint."""

from hypothesis import given, settings

from matcher import AssignmentProblem, AssignmentWeights, assign, greedy_assign
from tests.matcher.assignment_factories import problems, weightings
from tests.matcher.assignment_oracle import brute_force, objective, violations


@settings(max_examples=60, deadline=None)
@given(problems(), weightings)
def test_batch_reaches_the_brute_force_optimum_and_keeps_every_hard_constraint(
    instance: AssignmentProblem, weights: AssignmentWeights
) -> None:
    result = assign(instance, weights=weights)
    assert violations(instance, result.edges) == []
    assert result.optimal and result.gap == 0.0
    assert abs(result.objective - brute_force(instance, weights)) < 1e-6
    assert abs(result.objective - objective(instance, result.edges, weights)) < 1e-9
    assert result.bound >= result.objective


@settings(max_examples=40, deadline=None)
@given(problems())
def test_greedy_keeps_every_hard_constraint(instance: AssignmentProblem) -> None:
    assert violations(instance, greedy_assign(instance).edges) == []
