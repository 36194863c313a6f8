"""Response bodies for candidates and suggestions (never a member's home point)."""

from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, Field

from api.feedback.schemas import RankedBy
from api.needs.schemas import Title
from api.schemas import Id, Name, Point, Slug
from api.text import Message
from api.vocabulary import Urgency
from matcher.weights import COMPONENTS

MAX_CANDIDATES, MAX_SUGGESTIONS = 100, 50
"""The most a caller may ask for (``limit``) and so the most an answer holds."""
Reasons = Annotated[list[Message], Field(max_length=len(COMPONENTS) + 1)]
"""One reason per score component, two for skill (the level, and interests that match)."""
Components = Annotated[
    dict[str, float],
    Field(
        max_length=len(COMPONENTS),
        json_schema_extra={"propertyNames": {"enum": list(COMPONENTS)}},
    ),
]
"""Each score component's value in [0, 1], by name."""


class CandidateOut(BaseModel):
    """A member who could take a role, and why they fit."""

    member_id: Id
    name: Name
    role: Slug
    score: float
    distance_km: float
    components: Components
    reasons: Reasons


class Candidates(BaseModel):
    """Ranked candidates for a need, best first, one entry per member (their best role)."""

    need_id: Id
    candidates: Annotated[list[CandidateOut], Field(max_length=MAX_CANDIDATES)]


class SuggestionOut(BaseModel):
    """A need a member could take, with the role that fits them best."""

    need_id: Id
    title: Title
    role: Slug
    score: float
    distance_km: float
    starts_at: datetime
    ends_at: datetime
    urgency: Urgency
    location: Point
    location_approximate: bool
    components: Components
    reasons: Reasons


class Suggestions(BaseModel):
    """Ranked suggestions for a member, best first."""

    member_id: Id
    ranked_by: RankedBy = Field(
        default="hand_weights",
        description="`learned`: ordered by the re-ranker's chance the member takes each need "
        "(`GET /v1/ranking/model` says why); `hand_weights`: by `score`. Scores, components "
        "and reasons are the engine's either way.",
    )
    suggestions: Annotated[list[SuggestionOut], Field(max_length=MAX_SUGGESTIONS)]
