"""How much each soft-score component counts; filled by the API from settings.

`Weights` is the one list of components: scoring, the API's response schema and the
service's settings (``SERVEMATCH_WEIGHT_<COMPONENT>``) are all derived from its fields.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, fields


def _weight(default: float, meaning: str) -> float:
    # A plain float default for the dataclass, with the component's meaning alongside it for
    # whoever lists the weights (the settings' descriptions).
    return field(default=default, metadata={"description": meaning})


@dataclass(frozen=True, slots=True)
class Weights:
    """Relative importance of each score component.

    Only the ratios matter: scoring divides by the total, so the score stays in [0, 1]
    whatever numbers the settings hold.
    """

    distance: float = _weight(0.25, "Nearness.")
    skill: float = _weight(0.25, "Skill and interests.")
    availability: float = _weight(0.15, "Free time around the need.")
    fairness: float = _weight(0.15, "Served less lately.")
    urgency: float = _weight(0.05, "Urgent needs.")
    affinity: float = _weight(0.10, "Own community.")
    mentoring: float = _weight(0.05, "New members alongside mature ones.")

    def __post_init__(self) -> None:
        values = [getattr(self, name) for name in COMPONENTS]
        if not all(math.isfinite(v) and v >= 0 for v in values):
            raise ValueError("weights must be finite and >= 0")
        if sum(values) <= 0:
            raise ValueError("at least one weight must be positive")

    def normalised(self) -> dict[str, float]:
        """Each component's share of the score, summing to 1."""
        total = sum(getattr(self, name) for name in COMPONENTS)
        return {name: getattr(self, name) / total for name in COMPONENTS}


COMPONENTS: tuple[str, ...] = tuple(item.name for item in fields(Weights))
"""The score components, in the order scores and reasons list them."""


RESTED = Weights(
    distance=0.05,
    skill=0.0,
    availability=0.0,
    fairness=0.95,
    urgency=0.0,
    affinity=0.0,
    mentoring=0.0,
)
"""Who has rested longest: the fairness component, ties to the nearest. A batch adds each
place's most-rested eligible members to its best-scored ones (the top-k walk with these
weights), so its fairness costs can reach the members who served least, not only the
least-served among the best fits."""
