import inspect

import numpy as np
import pytest
from sklearn.base import clone
from sklearn.exceptions import NotFittedError

from matcher import TextFit

TEXTS = [
    "Meals for a family: cook a hot dinner",
    "Garden tidy at the allotment",
    "School run: drive kids to school",
    "cooking baking family meals",
]


def test_init_only_stores_its_parameters():
    model = TextFit(ngram_range=(1, 2), min_df=2, stop_words=None)
    assert model.get_params() == {
        "ngram_range": (1, 2),
        "min_df": 2,
        "max_df": 1.0,
        "stop_words": None,
        "sublinear_tf": True,
        "cache_size": 50_000,
    }
    assert not [name for name in vars(model) if name.endswith("_")]


def test_parameters_are_keyword_only():
    parameters = inspect.signature(TextFit).parameters.values()
    assert all(p.kind is inspect.Parameter.KEYWORD_ONLY for p in parameters)


def test_fit_returns_the_estimator_itself():
    model = TextFit()
    assert model.fit(TEXTS) is model


def test_learned_state_ends_in_an_underscore():
    model = TextFit().fit(TEXTS)
    learned = set(vars(model)) - set(model.get_params())
    assert learned and all(name.endswith("_") for name in learned)


def test_clone_gives_an_unfitted_copy_with_the_same_parameters():
    model = TextFit(min_df=1, ngram_range=(1, 2)).fit(TEXTS)
    copy = clone(model)
    assert copy.get_params() == model.get_params()
    with pytest.raises(NotFittedError):
        copy.transform(TEXTS)


def test_set_params_round_trips():
    model = TextFit().set_params(sublinear_tf=False)
    assert model.get_params()["sublinear_tf"] is False


@pytest.mark.parametrize(
    "use",
    [
        lambda m: m.transform(TEXTS),
        lambda m: m.similarity(TEXTS, TEXTS),
        lambda m: m.shared_terms("meals", "meals"),
    ],
)
def test_use_before_fit_raises_not_fitted(use):
    with pytest.raises(NotFittedError):
        use(TextFit())


def test_similarity_is_cosine_within_zero_and_one():
    model = TextFit().fit(TEXTS)
    similarity = model.similarity(TEXTS, TEXTS)
    assert similarity.shape == (4, 4)
    assert np.allclose(np.diag(similarity), 1.0)
    assert np.all((similarity >= 0) & (similarity <= 1))
    assert similarity[0, 3] > similarity[1, 3]


def test_unknown_words_are_simply_dissimilar():
    model = TextFit().fit(TEXTS)
    assert model.similarity(["quantum chromodynamics"], TEXTS).max() == 0.0


def test_shared_terms_name_what_two_texts_have_in_common():
    model = TextFit().fit(TEXTS)
    assert set(model.shared_terms(TEXTS[0], TEXTS[3])) == {"family", "meals"}
    assert model.shared_terms(TEXTS[1], TEXTS[2]) == []


def test_a_bare_string_is_refused_rather_than_read_letter_by_letter():
    with pytest.raises(TypeError):
        TextFit().fit("cooking meals")


def test_cached_vectors_are_reused_only_for_the_fitting_that_made_them():
    model = TextFit().fit(TEXTS)
    cached = model.vectors(TEXTS)
    assert model.transform_or_reuse(TEXTS, cached) is cached.rows
    model.fit(TEXTS[:2])
    assert model.transform_or_reuse(TEXTS, cached) is not cached.rows


@pytest.mark.parametrize("cache_size", [1, 3, 50_000])
def test_remembered_rows_equal_a_fresh_vectorisation_whatever_the_cache_size(cache_size):
    model = TextFit(cache_size=cache_size).fit(TEXTS)
    asked = [TEXTS[2], TEXTS[0], TEXTS[2], "garden tools and soup", TEXTS[1], TEXTS[0]]
    fresh = model.vectorizer_.transform(asked).toarray()
    for _ in range(3):  # first call fills the cache, later ones read (or evict) it
        np.testing.assert_allclose(model.transform(asked).toarray(), fresh)
    assert len(model.rows_by_text_) <= cache_size
    assert model.transform([]).shape == (0, len(model.terms_))
