"""Maps over HTTP: needs and communities as GeoJSON, placed no more exactly than allowed."""

from datetime import timedelta
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from geojson_pydantic import FeatureCollection

from geo.privacy import coarsen
from tests.factories import Network, Staffed, auth, soon

GEOJSON = "application/geo+json"
UNKNOWN_ID = "00000000-0000-4000-8000-000000000000"
# Latitude and longitude far apart, so a swapped pair cannot pass for the right one.
PRIVATE_PLACE = {"lat": 51.46123, "lon": -2.57891}
PUBLIC_PLACE = {"lat": 51.4489, "lon": -2.6012}


def _geojson(response: Any) -> dict[str, Any]:
    """The body of a GeoJSON answer, checked to be a valid FeatureCollection and labelled so."""
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith(GEOJSON)
    FeatureCollection.model_validate(response.json())
    body: dict[str, Any] = response.json()
    return body


def _needs_map(client: TestClient, key: str, **params: Any) -> dict[str, Any]:
    return _geojson(client.get("/v1/needs.geojson", params=params, headers=auth(key)))


def _needs_list(client: TestClient, key: str, **params: Any) -> dict[str, Any]:
    response = client.get("/v1/needs", params=params, headers=auth(key))
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def _by_id(collection: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {feature["id"]: feature for feature in collection["features"]}


def _lon_lat(place: dict[str, float]) -> list[float]:
    return [place["lon"], place["lat"]]


def _community_map(client: TestClient, key: str, community_id: str, **params: Any) -> Any:
    return client.get(
        f"/v1/communities/{community_id}/map.geojson", params=params, headers=auth(key)
    )


def _kind(collection: dict[str, Any], kind: str) -> list[dict[str, Any]]:
    return [feature for feature in collection["features"] if feature["properties"]["kind"] == kind]


# GET /v1/needs.geojson


def test_needs_are_points_in_lon_lat_order_with_their_summary(
    client: TestClient, network: Network
) -> None:
    home = network.staffed_community()
    need = network.need(
        home.coordinator_key,
        community_id=home.id,
        location=PUBLIC_PLACE,
        urgency="high",
        roles=[{"name": "cook", "count": 2}, {"name": "driver", "count": 3}],
    )

    collection = _needs_map(client, home.member_key)

    assert collection["type"] == "FeatureCollection"
    assert collection["next_cursor"] is None
    (feature,) = collection["features"]
    assert feature["type"] == "Feature"
    assert feature["id"] == need["id"]
    assert feature["geometry"] == {"type": "Point", "coordinates": _lon_lat(PUBLIC_PLACE)}
    assert feature["properties"] == {
        "id": need["id"],
        "title": need["title"],
        "category": "meals",
        "urgency": "high",
        "status": "open",
        "starts_at": need["starts_at"],
        "ends_at": need["ends_at"],
        "places": 5,
        "filled": 0,
        "source": "community",
        "approximate": False,
    }


def test_an_agency_request_says_it_comes_from_an_agency(
    client: TestClient, network: Network
) -> None:
    agency = network.agency()
    need = network.need(agency["api_key"])

    feature = _by_id(_needs_map(client, agency["api_key"]))[need["id"]]

    assert feature["properties"]["source"] == "agency"


def test_a_private_need_is_exact_for_its_owner_and_coarse_everywhere_else(
    client: TestClient, network: Network, admin_key: str
) -> None:
    home, other = network.staffed_community(), network.staffed_community()
    need = network.need(
        home.coordinator_key,
        community_id=home.id,
        location=PRIVATE_PLACE,
        private_location=True,
        open_to_network=True,
    )

    for owner in (home.coordinator_key, admin_key):
        feature = _by_id(_needs_map(client, owner))[need["id"]]
        assert feature["geometry"]["coordinates"] == _lon_lat(PRIVATE_PLACE)
        assert feature["properties"]["approximate"] is False
    for outsider in (home.member_key, other.coordinator_key, other.member_key):
        feature = _by_id(_needs_map(client, outsider))[need["id"]]
        listed = {item["id"]: item for item in _needs_list(client, outsider)["items"]}
        assert feature["geometry"]["coordinates"] == _lon_lat(listed[need["id"]]["location"])
        assert feature["geometry"]["coordinates"] != _lon_lat(PRIVATE_PLACE)
        assert feature["properties"]["approximate"] is True


def test_an_agencys_private_request_is_coarse_for_coordinators_and_members(
    client: TestClient, network: Network, app: FastAPI
) -> None:
    home = network.staffed_community()
    agency = network.agency()
    need = network.need(agency["api_key"], location=PRIVATE_PLACE, private_location=True)
    cell_km = app.state.settings.location_coarsening_km
    cell = coarsen(PRIVATE_PLACE["lat"], PRIVATE_PLACE["lon"], cell_km=cell_km)

    own = _by_id(_needs_map(client, agency["api_key"]))[need["id"]]
    assert own["geometry"]["coordinates"] == _lon_lat(PRIVATE_PLACE)
    for outsider in (home.coordinator_key, home.member_key):
        feature = _by_id(_needs_map(client, outsider))[need["id"]]
        assert feature["geometry"]["coordinates"] == [cell.lon, cell.lat]
        assert feature["properties"]["approximate"] is True


@pytest.fixture
def spread(network: Network) -> Staffed:
    """A community with needs at several times, places and states, some sharing a start."""
    home = network.staffed_community()
    for index, (days, hour, km_north) in enumerate(
        [(5, 9, 1), (2, 10, 30), (4, 10, 2), (4, 10, 3), (4, 10, 40), (3, 18, 4), (6, 8, 5)]
    ):
        starts_at = soon(days=days, hour=hour)
        need = network.need(
            home.coordinator_key,
            community_id=home.id,
            location={"lat": 51.4545 + km_north / 111.2, "lon": -2.5879},
            private_location=index % 2 == 0,
            starts_at=starts_at.isoformat(),
            ends_at=(starts_at + timedelta(hours=1)).isoformat(),
        )
        if index == 3:
            network.client.post(
                f"/v1/needs/{need['id']}/cancel", headers=auth(home.coordinator_key)
            )
    return home


@pytest.mark.parametrize(
    "params",
    [
        {},
        {"status": "open"},
        {"status": "cancelled"},
        {"near": "51.4545,-2.5879", "radius_km": 10},
        {"near": "51.4545,-2.5879"},
        {"status": "open", "near": "51.4545,-2.5879", "radius_km": 3.5, "limit": 1},
        {"limit": 3},
    ],
    ids=["all", "open", "cancelled", "near-10km", "near-default", "open-near-page", "page"],
)
def test_filters_and_pages_are_those_of_the_need_list(
    client: TestClient, spread: Staffed, params: dict[str, Any]
) -> None:
    for key in (spread.coordinator_key, spread.member_key):
        listed = _needs_list(client, key, **params)
        mapped = _needs_map(client, key, **params)
        assert [feature["id"] for feature in mapped["features"]] == [
            item["id"] for item in listed["items"]
        ]
        assert [feature["geometry"]["coordinates"] for feature in mapped["features"]] == [
            _lon_lat(item["location"]) for item in listed["items"]
        ]
        assert mapped["next_cursor"] == listed["next_cursor"]


def test_walking_the_pages_by_cursor_or_link_returns_the_list_in_order(
    client: TestClient, spread: Staffed
) -> None:
    key = spread.member_key
    everyone = [item["id"] for item in _needs_list(client, key, limit=200)["items"]]

    by_cursor: list[str] = []
    cursor = None
    while True:
        page = _needs_map(client, key, limit=2, **({"cursor": cursor} if cursor else {}))
        by_cursor += [feature["id"] for feature in page["features"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break

    by_link: list[str] = []
    response = client.get("/v1/needs.geojson", params={"limit": 2}, headers=auth(key))
    while True:
        by_link += [feature["id"] for feature in _geojson(response)["features"]]
        if "next" not in response.links:
            assert response.json()["next_cursor"] is None
            break
        assert response.links["next"]["url"].endswith(response.json()["next_cursor"])
        response = client.get(response.links["next"]["url"], headers=auth(key))

    assert len(everyone) == 7
    assert by_cursor == everyone
    assert by_link == everyone


def test_the_link_keeps_the_filters(client: TestClient, spread: Staffed) -> None:
    response = client.get(
        "/v1/needs.geojson", params={"status": "open", "limit": 1}, headers=auth(spread.member_key)
    )

    link = response.links["next"]["url"]
    assert "status=open" in link
    assert "limit=1" in link
    assert "Link" not in client.get("/v1/needs.geojson", headers=auth(spread.member_key)).headers


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"radius_km": 5}, "radius_km"),
        ({"near": "95,0"}, "near"),
        ({"limit": 201}, "limit"),
        ({"cursor": "not-a-cursor"}, "cursor"),
        ({"colour": "red"}, "colour"),
    ],
)
def test_a_bad_query_is_refused_as_the_list_refuses_it(
    client: TestClient, spread: Staffed, params: dict[str, Any], field: str
) -> None:
    key = auth(spread.member_key)
    mapped = client.get("/v1/needs.geojson", params=params, headers=key)
    listed = client.get("/v1/needs", params=params, headers=key)

    assert (mapped.status_code, listed.status_code) == (422, 422)
    assert mapped.headers["content-type"].startswith("application/json")
    assert mapped.json()["detail"][0]["loc"] == ["query", field]


