"""The network's text model (TF-IDF over needs and interests), refitted now and then.

Fitting on every request would be wasteful and fitting once at start-up would go stale as the
network writes new needs; a small cache refits after ``max_age_s``.
"""

import threading
import time

from sqlalchemy import select
from sqlalchemy.orm import Session

from api.db.models import Member, Need
from matcher import TextFit
from matcher.need_table import need_text

SAMPLE_ROWS = 20_000
"""Texts of each kind the vocabulary is learned from (the most recent ones)."""


class TextModelCache:
    """Holds one fitted ``TextFit`` per process and refits it when it is too old."""

    def __init__(self, *, max_age_s: float) -> None:
        self.max_age_s = max_age_s
        self._model: TextFit | None = None
        self._fitted_at = float("-inf")
        self._lock = threading.Lock()

    def get(self, session: Session) -> TextFit | None:
        """A fitted model, or None while the network has no words to learn from."""
        if time.monotonic() - self._fitted_at < self.max_age_s:
            return self._model
        with self._lock:
            if time.monotonic() - self._fitted_at >= self.max_age_s:
                self._model = _fit(session)
                self._fitted_at = time.monotonic()
        return self._model


def _fit(session: Session) -> TextFit | None:
    needs = session.execute(
        select(Need.title, Need.description, Need.category)
        .order_by(Need.created_at.desc())
        .limit(SAMPLE_ROWS)
    )
    interests = session.scalars(
        select(Member.interests)
        .where(Member.interests != "")
        .order_by(Member.created_at.desc())
        .limit(SAMPLE_ROWS)
    )
    texts = [need_text(*row) for row in needs] + list(interests)
    try:
        return TextFit().fit(texts)
    except ValueError:  # no usable words yet (empty network, or only stop words)
        return None
