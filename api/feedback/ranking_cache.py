"""The active re-ranker, cached per worker and noticed when ``servematch train`` switches.

Reading the model's parameters on every suggestions request would be wasteful; reading them
once would never notice a new one. Like the text model (``api.matching.text_model``), a
worker rechecks after ``max_age_s``: one tiny query for the active model's id, and the
parameters only when it changed. A worker may so rank by the previous model (or the hand
weights) for at most ``max_age_s`` after a training.
"""

import threading
import time

from sqlalchemy.orm import Session

from api.db.models import RankingModel
from api.feedback import repository
from matcher.rerank import AcceptanceModel, LearnedRanking


def learned_ranking(model: RankingModel) -> LearnedRanking:
    """A stored model, ready to rank."""
    return LearnedRanking(
        model=AcceptanceModel.from_params(model.parameters["model"]),
        category_names=tuple(model.parameters["categories"]),
    )


class RankingModelCache:
    """The learned ranking that is active now, or None while the hand weights rank."""

    def __init__(self, *, max_age_s: float) -> None:
        self.max_age_s = max_age_s
        self._model_id: str | None = None
        self._ranking: LearnedRanking | None = None
        self._checked_at = float("-inf")
        self._lock = threading.Lock()

    def get(self, session: Session) -> LearnedRanking | None:
        """The active learned ranking, rechecked when the cached answer is too old."""
        if time.monotonic() - self._checked_at < self.max_age_s:
            return self._ranking
        with self._lock:
            model_id = repository.active_model_id(session)
            if model_id != self._model_id:
                model = repository.active_model(session) if model_id is not None else None
                self._ranking = None if model is None else learned_ranking(model)
                self._model_id = None if model is None else model.id
            self._checked_at = time.monotonic()
            return self._ranking
