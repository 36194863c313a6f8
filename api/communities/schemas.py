"""Request and response bodies for communities and coordinators."""

from datetime import datetime
from typing import Annotated
from zoneinfo import available_timezones

from pydantic import AfterValidator, BaseModel, Field

from api.schemas import Address, Email, Input, LatLon, Name, Point

_ZONES = frozenset(available_timezones())  # read once: listing the tz database scans files


def _known_timezone(name: str) -> str:
    if name not in _ZONES:
        raise ValueError("unknown IANA time zone (e.g. 'Europe/London')")
    return name


TimeZoneName = Annotated[str, Field(max_length=64), AfterValidator(_known_timezone)]


class CommunityCreate(Input):
    """A new community (admin): where it meets as ``meeting_point`` or as ``address``.

    Without ``timezone``, the community gets the time zone of its meeting point.
    """

    name: Name
    meeting_point: LatLon | None = None
    address: Address | None = None
    timezone: TimeZoneName | None = None
    parent_id: str | None = Field(default=None, max_length=36)


class CommunityOut(BaseModel):
    """A community as its members, coordinators and admins see it."""

    id: str
    name: str
    meeting_point: Point
    address: str | None = Field(description="The address given for the meeting point, if any.")
    timezone: str
    parent_id: str | None
    created_at: datetime


class CoordinatorCreate(Input):
    """A coordinator for a community; an email already known attaches that coordinator."""

    name: Name
    email: Email


class CoordinatorOut(BaseModel):
    """A coordinator; ``api_key`` is present once, when the coordinator is first created."""

    id: str
    name: str
    email: str
    community_ids: list[str]
    api_key: str | None = None
