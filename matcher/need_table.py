"""Needs as columns, so one member can be matched against thousands of needs at once.

The mirror of `pool.MemberPool`: one row per need, roles flattened into their own rows with
`role_offsets` marking which belong to which need. Plain columns a database layer can fill.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt

from matcher.columns import coerce_columns, sort_ranks, transpose
from matcher.local_time import epoch_seconds
from matcher.records import EXPERIENCED_STAGES, URGENCIES, NeedSpec
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

    An empty string in `community_ids` or `role_skills` means none (a pure agency request,
    a role anyone can fill).
    """

    ids: StrArray  # (M,)
    community_ids: StrArray  # (M,) "" for a request not owned by a community
    is_agency_request: BoolArray  # (M,)
    open_to_network: BoolArray  # (M,)
    lat: FloatArray  # (M,)
    lon: FloatArray  # (M,)
    location_precision_km: FloatArray  # (M,) 0 = exact; else distances shown to this step
    starts_s: IntArray  # (M,) epoch seconds
    ends_s: IntArray  # (M,) epoch seconds
    urgencies: StrArray  # (M,) low | normal | high | critical
    texts: ObjectArray  # (M,) title, description and category
    requirement_names: tuple[str, ...]  # (Q,)
    requires: BoolArray  # (M, Q)
    role_offsets: IntArray  # (M + 1,) roles of need j are rows role_offsets[j]:[j + 1]
    role_names: ObjectArray  # (R,) str
    role_skills: StrArray  # (R,) "" for a role without a skill
    role_min_level: IntArray  # (R,)
    role_count: IntArray  # (R,)
    role_filled: IntArray  # (R,)
    role_has_experienced: BoolArray  # (R,) a mature member or leader already signed up
    text_vectors: TextVectors | None = None  # optional cache of `texts` as text-model vectors

    urgency_ranks: IntArray = field(init=False)  # (M,) 0 = low .. 3 = critical
    id_rank: IntArray = field(init=False)  # (M,) position of each id in sorted order

    def __post_init__(self) -> None:
        coerce_columns(
            self,
            {
                "ids": np.str_,
                "community_ids": np.str_,
                "is_agency_request": np.bool_,
                "open_to_network": np.bool_,
                "lat": np.float64,
                "lon": np.float64,
                "location_precision_km": np.float64,
                "starts_s": np.int64,
                "ends_s": np.int64,
                "urgencies": np.str_,
                "texts": np.object_,
                "requires": np.bool_,
                "role_offsets": np.int64,
                "role_names": np.object_,
                "role_skills": np.str_,
                "role_min_level": np.int64,
                "role_count": np.int64,
                "role_filled": np.int64,
                "role_has_experienced": np.bool_,
            },
        )
        count = self.ids.shape[0]
        per_need = [
            "community_ids",
            "is_agency_request",
            "open_to_network",
            "lat",
            "lon",
            "location_precision_km",
            "starts_s",
            "ends_s",
            "urgencies",
            "texts",
        ]
        if any(getattr(self, name).shape != (count,) for name in per_need):
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
        per_role = [
            "role_names",
            "role_skills",
            "role_min_level",
            "role_count",
            "role_filled",
            "role_has_experienced",
        ]
        if any(getattr(self, name).shape != (roles,) for name in per_role):
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

    def with_text_vectors(self, text_model: TextFit) -> NeedTable:
        """The same table with need texts vectorised once by a fitted `text_model`."""
        vectors = text_model.vectors(list(self.texts))
        return dataclasses.replace(self, text_vectors=vectors)


def build_need_table(needs: Sequence[NeedSpec], *, text_model: TextFit | None = None) -> NeedTable:
    """Lay needs out as columns in one pass; pass a fitted `text_model` to cache vectors."""
    requirement_columns: dict[str, int] = {}
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
    columns = transpose(scalars, 11)
    requires = np.zeros((count, len(requirement_columns)), dtype=np.bool_)
    if requirement_cells:
        rows, cells = transpose(requirement_cells, 2)
        requires[rows, cells] = True
    role_columns = transpose(roles, 6)
    table = NeedTable(
        ids=np.array(columns[0], dtype=np.str_),
        community_ids=np.array(columns[1], dtype=np.str_),
        is_agency_request=np.array(columns[2], dtype=np.bool_),
        open_to_network=np.array(columns[3], dtype=np.bool_),
        lat=np.array(columns[4], dtype=np.float64),
        lon=np.array(columns[5], dtype=np.float64),
        location_precision_km=np.array(columns[6], dtype=np.float64),
        starts_s=np.array(columns[7], dtype=np.int64),
        ends_s=np.array(columns[8], dtype=np.int64),
        urgencies=np.array(columns[9], dtype=np.str_),
        texts=np.array(columns[10], dtype=np.object_),
        requirement_names=tuple(requirement_columns),
        requires=requires,
        role_offsets=np.array(role_offsets, dtype=np.int64),
        role_names=np.array(role_columns[0], dtype=np.object_),
        role_skills=np.array(role_columns[1], dtype=np.str_),
        role_min_level=np.array(role_columns[2], dtype=np.int64),
        role_count=np.array(role_columns[3], dtype=np.int64),
        role_filled=np.array(role_columns[4], dtype=np.int64),
        role_has_experienced=np.array(role_columns[5], dtype=np.bool_),
    )
    return table if text_model is None else table.with_text_vectors(text_model)