def test_needs_geojson_needs_a_key(client: TestClient) -> None:
    assert client.get("/v1/needs.geojson").status_code == 401


# GET /v1/communities/{community_id}/map.geojson


@pytest.fixture
def mapped(network: Network, admin_key: str) -> dict[str, Any]:
    """A community with open, cancelled and private needs, and members of every sort."""
    home = network.staffed_community(name="Clifton", meeting_point={"lat": 51.4545, "lon": -2.62})
    other = network.staffed_community()
    key = home.coordinator_key
    public = network.need(key, community_id=home.id, location=PUBLIC_PLACE)
    private = network.need(key, community_id=home.id, location=PRIVATE_PLACE, private_location=True)
    cancelled = network.need(key, community_id=home.id)
    network.client.post(f"/v1/needs/{cancelled['id']}/cancel", headers=auth(key))
    network.need(other.coordinator_key, community_id=other.id, open_to_network=True)
    network.need(network.agency()["api_key"], open_to_network=True)
    leader = network.member(home.id, home={"lat": 51.47712, "lon": -2.60234}, stage="leader")
    resting = network.member(home.id, active=False)
    erased = network.member(home.id)
    response = network.client.delete(f"/v1/members/{erased['id']}", headers=auth(admin_key))
    assert response.status_code == 204
    return {
        "home": home,
        "other": other,
        "needs": [public, private],
        "members": [home.member, leader],
        "gone": [resting, erased],
    }


