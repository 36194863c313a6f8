"""The network's text model (TF-IDF over needs and interests), refitted now and then.

Fitting on every request would be wasteful and fitting once at start-up would go stale as the
network writes new needs; a small cache refits after ``max_age_s``.
"""

import logging
import threading
import time

from sqlalchemy import Connection, Engine
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from api.matching import repository
from matcher import TextFit
from matcher.need_table import need_text

logger = logging.getLogger(__name__)

SAMPLE_ROWS = 20_000
"""Texts of each kind the vocabulary is learned from (the most recent ones)."""


class TextModelCache:
    """Holds one fitted ``TextFit`` per process and refits it when it is too old.

    Only the first fit makes a request wait. A stale model keeps serving while a background
    thread fits its successor on its own session (a refit takes ~1 s at 1M members, which
    would otherwise land on one unlucky request every ``max_age_s`` in every worker).
    """

    def __init__(self, *, max_age_s: float) -> None:
        self.max_age_s = max_age_s
        self._model: TextFit | None = None
        self._fitted_at = float("-inf")
        self._lock = threading.Lock()
        self._refitting = False

    def get(self, session: Session) -> TextFit | None:
        """A fitted model, or None while the network has no words to learn from."""
        if time.monotonic() - self._fitted_at < self.max_age_s:
            return self._model
        with self._lock:
            if self._fitted_at == float("-inf"):  # nothing to serve yet: fit now
                self._model = _fit(session)
                self._fitted_at = time.monotonic()
            elif not self._refitting and time.monotonic() - self._fitted_at >= self.max_age_s:
                self._refitting = True
                engine = session.get_bind()
                threading.Thread(target=self._refit, args=(engine,), daemon=True).start()
            return self._model

    def _refit(self, engine: Engine | Connection) -> None:
        try:
            with Session(engine) as session:
                model = _fit(session)
            with self._lock:
                self._model, self._fitted_at = model, time.monotonic()
        except SQLAlchemyError as error:  # database away: keep the old model, retry later
            logger.warning("text model refit failed, still serving the old one: %s", error)
        finally:
            self._refitting = False


def _fit(session: Session) -> TextFit | None:
    needs = repository.recent_need_texts(session, limit=SAMPLE_ROWS)
    interests = repository.recent_interests(session, limit=SAMPLE_ROWS)
    texts = [need_text(row.title, row.description, row.category) for row in needs] + interests
    try:
        return TextFit().fit(texts)
    except ValueError:  # no usable words yet (empty network, or only stop words)
        return None
