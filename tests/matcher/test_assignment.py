"""The batch assignment, read as a specification on small hand-made problems."""

import numpy as np
import pytest

from matcher import AssignmentWeights, assign, gini, greedy_assign
from matcher.assignment_model import build_model
from matcher.assignment_solvers import solve_flow, solve_ilp
from tests.matcher.assignment_factories import problem
from tests.matcher.assignment_oracle import violations

NEW, GROWING, MATURE = 0, 1, 2


def weekend(members: int = 3) -> dict:
    """Four needs at different times, one place each; member 0 is everybody's best fit."""
    return dict(
        needs=[(0, 2), (3, 5), (6, 8), (9, 11)],
        slots=[(n, 1) for n in range(4)],
        stages=[GROWING] * members,
        edges=[(m, s, 0.9 - 0.05 * m) for m in range(members) for s in range(4)],
    )


def test_fairness_spreads_places_that_greedy_gives_to_the_best_person() -> None:
    instance = problem(**weekend())
    batch, greedy = assign(instance), greedy_assign(instance)
    batch_places = np.bincount(instance.edge_member[batch.edges], minlength=3)
    greedy_places = np.bincount(instance.edge_member[greedy.edges], minlength=3)
    assert greedy_places.tolist() == [4, 0, 0]
    assert batch_places.max() <= 2 and len(batch.edges) == 4
    assert gini(batch_places) < gini(greedy_places)
    assert batch.optimal and batch.objective > greedy.objective


def test_new_member_serves_only_beside_a_mentor_and_the_pair_is_reported() -> None:
    instance = problem(
        needs=[(0, 2)],
        slots=[(0, 1), (0, 1)],
        stages=[NEW, MATURE, GROWING],
        edges=[(0, 0, 1.0), (1, 1, 0.1), (2, 1, 0.9)],
    )
    result = assign(instance)
    assert violations(instance, result.edges) == []
    assert sorted(instance.edge_member[result.edges].tolist()) == [0, 1]
    assert result.pairs.tolist() == [[0, 0, 1]]


def test_new_member_beside_a_mentor_already_there_is_paired_with_nobody_new() -> None:
    instance = problem(
        needs=[(0, 2)],
        slots=[(0, 1)],
        stages=[NEW, MATURE],
        has_mentor=[True],
        edges=[(0, 0, 1.0), (1, 0, 0.5)],
    )
    assert assign(instance).pairs.tolist() == [[0, 0, -1]]


def test_apart_household_never_serves_at_overlapping_times() -> None:
    instance = problem(
        needs=[(0, 2), (1, 3)],
        slots=[(0, 1), (1, 1)],
        stages=[GROWING, GROWING],
        edges=[(0, 0, 1.0), (1, 1, 1.0)],
        apart=[(0, 1)],
    )
    result = assign(instance)
    assert len(result.edges) == 1 and result.unfilled.tolist().count(1) == 1


def test_together_household_is_placed_on_the_same_need() -> None:
    instance = problem(
        needs=[(0, 2), (1, 3)],
        slots=[(0, 2), (1, 2)],
        stages=[GROWING] * 4,
        edges=[
            (0, 0, 0.9),
            (1, 1, 0.9),
            (0, 1, 0.85),
            (1, 0, 0.85),
            (2, 0, 0.7),
            (3, 1, 0.7),
            (2, 1, 0.65),
        ],
        together=[(0, 1)],
    )
    apart = assign(instance, weights=AssignmentWeights(together_bonus=0))
    together = assign(instance)
    for result, same in ((apart, False), (together, True)):
        members = instance.edge_member[result.edges]
        needs = instance.edge_need[result.edges]
        assert (set(needs[members == 0]) == set(needs[members == 1])) is same


def test_monthly_room_is_respected() -> None:
    instance = problem(**weekend(members=1), room=2)
    assert len(assign(instance, weights=AssignmentWeights(load_step=0)).edges) == 2


def test_unfilled_places_are_counted_per_slot() -> None:
    instance = problem(
        needs=[(0, 2)],
        slots=[(0, 3), (0, 1)],
        stages=[GROWING, GROWING],
        edges=[(0, 0, 0.5), (1, 0, 0.5)],
    )
    assert assign(instance).unfilled.tolist() == [1, 1]


@pytest.mark.parametrize(
    ("change", "field"),
    [
        (dict(needs=[(2, 1)]), "need_ends_s"),
        (dict(slots=[(0, -1)]), "slot_open"),
        (dict(edges=[(5, 0, 0.5)]), "edge_member"),
        (dict(edges=[(0, 0, float("nan"))]), "edge_score"),
        (dict(edges=[(0, 0, 0.5), (0, 0, 0.4)]), "edge_member/edge_slot"),
        (dict(apart=[(0, 0)]), "apart_pairs"),
        (dict(stages=[7]), "member_stage"),
    ],
)
def test_bad_input_is_refused_naming_the_field(change: dict, field: str) -> None:
    base = dict(needs=[(0, 2)], slots=[(0, 1)], stages=[GROWING], edges=[(0, 0, 0.5)])
    with pytest.raises(ValueError, match=field):
        problem(**{**base, **change})


