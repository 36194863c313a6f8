"""GeoJSON (RFC 7946) shapes of the maps, typed per kind of feature so OpenAPI documents them.

Built on geojson-pydantic's ``Feature``/``FeatureCollection``/``Point``: a GIS client can rely
on the geometry part being plain GeoJSON, and the ``properties`` of each kind are named models.
GeoJSON orders a position ``[lon, lat]`` (the reverse of our ``Point``); ``geometry`` is the one
place that order is decided.
"""

from datetime import datetime
from typing import Annotated, Literal

import geojson_pydantic
from geojson_pydantic import Feature, FeatureCollection
from geojson_pydantic.types import Position2D
from pydantic import BaseModel, Field

from api.needs.schemas import MAX_PLACES, Title
from api.schemas import MAX_PAGE_SIZE, Count, Id, Name, NextCursor
from api.vocabulary import Category, NeedStatus, Stage, Urgency

MAP_FEATURES_PER_KIND = 1000
"""Communities are 8–25 people; the bound keeps one request's work finite whatever is stored."""
Places = Annotated[Count, Field(le=MAX_PLACES)]


# Named apart from our ``Point`` (lat/lon): two models called Point would both be renamed in
# OpenAPI (``api__schemas__Point``), changing the contract of every route that returns one.
class PointGeometry(geojson_pydantic.Point):
    """A GeoJSON Point geometry: ``coordinates`` are ``[longitude, latitude]``."""


def geometry(*, lat: float, lon: float) -> PointGeometry:
    """A GeoJSON point: longitude first, as RFC 7946 (§3.1.1) orders a position."""
    return PointGeometry(type="Point", coordinates=Position2D(longitude=lon, latitude=lat))


class NeedProperties(BaseModel):
    """What a map shows of a need; where it is lies in the feature's geometry."""

    id: Id
    title: Title
    category: Category
    urgency: Urgency
    status: NeedStatus
    starts_at: datetime
    ends_at: datetime
    places: Places = Field(description="Places in all its roles together.")
    filled: Places = Field(description="Places taken, in all its roles together.")
    source: Literal["community", "agency"]
    approximate: bool = Field(
        description="True: a private place, shown only as the centre of its coarse grid cell."
    )


# GeoJSON lets a feature's ``id`` be any string or number; ours are the object's UUID, or absent
# where an id would name someone, and each feature class says which.
class NeedFeature(Feature[PointGeometry, NeedProperties]):
    """A need on the map; the feature's ``id`` is the need's."""

    id: Id


class NeedFeatureCollection(FeatureCollection[NeedFeature]):
    """A page of needs as GeoJSON; ``next_cursor`` (a foreign member) continues it."""

    features: Annotated[list[NeedFeature], Field(max_length=MAX_PAGE_SIZE)]
    next_cursor: NextCursor | None = Field(
        description="Pass as `cursor` for the next page (also in the `Link: rel=next` header)."
    )


class MeetingPointProperties(BaseModel):
    """Where the community meets."""

    kind: Literal["meeting_point"] = "meeting_point"
    name: Name


class CommunityNeedProperties(NeedProperties):
    """One of the community's open needs, coarse if private whoever asks (an export)."""

    kind: Literal["need"] = "need"


class MemberProperties(BaseModel):
    """A member, anonymous: their stage at the centre of their home's coarse cell."""

    kind: Literal["member"] = "member"
    stage: Stage


class NamedMemberProperties(BaseModel):
    """A member with their name (``names=true``), still at their home's coarse cell."""

    kind: Literal["member"] = "member"
    stage: Stage
    name: Name
    member_id: Id


class MeetingPointFeature(Feature[PointGeometry, MeetingPointProperties]):
    """The meeting point; the feature's ``id`` is the community's."""

    id: Id


class CommunityNeedFeature(Feature[PointGeometry, CommunityNeedProperties]):
    """An open need of the community; the feature's ``id`` is the need's."""

    id: Id


class MemberFeature(Feature[PointGeometry, MemberProperties]):
    """An anonymous member: no ``id``, which would name them."""

    id: None = None


class NamedMemberFeature(Feature[PointGeometry, NamedMemberProperties]):
    """A named member; the feature's ``id`` is the member's."""

    id: Id


CommunityFeature = MeetingPointFeature | CommunityNeedFeature | NamedMemberFeature | MemberFeature


class CommunityMap(FeatureCollection[CommunityFeature]):
    """A community's map: meeting point, open needs, and members at coarse points only."""

    features: Annotated[list[CommunityFeature], Field(max_length=1 + 2 * MAP_FEATURES_PER_KIND)]

    truncated: bool = Field(
        description="True if a kind of feature had more than the map's limit and was cut."
    )
