"""Small batch-assignment problems built from a few readable arguments, and hypothesis
strategies that draw them."""

import numpy as np
from hypothesis import strategies as st

from matcher import AssignmentProblem, AssignmentWeights

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
    covered: list[bool] | None = None,
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
    mentors = np.array(has_mentor or [False] * len(needs), dtype=bool)
    return AssignmentProblem(
        slot_need=np.array([s[0] for s in slots], dtype=np.int64),
        slot_open=np.array([s[1] for s in slots], dtype=np.int64),
        need_starts_s=np.array([n[0] * HOUR for n in needs], dtype=np.int64),
        need_ends_s=np.array([n[1] * HOUR for n in needs], dtype=np.int64),
        need_month=month_of,
        need_has_mentor=mentors,
        need_covered=np.array(covered or [False] * len(needs), dtype=bool) | mentors,
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
        covered=draw(st.lists(st.booleans(), min_size=len(needs), max_size=len(needs))),
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
    first_place_bonus=st.sampled_from([0.0, 0.5, 2.0]),
    load_step=st.sampled_from([0.0, 0.15, 0.6]),
    recency=st.sampled_from([0.0, 0.1]),
    together_bonus=st.sampled_from([0.0, 0.3]),
)
