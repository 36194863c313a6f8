"""The matching engine: plain data in, ranked and explained matches out.

Pure functions over frozen records or their columnar forms. No database, no HTTP, no clock
reads (callers pass `now`), and nothing imported from `api/`, so it can be tested and
benchmarked on its own and reused by any front end.
"""

from matcher.constraints import check_member_for_role
from matcher.need_table import NeedTable, build_need_table
from matcher.pool import MemberPool, build_pool
from matcher.ranking import rank_candidates, rank_suggestions
from matcher.records import Commitment, MemberRecord, NeedSpec, RoleSpec, Slot
from matcher.results import Candidate, Suggestion, Violation
from matcher.text_fit import TextFit
from matcher.weights import Weights

__all__ = [
    "Candidate",
    "Commitment",
    "MemberPool",
    "MemberRecord",
    "NeedSpec",
    "NeedTable",
    "RoleSpec",
    "Slot",
    "Suggestion",
    "TextFit",
    "Violation",
    "Weights",
    "build_need_table",
    "build_pool",
    "check_member_for_role",
    "rank_candidates",
    "rank_suggestions",
]
