"""How much each soft-score component counts; filled by the API from settings."""

from __future__ import annotations

import math
from dataclasses import dataclass, fields

COMPONENTS: tuple[str, ...] = (
    "distance",
    "skill",
    "availability",
    "fairness",
    "urgency",
    "affinity",
    "mentoring",
)


@dataclass(frozen=True, slots=True)
class Weights:
    """Relative importance of each score component.

    Only the ratios matter: scoring divides by the total, so the score stays in [0, 1]
    whatever numbers the settings hold.
    """

    distance: float = 0.25
    skill: float = 0.25
    availability: float = 0.15
    fairness: float = 0.15
    urgency: float = 0.05
    affinity: float = 0.10
    mentoring: float = 0.05

    def __post_init__(self) -> None:
        values = [getattr(self, f.name) for f in fields(self)]
        if not all(math.isfinite(v) and v >= 0 for v in values):
            raise ValueError("weights must be finite and >= 0")
        if sum(values) <= 0:
            raise ValueError("at least one weight must be positive")

    def normalised(self) -> dict[str, float]:
        """Each component's share of the score, summing to 1."""
        total = sum(getattr(self, name) for name in COMPONENTS)
        return {name: getattr(self, name) / total for name in COMPONENTS}
