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

NONE = -1


def standby_ranking(
    problem: AssignmentProblem, weights: AssignmentWeights, *, chosen: IntArray
) -> IntArray:
    """The edges whose member may be asked on standby, best first.

    Never a new member (a new member serves beside a mentor, not instead of one), never a
    member of a ``chosen`` edge (already asked in this batch); best by ``edge_score`` less
    what the solver charges for the member's turn (``first_place_cost``), ties to the lower
    edge index. The service walks it with its own refusals; :func:`standby_edges` without.
    """
    member = problem.edge_member
    free = problem.member_stage != NEW_STAGE
    free[member[np.asarray(chosen, dtype=np.int64)]] = False
    value = problem.edge_score - first_place_cost(problem, weights)[member]
    order = np.argsort(-value, kind="stable")
    ranked: IntArray = order[free[member[order]]].astype(np.int64)
    return ranked


def standby_edges(
    problem: AssignmentProblem,
    weights: AssignmentWeights,
    *,
    slots: IntArray,
    chosen: IntArray,
) -> IntArray:
    """Per slot in ``slots`` (the role each untaken need's standby is for), the edge whose
    member is asked on standby, or ``NONE``: the slot's first in :func:`standby_ranking`
    whose member stands by for no earlier slot. Slots are served in the order given.
    """
    slots = np.asarray(slots, dtype=np.int64)
    picked = np.full(slots.size, NONE, dtype=np.int64)
    ranked = standby_ranking(problem, weights, chosen=chosen)
    used: set[int] = set()
    for index, slot in enumerate(slots.tolist()):
        for edge in ranked[problem.edge_slot[ranked] == slot].tolist():
            if int(problem.edge_member[edge]) not in used:
                picked[index] = edge
                used.add(int(problem.edge_member[edge]))
                break
    return picked
