"""Request and response bodies for households."""

from datetime import datetime
from typing import Annotated, NamedTuple

from pydantic import AfterValidator, BaseModel, Field

from api.schemas import UNIQUE_ITEMS, Id, Input, Name, Patch, unique
from api.vocabulary import HouseholdServe, Stage

MIN_MEMBERS, MAX_MEMBERS = 2, 20
"""A household is at least two people (one alone needs no household), and a home, not a
congregation."""

MemberIds = Annotated[
    list[Id],
    Field(min_length=MIN_MEMBERS, max_length=MAX_MEMBERS),
    AfterValidator(unique),
    UNIQUE_ITEMS,
]
Serve = Annotated[
    HouseholdServe,
    Field(
        description="`together`: on the same need where both fit (a preference); `apart`: "
        "never on overlapping windows (hard: one stays with the children); `either`."
    ),
]


class HouseholdCreate(Input):
    """A new household of a community's members (its coordinators, admins)."""

    name: Name
    member_ids: MemberIds
    serve: Serve = "either"


class HouseholdUpdate(Patch):
    """A household's new name, way of serving or members (the whole list)."""

    name: Name | None = None
    member_ids: MemberIds | None = None
    serve: Serve | None = None


class HouseholdMember(BaseModel):
    """One member of a household, as the household's readers see them."""

    id: Id
    name: Name
    stage: Stage


class HouseholdOut(BaseModel):
    """A household with its members, by name."""

    id: Id
    community_id: Id
    name: Name
    serve: HouseholdServe
    members: Annotated[list[HouseholdMember], Field(max_length=MAX_MEMBERS)]
    created_at: datetime
    updated_at: datetime


class HouseholdLink(NamedTuple):
    """A household as matching reads it (``service.households_of``): its id, how it serves,
    and all its members' ids, sorted."""

    household_id: str
    serve: HouseholdServe
    member_ids: tuple[str, ...]
