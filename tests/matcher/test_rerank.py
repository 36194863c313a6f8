"""The learned re-ranker: scikit-learn's estimator conventions, features, and the comparison
with the hand weights on held-out answers split by time."""

import inspect
from datetime import UTC, datetime, timedelta

import numpy as np
import pytest
from sklearn.base import clone
from sklearn.exceptions import NotFittedError
from sklearn.utils.estimator_checks import parametrize_with_checks

from matcher.rerank import (
    AcceptanceModel,
    LearnedRanking,
    NotEnoughFeedback,
    evaluate,
    feature_names,
    features,
    local_weekday_hour,
    reorder,
    rerank_suggestions,
)
from matcher.results import Suggestion
from matcher.weights import COMPONENTS, Weights
from tests.matcher.factories import need
from tests.matcher.feedback_data import CATEGORIES, synthetic_answers


@parametrize_with_checks([AcceptanceModel()])
def test_follows_scikit_learn_estimator_conventions(estimator, check):
    check(estimator)


def test_parameters_are_keyword_only_and_stored_as_given():
    parameters = inspect.signature(AcceptanceModel).parameters.values()
    assert all(p.kind is inspect.Parameter.KEYWORD_ONLY for p in parameters)
    assert AcceptanceModel(C=0.5).get_params() == {"C": 0.5, "max_iter": 1000}


def test_use_before_fit_raises_not_fitted():
    with pytest.raises(NotFittedError):
        AcceptanceModel().predict_proba(np.zeros((1, 3)))
    with pytest.raises(NotFittedError):
        AcceptanceModel().to_params()


def test_stored_params_give_back_the_same_probabilities():
    answers = synthetic_answers(truth="category", events=300, seed=3)
    model = AcceptanceModel().fit(answers.X, answers.taken)
    copy = AcceptanceModel.from_params(model.to_params())
    np.testing.assert_allclose(copy.predict_proba(answers.X), model.predict_proba(answers.X))
    assert clone(copy).get_params() == model.get_params()


def test_features_are_components_category_weekday_hour_and_lead_time():
    rows = features(
        components=np.full((2, len(COMPONENTS)), 0.5),
        categories=["meals", "unknown"],
        weekdays=np.array([0, 6]),
        hours=np.array([0.0, 12.0]),
        lead_hours=np.array([0.0, -5.0]),
        category_names=CATEGORIES,
    )
    names = feature_names(CATEGORIES)
    assert rows.shape == (2, len(names))
    row = dict(zip(names, rows[0], strict=True))
    assert row["category=meals"] == 1 and row["weekday=0"] == 1 and row["hour_cos"] == 1
    assert not rows[1, len(COMPONENTS) : len(COMPONENTS) + len(CATEGORIES)].any()
    assert rows[1, -1] == 0  # a past start is no lead time, not a negative one


def test_weekday_and_hour_are_read_on_the_local_clock():
    saturday_9_london_summer = datetime(2026, 7, 4, 8, tzinfo=UTC)
    weekdays, hours = local_weekday_hour(
        np.array([int(saturday_9_london_summer.timestamp())]), "Europe/London"
    )
    assert weekdays.tolist() == [5] and hours.tolist() == [9.0]


def test_a_feature_the_hand_score_ignores_makes_the_model_beat_the_hand_weights():
    answers = synthetic_answers(truth="category", events=600, seed=1)
    evaluation, _ = evaluate(
        answers.X,
        answers.taken,
        hand_score=answers.hand_score,
        member_ids=answers.member_ids,
        shown_at_s=answers.shown_at_s,
        estimator=AcceptanceModel(),
    )
    assert evaluation.beats_hand_weights, evaluation.why()
    assert evaluation.model.auc > 0.75 > evaluation.hand_weights.auc
    assert evaluation.train_events == 450 and evaluation.test_events == 150
    assert evaluation.members_evaluated > 0


def test_when_the_hand_score_is_the_truth_the_model_does_not_beat_it():
    answers = synthetic_answers(truth="hand_score", events=600, seed=2)
    evaluation, _ = evaluate(
        answers.X,
        answers.taken,
        hand_score=answers.hand_score,
        member_ids=answers.member_ids,
        shown_at_s=answers.shown_at_s,
        estimator=AcceptanceModel(),
    )
    assert not evaluation.beats_hand_weights, evaluation.why()
    assert "does not beat" in evaluation.why()


def test_the_split_is_by_time_the_later_answers_held_out():
    answers = synthetic_answers(truth="category", events=400, seed=4)
    shuffled = np.random.default_rng(0).permutation(400)
    first, _ = evaluate(
        answers.X,
        answers.taken,
        hand_score=answers.hand_score,
        member_ids=answers.member_ids,
        shown_at_s=answers.shown_at_s,
        estimator=AcceptanceModel(),
    )
    again, _ = evaluate(
        answers.X[shuffled],
        answers.taken[shuffled],
        hand_score=answers.hand_score[shuffled],
        member_ids=[answers.member_ids[i] for i in shuffled],
        shown_at_s=answers.shown_at_s[shuffled],
        estimator=AcceptanceModel(),
    )
    assert first == again  # the rows' order does not matter, only when they were shown


def test_answers_of_one_kind_are_not_enough():
    answers = synthetic_answers(truth="category", events=200, seed=5)
    with pytest.raises(NotEnoughFeedback):
        evaluate(
            answers.X,
            np.zeros(200, dtype=np.int64),
            hand_score=answers.hand_score,
            member_ids=answers.member_ids,
            shown_at_s=answers.shown_at_s,
            estimator=AcceptanceModel(),
        )


def test_reorder_is_stable_and_limited():
    assert reorder(["a", "b", "c", "d"], np.array([0.1, 0.5, 0.5, 0.9]), limit=3) == [
        "d",
        "b",
        "c",
    ]


def test_rerank_orders_by_the_learned_chance_and_keeps_the_engines_words():
    answers = synthetic_answers(truth="category", events=600, seed=1)
    ranking = LearnedRanking(
        model=AcceptanceModel().fit(answers.X, answers.taken), category_names=CATEGORIES
    )
    now = datetime(2026, 6, 1, 9, tzinfo=UTC)
    starts, ends = now + timedelta(days=2), now + timedelta(days=2, hours=2)
    meals = need(id="meals", category="meals", starts_at=starts, ends_at=ends)
    tutoring = need(id="tutoring", category="tutoring", starts_at=starts, ends_at=ends)
    components = dict.fromkeys(COMPONENTS, 0.5)
    engine_order = [
        Suggestion("meals", "cook", 0.9, 1.0, {**components, "distance": 0.9}, ["near"]),
        Suggestion("tutoring", "cook", 0.5, 5.0, components, ["far"]),
    ]
    reranked = rerank_suggestions(
        engine_order,
        {"meals": meals, "tutoring": tutoring},
        ranking=ranking,
        zone="Europe/London",
        now=now,
        limit=2,
    )
    assert [each.need_id for each in reranked] == ["tutoring", "meals"]
    assert reranked[1] is engine_order[0]  # score, components and reasons untouched
    assert Weights()  # the hand weights are untouched defaults
