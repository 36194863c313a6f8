"""Map use cases: needs as GeoJSON, and a community's map for its coordinators.

Nothing here decides how exactly a place is shown: needs come through the needs domain,
already placed as the caller may see them (``NeedOut.location``), and homes leave only as the
centre of their coarse cell (``api.privacy.coarse_point``). A community map
is an export, meant to be shared beyond the coordinator, so it is coarse by default: private
needs at their cell even for the coordinator, and never an exact home.
"""

from collections.abc import Sequence
from typing import Any

from sqlalchemy.orm import Session

from api.auth.principal import Principal
from api.communities import service as communities
from api.db.models import Member
from api.maps.schemas import (
    MAP_FEATURES_PER_KIND,
    CommunityFeature,
    CommunityMap,
    CommunityNeedFeature,
    CommunityNeedProperties,
    MeetingPointFeature,
    MeetingPointProperties,
    MemberFeature,
    MemberProperties,
    NamedMemberFeature,
    NamedMemberProperties,
    NeedFeature,
    NeedFeatureCollection,
    NeedProperties,
    geometry,
)
from api.members import service as members
from api.needs import service as needs
from api.needs.schemas import NeedFilter, NeedOut
from api.privacy import coarse_point


def _need_properties(need: NeedOut) -> dict[str, Any]:
    return {
        "id": need.id,
        "title": need.title,
        "category": need.category,
        "urgency": need.urgency,
        "status": need.status,
        "starts_at": need.starts_at,
        "ends_at": need.ends_at,
        "places": sum(role.count for role in need.roles),
        "filled": sum(role.filled for role in need.roles),
        "source": "agency" if need.agency_id is not None else "community",
        "approximate": need.location_approximate,
    }


def need_features(
    session: Session,
    *,
    principal: Principal,
    filters: NeedFilter,
    limit: int,
    cursor: str | None,
) -> NeedFeatureCollection:
    """``GET /v1/needs`` as GeoJSON: the same page of the same list, so filters, scope,
    order and cursors cannot drift apart between the two."""
    page = needs.list_needs(
        session,
        principal=principal,
        filters=filters,
        limit=limit,
        cursor=cursor,
    )
    features = [
        NeedFeature(
            type="Feature",
            id=need.id,
            geometry=geometry(lat=need.location.lat, lon=need.location.lon),
            properties=NeedProperties(**_need_properties(need)),
        )
        for need in page.items
    ]
    return NeedFeatureCollection(
        type="FeatureCollection", features=features, next_cursor=page.next_cursor
    )


def _member_features(
    active: Sequence[Member], *, names: bool, cell_km: float
) -> list[CommunityFeature]:
    """Members at their homes' cell centres; named ones in the order given."""
    placed = [
        (member, coarse_point(member.home_lat, member.home_lon, cell_km=cell_km))
        for member in active
    ]
    if not names:
        # By cell and stage, never by name or id: an anonymous export's order must not be a key
        # to it (members alike in both are alike in everything the export shows).
        placed.sort(key=lambda pair: (pair[1].lat, pair[1].lon, pair[0].stage))
    features: list[CommunityFeature] = []
    for member, home in placed:
        where = geometry(lat=home.lat, lon=home.lon)
        if names:
            features.append(
                NamedMemberFeature(
                    type="Feature",
                    id=member.id,
                    geometry=where,
                    properties=NamedMemberProperties(
                        stage=member.stage, name=member.name, member_id=member.id
                    ),
                )
            )
        else:
            features.append(
                MemberFeature(
                    type="Feature", geometry=where, properties=MemberProperties(stage=member.stage)
                )
            )
    return features


def community_map(
    session: Session, *, principal: Principal, community_id: str, names: bool, cell_km: float
) -> CommunityMap:
    """A community's meeting point, open needs and active members, for those who manage it."""
    community = communities.get_managed(session, principal=principal, community_id=community_id)
    # One more than a map holds of each kind, to tell whether any were cut.
    open_needs = needs.open_in_community(
        session, principal=principal, community_id=community_id, limit=MAP_FEATURES_PER_KIND + 1
    )
    active_members = members.active_in_community(
        session, principal=principal, community_id=community_id, limit=MAP_FEATURES_PER_KIND + 1
    )
    truncated = max(len(open_needs), len(active_members)) > MAP_FEATURES_PER_KIND

    meeting_point = MeetingPointFeature(
        type="Feature",
        id=community.id,
        geometry=geometry(lat=community.meeting_lat, lon=community.meeting_lon),
        properties=MeetingPointProperties(name=community.name),
    )
    open_need_features: list[CommunityFeature] = []
    for stored in open_needs[:MAP_FEATURES_PER_KIND]:
        need = needs.to_out(stored, exact=False)  # an export: coarse even for its owners
        open_need_features.append(
            CommunityNeedFeature(
                type="Feature",
                id=need.id,
                geometry=geometry(lat=need.location.lat, lon=need.location.lon),
                properties=CommunityNeedProperties(**_need_properties(need)),
            )
        )
    member_features = _member_features(
        active_members[:MAP_FEATURES_PER_KIND], names=names, cell_km=cell_km
    )
    return CommunityMap(
        type="FeatureCollection",
        features=[meeting_point, *open_need_features, *member_features],
        truncated=truncated,
    )
