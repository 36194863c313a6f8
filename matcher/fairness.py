"""How evenly service is spread: the Gini coefficient of members' loads.

0 when everyone carries the same load (or nobody carries any), approaching 1 when one member
carries it all: with ``n`` members the most uneven spread scores ``1 - 1/n``. Members with no
load count: the quiet newcomer who is never asked is exactly the unevenness to see.
"""

import numpy as np
from numpy.typing import ArrayLike


def gini(loads: ArrayLike) -> float:
    """The Gini coefficient of non-negative ``loads`` (one per member): the mean absolute
    difference between two members' loads, over twice the mean load.

    Computed from the sorted loads in O(n log n) rather than over all pairs:
    ``sum_i (2i - n - 1) x_(i) / (n * sum x)`` with ``x_(i)`` the i-th smallest, i from 1.
    """
    values = np.sort(np.asarray(loads, dtype=np.float64).ravel())
    if values.size and not (np.isfinite(values).all() and values[0] >= 0):
        raise ValueError("loads must be finite and non-negative")
    total = values.sum()
    if total == 0:
        return 0.0
    n = values.size
    ranks = np.arange(1, n + 1, dtype=np.float64)
    return float(np.dot(2 * ranks - n - 1, values) / (n * total))
