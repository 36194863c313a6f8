"""Community use cases: create, read, appoint coordinators, and a community's figures.

A community's figures (its "health") count its current members by stage, and the confirmed
sign-ups and service hours of its members on needs that ended in the last ``WINDOW_DAYS``.
Erased members are no longer counted as members, but their past sign-ups stay confirmed on
the anonymous stub, so the hours a community served do not shrink when someone exercises
their right to erasure. The health also tells the community over time (its ``series``): how
``api.communities.history`` defines each figure is written there.
"""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from api.audit.service import record
from api.auth.credentials import issue_key
from api.auth.principal import Principal
from api.communities import history, repository
from api.communities.schemas import (
    LOAD_DEFAULT_DAYS,
    LOAD_MAX_DAYS,
    MAX_COORDINATED,
    MAX_LISTED,
    MAX_LOAD_MEMBERS,
    SERIES_DEFAULT_POINTS,
    SERIES_MAX_POINTS,
    CommunityCreate,
    CommunityHealth,
    CommunityLoad,
    CommunityOut,
    CoordinatorCreate,
    CoordinatorOut,
    HealthSeries,
    Interval,
    MemberCounts,
    MemberLoad,
)
from api.db.models import Community, Coordinator
from api.errors import Conflict, FieldError, NotFound
from api.geocoding.service import required_place
from api.schemas import Point
from geo.geocoding import Geocoder
from geo.timezones import timezone_at
from matcher import gini
from matcher.inputs import STAGES

WINDOW_DAYS = 90
"""The window of a community's figures, ending now."""


def to_out(community: Community) -> CommunityOut:
    """The public shape of a community."""
    return CommunityOut(
        id=community.id,
        name=community.name,
        meeting_point=Point(lat=community.meeting_lat, lon=community.meeting_lon),
        address=community.address,
        timezone=community.timezone,
        parent_id=community.parent_id,
        created_at=community.created_at,
    )


def _not_found(community_id: str) -> NotFound:
    return NotFound(f"community {community_id} not found")


def get(session: Session, *, principal: Principal, community_id: str) -> Community:
    """A community the caller may read; 404 otherwise (absent and forbidden look alike)."""
    community = repository.get_readable(session, principal=principal, community_id=community_id)
    if community is None:
        raise _not_found(community_id)
    return community


def get_managed(session: Session, *, principal: Principal, community_id: str) -> Community:
    """A community the caller manages (admins, its coordinators); 404 otherwise."""
    community = repository.get_managed(session, principal=principal, community_id=community_id)
    if community is None:
        raise _not_found(community_id)
    return community


def list_readable(session: Session, *, principal: Principal) -> list[CommunityOut]:
    """The communities the caller belongs to or coordinates (all, for admins), by name."""
    communities = repository.list_readable(session, principal=principal, limit=MAX_LISTED)
    return [to_out(community) for community in communities]


def create(
    session: Session,
    *,
    data: CommunityCreate,
    geocoder: Geocoder,
    actor: Principal | None = None,
) -> Community:
    """Create a community; its parent, if named, must exist. ``actor`` None: the system."""
    if data.parent_id is not None and repository.get_by_id(session, data.parent_id) is None:
        raise FieldError(("body", "parent_id"), "parent community not found")
    place = required_place(
        session,
        geocoder,
        point=data.meeting_point,
        address=data.address,
        point_field="meeting_point",
    )
    zone = data.timezone or timezone_at(place.lat, place.lon)
    if zone is None:
        raise FieldError(
            ("body", "timezone"),
            "no time zone is known at the meeting point; give timezone (e.g. 'Europe/London')",
        )
    community = Community(
        name=data.name,
        meeting_lat=place.lat,
        meeting_lon=place.lon,
        address=place.address,
        timezone=zone,
        parent_id=data.parent_id,
    )
    session.add(community)
    session.flush()
    record(
        session,
        actor=actor,
        action="community.create",
        object_type="community",
        object_id=community.id,
        fields=data.model_fields_set,
    )
    return community


