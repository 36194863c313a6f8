"""Small helpers shared by the columnar pool and need table."""

from __future__ import annotations

from typing import Any

import numpy as np
import numpy.typing as npt


def coerce_columns(record: object, dtypes: dict[str, npt.DTypeLike]) -> None:
    """Convert a frozen dataclass's columns in place, so callers may pass lists or arrays."""
    for name, dtype in dtypes.items():
        object.__setattr__(record, name, np.asarray(getattr(record, name), dtype=dtype))


def sort_ranks(values: npt.NDArray[Any]) -> npt.NDArray[np.int64]:
    """Position of each value in ascending order; integer tie-breaks beat comparing strings."""
    order = np.argsort(values, kind="stable")
    ranks = np.empty(order.size, dtype=np.int64)
    ranks[order] = np.arange(order.size)
    return ranks


def transpose(rows: list[tuple[Any, ...]], width: int) -> list[tuple[Any, ...]]:
    """Rows to columns in C, keeping the per-record work to one pass of appends."""
    return list(zip(*rows, strict=True)) if rows else [()] * width
