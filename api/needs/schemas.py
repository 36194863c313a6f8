"""Request and response bodies for needs."""

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Annotated

from fastapi import Query
from pydantic import (
    AfterValidator,
    BaseModel,
    Field,
    ValidationInfo,
    field_validator,
)

from api import patterns
from api.errors import FieldError
from api.schemas import (
    UNIQUE_ITEMS,
    Address,
    AddressText,
    Count,
    Flag,
    Id,
    Input,
    Instant,
    InstantParameter,
    LatLon,
    Patch,
    Point,
    Slug,
    UniqueSlugs,
)
from api.vocabulary import Category, NeedStatus, Urgency

Title = Annotated[str, Field(min_length=1, max_length=200)]
Description = Annotated[str, Field(max_length=5000)]
MAX_DURATION = timedelta(days=7)
MAX_ROLES, MAX_ROLE_PLACES = 20, 100
MAX_PLACES = MAX_ROLES * MAX_ROLE_PLACES
"""Places in all of a need's roles together, at most: also its confirmed sign-ups, at most."""
MinLevel = Annotated[int, Field(ge=1, le=3)]
RolePlaces = Annotated[int, Field(ge=1, le=MAX_ROLE_PLACES)]


class RoleIn(Input):
    """A role to fill: its name, the skill it needs (null = anyone), and how many people."""

    name: Slug
    skill: Slug | None = None
    min_level: MinLevel = 1
    count: RolePlaces


def _unique_role_names(roles: list[RoleIn]) -> list[RoleIn]:
    names = [role.name for role in roles]
    if len(set(names)) != len(names):
        raise ValueError("role names must be unique within a need")
    return roles


# Unique names make unique roles: ``uniqueItems`` is the part of the rule JSON Schema can say.
Roles = Annotated[
    list[RoleIn],
    Field(min_length=1, max_length=MAX_ROLES),
    AfterValidator(_unique_role_names),
    UNIQUE_ITEMS,
]


def _ends_after_start(ends_at: datetime | None, info: ValidationInfo) -> datetime | None:
    """Checked on ``ends_at`` (not the whole model) so the 422 names that field."""
    starts_at = info.data.get("starts_at")
    if starts_at is None or ends_at is None:
        return ends_at
    if ends_at <= starts_at:
        raise ValueError("ends_at must be after starts_at")
    if ends_at - starts_at > MAX_DURATION:
        raise ValueError("a need may last at most 7 days from starts_at; split longer ones")
    return ends_at


class NeedCreate(Input):
    """A new need. Coordinators give ``community_id``; an agency's need is its own."""

    community_id: Id | None = None
    title: Title
    description: Description = ""
    category: Category
    location: LatLon | None = Field(default=None, description="Where: this or `address`.")
    address: Address | None = None
    private_location: Flag = Field(
        default=False, description="At a private home: others see only a coarse area."
    )
    starts_at: Instant
    ends_at: Instant
    roles: Roles
    requirements: UniqueSlugs = Field(default_factory=list)
    urgency: Urgency = "normal"
    open_to_network: Flag = False

    _window = field_validator("ends_at")(_ends_after_start)


class NeedUpdate(Patch):
    """Fields a need's owner may change. ``roles`` replaces the list, matched by name."""

    title: Title | None = None
    description: Description | None = None
    category: Category | None = None
    location: LatLon | None = None
    address: Address | None = None
    private_location: Flag | None = None
    starts_at: Instant | None = None
    ends_at: Instant | None = None
    roles: Roles | None = None
    requirements: UniqueSlugs | None = None
    urgency: Urgency | None = None
    open_to_network: Flag | None = None
    keep_asking: Flag | None = Field(
        default=None,
        description="Keep asking (coordinators and admins): `true` asks the next members never "
        "asked for the need, on your behalf, for its open places within a minute and again "
        "whenever a place is given back; `false` stops it.",
    )

    _window = field_validator("ends_at")(_ends_after_start)


Places = Annotated[Count, Field(le=MAX_ROLE_PLACES)]


