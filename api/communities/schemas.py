"""Request and response bodies for communities, their coordinators and their figures."""

import re
from datetime import datetime
from typing import Annotated, Literal
from zoneinfo import available_timezones

from pydantic import AfterValidator, BaseModel, Field, StringConstraints

from api.auth.credentials import ApiKeyText
from api.schemas import Address, AddressText, Count, Email, Id, Input, LatLon, Name, Point
from api.vocabulary import Stage
from matcher.inputs import STAGES

STAGE_MOVES = [(before, after) for before in STAGES for after in STAGES if before != after]
"""Every (from, to) a stage change can make."""

_ZONES = frozenset(available_timezones())  # read once: listing the tz database scans files
ZONE_MAX_CHARS = 64


def _known_timezone(name: str) -> str:
    if name not in _ZONES:
        raise ValueError("unknown IANA time zone (e.g. 'Europe/London')")
    return name


def _member_name(zone: str) -> str:
    """``Etc/GMT-1`` → ``ETC_GMT_MINUS_1``. Client generators name enum members after the
    values, and theirs (upper case, signs dropped) makes one member of ``Etc/GMT+1`` and
    ``Etc/GMT-1`` (openapi-python-client stops with "Duplicate key"); ``x-enum-varnames``
    gives each zone its own name."""
    name = re.sub(r"-(?=\d)", "_minus_", zone.replace("+", "_plus_"))
    return re.sub(r"[^A-Za-z0-9]+", "_", name).strip("_").upper()


ZONE_NAMES = sorted(_ZONES)
# The published schema lists the zones (an enum) rather than a pattern: it is what the server
# truly accepts, and clients can offer the list. Checked by the validator, not a Literal, so a
# refusal says one sentence instead of listing the ~600 zones.
TimeZoneName = Annotated[
    str,
    Field(
        max_length=ZONE_MAX_CHARS,
        json_schema_extra={
            "enum": ZONE_NAMES,
            "x-enum-varnames": [_member_name(zone) for zone in ZONE_NAMES],
        },
    ),
    AfterValidator(_known_timezone),
]
ZoneText = Annotated[
    str, StringConstraints(max_length=ZONE_MAX_CHARS, pattern=r"^[A-Za-z][A-Za-z0-9_+/-]*$")
]
"""A community's zone as responses carry it: an IANA name (given, or found at its place)."""


class CommunityCreate(Input):
    """A new community (admin): where it meets as ``meeting_point`` or as ``address``.

    Without ``timezone``, the community gets the time zone of its meeting point.
    """

    name: Name
    meeting_point: LatLon | None = None
    address: Address | None = None
    timezone: TimeZoneName | None = None
    parent_id: Id | None = None


class CommunityOut(BaseModel):
    """A community as its members, coordinators and admins see it."""

    id: Id
    name: Name
    meeting_point: Point
    address: AddressText | None = Field(
        description="The address given for the meeting point, if any."
    )
    timezone: ZoneText
    parent_id: Id | None
    created_at: datetime


class CoordinatorCreate(Input):
    """A coordinator for a community; an email already known attaches that coordinator."""

    name: Name
    email: Email


MAX_LISTED = 1000
"""Communities ``GET /v1/communities`` shows at most (all of a network's, for an admin)."""
MAX_COORDINATED = MAX_LISTED
"""Communities one coordinator may coordinate, at most: so their list is always whole."""
CommunityIds = Annotated[list[Id], Field(max_length=MAX_COORDINATED)]


class CoordinatorOut(BaseModel):
    """A coordinator; ``api_key`` is present once, when the coordinator is first created."""

    id: Id
    name: Name
    email: Email
    community_ids: CommunityIds
    api_key: ApiKeyText | None = None


class MemberCounts(BaseModel):
    """Current (not erased) members."""

    total: Count
    active: Count
    by_stage: dict[Stage, Count]


Interval = Literal["month", "week"]
"""A health series' step: local calendar months, or ISO weeks (Monday to Monday)."""
SERIES_DEFAULT_POINTS = 12
"""Points in a health series when ``from`` is not given: the interval holding ``to`` and the
eleven before it."""
SERIES_MAX_POINTS = 60
"""The most points one health series holds."""


class StageMove(BaseModel):
    """How many stage changes went from one stage to another in an interval."""

    from_stage: Stage
    to_stage: Stage
    count: Count


