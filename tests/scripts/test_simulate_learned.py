"""Policy (e): the learned re-ranker leaves the hand scores alone until a model trained on the
run's answers beats them by the service's rule, and then ranks; runs repeat by seed."""

from collections.abc import Callable

import numpy as np
import numpy.typing as npt
import pytest

from matcher import ScoredRows, scored_rows
from scripts.simulate.city import CATEGORIES, HOURS_PER_DAY, QUICK
from scripts.simulate.learned import LearnedRescorer
from scripts.simulate.policies import HAND_WEIGHTS
from scripts.simulate.run import make_city, simulate
from scripts.simulate.state import Offer, State, View

TRAIN_AFTER_DAY = 14
OFFERS_PER_ROUND = 12
# Answers decided by the need's category alone, which the hand score ignores.
LIKED = frozenset({CATEGORIES.index("meals"), CATEGORIES.index("visiting")})

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
Taken = Callable[[State, int, float], bool]  # (state, need, hand score) -> accepted?


def _by_category(state: State, need: int, score: float) -> bool:
    return int(state.city.needs.category[need]) in LIKED


def _by_hand_score(state: State, need: int, score: float) -> bool:
    # The hand score ranks these answers perfectly: no model can beat it by min_gain.
    return score >= 0.6


def _round(state: State, day: int) -> tuple[ScoredRows, View]:
    now_h = day * HOURS_PER_DAY + 9.0
    needs = state.city.needs
    open_needs = [
        n
        for n in range(len(needs))
        if needs.posted_h[n] <= now_h and needs.starts_h[n] >= now_h + HOURS_PER_DAY
    ]
    view = state.view(now_h, open_needs)
    rows = scored_rows(view.pool, view.table, weights=HAND_WEIGHTS, text_model=None, now=view.now)
    return rows, view


Round = tuple[ScoredRows, FloatArray, IntArray]  # rows, the scores used, each row's category


def _drive(taken: Taken, days: int) -> tuple[LearnedRescorer, list[Round]]:
    """Rounds day by day from day 0 with the rescorer in the loop; each round offers a few
    fresh rows, answered at once by `taken`. Returns each round's rows, scores, categories."""
    city, hidden = make_city(2, weeks=4, size=QUICK)
    state = State.start(city, hidden)
    rescorer = LearnedRescorer(train_after_day=TRAIN_AFTER_DAY, min_events=100)
    rng = np.random.default_rng(0)
    used = []
    for day in range(days):
        rows, view = _round(state, day)
        score = rescorer.rescore(rows, view, state)
        now_h = day * HOURS_PER_DAY + 9.0
        needs = view.needs[rows.need]
        used.append((rows, score, city.needs.category[needs]))
        fresh = [
            i for i in range(len(rows)) if (int(needs[i]), int(rows.member[i])) not in state.invited
        ]
        for i in rng.permutation(fresh)[:OFFERS_PER_ROUND].tolist():
            need, member = int(needs[i]), int(rows.member[i])
            if (need, member) in state.invited:
                continue
            first = int(city.needs.role_offsets[need])
            role = first + int(rows.role[i] - view.table.role_offsets[rows.need[i]])
            state.invited.add((need, member))
            outcome = "accepted" if taken(state, need, float(rows.score[i])) else "declined"
            # Answered at once, so accepted places weigh on later rounds as they would.
            state.offers.append(
                Offer(member, need, role, now_h, "invitation", False, now_h, outcome, now_h)
            )
    return rescorer, used


@pytest.fixture(scope="module")
def category_world() -> tuple[LearnedRescorer, list[Round]]:
    return _drive(_by_category, TRAIN_AFTER_DAY + 3)


def test_scores_stay_the_hand_weights_before_training(
    category_world: tuple[LearnedRescorer, list[Round]],
) -> None:
    rescorer, used = category_world
    for rows, score, _ in used[:TRAIN_AFTER_DAY]:
        assert np.array_equal(score, rows.score)
    assert rescorer.trainings[0].day == TRAIN_AFTER_DAY


def test_a_model_that_wins_switches_on_and_changes_the_scores(
    category_world: tuple[LearnedRescorer, list[Round]],
) -> None:
    rescorer, used = category_world
    first = rescorer.trainings[0]
    assert first.evaluation is not None and first.evaluation.beats_hand_weights
    assert first.switched_on and rescorer.model is not None
    rows, score, category = used[TRAIN_AFTER_DAY]
    assert not np.allclose(score, rows.score)
    assert ((score >= 0) & (score <= 1)).all()
    liked = np.isin(category, list(LIKED))
    assert score[liked].min() > score[~liked].max()  # the world's rule, learned


def test_a_model_that_does_not_win_leaves_the_scores_alone() -> None:
    rescorer, used = _drive(_by_hand_score, TRAIN_AFTER_DAY + 3)
    first = rescorer.trainings[0]
    assert first.evaluation is not None and not first.evaluation.beats_hand_weights
    assert not first.switched_on and rescorer.model is None
    for rows, score, _ in used:
        assert np.array_equal(score, rows.score)


def test_the_same_seed_gives_the_same_figures_and_trainings() -> None:
    first = simulate("learned", 3, weeks=6, size=QUICK)
    again = simulate("learned", 3, weeks=6, size=QUICK)
    assert first.trainings and first.trainings == again.trainings
    assert first.measures == again.measures
