"""Output records: ranked matches with the numbers and words that explain them.

Coordinators and members both see why a match was made, so every result carries its score
components and plain-language reasons, and every refusal names the rule that caused it.
"""

from __future__ import annotations

from dataclasses import dataclass

# Hard-constraint codes, in the order violations are reported.
VIOLATION_CODES: tuple[str, ...] = (
    "unknown_role",
    "inactive",
    "not_in_network",
    "outside_radius",
    "unavailable",
    "blackout",
    "missing_check",
    "skill_level",
    "overlap",
    "already_signed_up",
    "role_full",
    "monthly_limit",
)


@dataclass(frozen=True, slots=True)
class Violation:
    """Why a member may not take a role; the API returns these on a refused sign-up."""

    code: str
    message: str


@dataclass(frozen=True, slots=True)
class Candidate:
    """A member suggested to a coordinator for a need, with their best-fitting role."""

    member_id: str
    name: str
    role: str
    score: float
    distance_km: float
    components: dict[str, float]
    reasons: list[str]


@dataclass(frozen=True, slots=True)
class Suggestion:
    """A need suggested to a member, with the role that fits them best."""

    need_id: str
    role: str
    score: float
    distance_km: float
    components: dict[str, float]
    reasons: list[str]
