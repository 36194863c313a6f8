"""Request and response bodies of feedback and of the ranking model's status."""

from datetime import datetime
from typing import Annotated, Literal, NamedTuple

from pydantic import BaseModel, Field

from api.feedback.repository import TRAINING_ROWS_MAX
from api.schemas import Id, Input
from api.text import Message
from api.vocabulary import FeedbackVerdict

Answers = Annotated[int, Field(ge=0, le=TRAINING_ROWS_MAX)]
"""A count of answered shown matches (a training reads at most ``TRAINING_ROWS_MAX``)."""
RankedBy = Literal["hand_weights", "learned"]
"""Which ordering a list of suggestions is in."""


class EngineView(NamedTuple):
    """What the engine said of a member for a place when it was offered to them: the score and
    its components, and the rank where one was shown (training reads the components)."""

    score: float
    components: dict[str, float]
    rank: int | None = None


class FeedbackIn(Input):
    """A member's word on a suggested need."""

    verdict: FeedbackVerdict = Field(
        description="`not_for_me` hides the need from the member's suggestions for good; "
        "`maybe_later` snoozes it (see `hidden_until`)."
    )


class FeedbackOut(BaseModel):
    """The verdict as recorded, and until when the need stays out of the suggestions."""

    member_id: Id
    need_id: Id
    verdict: FeedbackVerdict
    hidden_until: datetime | None = Field(
        description="When the need may be suggested again; null: never (`not_for_me`)."
    )
    recorded_at: datetime


class Figures(BaseModel):
    """How well one ordering ranked the held-out answers."""

    auc: float = Field(description="ROC AUC of taken (signed up or accepted).")
    ndcg_at_5: float = Field(description="Mean over members of NDCG@5 of their own matches.")


class TrainedModel(BaseModel):
    """The latest trained re-ranker, its figures beside the hand weights' on the same split."""

    id: Id
    trained_at: datetime
    events: Answers = Field(description="Answered shown matches it was trained and tested on.")
    train_events: Answers
    test_events: Answers
    members_evaluated: Answers
    learned: Figures
    hand_weights: Figures
    active: bool
    reason: Message


class RankingStatus(BaseModel):
    """Which ordering suggestions are in now, and why."""

    ranked_by: RankedBy
    why: Message
    hand_weights: dict[str, float] = Field(
        description="Each score component's share of the hand-weighted score."
    )
    latest_model: TrainedModel | None
