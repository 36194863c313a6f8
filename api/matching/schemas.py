"""Response bodies for candidates and suggestions (never a member's home point)."""

from datetime import datetime

from pydantic import BaseModel

from api.needs.schemas import Urgency
from api.schemas import Point


class CandidateOut(BaseModel):
    """A member who could take a role, and why they fit."""

    member_id: str
    name: str
    role: str
    score: float
    distance_km: float
    components: dict[str, float]
    reasons: list[str]


class Candidates(BaseModel):
    """Ranked candidates for a need, best first, one entry per member (their best role)."""

    need_id: str
    candidates: list[CandidateOut]


class SuggestionOut(BaseModel):
    """A need a member could take, with the role that fits them best."""

    need_id: str
    title: str
    role: str
    score: float
    distance_km: float
    starts_at: datetime
    ends_at: datetime
    urgency: Urgency
    location: Point
    location_approximate: bool
    components: dict[str, float]
    reasons: list[str]


class Suggestions(BaseModel):
    """Ranked suggestions for a member, best first."""

    member_id: str
    suggestions: list[SuggestionOut]
