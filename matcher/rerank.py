"""A learned re-ranker: the chance a member takes a suggestion, from what the engine knows.

The hand weights (``matcher.weights``) say how much each score component should count; the
members' own answers (signed up, accepted, declined, "not for me", ignored) say how much it
*did*. ``AcceptanceModel`` is a logistic regression over the engine's score components plus
what the hand score ignores (the need's category, its local weekday and hour, how far ahead it
is), so it can learn, say, that a community's members take tutoring and turn down Monday
mornings. It only re-orders what the engine already found feasible: hard constraints stay
hard, and the reasons shown stay the engine's.

Pure, like the rest of the matcher: plain arrays in (``features``), figures out
(``evaluate``); reading the events and storing the model is the service's business. The model
follows scikit-learn's estimator conventions (``__init__`` stores parameters, ``fit`` returns
self, learned state ends in ``_``, ``NotFittedError`` before ``fit``) and is checked against
them with ``sklearn.utils.estimator_checks``. Its learned state is a handful of floats, so it
is stored as JSON (``to_params``/``from_params``), never as a pickle.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypeVar

import numpy as np
import numpy.typing as npt
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import ndcg_score, roc_auc_score
from sklearn.preprocessing import StandardScaler
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import check_is_fitted, validate_data

from matcher.inputs import NeedSpec
from matcher.local_time import SECONDS_PER_DAY, clock_covering, epoch_seconds
from matcher.results import Suggestion
from matcher.weights import COMPONENTS

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
T = TypeVar("T")

WEEKDAYS = 7
NDCG_AT = 5
"""Suggestions a member reads at a glance: NDCG is measured on the first five."""


def feature_names(category_names: Sequence[str]) -> list[str]:
    """The columns ``features`` builds, in order (for reading a fitted model's weights)."""
    return [
        *COMPONENTS,
        *(f"category={name}" for name in category_names),
        *(f"weekday={day}" for day in range(WEEKDAYS)),
        "hour_sin",
        "hour_cos",
        "log_lead_hours",
    ]


def features(
    *,
    components: FloatArray,
    categories: Sequence[str],
    weekdays: IntArray,
    hours: FloatArray,
    lead_hours: FloatArray,
    category_names: Sequence[str],
) -> FloatArray:
    """One row per shown match: its components (columns in ``COMPONENTS`` order), its need's
    category one-hot (a category not in ``category_names`` is all zeros), its local weekday
    one-hot (0 = Monday), the hour of day on a circle (23:00 is next to 00:00) and the log of
    the hours between showing it and its start."""
    components = np.asarray(components, dtype=np.float64).reshape(-1, len(COMPONENTS))
    count = components.shape[0]
    position = {name: index for index, name in enumerate(category_names)}
    category_onehot = np.zeros((count, len(category_names)))
    for row, category in enumerate(categories):
        if category in position:
            category_onehot[row, position[category]] = 1.0
    weekday_onehot = np.zeros((count, WEEKDAYS))
    weekday_onehot[np.arange(count), np.asarray(weekdays, dtype=np.int64) % WEEKDAYS] = 1.0
    angle = 2 * np.pi * np.asarray(hours, dtype=np.float64) / 24
    lead = np.log1p(np.clip(np.asarray(lead_hours, dtype=np.float64), 0, None))
    return np.column_stack(
        [components, category_onehot, weekday_onehot, np.sin(angle), np.cos(angle), lead]
    )


def local_weekday_hour(starts_s: IntArray, zone: str) -> tuple[IntArray, FloatArray]:
    """Each instant's weekday (0 = Monday) and hour of day (fractional) on ``zone``'s clock."""
    starts_s = np.asarray(starts_s, dtype=np.int64)
    if starts_s.size == 0:
        return np.zeros(0, dtype=np.int64), np.zeros(0)
    clock = clock_covering(zone, int(starts_s.min()), int(starts_s.max()))
    local_s = clock.local_seconds(starts_s)
    # 1 January 1970 was a Thursday (weekday 3).
    weekdays = (local_s // SECONDS_PER_DAY + 3) % WEEKDAYS
    hours = (local_s % SECONDS_PER_DAY) / 3600
    return weekdays.astype(np.int64), hours.astype(np.float64)


# BaseEstimator is untyped (Any) to mypy; subclassing it is how clone/get_params work.
class AcceptanceModel(ClassifierMixin, BaseEstimator):
    """Logistic regression on standardised features: the chance a shown match is taken.

    Chosen over gradient boosting because its whole learned state is a mean, a scale and a
    weight per feature, stored as JSON and read by anyone; with ~25 features and a few
    thousand answers per network, a linear model is also what the data can support.
    """

    def __init__(self, *, C: float = 1.0, max_iter: int = 1000) -> None:
        self.C = C
        self.max_iter = max_iter

    def fit(self, X: Any, y: Any) -> AcceptanceModel:
        """Learn from shown matches ``X`` (``features``) and whether each was taken ``y``."""
        X, y = validate_data(self, X, y)
        check_classification_targets(y)
        scaler = StandardScaler().fit(X)
        model = LogisticRegression(C=self.C, max_iter=self.max_iter)
        model.fit(scaler.transform(X), y)
        self.classes_ = model.classes_
        self.mean_: FloatArray = scaler.mean_
        self.scale_: FloatArray = scaler.scale_
        self.coef_: FloatArray = model.coef_
        self.intercept_: FloatArray = model.intercept_
        self.n_iter_ = model.n_iter_
        return self

    def decision_function(self, X: Any) -> FloatArray:
        """The log-odds of each row (one column per class beyond two)."""
        check_is_fitted(self)
        X = validate_data(self, X, reset=False)
        decision = ((X - self.mean_) / self.scale_) @ self.coef_.T + self.intercept_
        return np.asarray(decision.ravel() if len(self.classes_) == 2 else decision)

    def predict_proba(self, X: Any) -> FloatArray:
        """Each row's chance of each class, in ``classes_`` order (the last: taken)."""
        decision = self.decision_function(X)
        if len(self.classes_) == 2:
            taken = 1 / (1 + np.exp(-decision))
            return np.column_stack([1 - taken, taken])
        exponent = np.exp(decision - decision.max(axis=1, keepdims=True))
        return np.asarray(exponent / exponent.sum(axis=1, keepdims=True))

    def predict(self, X: Any) -> Any:
        """The likelier class of each row."""
        likeliest = np.argmax(self.predict_proba(X), axis=1)  # checks fitting first
        return self.classes_[likeliest]

    def to_params(self) -> dict[str, Any]:
        """Parameters and learned state as plain JSON values (what the service stores)."""
        check_is_fitted(self)
        return {
            "C": self.C,
            "max_iter": self.max_iter,
            "classes": self.classes_.tolist(),
            "n_features_in": int(self.n_features_in_),
            "mean": self.mean_.tolist(),
            "scale": self.scale_.tolist(),
            "coef": self.coef_.tolist(),
            "intercept": self.intercept_.tolist(),
            "n_iter": self.n_iter_.tolist(),
        }

    @classmethod
    def from_params(cls, params: Mapping[str, Any]) -> AcceptanceModel:
        """A fitted model back from ``to_params``'s values."""
        model = cls(C=params["C"], max_iter=params["max_iter"])
        model.classes_ = np.asarray(params["classes"])
        model.n_features_in_ = int(params["n_features_in"])
        model.mean_ = np.asarray(params["mean"], dtype=np.float64)
        model.scale_ = np.asarray(params["scale"], dtype=np.float64)
        model.coef_ = np.asarray(params["coef"], dtype=np.float64)
        model.intercept_ = np.asarray(params["intercept"], dtype=np.float64)
        model.n_iter_ = np.asarray(params["n_iter"], dtype=np.int32)
        return model


@dataclass(frozen=True, slots=True)
class Figures:
    """How well one ordering ranks the held-out answers."""

    auc: float  # ROC AUC of "taken" over every held-out shown match
    ndcg_at_5: float  # mean over members of NDCG@5 of their own held-out matches


@dataclass(frozen=True, slots=True)
class Evaluation:
    """The learned model beside the hand weights, on the same held-out (later) answers."""

    model: Figures
    hand_weights: Figures
    train_events: int
    test_events: int
    members_evaluated: int
    min_gain: float
    min_auc: float

    @property
    def beats_hand_weights(self) -> bool:
        """Better on both figures by at least ``min_gain``, and itself telling taken from
        not taken (ROC AUC at least ``min_auc``): a model that only matches the hand weights,
        wins one figure by noise, or beats a hand score that guesses no better than chance
        while guessing little better itself, is not worth switching to."""
        return (
            self.model.auc >= self.min_auc
            and self.model.auc >= self.hand_weights.auc + self.min_gain
            and self.model.ndcg_at_5 >= self.hand_weights.ndcg_at_5 + self.min_gain
        )

    def why(self) -> str:
        """The decision in words, with the figures it rests on."""
        model, hand = self.model, self.hand_weights
        figures = (
            f"AUC {model.auc:.3f} against {hand.auc:.3f}, "
            f"NDCG@5 {model.ndcg_at_5:.3f} against {hand.ndcg_at_5:.3f}"
        )
        if self.beats_hand_weights:
            return f"beats the hand weights on both figures ({figures})"
        if model.auc < self.min_auc:
            return f"tells taken from not taken too weakly: AUC under {self.min_auc:g} ({figures})"
        return f"does not beat the hand weights by {self.min_gain:g} on both figures ({figures})"


class NotEnoughFeedback(ValueError):
    """The answers cannot support a fair comparison (too few, or one outcome only)."""


def evaluate(
    X: FloatArray,
    y: Any,
    *,
    hand_score: FloatArray,
    member_ids: Sequence[str],
    shown_at_s: IntArray,
    estimator: AcceptanceModel,
    train_share: float = 0.75,
    min_gain: float = 0.01,
    min_auc: float = 0.6,
) -> tuple[Evaluation, AcceptanceModel]:
    """Fit ``estimator`` (a clone is not made: it is fitted in place) on the earliest
    ``train_share`` of the answers by ``shown_at_s`` and compare it with ``hand_score`` on the
    rest: ROC AUC of taken, and NDCG@5 per member (members with two or more held-out matches,
    at least one taken). Split by time, not at random, because that is how it will be used:
    trained on the past, ranking what comes next."""
    X = np.asarray(X, dtype=np.float64)
    y = np.asarray(y).astype(np.int64)
    hand_score = np.asarray(hand_score, dtype=np.float64)
    members = np.asarray(member_ids, dtype=np.str_)
    order = np.argsort(np.asarray(shown_at_s, dtype=np.int64), kind="stable")
    cut = round(len(order) * train_share)
    train, test = order[:cut], order[cut:]
    if np.unique(y[train]).size < 2:
        raise NotEnoughFeedback("the earlier answers are all of one kind")
    if np.unique(y[test]).size < 2:
        raise NotEnoughFeedback("the held-out answers have no taken match, or only taken ones")
    estimator.fit(X[train], y[train])
    learned = estimator.predict_proba(X[test])[:, 1]
    model = Figures(
        auc=float(roc_auc_score(y[test], learned)),
        ndcg_at_5=_mean_ndcg(y[test], learned, members[test]),
    )
    hand = Figures(
        auc=float(roc_auc_score(y[test], hand_score[test])),
        ndcg_at_5=_mean_ndcg(y[test], hand_score[test], members[test]),
    )
    return (
        Evaluation(
            model=model,
            hand_weights=hand,
            train_events=int(train.size),
            test_events=int(test.size),
            members_evaluated=_members_with_a_ranking(y[test], members[test]),
            min_gain=min_gain,
            min_auc=min_auc,
        ),
        estimator,
    )


def _rankable(taken: IntArray, members: npt.NDArray[np.str_]) -> list[IntArray]:
    """Row indices of each member with two or more matches, at least one taken."""
    groups = []
    for member in np.unique(members):
        rows = np.flatnonzero(members == member)
        if rows.size >= 2 and taken[rows].any():
            groups.append(rows)
    return groups


def _members_with_a_ranking(taken: IntArray, members: npt.NDArray[np.str_]) -> int:
    return len(_rankable(taken, members))


def _mean_ndcg(taken: IntArray, score: FloatArray, members: npt.NDArray[np.str_]) -> float:
    groups = _rankable(taken, members)
    if not groups:
        raise NotEnoughFeedback("no member has two held-out matches with one taken")
    return float(np.mean([ndcg_score([taken[rows]], [score[rows]], k=NDCG_AT) for rows in groups]))


@dataclass(frozen=True, slots=True)
class LearnedRanking:
    """A fitted model and the category vocabulary its features were built with."""

    model: AcceptanceModel
    category_names: tuple[str, ...]

    def taken_chance(
        self,
        *,
        components: Sequence[Mapping[str, float]],
        categories: Sequence[str],
        starts_at: Sequence[datetime],
        zone: str,
        now: datetime,
    ) -> FloatArray:
        """The chance each match is taken, from its components and its need's particulars."""
        if not components:
            return np.zeros(0)
        starts_s = np.array([epoch_seconds(moment) for moment in starts_at], dtype=np.int64)
        weekdays, hours = local_weekday_hour(starts_s, zone)
        rows = features(
            components=np.array([[each[name] for name in COMPONENTS] for each in components]),
            categories=categories,
            weekdays=weekdays,
            hours=hours,
            lead_hours=(starts_s - epoch_seconds(now)) / 3600,
            category_names=self.category_names,
        )
        return np.asarray(self.model.predict_proba(rows)[:, 1], dtype=np.float64)


def rerank_suggestions(
    suggestions: Sequence[Suggestion],
    needs: Mapping[str, NeedSpec],
    *,
    ranking: LearnedRanking,
    zone: str,
    now: datetime,
    limit: int,
) -> list[Suggestion]:
    """The engine's feasible suggestions ordered by the learned chance of being taken, best
    ``limit`` first; equal chances keep the engine's order. Scores, components and reasons
    are left as the engine gave them."""
    chance = ranking.taken_chance(
        components=[each.components for each in suggestions],
        categories=[needs[each.need_id].category for each in suggestions],
        starts_at=[needs[each.need_id].starts_at for each in suggestions],
        zone=zone,
        now=now,
    )
    return reorder(suggestions, chance, limit=limit)


def reorder(items: Sequence[T], key: FloatArray, *, limit: int) -> list[T]:
    """``items`` by falling ``key``, ties in their given order, the first ``limit``."""
    order = np.argsort(-np.asarray(key, dtype=np.float64), kind="stable")[:limit]
    return [items[index] for index in order]
