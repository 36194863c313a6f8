"""Output records: ranked matches with the numbers and words that explain them.

Coordinators and members both see why a match was made, so every result carries its score
components and plain-language reasons, and every refusal names the rule that caused it.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class ConstraintViolation:
    """Why a member may not take a role; the API returns these on a refused sign-up.

    ``code`` is one of `matcher.explain.HARD_CONSTRAINTS`, which also words the message.
    """

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
