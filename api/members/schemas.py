"""Request and response bodies for members.

Members may edit their own profile but not what others vouch for (stage, checks, whose
apprentice they are): those fields exist only on the coordinators' update schema, and a member
sending them gets a 403.
"""

from datetime import date, datetime
from typing import Annotated, Any, ClassVar, Literal

from pydantic import BaseModel, Field, StringConstraints, ValidationInfo, field_validator

from api import patterns
from api.auth.credentials import ApiKeyText
from api.schemas import (
    SLUG_MAX_CHARS,
    Address,
    AddressText,
    CalendarDate,
    Email,
    Flag,
    Id,
    Input,
    LatLon,
    Name,
    Patch,
    Point,
    Slug,
    UniqueSlugs,
)
from api.vocabulary import Stage

Day = Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
ClockTime = Annotated[str, StringConstraints(max_length=5, pattern=patterns.CLOCK_TIME)]
SkillLevel = Annotated[int, Field(ge=1, le=3)]


def _slugs_as_keys(schema: dict[str, Any]) -> None:
    """pydantic says a dict's key rule as ``patternProperties``, which lets any other key
    through; the server refuses them, so say it as ``propertyNames`` (every key a slug) and
    ``additionalProperties`` (every value a level)."""
    ((pattern, level),) = schema.pop("patternProperties").items()
    schema["propertyNames"] = {"pattern": pattern, "maxLength": SLUG_MAX_CHARS}
    schema["additionalProperties"] = level


Skills = Annotated[dict[Slug, SkillLevel], Field(max_length=30, json_schema_extra=_slugs_as_keys)]
TravelKm = Annotated[float, Field(gt=0, le=500, allow_inf_nan=False)]
Interests = Annotated[str, Field(max_length=2000)]
MonthlyLimit = Annotated[int, Field(ge=1, le=62)]
ApprenticeOf = Annotated[
    Id | None,
    Field(
        description="The leader (a member of the same community at stage `leader`) this member "
        "is apprenticed to, a leader-to-be; null: none. Promoting the member to leader clears it."
    ),
]


class Slot(Input):
    """A weekly window when the member is free, in the community's local time."""

    day: Day
    start: ClockTime
    end: ClockTime

    @field_validator("end")
    @classmethod
    def _end_after_start(cls, end: str, info: ValidationInfo) -> str:
        start = info.data.get("start")
        if start is not None and end <= start:
            raise ValueError("end must be after start")
        return end


Availability = Annotated[list[Slot], Field(max_length=50)]
Blackouts = Annotated[list[CalendarDate], Field(max_length=366)]


class MemberSelfUpdate(Patch):
    """What a member may change about themselves."""

    name: Name | None = None
    email: Email | None = None
    home: LatLon | None = None
    address: Address | None = None
    max_travel_km: TravelKm | None = None
    skills: Skills | None = None
    interests: Interests | None = None
    availability: Availability | None = None
    blackout_dates: Blackouts | None = None
    max_commitments_per_month: MonthlyLimit | None = None
    active: Flag | None = None


class MemberManagerUpdate(MemberSelfUpdate):
    """What a coordinator or admin may change: also the stage, the checks held and whose
    apprentice the member is (``apprentice_of: null`` clears it)."""

    CLEARABLE: ClassVar[frozenset[str]] = frozenset({"apprentice_of"})

    stage: Stage | None = None
    checks: UniqueSlugs | None = None
    apprentice_of: ApprenticeOf = None


class MemberCreate(Input):
    """A new member of a community (admin or its coordinator)."""

    name: Name
    email: Email
    home: LatLon | None = Field(default=None, description="Where they live: this or `address`.")
    address: Address | None = None
    max_travel_km: TravelKm = 10.0
    skills: Skills = Field(default_factory=dict)
    interests: Interests = ""
    availability: Availability = Field(default_factory=list)
    blackout_dates: Blackouts = Field(default_factory=list)
    stage: Stage = "new"
    checks: UniqueSlugs = Field(default_factory=list)
    max_commitments_per_month: MonthlyLimit = 4
    active: Flag = True
    apprentice_of: ApprenticeOf = None

    @field_validator("blackout_dates")
    @classmethod
    def _sorted_dates(cls, value: list[date]) -> list[date]:
        return sorted(set(value))


class MemberOut(BaseModel):
    """A member as they, their coordinators and admins see them (home included)."""

    id: Id
    community_id: Id
    name: Name
    email: Email
    home: Point
    address: AddressText | None = Field(description="The home address given, if any.")
    max_travel_km: float
    skills: Skills
    interests: Interests
    availability: Availability
    blackout_dates: Blackouts
    stage: Stage
    checks: UniqueSlugs
    max_commitments_per_month: MonthlyLimit
    active: bool
    apprentice_of: ApprenticeOf
    created_at: datetime
    updated_at: datetime


class MemberCreated(MemberOut):
    """The creation response: the member's key, shown this once only (null in a replay)."""

    api_key: ApiKeyText | None