def add_coordinator(
    session: Session,
    *,
    community_id: str,
    data: CoordinatorCreate,
    actor: Principal | None = None,
) -> tuple[CoordinatorOut, bool]:
    """Appoint a coordinator; returns (coordinator, created). A new one gets a key, once."""
    if repository.get_by_id(session, community_id) is None:
        raise _not_found(community_id)
    coordinator = repository.find_coordinator(session, email=data.email)
    created = coordinator is None
    api_key = None
    if coordinator is None:
        coordinator = Coordinator(name=data.name, email=data.email)
        session.add(coordinator)
        session.flush()
        api_key = issue_key(
            session, role="coordinator", principal_id=coordinator.id, name=coordinator.name
        )
        record(
            session,
            actor=actor,
            action="coordinator.create",
            object_type="coordinator",
            object_id=coordinator.id,
            fields=data.model_fields_set,
        )
    if not repository.coordinates(
        session, coordinator_id=coordinator.id, community_id=community_id
    ):
        coordinated = repository.count_coordinated(session, coordinator_id=coordinator.id)
        if coordinated >= MAX_COORDINATED:
            raise Conflict(f"a coordinator may coordinate at most {MAX_COORDINATED} communities")
        repository.appoint(session, coordinator_id=coordinator.id, community_id=community_id)
        record(
            session,
            actor=actor,
            action="community.appoint_coordinator",
            object_type="community",
            object_id=community_id,
            fields=["coordinator_ids"],
        )
    out = CoordinatorOut(
        id=coordinator.id,
        name=coordinator.name,
        email=coordinator.email,
        community_ids=repository.coordinated_ids(session, coordinator_id=coordinator.id),
        api_key=api_key,
    )
    return out, created


def health(
    session: Session,
    *,
    principal: Principal,
    community_id: str,
    now: datetime,
    start: datetime | None = None,
    end: datetime | None = None,
    interval: Interval = "month",
) -> CommunityHealth:
    """The figures of a community the caller manages, as of ``now``, and its series over
    [``start``, ``end``) (see :func:`series`); 404 otherwise."""
    community = get_managed(session, principal=principal, community_id=community_id)
    by_stage = dict.fromkeys(STAGES, 0)
    active = 0
    for count in repository.count_members_by_stage(
        session, principal=principal, community_id=community_id
    ):
        by_stage[count.stage] = count.members
        active += count.active
    figures = repository.service_figures(
        session,
        principal=principal,
        community_id=community_id,
        since=now - timedelta(days=WINDOW_DAYS),
        now=now,
    )
    return CommunityHealth(
        community_id=community_id,
        as_of=now,
        window_days=WINDOW_DAYS,
        members=MemberCounts(total=sum(by_stage.values()), active=active, by_stage=by_stage),
        confirmed_signups=figures.served,
        service_hours=round(figures.served_hours, 2),
        upcoming_signups=figures.upcoming,
        series=series(
            session,
            principal=principal,
            community=community,
            start=start,
            end=end,
            interval=interval,
            now=now,
        ),
    )


def _series_cuts(
    start: datetime | None, end: datetime | None, zone: ZoneInfo, interval: Interval, now: datetime
) -> list[datetime]:
    """The series' window cut into its points. ``end`` defaults to ``now``, ``start`` to the
    beginning of the interval ``SERIES_DEFAULT_POINTS - 1`` before the one ``end`` falls in;
    422 naming ``to`` unless it ends after it starts, naming ``from`` past
    ``SERIES_MAX_POINTS`` points."""
    end = end or now
    if start is None:
        # The interval holding the last instant of the window: an end on a bound closes the
        # interval before it.
        last = end - timedelta(microseconds=1)
        start = history.intervals_back(last, zone, interval, SERIES_DEFAULT_POINTS)
    if end <= start:
        raise FieldError(("query", "to"), "to must be after from")
    cuts = history.edges(start, end, zone, interval)
    if len(cuts) - 1 > SERIES_MAX_POINTS:
        raise FieldError(
            ("query", "from"),
            f"the series may hold at most {SERIES_MAX_POINTS} points ({interval}s); "
            f"from..to covers {len(cuts) - 1}",
        )
    return cuts