def test_components_solved_apart_give_the_same_answer_as_one_program() -> None:
    instance = problem(
        needs=[(0, 2), (1, 3), (0, 2)],
        slots=[(0, 1), (1, 1), (2, 2)],
        stages=[NEW, MATURE, GROWING, GROWING, NEW],
        edges=[(0, 0, 0.9), (1, 0, 0.3), (1, 1, 0.8), (2, 1, 0.7), (3, 2, 0.6), (4, 2, 0.6)],
        apart=[(3, 4)],
    )
    model = build_model(instance, AssignmentWeights())
    assert model.components > 1
    one, _ = solve_ilp(model, np.ones(model.components, dtype=bool), 10.0)
    assert one is not None
    assert assign(instance).objective == pytest.approx(one.value)


def test_flow_and_ilp_agree_on_a_bipartite_problem() -> None:
    instance = problem(**weekend(members=4), room=3)
    weights = AssignmentWeights()
    model = build_model(instance, weights)
    assert model.flow_component.all()
    flow = solve_flow(instance, weights, model, np.arange(model.n_x))
    ilp, _ = solve_ilp(model, np.ones(model.components, dtype=bool), 10.0)
    assert ilp is not None and flow.value == pytest.approx(ilp.value)


def test_a_tiny_time_budget_still_gives_a_feasible_answer_with_an_honest_bound() -> None:
    instance = problem(
        needs=[(0, 2), (1, 3)],
        slots=[(0, 2), (1, 2)],
        stages=[NEW, MATURE, GROWING, NEW],
        edges=[(m, s, 0.5 + 0.1 * m) for m in range(4) for s in range(2)],
        apart=[(2, 3)],
    )
    result = assign(instance, time_budget_s=1e-6)
    assert violations(instance, result.edges) == []
    assert result.gap >= 0 and result.bound >= result.objective


def test_gini_is_zero_when_even_and_for_nothing() -> None:
    assert gini([]) == 0.0 and gini([0, 0]) == 0.0 and gini([2, 2, 2]) == 0.0
    assert gini([0, 0, 0, 4]) == pytest.approx(0.75)


def test_new_member_stays_out_when_the_only_mentor_is_busy_elsewhere() -> None:
    instance = problem(
        needs=[(1, 3), (2, 4)],
        slots=[(0, 1), (1, 1)],
        stages=[MATURE, NEW],
        edges=[(0, 0, 0.9), (0, 1, 0.0), (1, 1, 0.5)],
    )
    result = assign(instance)
    assert violations(instance, result.edges) == []
    assert instance.edge_member[result.edges].tolist() == [0]


def _scarce_member(*, covered: bool = False) -> dict:
    """Member 0 fits need 0 well and need 1 poorly, and has room for one place; member 1
    fits need 0 too, and nobody else can take need 1."""
    return dict(
        needs=[(0, 2), (3, 5)],
        slots=[(0, 2), (1, 1)],
        stages=[GROWING, GROWING],
        edges=[(0, 0, 0.9), (1, 0, 0.9), (0, 1, 0.1)],
        room=1,
        covered=[False, covered],
    )


@pytest.mark.parametrize("large_path", [False, True])
def test_first_place_bonus_sends_a_scarce_member_to_the_need_nobody_else_covers(
    large_path: bool,
) -> None:
    options = {"exact_up_to": 0} if large_path else {}
    instance = problem(**_scarce_member())
    plain = assign(instance, weights=AssignmentWeights(first_place_bonus=0), **options)
    bonus = assign(instance, weights=AssignmentWeights(first_place_bonus=1), **options)
    assert set(instance.edge_need[plain.edges]) == {0}
    assert set(instance.edge_need[bonus.edges]) == {0, 1}
    assert bonus.objective == pytest.approx(0.9 + 1 + 0.1 + 1 + 2 * 1)


def test_a_need_someone_already_covers_earns_no_first_place_bonus() -> None:
    instance = problem(**_scarce_member(covered=True))
    result = assign(instance, weights=AssignmentWeights(first_place_bonus=1))
    assert set(instance.edge_need[result.edges]) == {0}


def test_flow_pays_the_first_place_bonus_once_per_need() -> None:
    instance = problem(
        needs=[(0, 2)],
        slots=[(0, 2), (0, 1)],
        stages=[GROWING] * 3,
        edges=[(m, s, 0.5) for m in range(3) for s in range(2)],
    )
    weights = AssignmentWeights(first_place_bonus=1, load_step=0, recency=0)
    model = build_model(instance, weights)
    assert model.flow_component.all()
    flow = solve_flow(instance, weights, model, np.arange(model.n_x))
    assert flow.value == pytest.approx(3 * 1.5 + 1)
