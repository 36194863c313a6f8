"""On random small problems the batch is exactly optimal and keeps every hard constraint."""

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from matcher import AssignmentProblem, AssignmentWeights, assign, greedy_assign
from tests.matcher.assignment_factories import problem
from tests.matcher.assignment_oracle import brute_force, objective, violations

WINDOWS = [(0, 2), (1, 3), (2, 4), (5, 6), (0, 6)]


@st.composite
def problems(draw: st.DrawFn) -> AssignmentProblem:
    needs = draw(st.lists(st.sampled_from(WINDOWS), min_size=1, max_size=3))
    slots = [
        (n, draw(st.integers(0, 2)))
        for n in range(len(needs))
        for _ in range(draw(st.integers(1, 2)))
    ]
    stages = draw(st.lists(st.integers(0, 3), min_size=2, max_size=5))
    members = len(stages)
    pairs = [(m, s) for m in range(members) for s in range(len(slots))]
    chosen = draw(st.lists(st.sampled_from(pairs), max_size=10, unique=True))
    scores = st.floats(0, 1, allow_nan=False).map(lambda x: round(x, 3))
    months = draw(st.lists(st.integers(0, 1), min_size=len(needs), max_size=len(needs)))
    rooms = draw(
        st.lists(
            st.lists(st.integers(0, 2), min_size=2, max_size=2), min_size=members, max_size=members
        )
    )
    households = draw(st.lists(st.sampled_from([(0, 1), (1, 2), (2, 3)]), max_size=2, unique=True))
    together = [p for p in households if p[1] < members and draw(st.booleans())]
    apart = [p for p in households if p[1] < members and p not in together]
    return problem(
        needs=needs,
        slots=slots,
        stages=stages,
        edges=[(m, s, draw(scores)) for m, s in chosen],
        room=rooms,
        months=months,
        has_mentor=draw(st.lists(st.booleans(), min_size=len(needs), max_size=len(needs))),
        load=draw(st.lists(st.integers(0, 3), min_size=members, max_size=members)),
        idle_days=draw(
            st.lists(st.sampled_from([np.inf, 0.0, 12.0, 90.0]), min_size=members, max_size=members)
        ),
        together=together,
        apart=apart,
    )


weightings = st.builds(
    AssignmentWeights,
    fill_bonus=st.sampled_from([0.0, 1.0]),
    load_step=st.sampled_from([0.0, 0.15, 0.6]),
    recency=st.sampled_from([0.0, 0.1]),
    together_bonus=st.sampled_from([0.0, 0.3]),
)


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