def series(
    session: Session,
    *,
    principal: Principal,
    community: Community,
    start: datetime | None,
    end: datetime | None,
    interval: Interval,
    now: datetime,
) -> HealthSeries:
    """A managed community's health over time, one point per local calendar month (or week)
    of [``start``, ``end``): three queries for the whole window, counted in Python
    (``api.communities.history``, where each figure is defined)."""
    cuts = _series_cuts(start, end, ZoneInfo(community.timezone), interval, now)
    community_id = community.id
    memberships = repository.memberships(
        session, principal=principal, community_id=community_id, since=cuts[0], until=cuts[-1]
    )
    stage_records = repository.stage_records(
        session, principal=principal, community_id=community_id, until=cuts[-1]
    )
    # Only needs over are served: a window reaching into the future stops counting at now.
    served = repository.served_places(
        session,
        principal=principal,
        community_id=community_id,
        since=cuts[0],
        until=min(cuts[-1], now),
    )
    return HealthSeries(
        interval=interval,
        from_=cuts[0],
        to=cuts[-1],
        points=history.points(
            cuts, memberships=memberships, stage_records=stage_records, served=served
        ),
    )


def _window(
    start: datetime | None, end: datetime | None, now: datetime
) -> tuple[datetime, datetime]:
    """The load report's window: from ``now`` and four weeks long unless given; 422 naming
    ``to`` when it does not end after it starts or spans more than ``LOAD_MAX_DAYS``."""
    start = start or now
    end = end or start + timedelta(days=LOAD_DEFAULT_DAYS)
    if end <= start:
        raise FieldError(("query", "to"), "to must be after from")
    if end - start > timedelta(days=LOAD_MAX_DAYS):
        raise FieldError(("query", "to"), f"the window may span at most {LOAD_MAX_DAYS} days")
    return start, end


def load(
    session: Session,
    *,
    principal: Principal,
    community_id: str,
    start: datetime | None,
    end: datetime | None,
    now: datetime,
) -> CommunityLoad:
    """Each active member's places in [``start``, ``end``) of a community the caller manages,
    whether some month breaks their monthly limit, how long since they served, and how evenly
    the load is spread (Gini) and how widely (the share who serve); 404 otherwise.

    Monthly limits are checked as the engine checks them, on whole local calendar months, so
    a place just before the window still counts towards its month.
    """
    community = get_managed(session, principal=principal, community_id=community_id)
    start, end = _window(start, end, now)
    bounds = history.interval_starts(start, end, ZoneInfo(community.timezone), "month")
    members = repository.active_members(session, principal=principal, community_id=community_id)
    confirmed = dict.fromkeys((member.id for member in members), 0)
    invited = confirmed.copy()
    busiest_month = confirmed.copy()
    for row in repository.month_loads(
        session,
        principal=principal,
        community_id=community_id,
        month_starts=bounds,
        start=start,
        end=end,
    ):
        confirmed[row.member_id] += row.confirmed
        invited[row.member_id] += row.invited
        busiest_month[row.member_id] = max(busiest_month[row.member_id], row.committed)
    served_at = repository.last_served(
        session, principal=principal, community_id=community_id, now=now
    )
    loads = [
        MemberLoad(
            member_id=member.id,
            name=member.name,
            stage=member.stage,
            confirmed=confirmed[member.id],
            invited=invited[member.id],
            monthly_limit=member.monthly_limit,
            over_limit=busiest_month[member.id] > member.monthly_limit,
            days_since_last_served=(
                (now - served_at[member.id]).days if member.id in served_at else None
            ),
        )
        for member in members
    ]
    loads.sort(key=lambda load: (-(load.confirmed + load.invited), load.name, load.member_id))
    served = sum(1 for load in loads if load.confirmed)
    return CommunityLoad(
        community_id=community_id,
        from_=start,
        to=end,
        gini=gini([load.confirmed + load.invited for load in loads]),
        share_served=served / len(loads) if loads else 0.0,
        active_members=len(loads),
        members=loads[:MAX_LOAD_MEMBERS],
    )
