"""The ServeMatch data model: one set of SQLAlchemy models for both storage backends.

Every located row keeps plain ``*_lat`` / ``*_lon`` columns (the portable truth, with a
composite B-tree index that serves SQLite's bounding-box prefilter) and, on PostgreSQL only,
a generated ``geography(Point, 4326)`` column with a GiST index so radius searches use
``ST_DWithin`` on the index. The geography columns are deferred and raise on load, so the
ORM never selects them on SQLite where they do not exist.
"""

from datetime import datetime
from typing import Any

from geoalchemy2 import Geography
from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Column,
    Computed,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    Text,
    UniqueConstraint,
    and_,
    false,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, MappedColumn, mapped_column, relationship

from api.db.types import JSONDocument, UTCDateTime, new_id, utcnow
from api.vocabulary import (
    ActorRole,
    Category,
    DeclineReason,
    HouseholdServe,
    MatchEventKind,
    MatchOutcome,
    NeedStatus,
    ObjectType,
    Role,
    SignupStatus,
    Stage,
    Urgency,
    values,
)

POSTGIS_ONLY = {"postgis_only": True}


def _one_of(column: str, words: Any) -> CheckConstraint:
    """A CHECK constraint holding ``column`` to one of the ``Literal`` type's words."""
    allowed = ", ".join(f"'{value}'" for value in values(words))
    return CheckConstraint(f"{column} IN ({allowed})", name=f"{column}_known")


def _geography_of(lat_column: str, lon_column: str) -> MappedColumn[Any]:
    """A PostGIS-generated point mirroring the lat/lon columns (see the module docstring)."""
    return mapped_column(
        Geography("POINT", srid=4326, spatial_index=False),
        Computed(
            f"(ST_SetSRID(ST_MakePoint({lon_column}, {lat_column}), 4326))::geography",
            persisted=True,
        ),
        deferred=True,
        deferred_raiseload=True,
        info=POSTGIS_ONLY,
    )


class Base(DeclarativeBase):
    """Declarative base; server-generated values are never fetched back implicitly."""

    __mapper_args__ = {"eager_defaults": False}


coordinator_communities = Table(
    "coordinator_communities",
    Base.metadata,
    Column(
        "coordinator_id",
        String(36),
        ForeignKey("coordinators.id", ondelete="CASCADE"),
        primary_key=True,
    ),
    Column(
        "community_id",
        String(36),
        ForeignKey("communities.id", ondelete="CASCADE"),
        primary_key=True,
        index=True,
    ),
)


