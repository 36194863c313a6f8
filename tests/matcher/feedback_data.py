"""Synthetic answers to shown matches, for testing the re-ranker and the switch that uses it.

Two worlds: in one (``truth="category"``) members take tutoring and little else, whatever the
hand score says (a feature the hand score ignores); in the other (``truth="hand_score"``) they
take exactly what the hand weights rank high. A model should win the first and not the second.
"""

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from matcher.rerank import features
from matcher.weights import COMPONENTS, Weights

CATEGORIES = ("meals", "tutoring", "visiting", "cleanup", "transport", "repair", "prayer", "other")
START_S = 1_780_000_000  # mid 2026
DAY_S = 86_400


@dataclass(frozen=True)
class Answers:
    """Shown matches (one row each) and whether each was taken."""

    components: npt.NDArray[np.float64]  # (n, len(COMPONENTS))
    categories: list[str]
    weekdays: npt.NDArray[np.int64]
    hours: npt.NDArray[np.float64]
    lead_hours: npt.NDArray[np.float64]
    hand_score: npt.NDArray[np.float64]
    member_ids: list[str]
    shown_at_s: npt.NDArray[np.int64]
    taken: npt.NDArray[np.int64]

    @property
    def X(self) -> npt.NDArray[np.float64]:
        return features(
            components=self.components,
            categories=self.categories,
            weekdays=self.weekdays,
            hours=self.hours,
            lead_hours=self.lead_hours,
            category_names=CATEGORIES,
        )


def synthetic_answers(*, truth: str, events: int, seed: int, members: int = 20) -> Answers:
    """``events`` shown matches over ``members`` members and 60 days, seeded."""
    rng = np.random.default_rng(seed)
    components = rng.uniform(0, 1, size=(events, len(COMPONENTS)))
    shares = Weights().normalised()
    hand_score = components @ np.array([shares[name] for name in COMPONENTS])
    categories = [str(CATEGORIES[i]) for i in rng.integers(0, len(CATEGORIES), events)]
    if truth == "category":
        chance = np.where(np.array(categories) == "tutoring", 0.85, 0.08)
        taken = (rng.uniform(0, 1, events) < chance).astype(np.int64)
    elif truth == "hand_score":
        # Nearly deterministic in the hand score: nothing else can rank these answers better.
        noisy = hand_score + rng.normal(0, 0.01, events)
        taken = (noisy > np.quantile(noisy, 0.7)).astype(np.int64)
    else:
        raise ValueError(truth)
    return Answers(
        components=components,
        categories=categories,
        weekdays=rng.integers(0, 7, events),
        hours=rng.integers(8, 20, events).astype(np.float64),
        lead_hours=rng.uniform(2, 200, events),
        hand_score=hand_score,
        member_ids=[f"m{i}" for i in rng.integers(0, members, events)],
        shown_at_s=START_S + np.sort(rng.integers(0, 60 * DAY_S, events)),
        taken=taken,
    )
