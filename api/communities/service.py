"""Community use cases: create, read, and appoint coordinators."""

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from api.audit.service import record
from api.auth.keys import issue_key
from api.auth.principal import Principal
from api.communities import repository
from api.communities.schemas import (
    MAX_COORDINATED,
    CommunityCreate,
    CommunityOut,
    CoordinatorCreate,
    CoordinatorOut,
    Point,
)
from api.db.models import Community, Coordinator, coordinator_communities
from api.errors import Conflict, FieldError, NotFound
from api.geocoding.service import required_place
from geo.geocoding import Geocoder
from geo.timezones import timezone_at


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


def find(session: Session, statement: Select[tuple[Community]], community_id: str) -> Community:
    """One community from a scoped statement, or 404 (absent and forbidden look alike)."""
    community = session.scalar(statement.where(Community.id == community_id))
    if community is None:
        raise NotFound(f"community {community_id} not found")
    return community


def create(
    session: Session,
    *,
    data: CommunityCreate,
    geocoder: Geocoder,
    actor: Principal | None = None,
) -> Community:
    """Create a community; its parent, if named, must exist. ``actor`` None: the system."""
    if data.parent_id is not None and session.get(Community, data.parent_id) is None:
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


def get(session: Session, *, principal: Principal, community_id: str) -> Community:
    """A community the caller may read."""
    return find(session, repository.readable(principal), community_id)


def add_coordinator(
    session: Session,
    *,
    community_id: str,
    data: CoordinatorCreate,
    actor: Principal | None = None,
) -> tuple[CoordinatorOut, bool]:
    """Appoint a coordinator; returns (coordinator, created). A new one gets a key, once."""
    community = session.get(Community, community_id)
    if community is None:
        raise NotFound(f"community {community_id} not found")
    coordinator = session.scalar(select(Coordinator).where(Coordinator.email == data.email))
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
    already = session.scalar(
        select(coordinator_communities.c.community_id).where(
            coordinator_communities.c.coordinator_id == coordinator.id,
            coordinator_communities.c.community_id == community_id,
        )
    )
    if already is None:
        coordinated = session.scalar(
            select(func.count()).where(coordinator_communities.c.coordinator_id == coordinator.id)
        )
        if coordinated is not None and coordinated >= MAX_COORDINATED:
            raise Conflict(f"a coordinator may coordinate at most {MAX_COORDINATED} communities")
        session.execute(
            coordinator_communities.insert().values(
                coordinator_id=coordinator.id, community_id=community_id
            )
        )
        record(
            session,
            actor=actor,
            action="community.appoint_coordinator",
            object_type="community",
            object_id=community_id,
            fields=["coordinator_ids"],
        )
    community_ids = session.scalars(
        select(coordinator_communities.c.community_id)
        .where(coordinator_communities.c.coordinator_id == coordinator.id)
        .order_by(coordinator_communities.c.community_id)
    ).all()
    out = CoordinatorOut(
        id=coordinator.id,
        name=coordinator.name,
        email=coordinator.email,
        community_ids=list(community_ids),
        api_key=api_key,
    )
    return out, created