class Community(Base):
    """A missional community: where it meets, its time zone, and where it came from."""

    __tablename__ = "communities"
    __table_args__ = (
        Index("ix_communities_meeting_lat_lon", "meeting_lat", "meeting_lon"),
        Index(
            "ix_communities_meeting_geog",
            "meeting_geog",
            postgresql_using="gist",
            info=POSTGIS_ONLY,
        ),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    name: Mapped[str] = mapped_column(String(120))
    meeting_lat: Mapped[float] = mapped_column(Float)
    meeting_lon: Mapped[float] = mapped_column(Float)
    meeting_geog: Mapped[Any] = _geography_of("meeting_lat", "meeting_lon")
    # The address the meeting point was geocoded from, as given (None: given as coordinates).
    address: Mapped[str | None] = mapped_column(String(300))
    timezone: Mapped[str] = mapped_column(String(64))
    parent_id: Mapped[str | None] = mapped_column(
        ForeignKey("communities.id", ondelete="SET NULL"), index=True
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Coordinator(Base):
    """A person who leads one or more communities and posts their needs."""

    __tablename__ = "coordinators"

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    name: Mapped[str] = mapped_column(String(120))
    email: Mapped[str] = mapped_column(String(254), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    communities: Mapped[list[Community]] = relationship(
        secondary=coordinator_communities, lazy="raise"
    )


class Agency(Base):
    """A partner organisation (food bank, school, shelter) that posts requests."""

    __tablename__ = "agencies"

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    name: Mapped[str] = mapped_column(String(120))
    email: Mapped[str] = mapped_column(String(254), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Member(Base):
    """A member of one community, with what the engine needs to match them."""

    __tablename__ = "members"
    __table_args__ = (
        UniqueConstraint("community_id", "email", name="uq_members_community_email"),
        Index("ix_members_home_lat_lon", "home_lat", "home_lon"),
        # The network's largest radius bounds every candidate search; the index makes it O(log n).
        Index("ix_members_max_travel_km", "max_travel_km"),
        # Which members changed since a worker's snapshot was taken (api.matching.member_snapshot).
        Index("ix_members_updated_at", "updated_at"),
        Index("ix_members_home_geog", "home_geog", postgresql_using="gist", info=POSTGIS_ONLY),
        _one_of("stage", Stage),
        CheckConstraint("max_travel_km > 0", name="max_travel_km_positive"),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    community_id: Mapped[str] = mapped_column(
        ForeignKey("communities.id", ondelete="CASCADE"), index=True
    )
    name: Mapped[str] = mapped_column(String(120))
    email: Mapped[str] = mapped_column(String(254))
    home_lat: Mapped[float] = mapped_column(Float)
    home_lon: Mapped[float] = mapped_column(Float)
    home_geog: Mapped[Any] = _geography_of("home_lat", "home_lon")
    address: Mapped[str | None] = mapped_column(String(300))
    max_travel_km: Mapped[float] = mapped_column(Float)
    skills: Mapped[dict[str, int]] = mapped_column(JSONDocument, default=dict)
    interests: Mapped[str] = mapped_column(Text, default="")
    availability: Mapped[list[dict[str, str]]] = mapped_column(JSONDocument, default=list)
    blackout_dates: Mapped[list[str]] = mapped_column(JSONDocument, default=list)
    stage: Mapped[Stage] = mapped_column(String(16), default="new")
    checks: Mapped[list[str]] = mapped_column(JSONDocument, default=list)
    max_commitments_per_month: Mapped[int] = mapped_column(Integer, default=4)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    # The leader this member is apprenticed to (a leader-to-be), if any.
    apprentice_of: Mapped[str | None] = mapped_column(
        ForeignKey("members.id", ondelete="SET NULL", name="fk_members_apprentice_of_members"),
        index=True,
    )
    # Set when the member's personal data was erased; their sign-ups stay, anonymous, so the
    # community's service hours still add up.
    erased_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class StageChange(Base):
    """A stage a member held from ``changed_at`` on: one row when they join, one whenever a
    coordinator changes it, so a community's health can be told over time."""

    __tablename__ = "stage_changes"
    __table_args__ = (
        Index("ix_stage_changes_member_changed", "member_id", "changed_at"),
        _one_of("stage", Stage),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    member_id: Mapped[str] = mapped_column(ForeignKey("members.id", ondelete="CASCADE"))
    stage: Mapped[Stage] = mapped_column(String(16))
    changed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # Who changed it (a coordinator's or admin's id); None when the member joined with it.
    changed_by: Mapped[str | None] = mapped_column(String(36))


class Membership(Base):
    """A member's time in one community, [``joined_at``, ``left_at``): a multiplication
    closes one and opens another, so the mother's past figures keep those who moved."""

    __tablename__ = "memberships"
    __table_args__ = (
        Index("ix_memberships_community_joined", "community_id", "joined_at"),
        CheckConstraint("left_at IS NULL OR left_at >= joined_at", name="left_after_joining"),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    member_id: Mapped[str] = mapped_column(ForeignKey("members.id", ondelete="CASCADE"), index=True)
    community_id: Mapped[str] = mapped_column(ForeignKey("communities.id", ondelete="CASCADE"))
    joined_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    left_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class Need(Base):
    """A request for help, from a community (via its coordinator) or a partner agency."""

    __tablename__ = "needs"
    __table_args__ = (
        CheckConstraint(
            "(community_id IS NULL) <> (agency_id IS NULL)", name="need_has_exactly_one_source"
        ),
        CheckConstraint("ends_at > starts_at", name="need_ends_after_start"),
        _one_of("category", Category),
        _one_of("urgency", Urgency),
        _one_of("status", NeedStatus),
        Index("ix_needs_location_lat_lon", "location_lat", "location_lon"),
        Index(
            "ix_needs_location_geog", "location_geog", postgresql_using="gist", info=POSTGIS_ONLY
        ),
        Index("ix_needs_shown_lat_lon", "shown_lat", "shown_lon"),
        Index("ix_needs_shown_geog", "shown_geog", postgresql_using="gist", info=POSTGIS_ONLY),
        Index("ix_needs_status_starts_at", "status", "starts_at"),
        Index("ix_needs_ask_again", "ask_again"),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    community_id: Mapped[str | None] = mapped_column(
        ForeignKey("communities.id", ondelete="CASCADE"), index=True
    )
    agency_id: Mapped[str | None] = mapped_column(
        ForeignKey("agencies.id", ondelete="CASCADE"), index=True
    )
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    category: Mapped[Category] = mapped_column(String(16))
    location_lat: Mapped[float] = mapped_column(Float)
    location_lon: Mapped[float] = mapped_column(Float)
    location_geog: Mapped[Any] = _geography_of("location_lat", "location_lon")
    private_location: Mapped[bool] = mapped_column(Boolean, default=False)
    # Where everyone not entitled to the place sees it: the place itself, or for a private
    # one the centre of its coarse grid cell. Matching, distances and radius filters for
    # those viewers read these columns, never location_*, so no answer can reveal more than
    # the cell (see api/privacy.py).
    shown_lat: Mapped[float] = mapped_column(Float)
    shown_lon: Mapped[float] = mapped_column(Float)
    shown_geog: Mapped[Any] = _geography_of("shown_lat", "shown_lon")
    # 0 for a place shown as it is; else the cell size it was coarsened with, so distances
    # to it are shown no finer than the cell.
    shown_precision_km: Mapped[float] = mapped_column(Float, default=0.0)
    address: Mapped[str | None] = mapped_column(String(300))
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime)
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime)
    requirements: Mapped[list[str]] = mapped_column(JSONDocument, default=list)
    urgency: Mapped[Urgency] = mapped_column(String(16), default="normal")
    open_to_network: Mapped[bool] = mapped_column(Boolean, default=False)
    status: Mapped[NeedStatus] = mapped_column(String(16), default="open")
    # Keep asking (``api.assignment.ask_again``): on whose behalf places given back are asked
    # again (NULL: off), and whether one has been given back since the sweep last asked.
    keep_asking_role: Mapped[str | None] = mapped_column(String(16))
    keep_asking_by: Mapped[str | None] = mapped_column(String(36))
    ask_again: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    roles: Mapped[list["NeedRole"]] = relationship(
        back_populates="need",
        lazy="selectin",
        order_by="NeedRole.position",
        cascade="all, delete-orphan",
    )


class NeedRole(Base):
    """One role of a need (cook x2): ``filled`` places confirmed, ``invited`` held by pending
    invitations; CHECKs keep both together within ``count`` as an overbooking backstop."""

    __tablename__ = "need_roles"
    __table_args__ = (
        UniqueConstraint("need_id", "name", name="uq_need_roles_need_name"),
        CheckConstraint("count >= 1", name="role_count_positive"),
        CheckConstraint("min_level BETWEEN 1 AND 3", name="role_min_level_range"),
        CheckConstraint("filled >= 0 AND filled <= count", name="role_never_overfilled"),
        CheckConstraint("invited >= 0 AND filled + invited <= count", name="role_never_overheld"),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    need_id: Mapped[str] = mapped_column(ForeignKey("needs.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    name: Mapped[str] = mapped_column(String(60))
    skill: Mapped[str | None] = mapped_column(String(40))
    min_level: Mapped[int] = mapped_column(Integer, default=1)
    count: Mapped[int] = mapped_column(Integer)
    filled: Mapped[int] = mapped_column(Integer, default=0)
    # Places held by invitations not yet answered; one past its expiry is released lazily,
    # under the need's lock, before any place of the need is taken (``api.signups``).
    invited: Mapped[int] = mapped_column(Integer, default=0, server_default=text("0"))

    need: Mapped[Need] = relationship(back_populates="roles", lazy="raise")


# Written as ORs, not IN: PostgreSQL prints IN back in a form that does not read back the same,
# and the generator's bulk load rebuilds indexes from their printed definitions.
HOLDS_A_PLACE = "status = 'confirmed' OR status = 'invited' OR status = 'waiting'"
PENDING = "status = 'invited'"
"""Invitations sent and unanswered, whose expiry the sweep watches (a waiting one is settled
by the invitation it waits for: see ``api.signups.service``)."""
INVITATION_EXPIRES = "(status <> 'invited' AND status <> 'waiting') OR expires_at IS NOT NULL"


class Signup(Base):
    """A member's place in a role, or an invitation to one. At most one sign-up holding a
    place (confirmed, invited or waiting) per (need, member)."""

    __tablename__ = "signups"
    __table_args__ = (
        Index(
            "uq_signups_held_need_member",
            "need_id",
            "member_id",
            unique=True,
            sqlite_where=text(HOLDS_A_PLACE),
            postgresql_where=text(HOLDS_A_PLACE),
        ),
        # A member's inbox, newest first (``GET /v1/members/{id}/signups``).
        Index("ix_signups_member_created", "member_id", "created_at"),
        # Pending invitations by expiry, for the sweep that gives overdue ones' places back.
        Index(
            "ix_signups_pending_expires",
            "expires_at",
            sqlite_where=text(PENDING),
            postgresql_where=text(PENDING),
        ),
        _one_of("status", SignupStatus),
        _one_of("decline_reason", DeclineReason),
        CheckConstraint(INVITATION_EXPIRES, name="invitation_expires"),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    need_id: Mapped[str] = mapped_column(ForeignKey("needs.id", ondelete="CASCADE"), index=True)
    role_id: Mapped[str] = mapped_column(ForeignKey("need_roles.id", ondelete="CASCADE"))
    member_id: Mapped[str] = mapped_column(ForeignKey("members.id", ondelete="CASCADE"), index=True)
    status: Mapped[SignupStatus] = mapped_column(String(16), default="confirmed")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    withdrawn_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Invitations: who asked (a coordinator's or admin's id), until when the place is held,
    # and when and why it was answered (accepted, declined or expired).
    invited_by: Mapped[str | None] = mapped_column(String(36))
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    answered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    decline_reason: Mapped[DeclineReason | None] = mapped_column(String(16))
    decline_note: Mapped[str | None] = mapped_column(String(500))
    # A waiting invitation: the mentor's invitation on the same need it waits for. Looked up
    # by need (``ix_signups_need_id``), so it needs no index of its own.
    waits_for_id: Mapped[str | None] = mapped_column(
        ForeignKey("signups.id", ondelete="SET NULL", name="fk_signups_waits_for_id")
    )
    # An invitation on standby: asked besides the invitation holding the place, the first yes
    # takes it (``api.signups``). It holds no place of its own (``need_roles.invited``).
    standby: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())


STANDING_BY = and_(Signup.status == "invited", Signup.standby.is_(True))
"""A sign-up that is a standby invitation still to be answered (holds no place)."""

UNANSWERED = "outcome IS NULL"


class MatchEvent(Base):
    """A need shown to a member (suggested, or an invitation sent) and what became of it: the
    answers a learned re-ranker is trained on (``api.feedback``).

    One row per (member, need, kind): showing it again counts (``shown_count``) rather than
    adding rows, so storage grows with what members see, not with how often they look. Only
    words from fixed lists are kept (a decline's reason, never its note), and rows older than
    ``SERVEMATCH_FEEDBACK_RETENTION_DAYS`` are swept.
    """

    __tablename__ = "match_events"
    __table_args__ = (
        UniqueConstraint("member_id", "need_id", "kind", name="uq_match_events_member_need_kind"),
        Index("ix_match_events_need_id", "need_id"),
        # The retention sweep deletes by age; training reads the recent ones.
        Index("ix_match_events_shown_at", "shown_at"),
        # Unanswered ones by start, for the sweep that marks them ignored once it has passed.
        Index(
            "ix_match_events_unanswered_starts_at",
            "starts_at",
            sqlite_where=text(UNANSWERED),
            postgresql_where=text(UNANSWERED),
        ),
        _one_of("kind", MatchEventKind),
        _one_of("outcome", MatchOutcome),
        _one_of("decline_reason", DeclineReason),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    member_id: Mapped[str] = mapped_column(ForeignKey("members.id", ondelete="CASCADE"))
    need_id: Mapped[str] = mapped_column(ForeignKey("needs.id", ondelete="CASCADE"))
    role: Mapped[str] = mapped_column(String(60))
    kind: Mapped[MatchEventKind] = mapped_column(String(16))
    # Position in the list the member saw (1 = first; the best one seen); None for an
    # invitation sent without an engine ranking.
    rank: Mapped[int | None] = mapped_column(Integer)
    score: Mapped[float | None] = mapped_column(Float)
    components: Mapped[dict[str, float] | None] = mapped_column(JSONDocument, nullable=True)
    category: Mapped[Category] = mapped_column(String(16))
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # The need's start on the member's community clock (0 = Monday), for the re-ranker.
    local_weekday: Mapped[int] = mapped_column(Integer)
    local_hour: Mapped[float] = mapped_column(Float)
    shown_at: Mapped[datetime] = mapped_column(UTCDateTime)
    last_shown_at: Mapped[datetime] = mapped_column(UTCDateTime)
    shown_count: Mapped[int] = mapped_column(Integer, default=1)
    outcome: Mapped[MatchOutcome | None] = mapped_column(String(16))
    decline_reason: Mapped[DeclineReason | None] = mapped_column(String(16))
    outcome_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Until when a "maybe later" keeps the need out of the member's suggestions.
    snoozed_until: Mapped[datetime | None] = mapped_column(UTCDateTime)


class RankingModel(Base):
    """A re-ranker fitted by ``servematch train``, with the figures that decided whether it
    ranks (``active``; at most one is). Its learned state is plain JSON numbers."""

    __tablename__ = "ranking_models"
    __table_args__ = (Index("ix_ranking_models_trained_at", "trained_at"),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    trained_at: Mapped[datetime] = mapped_column(UTCDateTime)
    events: Mapped[int] = mapped_column(Integer)
    figures: Mapped[dict[str, Any]] = mapped_column(JSONDocument)
    parameters: Mapped[dict[str, Any]] = mapped_column(JSONDocument)
    active: Mapped[bool] = mapped_column(Boolean, default=False)
    reason: Mapped[str] = mapped_column(String(300))


class Household(Base):
    """People of one community who live together and say how they serve (``serve``)."""

    __tablename__ = "households"
    __table_args__ = (
        # A community's households by name: the list's keyset order.
        Index("ix_households_community_name", "community_id", "name", "id"),
        _one_of("serve", HouseholdServe),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    community_id: Mapped[str] = mapped_column(ForeignKey("communities.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(120))
    serve: Mapped[HouseholdServe] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


household_members = Table(
    "household_members",
    Base.metadata,
    # The member is the key: a member belongs to at most one household, and the database
    # refuses a second one even when two requests race past the service's check.
    Column("member_id", String(36), ForeignKey("members.id", ondelete="CASCADE"), primary_key=True),
    Column(
        "household_id",
        String(36),
        ForeignKey("households.id", ondelete="CASCADE"),
        nullable=False,
        index=True,
    ),
)


class ApiKey(Base):
    """A bearer key. Only its SHA-256 is stored; the key itself is shown once at creation."""

    __tablename__ = "api_keys"
    __table_args__ = (_one_of("role", Role), Index("ix_api_keys_principal_id", "principal_id"))

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    key_hash: Mapped[str] = mapped_column(String(64), unique=True)
    prefix: Mapped[str] = mapped_column(String(16))
    role: Mapped[Role] = mapped_column(String(16))
    principal_id: Mapped[str | None] = mapped_column(String(36))
    name: Mapped[str] = mapped_column(String(120))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class GeocodedAddress(Base):
    """A geocoder's answer for one normalised address, so each is asked once per provider."""

    __tablename__ = "geocoded_addresses"

    provider: Mapped[str] = mapped_column(String(16), primary_key=True)
    query: Mapped[str] = mapped_column(String(300), primary_key=True)
    name: Mapped[str] = mapped_column(String(300))
    lat: Mapped[float] = mapped_column(Float)
    lon: Mapped[float] = mapped_column(Float)
    region: Mapped[str | None] = mapped_column(String(120))
    country_code: Mapped[str | None] = mapped_column(String(2))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class IdempotencyRecord(Base):
    """The first outcome of a creating POST sent with an ``Idempotency-Key``, replayed on retry.

    Scoped to the caller (``role:id``) so one client's key can never return another's result.
    ``status_code`` is NULL while the first request is still running.
    """

    __tablename__ = "idempotency_records"
    __table_args__ = (
        UniqueConstraint("scope", "key", name="uq_idempotency_records_scope_key"),
        Index("ix_idempotency_records_expires_at", "expires_at"),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    scope: Mapped[str] = mapped_column(String(60))
    key: Mapped[str] = mapped_column(String(255))
    method: Mapped[str] = mapped_column(String(10))
    path: Mapped[str] = mapped_column(String(500))
    request_hash: Mapped[str] = mapped_column(String(64))
    status_code: Mapped[int | None] = mapped_column(Integer)
    response_body: Mapped[Any] = mapped_column(JSONDocument, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)


class AuditEvent(Base):
    """One write: who (role and id, never a name or email), what, to which object, when."""

    __tablename__ = "audit_events"
    __table_args__ = (
        Index("ix_audit_events_at", "at"),
        Index("ix_audit_events_object", "object_type", "object_id"),
        Index("ix_audit_events_actor", "actor_role", "actor_id"),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    actor_role: Mapped[ActorRole] = mapped_column(String(16))
    actor_id: Mapped[str | None] = mapped_column(String(36))
    action: Mapped[str] = mapped_column(String(60))
    object_type: Mapped[ObjectType] = mapped_column(String(40))
    object_id: Mapped[str | None] = mapped_column(String(36))
    detail: Mapped[dict[str, Any]] = mapped_column(JSONDocument, default=dict)