def test_the_community_map_has_its_meeting_point_open_needs_and_active_members(
    client: TestClient, mapped: dict[str, Any]
) -> None:
    home: Staffed = mapped["home"]
    public, private = mapped["needs"]

    collection = _geojson(_community_map(client, home.coordinator_key, home.id))

    assert collection["truncated"] is False
    meeting_point, *_ = collection["features"]
    assert meeting_point["id"] == home.id
    assert meeting_point["geometry"]["coordinates"] == [-2.62, 51.4545]
    assert meeting_point["properties"] == {"kind": "meeting_point", "name": "Clifton"}
    needs = {feature["id"]: feature for feature in _kind(collection, "need")}
    assert set(needs) == {public["id"], private["id"]}
    assert needs[public["id"]]["geometry"]["coordinates"] == _lon_lat(PUBLIC_PLACE)
    assert needs[public["id"]]["properties"]["approximate"] is False
    assert needs[public["id"]]["properties"]["places"] == 2
    assert needs[public["id"]]["properties"]["source"] == "community"
    assert len(_kind(collection, "member")) == len(mapped["members"])


def test_a_private_need_is_coarse_on_the_community_map_even_for_its_coordinator(
    client: TestClient, mapped: dict[str, Any], app: FastAPI
) -> None:
    home: Staffed = mapped["home"]
    _public, private = mapped["needs"]
    cell = coarsen(
        PRIVATE_PLACE["lat"],
        PRIVATE_PLACE["lon"],
        cell_km=app.state.settings.location_coarsening_km,
    )

    collection = _geojson(_community_map(client, home.coordinator_key, home.id))

    feature = {feature["id"]: feature for feature in _kind(collection, "need")}[private["id"]]
    assert feature["geometry"]["coordinates"] == [cell.lon, cell.lat]
    assert feature["properties"]["approximate"] is True


