"""Standby: who is asked besides the invitation holding a need's place."""

from collections.abc import Sequence

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from matcher import AssignmentProblem, AssignmentWeights, standby_edges
from matcher.assignment_problem import NEW_STAGE
from matcher.standby import NONE
from tests.matcher.assignment_factories import problem, problems

WEIGHTS = AssignmentWeights()
NEW, GROWING, MATURE = 0, 1, 2


def _pick(built: AssignmentProblem, slots: Sequence[int], chosen: Sequence[int] = ()) -> list[int]:
    picked = standby_edges(
        built,
        WEIGHTS,
        slots=np.array(slots, dtype=np.int64),
        chosen=np.array(chosen, dtype=np.int64),
    )
    return [int(edge) for edge in picked]


def test_the_best_scored_member_stands_by_when_nobody_has_served_lately() -> None:
    built = problem(
        needs=[(0, 2)],
        slots=[(0, 1)],
        stages=[GROWING, MATURE, GROWING],
        edges=[(0, 0, 0.9), (1, 0, 0.6), (2, 0, 0.7)],
    )
    assert _pick(built, [0], chosen=[0]) == [2]  # member 0 holds the invitation already


def test_a_member_who_holds_places_nearby_gives_way_to_a_fresher_one() -> None:
    built = problem(
        needs=[(0, 2)],
        slots=[(0, 1)],
        stages=[GROWING, GROWING],
        edges=[(0, 0, 0.8), (1, 0, 0.7)],
        load=[2, 0],  # 0.8 - 2 x 0.15 < 0.7
    )
    assert _pick(built, [0]) == [1]


def test_a_new_member_never_stands_by_and_a_slot_with_nobody_else_gets_none() -> None:
    built = problem(
        needs=[(0, 2)],
        slots=[(0, 1)],
        stages=[NEW, GROWING],
        edges=[(0, 0, 0.9), (1, 0, 0.5)],
    )
    assert _pick(built, [0], chosen=[1]) == [NONE]


def test_one_member_stands_by_for_one_need_only() -> None:
    built = problem(
        needs=[(0, 2), (3, 5)],
        slots=[(0, 1), (1, 1)],
        stages=[MATURE, GROWING],
        edges=[(0, 0, 0.9), (0, 1, 0.9), (1, 1, 0.2)],
    )
    assert _pick(built, [0, 1]) == [0, 2]


@settings(max_examples=80, deadline=None)
@given(problems(), st.data())
def test_standbys_are_feasible_edges_of_their_slot_and_distinct_members(
    built: AssignmentProblem, data: st.DataObject
) -> None:
    slot_count = len(built.slot_need)
    slots = data.draw(st.lists(st.integers(0, slot_count - 1), max_size=slot_count, unique=True))
    edges = len(built.edge_member)
    chosen = (
        data.draw(st.lists(st.integers(0, edges - 1), max_size=edges, unique=True)) if edges else []
    )
    picked = _pick(built, slots, chosen)
    members = [int(built.edge_member[edge]) for edge in picked if edge != NONE]
    assert len(members) == len(set(members))
    taken = {int(built.edge_member[edge]) for edge in chosen}
    for slot, edge in zip(slots, picked, strict=True):
        candidates = [
            e
            for e in range(edges)
            if built.edge_slot[e] == slot
            and built.member_stage[built.edge_member[e]] != NEW_STAGE
            and int(built.edge_member[e]) not in taken
        ]
        if edge == NONE:
            assert all(int(built.edge_member[e]) in members for e in candidates)
        else:
            assert edge in candidates and int(built.edge_member[edge]) not in taken
