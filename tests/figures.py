"""Figures a test run measures (answers scanned, fuzz cases), summed over xdist workers.

Tests add to ``FIGURES``; ``tests/conftest.py`` ships each worker's counts to the controller
and prints the totals at the end of the run, so the figures quoted in notes come from CI.
"""

from collections import Counter

FIGURES: Counter[str] = Counter()
