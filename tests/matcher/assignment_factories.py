"""Small batch-assignment problems built from a few readable arguments."""

import numpy as np

from matcher import AssignmentProblem

HOUR = 3600
NO_PAIRS = np.zeros((0, 2), dtype=np.int64)


def problem(
    *,
    needs: list[tuple[int, int]],  # (start hour, end hour)
    slots: list[tuple[int, int]],  # (need, open places)
    stages: list[int],
    edges: list[tuple[int, int, float]],  # (member, slot, score)
    room: int | list[list[int]] = 9,
    months: list[int] | None = None,
    has_mentor: list[bool] | None = None,
    load: list[int] | None = None,
    idle_days: list[float] | None = None,
    together: list[tuple[int, int]] = (),  # type: ignore[assignment]
    apart: list[tuple[int, int]] = (),  # type: ignore[assignment]
) -> AssignmentProblem:
    members = len(stages)
    month_of = np.array(months or [0] * len(needs), dtype=np.int64)
    rooms = (
        np.full((members, int(month_of.max()) + 1), room, dtype=np.int64)
        if isinstance(room, int)
        else np.array(room, dtype=np.int64)
    )
    return AssignmentProblem(
        slot_need=np.array([s[0] for s in slots], dtype=np.int64),
        slot_open=np.array([s[1] for s in slots], dtype=np.int64),
        need_starts_s=np.array([n[0] * HOUR for n in needs], dtype=np.int64),
        need_ends_s=np.array([n[1] * HOUR for n in needs], dtype=np.int64),
        need_month=month_of,
        need_has_mentor=np.array(has_mentor or [False] * len(needs), dtype=bool),
        member_stage=np.array(stages, dtype=np.int64),
        member_month_room=rooms,
        member_load=np.array(load or [0] * members, dtype=np.int64),
        member_idle_days=np.array(idle_days or [np.inf] * members, dtype=np.float64),
        edge_member=np.array([e[0] for e in edges], dtype=np.int64),
        edge_slot=np.array([e[1] for e in edges], dtype=np.int64),
        edge_score=np.array([e[2] for e in edges], dtype=np.float64),
        together_pairs=np.array(together, dtype=np.int64).reshape(-1, 2),
        apart_pairs=np.array(apart, dtype=np.int64).reshape(-1, 2),
    )
