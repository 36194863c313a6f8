import math

import pytest

from matcher import Weights
from matcher.weights import COMPONENTS


def test_default_weights_cover_every_component_and_sum_to_one():
    shares = Weights().normalised()
    assert set(shares) == set(COMPONENTS)
    assert math.isclose(sum(shares.values()), 1.0)


def test_only_ratios_matter():
    assert (
        Weights(
            distance=2, skill=2, availability=0, fairness=0, urgency=0, affinity=0, mentoring=0
        ).normalised()["distance"]
        == 0.5
    )


@pytest.mark.parametrize("bad", [-1.0, math.nan, math.inf])
def test_negative_or_non_finite_weight_is_refused(bad):
    with pytest.raises(ValueError):
        Weights(distance=bad)


def test_all_zero_weights_are_refused():
    with pytest.raises(ValueError):
        Weights(**dict.fromkeys(COMPONENTS, 0.0))
