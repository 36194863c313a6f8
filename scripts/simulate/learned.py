"""Policy (e): the batch with the learned re-ranker, trained on this run's own answers.

The point is to exercise the service's learning code and its switch, not a look-alike: the
features are ``matcher.rerank.features`` of the engine's score components, the need's
category, its local weekday and hour and the lead time, recorded when the invitation went
out (as ``match_events`` records a showing); the comparison is ``matcher.rerank.evaluate``
(a time split, ROC AUC and NDCG@5 against the hand score); the model ranks only if it beats
the hand weights on both by the service's own ``rerank_min_gain`` and reaches its
``rerank_min_auc`` (``api.feedback.service.train``'s rule); and what ranks is refitted on
every answer, as there.

For the first weeks the hand scores rank. At the training point (by default after 4 of the
measured weeks, so on 6 weeks of answers with the warm-up) and then every week the model is
trained again and switched on or off by the rule: the latest answers are the ones to trust.

When on, the batch maximises the predicted chance of acceptance itself, not hand score ×
chance. The solver's objective already carries fairness (``load_step``, ``recency``) and the
mentoring pairs, and the rows are already feasible, so what the hand score adds there is its
guess at what works out; the model measures that from answers, with the same components as
features (a product would count them twice), and a product would shrink the scores against
the solver's fixed fairness costs, which are set for scores spread over [0, 1].
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np
import numpy.typing as npt

from api.settings import Settings
from matcher import ScoredRows
from matcher.rerank import (
    AcceptanceModel,
    Evaluation,
    NotEnoughFeedback,
    evaluate,
    features,
    local_weekday_hour,
)
from matcher.weights import COMPONENTS
from scripts.simulate.city import CATEGORIES, HOURS_PER_DAY, TIMEZONE
from scripts.simulate.policies import Batch, Policy
from scripts.simulate.state import EPOCH_S, SECONDS_PER_HOUR, State, View, epoch_s, member_id

if TYPE_CHECKING:  # the report imports this module; its Run is only a type here
    from scripts.simulate.report import Run

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]

MIN_EVENTS: int = Settings.model_fields["rerank_min_events"].default
MIN_GAIN: float = Settings.model_fields["rerank_min_gain"].default
MIN_AUC: float = Settings.model_fields["rerank_min_auc"].default
TRAIN_AFTER_DAY = 28  # 4 measured weeks (day 0 is the first measured day)
RETRAIN_EVERY_DAYS = 7
TAKEN = "accepted"
ANSWERED = ("accepted", "declined", "ignored")  # withdrawn: its member left, no answer
START, END = "<!-- simulate-learned:start -->", "<!-- simulate-learned:end -->"
COMPARED = {  # policy (e) against (d) on these, with which way is better
    "fill_rate": ("fill rate", False),
    "acceptance_rate": ("acceptance", False),
    "weekly_coverage": ("weekly coverage", False),
    "load_gini": ("Gini of load", True),
    "lost_to_neglect": ("lost to neglect", True),
}


@dataclass(frozen=True, slots=True)
class Training:
    """One training: when, on how many answers, the evaluation (None when there was too
    little to compare) and whether the learned model ranks from then on."""

    day: int
    events: int
    evaluation: Evaluation | None
    switched_on: bool
    message: str


@dataclass(slots=True)
class _Round:
    """The rows one batch round scored, as they were then (the offers come from them)."""

    at_h: float
    member: IntArray
    need: IntArray  # the city's need index
    role: IntArray  # the city's role index
    components: FloatArray  # (rows, COMPONENTS)
    score: FloatArray


@dataclass(slots=True)
class LearnedRescorer:
    """A ``Rescorer``: hand scores until a model trained on this run's answers wins."""

    train_after_day: int = TRAIN_AFTER_DAY
    retrain_every_days: int = RETRAIN_EVERY_DAYS
    min_events: int = MIN_EVENTS
    min_gain: float = MIN_GAIN
    min_auc: float = MIN_AUC
    trainings: list[Training] = field(default_factory=list)
    model: AcceptanceModel | None = None  # the model that ranks; None: the hand weights
    # Per offer index: its components and hand score when sent (offers of other rounds: none).
    _components: dict[int, FloatArray] = field(default_factory=dict)
    _hand_score: dict[int, float] = field(default_factory=dict)
    _last: _Round | None = None
    _seen_offers: int = 0

    def rescore(self, rows: ScoredRows, view: View, state: State) -> FloatArray:
        """The hand scores, or each row's learned chance of acceptance once switched on."""
        now_h = (int(view.now.timestamp()) - EPOCH_S) / SECONDS_PER_HOUR
        self._harvest(state)
        self._last = _round(rows, view, state, now_h)
        due_h = (self.train_after_day + len(self.trainings) * self.retrain_every_days) * (
            HOURS_PER_DAY
        )
        if now_h >= due_h:
            self.trainings.append(self._train(state, now_h))
        if self.model is None or not len(rows):
            return rows.score
        last = self._last
        chance = self.model.predict_proba(
            _features(state, last.need, last.components, np.full(len(rows), now_h))
        )[:, 1]
        return np.asarray(chance, dtype=np.float64)

    def _harvest(self, state: State) -> None:
        """Give the offers made since the last round the components their rows had then."""
        last = self._last
        for index in range(self._seen_offers, len(state.offers)):
            offer = state.offers[index]
            if last is None or offer.sent_h != last.at_h:
                continue
            match = np.flatnonzero(
                (last.member == offer.member)
                & (last.need == offer.need)
                & (last.role == offer.role)
            )
            if match.size:
                self._components[index] = last.components[match[0]]
                self._hand_score[index] = float(last.score[match[0]])
        self._seen_offers = len(state.offers)

    def _train(self, state: State, now_h: float) -> Training:
        """``api.feedback.service.train`` on this run's answered offers: evaluate on a time
        split, switch on only on a win on both figures, and rank with a refit on all."""
        day = int(now_h // HOURS_PER_DAY)
        answered = [
            index
            for index in self._components
            if state.offers[index].outcome in ANSWERED and state.offers[index].resolved_h <= now_h
        ]
        if len(answered) < self.min_events:
            message = f"{len(answered)} answered offers; at least {self.min_events} are needed"
            return Training(day, len(answered), None, self.model is not None, message)
        offers = [state.offers[index] for index in answered]
        X = _features(
            state,
            np.array([o.need for o in offers], dtype=np.int64),
            np.array([self._components[index] for index in answered]),
            np.array([o.sent_h for o in offers]),
        )
        taken = np.array([o.outcome == TAKEN for o in offers], dtype=np.int64)
        try:
            evaluation, _ = evaluate(
                X,
                taken,
                hand_score=np.array([self._hand_score[index] for index in answered]),
                member_ids=[member_id(o.member) for o in offers],
                shown_at_s=epoch_s(np.array([o.sent_h for o in offers])),
                estimator=AcceptanceModel(),
                min_gain=self.min_gain,
                min_auc=self.min_auc,
            )
        except NotEnoughFeedback as error:
            message = f"{len(answered)} answers, but {error}"
            return Training(day, len(answered), None, self.model is not None, message)
        wins = evaluation.beats_hand_weights
        self.model = AcceptanceModel().fit(X, taken) if wins else None
        return Training(day, len(answered), evaluation, wins, evaluation.why())


class LearnedBatch(Batch):
    """(e) The batch (d), its scores from ``LearnedRescorer`` once the model wins."""

    name = "batch + learned re-ranker"

    def __init__(self, rescorer: LearnedRescorer | None = None) -> None:
        self.learner = rescorer or LearnedRescorer()
        super().__init__(rescorer=self.learner)


def trainings_of(policy: Policy) -> tuple[Training, ...]:
    """A run's trainings, for the report: only policy (e) has any."""
    return tuple(policy.learner.trainings) if isinstance(policy, LearnedBatch) else ()


def _round(rows: ScoredRows, view: View, state: State, now_h: float) -> _Round:
    """The round's rows in the city's numbering, with the engine's components."""
    table_need = rows.need
    need = view.needs[table_need]
    role = state.city.needs.role_offsets[need] + rows.role - view.table.role_offsets[table_need]
    # The explainer holds every evaluated row's components; `rows.rows` picks the feasible.
    components = rows.explainer.scores.components
    return _Round(
        at_h=now_h,
        member=rows.member,
        need=np.asarray(need, dtype=np.int64),
        role=np.asarray(role, dtype=np.int64),
        components=np.column_stack([components[name][rows.rows] for name in COMPONENTS]),
        score=rows.score,
    )


def _features(
    state: State, need: IntArray, components: FloatArray, sent_h: FloatArray
) -> FloatArray:
    """The service's features: components, category, local weekday and hour, lead time."""
    needs = state.city.needs
    weekdays, hours = local_weekday_hour(epoch_s(needs.starts_h[need]), TIMEZONE)
    return features(
        components=components.reshape(-1, len(COMPONENTS)),
        categories=[CATEGORIES[c] for c in needs.category[need].tolist()],
        weekdays=weekdays,
        hours=hours,
        lead_hours=needs.starts_h[need] - sent_h,
        category_names=CATEGORIES,
    )


def section(runs: Sequence[Run]) -> str:
    """The generated part of docs/quality.md's (e) section: per seed, the first training's
    figures beside the hand weights', the weekly switch, and (e) against (d)."""
    learned = sorted((run for run in runs if run.policy == "learned"), key=lambda r: r.seed)
    batch = {run.seed: run.measures for run in runs if run.policy == "batch"}
    lines = [
        START,
        "",
        "| seed | first training: day, answers (train / held out) | ROC AUC learned / hand |"
        " NDCG@5 learned / hand | switched on | on after the weekly retrainings (days) |",
        "|---:|---|---|---|---|---|",
    ]
    for run in learned:
        first = run.trainings[0] if run.trainings else None
        on = [t.day for t in run.trainings if t.switched_on]
        weekly = f"{len(on)} of {len(run.trainings)}" + (
            f" ({', '.join(map(str, on))})" if on else ""
        )
        if first is None or first.evaluation is None:
            said = "not trained" if first is None else first.message
            lines.append(f"| {run.seed} | {said} | — | — | no | {weekly} |")
            continue
        e = first.evaluation
        lines.append(
            f"| {run.seed} | day {first.day}, {first.events}"
            f" ({e.train_events} / {e.test_events}) |"
            f" {e.model.auc:.3f} / {e.hand_weights.auc:.3f} |"
            f" {e.model.ndcg_at_5:.3f} / {e.hand_weights.ndcg_at_5:.3f} |"
            f" {'**yes**' if first.switched_on else 'no'} | {weekly} |"
        )
    paired = [run for run in learned if run.seed in batch]
    if paired:
        lines += [
            "",
            "| measure | (d) batch | (e) batch + learned re-ranker | (e) better on |",
            "|---|---:|---:|---|",
        ]
        for name, (label, lower) in COMPARED.items():
            ours = np.array([getattr(run.measures, name) for run in paired])
            theirs = np.array([getattr(batch[run.seed], name) for run in paired])
            won = int(((ours < theirs) if lower else (ours > theirs)).sum())
            digits = 1 if name.startswith("lost_") else 3
            lines.append(
                f"| {label} | {theirs.mean():.{digits}f} | {ours.mean():.{digits}f} |"
                f" {won} of {len(paired)} seeds |"
            )
    return "\n".join([*lines, "", END])