class RoleOut(BaseModel):
    """A role and how many of its places are confirmed (``filled``) and held by pending
    invitations (``invited``)."""

    name: Slug
    skill: Slug | None
    min_level: MinLevel
    count: RolePlaces
    filled: Places
    invited: Places = Field(
        description="Places held by invitations not yet answered. One past its expiry leaves "
        "this count at the next write on the need (a sign-up, invitation or answer); "
        "matching never counts it."
    )


class NeedOut(BaseModel):
    """A need. For a private location, viewers other than its owners get a coarse point."""

    id: Id
    community_id: Id | None
    agency_id: Id | None
    title: Title
    description: Description
    category: Category
    location: Point
    location_approximate: bool
    address: AddressText | None = Field(
        description="The address the need was placed by, as given; only for those who see "
        "its location exactly."
    )
    private_location: bool
    starts_at: datetime
    ends_at: datetime
    roles: Annotated[list[RoleOut], Field(max_length=MAX_ROLES)]
    requirements: UniqueSlugs
    urgency: Urgency
    open_to_network: bool
    keep_asking: bool = Field(
        description="Whether places given back (declined, expired, withdrawn) are asked again "
        "within a minute, the next members never asked for the need (a team or batch sent "
        "with `keep_asking: true`, or set here by PATCH); its invitations then hold their "
        "places half the time left before the need (12 to 48 hours)."
    )
    status: NeedStatus
    created_at: datetime
    updated_at: datetime


# The query of a need list (`GET /v1/needs` and its map, `/v1/needs.geojson`).
Near = Annotated[
    str | None,
    Query(
        max_length=64,
        pattern=patterns.LAT_LON,
        description="`lat,lon` to search around, e.g. `51.5072,-0.1276`.",
    ),
]
RadiusKm = Annotated[float | None, Query(gt=0, le=500, description="Search radius in km.")]
CategoryFilter = Annotated[Category | None, Query(description="Only needs of this category.")]
StartsFrom = Annotated[
    InstantParameter | None,
    Query(alias="from", description="Only needs starting at or after this instant (with zone)."),
]
StartsBefore = Annotated[
    InstantParameter | None,
    Query(description="Only needs starting before this instant (with zone); after `from`."),
]
DEFAULT_RADIUS_KM = 25.0


def parse_near(near: str | None, radius_km: float | None) -> tuple[float, float] | None:
    """The `near` point as (lat, lon), checked; `radius_km` without `near` is refused."""
    if near is None:
        if radius_km is not None:
            raise FieldError(("query", "radius_km"), "radius_km needs near=lat,lon")
        return None
    lat_text, lon_text = near.split(",")
    lat, lon = float(lat_text), float(lon_text)
    if not -90 <= lat <= 90:
        raise FieldError(("query", "near"), "latitude must be within [-90, 90]")
    if not -180 <= lon <= 180:
        raise FieldError(("query", "near"), "longitude must be within [-180, 180]")
    return lat, lon


@dataclass(frozen=True, slots=True)
class NeedFilter:
    """What a need list asks for, checked once: a status, an area (``near`` + radius), a
    category, and when they start ([``starts_from``, ``starts_before``))."""

    status: NeedStatus | None = None
    near: tuple[float, float] | None = None
    radius_km: float = DEFAULT_RADIUS_KM
    category: Category | None = None
    starts_from: datetime | None = None
    starts_before: datetime | None = None

    @classmethod
    def from_query(
        cls,
        status: NeedStatus | None,
        near: str | None,
        radius_km: float | None,
        *,
        category: Category | None = None,
        starts_from: datetime | None = None,
        starts_before: datetime | None = None,
    ) -> "NeedFilter":
        """The filter of ``GET /v1/needs`` (and its map) from the query as given; 422 naming
        ``to`` when it does not come after ``from``."""
        if starts_from and starts_before and starts_before <= starts_from:
            raise FieldError(("query", "to"), "to must be after from")
        return cls(
            status=status,
            near=parse_near(near, radius_km),
            radius_km=radius_km or DEFAULT_RADIUS_KM,
            category=category,
            starts_from=starts_from,
            starts_before=starts_before,
        )