class HealthPoint(BaseModel):
    """One interval [``start``, ``end``) of a community's history.

    Members are counted at the interval's end; events (joining, leaving, serving, stage
    changes) when they happened within it."""

    start: datetime
    end: datetime
    members: Count = Field(
        description="Members at the interval's end: a membership of the community covered it "
        "(joined before it, not left before it) and they were not erased by then. Whether they "
        "were `active` then is not recorded, so this counts all of them."
    )
    by_stage: dict[Stage, Count] = Field(
        description="Those members by the stage they held at the interval's end (their last "
        "recorded stage change at or before it)."
    )
    joined: Count = Field(description="Memberships of the community that began in the interval.")
    left: Count = Field(
        description="Memberships of the community that ended in the interval (a member moved "
        "to another community)."
    )
    served_members: Count = Field(
        description="Distinct members with a confirmed place in a need that ended in the "
        "interval (and is over). A place counts for the community the member belonged to when "
        "the need ended, whoever posted the need; erased members' places still count."
    )
    service_hours: float = Field(
        ge=0, description="Those places' need durations summed, in hours (2 decimals)."
    )
    places_filled: Count = Field(description="Those places: confirmed sign-ups counted.")
    new_served: Count = Field(
        description="Of those places, the ones taken by a member at stage `new` when the need "
        "started."
    )
    new_served_with_mature: Count = Field(
        description="Of the places of `new` members, the ones in a need where another member "
        "(of any community) with a confirmed place was at stage `mature` or `leader` when it "
        "started: new members serving beside a mature one."
    )
    stage_changes: list[StageMove] = Field(
        max_length=len(STAGE_MOVES),
        description="Stage changes recorded in the interval while the member belonged to the "
        "community, by (from, to); the stage a member joined with is not a change.",
    )


class HealthSeries(BaseModel):
    """A community's health over time: one point per interval of [``from``, ``to``)."""

    interval: Interval
    from_: datetime = Field(serialization_alias="from")
    to: datetime
    points: list[HealthPoint] = Field(
        max_length=SERIES_MAX_POINTS,
        description="Oldest first. Intervals are local calendar months, or weeks from Monday, "
        "in the community's time zone; the first starts at `from` and the last ends at `to`, "
        "so either may be a part of one.",
    )


class CommunityHealth(BaseModel):
    """Figures for one community over the last ``window_days`` (ending at ``as_of``), and
    ``series``: the same community over time."""

    community_id: Id
    as_of: datetime
    window_days: Annotated[int, Field(ge=1, le=366)]
    members: MemberCounts
    confirmed_signups: Count
    """Confirmed sign-ups of the community's members on needs that ended in the window."""
    service_hours: float
    """Their summed need durations, in hours."""
    upcoming_signups: Count
    """Confirmed sign-ups on needs not yet over."""
    series: HealthSeries


LOAD_DEFAULT_DAYS = 28
"""The load report's window when ``to`` is not given: four weeks from ``from``."""
LOAD_MAX_DAYS = 366
"""The longest window a load report covers."""
Share = Annotated[float, Field(ge=0, le=1)]


class MemberLoad(BaseModel):
    """One active member's load in the window."""

    member_id: Id
    name: Name
    stage: Stage
    confirmed: Count = Field(description="Confirmed places in needs starting in the window.")
    invited: Count = Field(description="Pending invitations to needs starting in the window.")
    monthly_limit: Count = Field(description="The member's `max_commitments_per_month`.")
    over_limit: bool = Field(
        description="In some calendar month the window touches (in the community's time "
        "zone), confirmed places and pending invitations of that whole month exceed the limit."
    )
    days_since_last_served: Count | None = Field(
        description="Whole days since the end of the last need they served in (confirmed and "
        "over); null if they never served."
    )


MAX_LOAD_MEMBERS = 1_000
"""The most loaded members a load report lists; the figures always count every member."""


class CommunityLoad(BaseModel):
    """Who carries the load of a community in [``from``, ``to``), most loaded first."""

    community_id: Id
    from_: datetime = Field(serialization_alias="from")
    to: datetime
    gini: Share = Field(
        description="Gini coefficient of active members' confirmed places and invitations in "
        "the window: 0 all even, towards 1 all on one member."
    )
    share_served: Share = Field(
        description="Share of active members with at least one confirmed place in the window."
    )
    active_members: Count = Field(description="Active members, all counted in the figures.")
    members: list[MemberLoad] = Field(
        max_length=MAX_LOAD_MEMBERS,
        description=f"Active members by load (confirmed + invited) descending, then name; the "
        f"first {MAX_LOAD_MEMBERS:,} when there are more.",
    )
