"""Ranked, explained matches both ways: members for a need, and needs for a member.

Both directions run the same evaluation (hard constraints, then the soft score) over a
member x need grid where one side has a single entry, pick each member's (or need's) best
feasible role, and order by score with the id breaking ties so results are deterministic.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

import numpy as np
import numpy.typing as npt

from matcher.constraints import Feasibility, evaluate_constraints
from matcher.explain import Audience, reasons, shown_distance_km
from matcher.inputs import MemberProfile, NeedSpec
from matcher.local_time import epoch_seconds
from matcher.need_table import NeedTable, build_need_table
from matcher.pool import MemberPool, build_pool
from matcher.results import Candidate, Suggestion
from matcher.scoring import Scores, score_rows
from matcher.text_fit import TextFit
from matcher.weights import Weights

IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]


def rank_candidates(
    need: NeedSpec,
    members: Sequence[MemberProfile] | MemberPool,
    *,
    weights: Weights,
    text_model: TextFit | None,
    now: datetime,
    limit: int,
) -> list[Candidate]:
    """The best `limit` members for a need, each with their best role, best first.

    Only members passing every hard constraint for that role appear. Pass a prebuilt
    `MemberPool` (ideally with interest vectors for `text_model`) to rank many needs
    against the same members without rebuilding it.
    """
    pool = members if isinstance(members, MemberPool) else build_pool(members)
    chosen, explain = _rank(
        pool, build_need_table([need]), weights, text_model, now, limit, "coordinator"
    )
    return [
        Candidate(
            member_id=str(pool.ids[explain.member(row)]),
            name=str(pool.names[explain.member(row)]),
            role=explain.role(row),
            score=explain.score(row),
            distance_km=explain.distance_km(row),
            components=explain.components(row),
            reasons=explain.reasons(row),
        )
        for row in chosen
    ]


def rank_suggestions(
    member: MemberProfile,
    needs: Sequence[NeedSpec] | NeedTable,
    *,
    weights: Weights,
    text_model: TextFit | None,
    now: datetime,
    limit: int,
) -> list[Suggestion]:
    """The best `limit` needs for a member, each with the role that fits them best.

    Only needs where the member passes every hard constraint for some role appear.
    """
    table = needs if isinstance(needs, NeedTable) else build_need_table(needs)
    chosen, explain = _rank(build_pool([member]), table, weights, text_model, now, limit, "member")
    return [
        Suggestion(
            need_id=str(table.ids[explain.need(row)]),
            role=explain.role(row),
            score=explain.score(row),
            distance_km=explain.distance_km(row),
            components=explain.components(row),
            reasons=explain.reasons(row),
        )
        for row in chosen
    ]


def best_scores(
    need: NeedSpec,
    pool: MemberPool,
    *,
    weights: Weights,
    text_model: TextFit | None,
    now: datetime,
) -> FloatArray:
    """Each pooled member's score in their best feasible role for `need`; -inf where none.

    The numbers `rank_candidates` orders by, for the whole pool and without explanations:
    what a caller needs to bound scores it has not computed from fresh data yet.
    """
    feasibility, scores = _evaluate(pool, build_need_table([need]), weights, text_model, now)
    rows = _best_row_per_pair(feasibility, scores)
    best = np.full(len(pool), -np.inf)
    best[feasibility.pair_member[feasibility.row_pair[rows]]] = scores.score[rows]
    return best


@dataclass(frozen=True, slots=True)
class ScoredRows:
    """Every feasible (member, need, role) row of a pool x table with its score.

    What an assignment solver chooses among: unlike a ranking, a member keeps every role
    they could fill, since the best team may need them in their second-best role.
    """

    member: IntArray  # pool index
    need: IntArray  # table index
    role: IntArray  # index into the table's role arrays
    score: FloatArray
    month_count: IntArray  # the member's commitments in the need's local month
    rows: IntArray  # the evaluation's own row numbers, which the explainer reads
    explainer: _Explainer

    def __len__(self) -> int:
        return int(self.member.size)

    def candidate(self, index: int) -> Candidate:
        """Row ``index`` as a coordinator's candidate, with its components and reasons."""
        explain, row = self.explainer, int(self.rows[index])
        return Candidate(
            member_id=str(explain.pool.ids[explain.member(row)]),
            name=str(explain.pool.names[explain.member(row)]),
            role=explain.role(row),
            score=explain.score(row),
            distance_km=explain.distance_km(row),
            components=explain.components(row),
            reasons=explain.reasons(row),
        )


def scored_rows(
    pool: MemberPool,
    table: NeedTable,
    *,
    weights: Weights,
    text_model: TextFit | None,
    now: datetime,
) -> ScoredRows:
    """The feasible rows of pool x table, scored, for solvers that place many members at once."""
    feasibility, scores = _evaluate(pool, table, weights, text_model, now)
    rows = np.flatnonzero(feasibility.eligible)
    pairs = feasibility.row_pair[rows]
    return ScoredRows(
        member=np.asarray(feasibility.pair_member[pairs], dtype=np.int64),
        need=np.asarray(feasibility.pair_need[pairs], dtype=np.int64),
        role=np.asarray(feasibility.row_role[rows], dtype=np.int64),
        score=np.asarray(scores.score[rows], dtype=np.float64),
        month_count=np.asarray(feasibility.month_count[pairs], dtype=np.int64),
        rows=np.asarray(rows, dtype=np.int64),
        explainer=_Explainer(
            feasibility, scores, pool, table, weights, text_model, now, "coordinator"
        ),
    )