def test_members_are_anonymous_coarse_points_with_their_stage_by_default(
    client: TestClient, mapped: dict[str, Any], app: FastAPI, admin_key: str
) -> None:
    home: Staffed = mapped["home"]
    cell_km = app.state.settings.location_coarsening_km
    cells = [
        (coarsen(member["home"]["lat"], member["home"]["lon"], cell_km=cell_km), member["stage"])
        for member in mapped["members"]
    ]
    expected = sorted(([cell.lon, cell.lat], stage) for cell, stage in cells)
    homes = [_lon_lat(member["home"]) for member in mapped["members"]]

    for key in (home.coordinator_key, admin_key):
        members = _kind(_geojson(_community_map(client, key, home.id)), "member")
        assert all(set(feature) == {"type", "geometry", "properties"} for feature in members)
        assert all(set(feature["properties"]) == {"kind", "stage"} for feature in members)
        shown = [
            (feature["geometry"]["coordinates"], feature["properties"]["stage"])
            for feature in members
        ]
        assert sorted(shown) == expected
        assert not any(coordinates in homes for coordinates, _stage in shown)


def test_names_true_labels_members_with_their_name_and_id(
    client: TestClient, mapped: dict[str, Any], app: FastAPI
) -> None:
    home: Staffed = mapped["home"]
    cell_km = app.state.settings.location_coarsening_km

    collection = _geojson(_community_map(client, home.coordinator_key, home.id, names="true"))

    members = {feature["id"]: feature for feature in _kind(collection, "member")}
    assert set(members) == {member["id"] for member in mapped["members"]}
    for member in mapped["members"]:
        cell = coarsen(member["home"]["lat"], member["home"]["lon"], cell_km=cell_km)
        feature = members[member["id"]]
        assert feature["geometry"]["coordinates"] == [cell.lon, cell.lat]
        assert feature["properties"] == {
            "kind": "member",
            "stage": member["stage"],
            "name": member["name"],
            "member_id": member["id"],
        }


def test_anonymous_members_are_ordered_by_place_not_by_name(
    client: TestClient, network: Network
) -> None:
    home = network.staffed_community()
    # Alphabetical order runs south to north; the anonymous map must not follow it.
    for name, lat in [("Aaron South", 51.40), ("Zoe North", 51.50), ("Mia Middle", 51.45)]:
        network.member(home.id, name=name, home={"lat": lat, "lon": -2.59})

    collection = _geojson(_community_map(client, home.coordinator_key, home.id))

    latitudes = [feature["geometry"]["coordinates"][1] for feature in _kind(collection, "member")]
    assert latitudes == sorted(latitudes)


def test_the_community_map_is_for_its_coordinators_and_admins_only(
    client: TestClient, network: Network, mapped: dict[str, Any], admin_key: str
) -> None:
    home: Staffed = mapped["home"]
    other: Staffed = mapped["other"]
    agency_key = network.agency()["api_key"]

    assert _community_map(client, admin_key, home.id).status_code == 200
    assert _community_map(client, home.coordinator_key, home.id).status_code == 200
    for refused in (home.member_key, other.member_key, agency_key):
        response = _community_map(client, refused, home.id)
        assert response.status_code == 403, response.text
        assert response.headers["content-type"].startswith("application/json")
    assert _community_map(client, other.coordinator_key, home.id).status_code == 404
    assert _community_map(client, admin_key, UNKNOWN_ID).status_code == 404
    assert client.get(f"/v1/communities/{home.id}/map.geojson").status_code == 401


def test_the_community_map_refuses_an_unknown_query_parameter(
    client: TestClient, mapped: dict[str, Any]
) -> None:
    home: Staffed = mapped["home"]

    response = _community_map(client, home.coordinator_key, home.id, exact="true")

    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["query", "exact"]
