"""How well a need's words match a member's stated interests (TF-IDF + cosine).

This is the one learned part of the matcher, so it follows scikit-learn's estimator
conventions: `__init__` only stores parameters, `fit` learns from the network's own texts
and returns self, learned state ends in `_`, and use before `fit` raises `NotFittedError`.
Fitting on the network's own needs and interests is what makes local words ("allotment",
"foodbank") count for more than words every need uses.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, NamedTuple

import numpy as np
import numpy.typing as npt
from scipy.sparse import csr_matrix
from sklearn.base import BaseEstimator
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.utils.validation import check_is_fitted

# scipy.sparse has no type information; rows are L2-normalised CSR matrices.
SparseRows = Any


@dataclass(frozen=True, eq=False)
class TextVectors:
    """Texts vectorised by one particular fitting, so a refitted model never reuses them."""

    rows: SparseRows
    fitting: object  # the fitted state the rows came from


class _Row(NamedTuple):
    """One text's non-zero TF-IDF terms: column indices and weights."""

    indices: npt.NDArray[np.int32]
    data: npt.NDArray[np.float64]


def _stack(rows: list[_Row], *, width: int) -> SparseRows:
    indptr = np.zeros(len(rows) + 1, dtype=np.int32)
    np.cumsum([len(row.indices) for row in rows], out=indptr[1:])
    if rows:
        indices = np.concatenate([row.indices for row in rows])
        data = np.concatenate([row.data for row in rows])
    else:
        indices, data = np.zeros(0, dtype=np.int32), np.zeros(0)
    return csr_matrix((data, indices, indptr), shape=(len(rows), width))


def _as_texts(texts: Iterable[str]) -> list[str]:
    # A bare string is iterable too, and would be read as one text per character.
    if isinstance(texts, str):
        raise TypeError("pass a sequence of texts, not a single string")
    return list(texts)


# BaseEstimator is untyped (Any) to mypy; subclassing it is how clone/get_params work.
class TextFit(BaseEstimator):
    """TF-IDF model of the network's texts; similarity is cosine, in [0, 1]."""

    def __init__(
        self,
        *,
        ngram_range: tuple[int, int] = (1, 1),
        min_df: int | float = 1,
        max_df: int | float = 1.0,
        stop_words: str | list[str] | None = "english",
        sublinear_tf: bool = True,
        cache_size: int = 50_000,
    ) -> None:
        self.ngram_range = ngram_range
        self.min_df = min_df
        self.max_df = max_df
        self.stop_words = stop_words
        self.sublinear_tf = sublinear_tf
        self.cache_size = cache_size

    def fit(self, texts: Iterable[str], y: object = None) -> TextFit:
        """Learn the vocabulary and term weights from the network's need and interest texts."""
        vectorizer = TfidfVectorizer(
            ngram_range=self.ngram_range,
            min_df=self.min_df,
            max_df=self.max_df,
            stop_words=self.stop_words,
            sublinear_tf=self.sublinear_tf,
            norm="l2",
        )
        vectorizer.fit(_as_texts(texts))
        self.vectorizer_ = vectorizer
        self.terms_: npt.NDArray[np.object_] = vectorizer.get_feature_names_out()
        self.rows_by_text_: dict[str, _Row] = {}
        return self

    def transform(self, texts: Iterable[str]) -> SparseRows:
        """Unit-length TF-IDF rows, one per text (all-zero for a text of unknown words).

        Each distinct text is vectorised once per fitting and remembered (up to
        ``cache_size`` texts): the same needs and interests come back request after request,
        and scikit-learn's per-call overhead is most of the cost of a few short texts.
        """
        check_is_fitted(self)
        texts = _as_texts(texts)
        cache = self.rows_by_text_
        rows: dict[str, _Row] = {}
        missing: list[str] = []
        for text in dict.fromkeys(texts):
            known = cache.get(text)
            if known is None:
                missing.append(text)
            else:
                rows[text] = known
        if missing:
            if len(cache) + len(missing) > self.cache_size:
                cache.clear()  # crude but bounded; refilled by the texts in use
            fresh = self.vectorizer_.transform(missing)
            for index, text in enumerate(missing):
                start, end = fresh.indptr[index], fresh.indptr[index + 1]
                row = _Row(fresh.indices[start:end].copy(), fresh.data[start:end].copy())
                rows[text] = row
                if len(missing) <= self.cache_size:
                    cache[text] = row
        return _stack([rows[text] for text in texts], width=len(self.terms_))

    def similarity(self, texts_a: Iterable[str], texts_b: Iterable[str]) -> npt.NDArray[np.float64]:
        """Cosine similarity of every text in `texts_a` with every text in `texts_b`."""
        product = self.transform(texts_a) @ self.transform(texts_b).T
        return np.clip(np.asarray(product.toarray(), dtype=np.float64), 0.0, 1.0)

    def shared_terms(self, text_a: str, text_b: str, *, limit: int = 3) -> list[str]:
        """The terms that contribute most to the similarity of two texts, strongest first."""
        vectors = self.transform([text_a, text_b])
        contribution = np.asarray(vectors[0].multiply(vectors[1]).toarray()).ravel()
        strongest = np.argsort(-contribution, kind="stable")[:limit]
        return [str(self.terms_[i]) for i in strongest if contribution[i] > 0]

    def vectors(self, texts: Iterable[str]) -> TextVectors:
        """Vectorise texts once, to reuse across many rankings with `transform_or_reuse`."""
        return TextVectors(rows=self.transform(texts), fitting=self.vectorizer_)

    def made(self, cached: TextVectors | None) -> bool:
        """Whether `cached` came from this model's current fitting (and so may be reused)."""
        check_is_fitted(self)
        return cached is not None and cached.fitting is self.vectorizer_

    def transform_or_reuse(self, texts: Iterable[str], cached: TextVectors | None) -> SparseRows:
        """`cached` rows when they came from this model's current fitting, else `transform`."""
        if cached is not None and self.made(cached):
            return cached.rows
        return self.transform(texts)
