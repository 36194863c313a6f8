"""Addresses in: needs, members and communities placed by what people type.

The default geocoder is offline (shipped GeoNames data); the online path runs against a
local server speaking Nominatim's format, through the real geopy adapter.
"""

from collections.abc import Iterator
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from api.app import create_app
from api.auth.credentials import issue_key
from api.db.models import GeocodedAddress, Need
from api.settings import Settings
from tests.factories import Network, auth
from tests.fake_geocoders import FakeGeocoders

BRISTOL = {"lat": 51.45523, "lon": -2.59665}


def test_a_need_placed_by_address_gets_its_point_and_keeps_the_words(network: Network) -> None:
    world = network.staffed_community()
    body = network.need_body(community_id=world.id, address="Bristol, United Kingdom")
    del body["location"]
    response = network.client.post("/v1/needs", json=body, headers=auth(world.coordinator_key))
    assert response.status_code == 201, response.text
    need = response.json()
    assert need["location"] == BRISTOL
    assert need["address"] == "Bristol, United Kingdom"
    seen = network.client.get(f"/v1/needs/{need['id']}", headers=auth(world.member_key)).json()
    assert seen["address"] == "Bristol, United Kingdom"


def test_a_private_needs_address_is_shown_only_with_its_exact_place(network: Network) -> None:
    world = network.staffed_community()
    body = network.need_body(
        community_id=world.id, address="Bath, United Kingdom", private_location=True
    )
    del body["location"]
    created = network.client.post("/v1/needs", json=body, headers=auth(world.coordinator_key))
    need = created.json()
    assert need["address"] == "Bath, United Kingdom"
    seen = network.client.get(f"/v1/needs/{need['id']}", headers=auth(world.member_key)).json()
    assert seen["location_approximate"] is True
    assert seen["address"] is None


@pytest.mark.parametrize(
    ("change", "field", "words"),
    [
        ({"address": "Bristol, GB"}, "address", "not both"),
        ({"location": None}, "location", "or an address is required"),
    ],
)
def test_a_need_takes_coordinates_or_an_address_exactly_one(
    network: Network, change: dict[str, Any], field: str, words: str
) -> None:
    world = network.staffed_community()
    body = {key: value for key, value in network.need_body(community_id=world.id).items()}
    body.update(change)
    if change.get("location", "") is None:
        del body["location"]
    response = network.client.post("/v1/needs", json=body, headers=auth(world.coordinator_key))
    assert response.status_code == 422, response.text
    assert response.json()["detail"][0]["loc"] == ["body", field]
    assert words in response.json()["message"]


def test_an_ambiguous_address_answers_the_places_it_could_mean(network: Network) -> None:
    world = network.staffed_community()
    body = network.need_body(community_id=world.id, address="Springfield, US")
    del body["location"]
    response = network.client.post("/v1/needs", json=body, headers=auth(world.coordinator_key))
    assert response.status_code == 422, response.text
    error = response.json()
    assert error["code"] == "ambiguous_address"
    assert error["detail"][0]["loc"] == ["body", "address"]
    regions = {candidate["region"] for candidate in error["candidates"]}
    assert {"Illinois", "Missouri"} <= regions
    assert all(
        set(candidate) == {"name", "region", "country", "lat", "lon"}
        for candidate in error["candidates"]
    )
    listed = network.client.get("/v1/needs", headers=auth(world.coordinator_key)).json()
    assert listed["items"] == [], "nothing is written when the address is refused"


def test_an_unknown_address_names_the_field(network: Network) -> None:
    world = network.staffed_community()
    response = network.client.patch(
        f"/v1/members/{world.member['id']}",
        json={"address": "Nowhere Town, US"},
        headers=auth(world.member_key),
    )
    assert response.status_code == 422, response.text
    assert response.json()["code"] == "unknown_address"
    assert response.json()["detail"][0]["loc"] == ["body", "address"]


def test_a_member_moves_by_address_and_coordinates_clear_it_again(network: Network) -> None:
    world = network.staffed_community()
    path, headers = f"/v1/members/{world.member['id']}", auth(world.member_key)
    moved = network.client.patch(path, json={"address": "Bristol, UK"}, headers=headers).json()
    assert (moved["home"], moved["address"]) == (BRISTOL, "Bristol, UK")
    back = network.client.patch(path, json={"home": {"lat": 51.46, "lon": -2.6}}, headers=headers)
    assert back.json()["address"] is None


