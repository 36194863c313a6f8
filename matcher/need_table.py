"""Needs as columns, so one member can be matched against thousands of needs at once.

The mirror of `pool.MemberPool`: one row per need, roles flattened into their own rows with
`role_offsets` marking which belong to which need. Plain columns a database layer can fill.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt

from matcher.columns import coerce_columns, column, dtypes, names_by_rows, sort_ranks, transpose
from matcher.inputs import EXPERIENCED_STAGES, URGENCIES, NeedSpec
from matcher.local_time import epoch_seconds
from matcher.text_fit import TextFit, TextVectors

IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]
StrArray = npt.NDArray[np.str_]
ObjectArray = npt.NDArray[np.object_]


def need_text(title: str, description: str, category: str) -> str:
    """The words of a need that are compared with members' interests."""
    return f"{title}\n{description}\n{category}"


@dataclass(frozen=True, eq=False)
class NeedTable:
    """Columnar needs. M needs; R roles in total; Q distinct requirements.

    Each column's field says its dtype and what its rows are (`columns.column`): one per
    need (M,), per need and requirement (M, Q), per role (R,).

    An empty string in `community_ids` or `role_skills` means none (a pure agency request,
    a role anyone can fill).
    """

    ids: StrArray = field(metadata=column(np.str_, "need"))
    # "" for a request not owned by a community
    community_ids: StrArray = field(metadata=column(np.str_, "need"))
    is_agency_request: BoolArray = field(metadata=column(np.bool_, "need"))
    open_to_network: BoolArray = field(metadata=column(np.bool_, "need"))
    lat: FloatArray = field(metadata=column(np.float64, "need"))
    lon: FloatArray = field(metadata=column(np.float64, "need"))
    # 0 = exact; else distances shown to this step
    location_precision_km: FloatArray = field(metadata=column(np.float64, "need"))
    starts_s: IntArray = field(metadata=column(np.int64, "need"))  # epoch seconds
    ends_s: IntArray = field(metadata=column(np.int64, "need"))  # epoch seconds
    urgencies: StrArray = field(metadata=column(np.str_, "need"))  # low | normal | high | critical
    texts: ObjectArray = field(metadata=column(np.object_, "need"))  # title, description, category
    requirement_names: tuple[str, ...]  # (Q,)
    requires: BoolArray = field(metadata=column(np.bool_, "need x requirement"))  # (M, Q)
    # (M + 1,) roles of need j are rows role_offsets[j]:[j + 1]
    role_offsets: IntArray = field(metadata=column(np.int64, "need + 1"))
    role_names: ObjectArray = field(metadata=column(np.object_, "role"))  # str
    role_skills: StrArray = field(metadata=column(np.str_, "role"))  # "" for a role without a skill
    role_min_level: IntArray = field(metadata=column(np.int64, "role"))
    role_count: IntArray = field(metadata=column(np.int64, "role"))
    role_filled: IntArray = field(metadata=column(np.int64, "role"))
    # a mature member or leader already signed up
    role_has_experienced: BoolArray = field(metadata=column(np.bool_, "role"))
    text_vectors: TextVectors | None = None  # optional cache of `texts` as text-model vectors

    urgency_ranks: IntArray = field(init=False)  # (M,) 0 = low .. 3 = critical
    id_rank: IntArray = field(init=False)  # (M,) position of each id in sorted order

    def __post_init__(self) -> None:
        coerce_columns(self, TABLE_DTYPES)
        count = self.ids.shape[0]
        if any(getattr(self, name).shape != (count,) for name in TABLE_COLUMNS["need"]):
            raise ValueError("every per-need column must have one row per need")
        if self.requires.shape != (count, len(self.requirement_names)):
            raise ValueError("requires must be (needs, requirements)")
        if (
            self.role_offsets.shape != (count + 1,)
            or self.role_offsets[0] != 0
            or np.any(np.diff(self.role_offsets) < 0)
        ):
            raise ValueError("role_offsets must rise from 0 with one more entry than needs")
        roles = int(self.role_offsets[-1])
        if any(getattr(self, name).shape != (roles,) for name in TABLE_COLUMNS["role"]):
            raise ValueError("every per-role column must have one row per role")
        if np.any(self.ends_s <= self.starts_s):
            raise ValueError("every need must end after it starts")
        if not np.isin(self.urgencies, URGENCIES).all():
            raise ValueError(f"urgency must be one of {', '.join(URGENCIES)}")
        present, inverse = np.unique(self.urgencies, return_inverse=True)
        ranks = np.array([URGENCIES.index(str(urgency)) for urgency in present], dtype=np.int64)
        object.__setattr__(self, "urgency_ranks", ranks[inverse].reshape(count))
        object.__setattr__(self, "id_rank", sort_ranks(self.ids))

    def __len__(self) -> int:
        return int(self.ids.shape[0])


TABLE_DTYPES = dtypes(NeedTable)
TABLE_COLUMNS = names_by_rows(NeedTable)
"""The table's columns by what their rows are: "need", "role"…"""


def build_need_table(needs: Sequence[NeedSpec], *, text_model: TextFit | None = None) -> NeedTable:
    """Lay needs out as columns in one pass; pass a fitted `text_model` to cache vectors."""
    requirement_columns: dict[str, int] = {}
    # One tuple per need and per role, in the order of the table's "need" and "role"
    # columns: transposed in C, that beats appending to a list per column.
    scalars: list[tuple[Any, ...]] = []
    requirement_cells: list[tuple[int, int]] = []
    roles: list[tuple[str, str, int, int, int, bool]] = []
    role_offsets = [0]
    for row, need in enumerate(needs):
        scalars.append(
            (
                need.id,
                need.community_id or "",
                need.agency_id is not None,
                need.open_to_network,
                need.lat,
                need.lon,
                need.location_precision_km,
                epoch_seconds(need.starts_at),
                epoch_seconds(need.ends_at, round_up=True),
                need.urgency,
                need_text(need.title, need.description, need.category),
            )
        )
        for requirement in need.requirements:
            column = requirement_columns.setdefault(requirement, len(requirement_columns))
            requirement_cells.append((row, column))
        roles.extend(
            (
                role.name,
                role.skill or "",
                role.min_level,
                role.count,
                role.filled,
                not EXPERIENCED_STAGES.isdisjoint(role.signed_up_stages),
            )
            for role in need.roles
        )
        role_offsets.append(len(roles))

    count = len(scalars)
    requires = np.zeros((count, len(requirement_columns)), dtype=np.bool_)
    if requirement_cells:
        rows, cells = transpose(requirement_cells, 2)
        requires[rows, cells] = True
    columns = {
        name: np.array(values, dtype=TABLE_DTYPES[name])
        for kind, rows_of_kind in (("need", scalars), ("role", roles))
        for name, values in zip(
            TABLE_COLUMNS[kind],
            transpose(rows_of_kind, len(TABLE_COLUMNS[kind])),
            strict=True,
        )
    }
    # Vectorised here rather than by replacing a finished table: a replaced dataclass runs its
    # checks again, which cost as much as the vectors.
    return NeedTable(
        **columns,
        requirement_names=tuple(requirement_columns),
        requires=requires,
        role_offsets=np.array(role_offsets, dtype=np.int64),
        text_vectors=None if text_model is None else text_model.vectors(list(columns["texts"])),
    )
