"""The Gini coefficient: its definition, its bounds, and what it does not depend on."""

from random import Random

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from matcher.fairness import gini

loads = st.lists(st.integers(min_value=0, max_value=60), min_size=1, max_size=40)


def _pairwise(values: list[int]) -> float:
    """The textbook definition: mean absolute difference over all ordered pairs / 2 mean."""
    array = np.asarray(values, dtype=np.float64)
    if array.sum() == 0:
        return 0.0
    differences = np.abs(array[:, None] - array[None, :]).sum()
    return float(differences / (2 * array.size**2 * array.mean()))


def test_gini_of_a_known_distribution() -> None:
    assert gini([0, 0, 0, 4]) == pytest.approx(0.75)  # one carries all: 1 - 1/n
    assert gini([1, 1, 1, 1]) == 0.0
    assert gini([1, 2, 3, 4]) == pytest.approx(0.25)
    assert gini([]) == 0.0
    assert gini([0, 0]) == 0.0


@given(loads)
def test_gini_equals_the_pairwise_definition(values: list[int]) -> None:
    assert gini(values) == pytest.approx(_pairwise(values), abs=1e-12)


@given(loads)
def test_gini_lies_between_zero_and_one_minus_one_over_n(values: list[int]) -> None:
    assert 0.0 <= gini(values) <= 1 - 1 / len(values) + 1e-12


@given(loads, st.randoms(use_true_random=False), st.integers(min_value=1, max_value=9))
def test_gini_ignores_order_and_scale(values: list[int], random: Random, factor: int) -> None:
    shuffled = list(values)
    random.shuffle(shuffled)
    assert gini(shuffled) == pytest.approx(gini(values), abs=1e-12)
    assert gini([factor * value for value in values]) == pytest.approx(gini(values), abs=1e-12)


@pytest.mark.parametrize("bad", [[-1, 2], [float("nan"), 1.0], [float("inf")]])
def test_gini_refuses_negative_or_non_finite_loads(bad: list[float]) -> None:
    with pytest.raises(ValueError, match="non-negative"):
        gini(bad)