def test_a_member_created_by_address(network: Network) -> None:
    world = network.staffed_community()
    body = network.member_body(address="Bristol, United Kingdom")
    del body["home"]
    response = network.client.post(
        f"/v1/communities/{world.id}/members", json=body, headers=auth(world.coordinator_key)
    )
    assert response.status_code == 201, response.text
    assert response.json()["home"] == BRISTOL


@pytest.mark.parametrize(
    ("address", "zone"),
    [("Chicago, US", "America/Chicago"), ("Bristol, United Kingdom", "Europe/London")],
)
def test_a_community_by_address_without_a_time_zone_gets_the_one_where_it_meets(
    network: Network, admin_key: str, address: str, zone: str
) -> None:
    response = network.client.post(
        "/v1/communities",
        json={"name": "Riverside", "address": address},
        headers=auth(admin_key),
    )
    assert response.status_code == 201, response.text
    community = response.json()
    assert (community["address"], community["timezone"]) == (address, zone)


def test_a_community_at_sea_must_say_its_time_zone(network: Network, admin_key: str) -> None:
    response = network.client.post(
        "/v1/communities",
        json={"name": "Ferry", "meeting_point": {"lat": 0.0, "lon": -30.0}},
        headers=auth(admin_key),
    )
    assert response.status_code == 422, response.text
    assert response.json()["detail"][0]["loc"] == ["body", "timezone"]


# --- an online geocoder (a local Nominatim) ---------------------------------------------


@pytest.fixture
def nominatim_app(database_url: str, fake_geocoders: FakeGeocoders) -> Iterator[FastAPI]:
    settings = Settings(
        database_url=database_url,
        geocoder="nominatim",
        geocoder_url=fake_geocoders.url,
        geocoder_user_agent="ServeMatch tests (ops@example.org)",
        rate_limit_per_minute=0,
    )
    app = create_app(settings)
    yield app
    app.state.engine.dispose()


def _network(app: FastAPI, client: TestClient) -> Network:
    with app.state.sessionmaker.begin() as session:
        admin_key = issue_key(session, role="admin", principal_id=None, name="test admin")
    return Network(client, admin_key)


def _post_need(network: Network, key: str, community_id: str, address: str) -> Any:
    body = network.need_body(community_id=community_id, address=address)
    del body["location"]
    return network.client.post("/v1/needs", json=body, headers=auth(key))


def test_addresses_go_to_nominatim_once_then_come_from_the_cache_table(
    nominatim_app: FastAPI, fake_geocoders: FakeGeocoders, database_url: str
) -> None:
    with TestClient(nominatim_app) as client:
        network = _network(nominatim_app, client)
        world = network.staffed_community()
        first = _post_need(network, world.coordinator_key, world.id, "Bristol")
        assert first.status_code == 201, first.text
        assert first.json()["location"] == {"lat": 51.4538, "lon": -2.5973}
        assert _post_need(network, world.coordinator_key, world.id, "  bristol ").status_code == 201
    assert len(fake_geocoders.requests) == 1
    [request] = fake_geocoders.requests
    assert request.user_agent == "ServeMatch tests (ops@example.org)"
    assert request.params["format"] == ["json"]
    # A new process (a restart, another worker) still asks nothing: the cache is a table.
    again = create_app(nominatim_app.state.settings)
    with TestClient(again) as client:
        network = _network(again, client)
        world = network.staffed_community()
        assert _post_need(network, world.coordinator_key, world.id, "BRISTOL").status_code == 201
    again.state.engine.dispose()
    assert len(fake_geocoders.requests) == 1
    with nominatim_app.state.sessionmaker() as session:
        cached = session.scalars(select(GeocodedAddress)).all()
    assert [(row.provider, row.query, row.region) for row in cached] == [
        ("nominatim", "bristol", "England")
    ]


def test_a_failing_geocoder_is_a_503_that_writes_nothing(nominatim_app: FastAPI) -> None:
    with TestClient(nominatim_app) as client:
        network = _network(nominatim_app, client)
        world = network.staffed_community()
        response = _post_need(network, world.coordinator_key, world.id, "fail")
        assert response.status_code == 503, response.text
        assert response.json()["code"] == "geocoder_unavailable"
        assert response.json()["detail"].startswith("nominatim geocoding failed")
        assert response.headers["Retry-After"]
        unknown = _post_need(network, world.coordinator_key, world.id, "Atlantis")
        assert unknown.status_code == 422
        assert unknown.json()["code"] == "unknown_address"
    with nominatim_app.state.sessionmaker() as session:
        assert session.scalar(select(func.count()).select_from(Need)) == 0
