"""Small helpers for columnar data shared by the pool, the need table and the evaluation."""

from __future__ import annotations

import dataclasses
from typing import Any

import numpy as np
import numpy.typing as npt

IntArray = npt.NDArray[np.int64]


def column(dtype: npt.DTypeLike, rows: str) -> dict[str, Any]:
    """Field metadata of a numpy column: its dtype, and what one of its rows stands for.

    Written on the field (``ids: StrArray = field(metadata=column(np.str_, "member"))``) so
    a columnar dataclass lists its columns once; `dtypes` and `names_by_rows` read them back.
    """
    return {"dtype": dtype, "rows": rows}


def dtypes(table: type) -> dict[str, npt.DTypeLike]:
    """Every column of a columnar dataclass (see `column`) and its dtype, in field order."""
    return {
        item.name: item.metadata["dtype"]
        for item in dataclasses.fields(table)
        if "dtype" in item.metadata
    }


def names_by_rows(table: type) -> dict[str, tuple[str, ...]]:
    """The columns of a columnar dataclass grouped by what their rows are, in field order."""
    grouped: dict[str, list[str]] = {}
    for item in dataclasses.fields(table):
        if "rows" in item.metadata:
            grouped.setdefault(item.metadata["rows"], []).append(item.name)
    return {rows: tuple(names) for rows, names in grouped.items()}


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


def ragged(counts: npt.NDArray[np.int64]) -> tuple[IntArray, IntArray, IntArray]:
    """Items of owners that have `counts[i]` each: (owner of each item, rank within its
    owner, offsets), where owner i's items are rows offsets[i]:offsets[i + 1].

    This is how variable-length parts (roles, slots, day pieces) are enumerated for many
    owners at once without a Python loop over the owners.
    """
    offsets = np.zeros(counts.size + 1, dtype=np.int64)
    np.cumsum(counts, out=offsets[1:])
    owner = np.repeat(np.arange(counts.size, dtype=np.int64), counts)
    return owner, np.arange(int(offsets[-1]), dtype=np.int64) - offsets[owner], offsets


def expand(starts: IntArray, counts: IntArray) -> tuple[IntArray, IntArray, IntArray]:
    """For owner i, the source rows starts[i] .. starts[i] + counts[i] - 1.

    Returns (owner of each item, source row of each item, offsets by owner).
    """
    owner, rank, offsets = ragged(counts)
    return owner, starts[owner] + rank, offsets
