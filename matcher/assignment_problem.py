"""The batch assignment's contract: places, candidates and weights in, chosen edges out.

Everything is parallel numpy arrays of indices (no ids), so the API maps its rows once and the
solver never touches Python objects per edge. Each dataclass validates itself, so bad input
fails here with a message naming the field rather than as a wrong answer later.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]

NEW_STAGE = 0
MENTOR_STAGES = (2, 3)  # mature, leader (matcher.inputs.STAGES order)
NO_MENTOR = -1  # in Assignment.pairs: the mentor already held a place on the need
DAYS_PER_RECENCY_STEP = 30.0


def _vector(name: str, values: npt.ArrayLike, length: int | None, dtype: type) -> None:
    array = np.asarray(values)
    if array.ndim != 1:
        raise ValueError(f"{name} must be one-dimensional")
    if length is not None and len(array) != length:
        raise ValueError(f"{name} must have {length} entries, not {len(array)}")
    if dtype is np.bool_:
        if array.dtype != np.bool_:
            raise ValueError(f"{name} must be boolean")
    elif not np.issubdtype(array.dtype, dtype):
        raise ValueError(f"{name} must hold {dtype.__name__} values")


def _indices(name: str, values: npt.ArrayLike, upper: int) -> None:
    array = np.asarray(values)
    if array.size and (array.min() < 0 or array.max() >= upper):
        raise ValueError(f"{name} must hold indices in [0, {upper})")


def _pairs(name: str, values: npt.ArrayLike, members: int) -> None:
    array = np.asarray(values)
    if array.ndim != 2 or array.shape[1] != 2 or not np.issubdtype(array.dtype, np.integer):
        raise ValueError(f"{name} must be an integer array of shape (P, 2)")
    _indices(name, array, members)
    if np.any(array[:, 0] == array[:, 1]):
        raise ValueError(f"{name} must pair two different members")


@dataclass(frozen=True, slots=True)
class AssignmentProblem:
    """Places to fill and who may fill them, as parallel numpy arrays of indices (no ids).

    A slot is one role of one need; an edge is a member who may take a place in a slot.
    """

    slot_need: IntArray  # per slot: the need's index
    slot_open: IntArray  # per slot: places still open (>= 0)
    need_starts_s: IntArray  # per need: start, epoch seconds
    need_ends_s: IntArray  # per need: end, epoch seconds (> start)
    need_month: IntArray  # per need: column of member_month_room it counts against
    need_has_mentor: BoolArray  # per need: a mature/leader member already holds a place on it
    need_covered: BoolArray  # per need: someone already holds a place (no first-place bonus)
    member_stage: IntArray  # per member: 0 new, 1 growing, 2 mature, 3 leader
    member_month_room: IntArray  # (members, months): places the member may still take
    member_load: IntArray  # per member: places already held in the window
    member_idle_days: FloatArray  # per member: days since last served (np.inf: never served)
    edge_member: IntArray  # candidate edges: member index
    edge_slot: IntArray  # candidate edges: slot index
    edge_score: FloatArray  # candidate edges: the engine's soft score (0..1)
    together_pairs: IntArray  # (P, 2) members of households that prefer to serve together
    apart_pairs: IntArray  # (Q, 2) members who must never serve at overlapping times

    def __post_init__(self) -> None:
        slots, needs = len(self.slot_need), len(self.need_starts_s)
        members, edges = len(self.member_stage), len(self.edge_member)
        for name, length, kind in (
            ("slot_need", None, np.integer),
            ("slot_open", slots, np.integer),
            ("need_starts_s", None, np.integer),
            ("need_ends_s", needs, np.integer),
            ("need_month", needs, np.integer),
            ("need_has_mentor", needs, np.bool_),
            ("need_covered", needs, np.bool_),
            ("member_stage", None, np.integer),
            ("member_load", members, np.integer),
            ("member_idle_days", members, np.floating),
            ("edge_member", None, np.integer),
            ("edge_slot", edges, np.integer),
            ("edge_score", edges, np.floating),
        ):
            _vector(name, getattr(self, name), length, kind)
        room = np.asarray(self.member_month_room)
        if room.ndim != 2 or room.shape[0] != members or not np.issubdtype(room.dtype, np.integer):
            raise ValueError(
                "member_month_room must be an integer array of shape (members, months)"
            )
        _indices("slot_need", self.slot_need, needs)
        _indices("need_month", self.need_month, room.shape[1])
        _indices("member_stage", self.member_stage, 4)
        _indices("edge_member", self.edge_member, members)
        _indices("edge_slot", self.edge_slot, slots)
        if np.any(self.slot_open < 0):
            raise ValueError("slot_open must not be negative")
        if np.any(self.need_ends_s <= self.need_starts_s):
            raise ValueError("need_ends_s must be after need_starts_s")
        if np.any(self.need_has_mentor & ~self.need_covered):
            raise ValueError("need_covered must hold where need_has_mentor does")
        if np.any(room < 0) or np.any(self.member_load < 0):
            raise ValueError("member_month_room and member_load must not be negative")
        if np.any(np.isnan(self.member_idle_days)) or np.any(self.member_idle_days < 0):
            raise ValueError("member_idle_days must be >= 0 (np.inf: never served)")
        if not np.all(np.isfinite(self.edge_score)):
            raise ValueError("edge_score must be finite")
        pairs = np.unique(np.stack([self.edge_member, self.edge_slot], axis=1), axis=0)
        if len(pairs) != edges:
            raise ValueError("edge_member/edge_slot must not repeat a (member, slot) edge")
        _pairs("together_pairs", self.together_pairs, members)
        _pairs("apart_pairs", self.apart_pairs, members)

    @property
    def edge_need(self) -> IntArray:
        """Per edge: the need of its slot."""
        return self.slot_need[self.edge_slot]


@dataclass(frozen=True, slots=True)
class AssignmentWeights:
    """How the batch trades score against filling places, fairness and households.

    Scores are 0..1, so a fill bonus of 1 makes any feasible place worth filling unless the
    member is already heavily loaded; a load step of 0.15 moves a second place to someone
    whose score is at most 0.15 lower. The first-place bonus makes a need's first volunteer
    worth more than its second (a need with nobody on it is the one that fails), so a
    member scarce across several needs goes where nobody else will. A recency of 0.4 (0.1
    until the simulation showed it, with each place's most-rested candidates, spreading
    load more evenly than "longest since served") makes a place cost 0.4 for a member who
    served today, 0.2 a month on.
    """

    fill_bonus: float = 1.0  # added per place filled
    first_place_bonus: float = 0.5  # added once per need not yet covered that gets a place
    load_step: float = 0.15  # the j-th place of a member costs load_step * (member_load + j - 1)
    recency: float = 0.4  # each place costs recency / (1 + idle_days / 30): recent servers more
    together_bonus: float = 0.3  # per household-together pair placed on the same need

    def __post_init__(self) -> None:
        for name in (
            "fill_bonus",
            "first_place_bonus",
            "load_step",
            "recency",
            "together_bonus",
        ):
            value = getattr(self, name)
            if not np.isfinite(value) or value < 0:
                raise ValueError(f"{name} must be a finite number >= 0")


@dataclass(frozen=True, slots=True)
class Assignment:
    """The chosen edges, what they are worth and how sure the solver is."""

    edges: IntArray  # chosen edge indices (into the problem's edge arrays), sorted
    total_score: float  # sum of edge_score over chosen edges
    objective: float  # score + fill and first-place bonuses - fairness + together bonus
    bound: float  # proven upper bound on the objective
    optimal: bool  # proven optimal
    gap: float  # (bound - objective) / max(1, |objective|); 0 when optimal
    unfilled: IntArray  # per slot: open places left unfilled
    pairs: IntArray  # (R, 3): need, new member, mentor member (NO_MENTOR: already there)
