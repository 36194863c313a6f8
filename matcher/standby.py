"""Standby: one more member asked for a need nobody has taken yet; the first yes takes it.

An invitation holds its place alone, so a need whose only invitations are declined or
ignored loses a day per try. Asking one more member on standby doubles the tries without
holding a second place (the service's ``standby``; ``docs/assignment.md``, and the figures
in ``docs/quality.md``). Who stands by is the solver's question with one place: the best
candidate by score less what the solver charges for the member's turn
(``first_place_cost``: places held nearby and recent service), so standby does not lean on
the members the batch already asks most.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from matcher.assignment_model import first_place_cost
from matcher.assignment_problem import NEW_STAGE, AssignmentProblem, AssignmentWeights

IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]

NONE = -1


def standby_value(problem: AssignmentProblem, weights: AssignmentWeights) -> FloatArray:
    """Per edge: how good its member is to ask on standby (higher first): the score less
    what the solver charges for the member's turn."""
    return problem.edge_score - first_place_cost(problem, weights)[problem.edge_member]


def standby_edges(
    problem: AssignmentProblem,
    weights: AssignmentWeights,
    *,
    slots: IntArray,
    chosen: IntArray,
) -> IntArray:
    """Per slot in ``slots`` (the role each untaken need's standby is for), the edge whose
    member is asked on standby, or ``NONE``.

    Among the slot's edges: never a new member (a new member serves beside a mentor, not
    instead of one), never a member of a ``chosen`` edge (already asked in this batch), and
    one slot per member; the best by ``edge_score - first_place_cost``, ties to the lower
    edge index. Slots are served in the order given.
    """
    slots = np.asarray(slots, dtype=np.int64)
    picked = np.full(slots.size, NONE, dtype=np.int64)
    member = problem.edge_member
    value = standby_value(problem, weights)
    free = problem.member_stage != NEW_STAGE
    free[member[np.asarray(chosen, dtype=np.int64)]] = False
    for index, slot in enumerate(slots.tolist()):
        fit = np.flatnonzero((problem.edge_slot == slot) & free[member])
        if fit.size:
            edge = int(fit[np.argmax(value[fit])])
            picked[index] = edge
            free[member[edge]] = False
    return picked