def _rank(
    pool: MemberPool,
    table: NeedTable,
    weights: Weights,
    text_model: TextFit | None,
    now: datetime,
    limit: int,
    audience: Audience,
) -> tuple[IntArray, _Explainer]:
    """The chosen rows, best first, and how to explain them; both directions share it.

    Ties break by the id of whatever is being ranked: members for a coordinator, needs
    for a member.
    """
    feasibility, scores = _evaluate(pool, table, weights, text_model, now)
    rows = _best_row_per_pair(feasibility, scores)
    if audience == "coordinator":
        tie_rank = pool.id_rank[feasibility.pair_member[feasibility.row_pair]]
    else:
        tie_rank = table.id_rank[feasibility.pair_need[feasibility.row_pair]]
    chosen = _top(rows, scores.score, tie_rank, limit)
    return chosen, _Explainer(feasibility, scores, pool, table, weights, text_model, now, audience)


def _evaluate(
    pool: MemberPool,
    table: NeedTable,
    weights: Weights,
    text_model: TextFit | None,
    now: datetime,
) -> tuple[Feasibility, Scores]:
    if now.tzinfo is None or now.utcoffset() is None:
        raise ValueError("now must be timezone-aware")
    feasibility = evaluate_constraints(pool, table)
    scores = score_rows(feasibility, pool, table, weights=weights, text_model=text_model, now=now)
    return feasibility, scores


def _best_row_per_pair(feasibility: Feasibility, scores: Scores) -> IntArray:
    """Each pair's highest-scoring feasible role; equal scores go to the role listed first."""
    rows = np.flatnonzero(feasibility.eligible)
    order = np.lexsort(
        (feasibility.row_role[rows], -scores.score[rows], feasibility.row_pair[rows])
    )
    rows = rows[order]
    pairs = feasibility.row_pair[rows]
    first_of_pair = np.ones(rows.size, dtype=np.bool_)
    first_of_pair[1:] = pairs[1:] != pairs[:-1]
    return np.asarray(rows[first_of_pair], dtype=np.int64)


def _top(rows: IntArray, score: FloatArray, tie_rank: IntArray, limit: int) -> IntArray:
    """The `limit` best rows by score, ties by id rank; cheap when the pool is large."""
    if limit < 0:
        raise ValueError("limit must be >= 0")
    if limit == 0 or rows.size == 0:
        return np.zeros(0, dtype=np.int64)
    if limit < rows.size:
        # Keep everything scoring at least the limit-th best, ties included, so the id
        # tie-break below sees every contender rather than an arbitrary subset.
        threshold = -np.partition(-score[rows], limit - 1)[limit - 1]
        rows = rows[score[rows] >= threshold]
    order = np.lexsort((tie_rank[rows], -score[rows]))
    return np.asarray(rows[order][:limit], dtype=np.int64)


class _Explainer:
    """Turns one chosen row into the plain values and words a result carries."""

    def __init__(
        self,
        feasibility: Feasibility,
        scores: Scores,
        pool: MemberPool,
        table: NeedTable,
        weights: Weights,
        text_model: TextFit | None,
        now: datetime,
        audience: Audience,
    ) -> None:
        self.feasibility = feasibility
        self.scores = scores
        self.pool = pool
        self.table = table
        self.shares = weights.normalised()
        self.text_model = text_model
        self.now_s = epoch_seconds(now)
        self.audience: Audience = audience

    def member(self, row: int) -> int:
        """The pool index of the row's member."""
        return int(self.feasibility.pair_member[self.feasibility.row_pair[row]])

    def need(self, row: int) -> int:
        """The table index of the row's need."""
        return int(self.feasibility.pair_need[self.feasibility.row_pair[row]])

    def role(self, row: int) -> str:
        """The name of the row's role."""
        return str(self.table.role_names[self.feasibility.row_role[row]])

    def score(self, row: int) -> float:
        """The row's soft score."""
        return float(self.scores.score[row])

    def distance_km(self, row: int) -> float:
        pair = self.feasibility.row_pair[row]
        need = self.feasibility.pair_need[pair]
        return shown_distance_km(
            float(self.feasibility.distance_km[pair]),
            float(self.table.location_precision_km[need]),
        )

    def components(self, row: int) -> dict[str, float]:
        return {name: float(values[row]) for name, values in self.scores.components.items()}

    def reasons(self, row: int) -> list[str]:
        return reasons(
            self.feasibility,
            self.scores,
            self.pool,
            self.table,
            row=int(row),
            shares=self.shares,
            text_model=self.text_model,
            now_s=self.now_s,
            audience=self.audience,
        )
