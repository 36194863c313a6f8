"""The matching engine: plain data in, ranked and explained matches out.

Pure functions over frozen inputs or their columnar forms. No database, no HTTP, no clock
reads (callers pass `now`), and nothing imported from `api/`, so it can be tested and
benchmarked on its own and reused by any front end.
"""

from matcher.assignment import assign, greedy_assign, objective_value
from matcher.assignment_problem import Assignment, AssignmentProblem, AssignmentWeights
from matcher.constraints import check_member_for_role
from matcher.explain import CONFLICT_CODES, HARD_CONSTRAINTS, VIOLATION_CODES
from matcher.fairness import gini
from matcher.inputs import Commitment, MemberProfile, NeedSpec, RoleSpec, WeeklyWindow
from matcher.need_table import NeedTable, build_need_table
from matcher.pool import MemberPool, build_pool
from matcher.ranking import ScoredRows, rank_candidates, rank_suggestions, scored_rows
from matcher.results import Candidate, ConstraintViolation, Suggestion
from matcher.standby import standby_edges, standby_ranking
from matcher.text_fit import TextFit
from matcher.topk import (
    free_when_it_starts,
    member_ceilings,
    merge_best,
    resident_ceilings,
    settled,
)
from matcher.weights import RESTED, Weights

__all__ = [
    "CONFLICT_CODES",
    "HARD_CONSTRAINTS",
    "RESTED",
    "VIOLATION_CODES",
    "Assignment",
    "AssignmentProblem",
    "AssignmentWeights",
    "Candidate",
    "Commitment",
    "ConstraintViolation",
    "MemberPool",
    "MemberProfile",
    "NeedSpec",
    "NeedTable",
    "RoleSpec",
    "ScoredRows",
    "Suggestion",
    "TextFit",
    "WeeklyWindow",
    "Weights",
    "assign",
    "build_need_table",
    "build_pool",
    "check_member_for_role",
    "free_when_it_starts",
    "gini",
    "greedy_assign",
    "member_ceilings",
    "merge_best",
    "objective_value",
    "rank_candidates",
    "rank_suggestions",
    "resident_ceilings",
    "scored_rows",
    "settled",
    "standby_edges",
    "standby_ranking",
]
