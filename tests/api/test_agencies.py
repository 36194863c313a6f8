"""Partner agencies over HTTP: registered by admins, keyed once, kept to their own requests."""

import pytest
from fastapi.testclient import TestClient

from tests.factories import Network, auth


def test_admin_registers_an_agency_and_gets_its_key_once(
    client: TestClient, admin_key: str
) -> None:
    response = client.post(
        "/v1/agencies",
        json={"name": "Bristol Food Bank", "email": "Help@FoodBank.example"},
        headers=auth(admin_key),
    )

    assert response.status_code == 201
    agency = response.json()
    assert agency["name"] == "Bristol Food Bank"
    assert agency["email"] == "help@foodbank.example"
    assert agency["api_key"].startswith("sm_")
    me = client.get("/v1/me", headers=auth(agency["api_key"]))
    assert me.json() == {"role": "agency", "id": agency["id"], "community_ids": []}


def test_an_agency_email_can_be_registered_only_once(
    client: TestClient, network: Network, admin_key: str
) -> None:
    network.agency(email="shelter@example.org")

    again = client.post(
        "/v1/agencies",
        json={"name": "Shelter again", "email": "SHELTER@example.org"},
        headers=auth(admin_key),
    )

    assert again.status_code == 409
    assert "api_key" not in again.json()


@pytest.mark.parametrize("role", ["coordinator", "member", "agency"])
def test_only_an_admin_may_register_an_agency(
    client: TestClient, network: Network, role: str
) -> None:
    home = network.staffed_community()
    key = {
        "coordinator": home.coordinator_key,
        "member": home.member_key,
        "agency": network.agency()["api_key"],
    }[role]

    response = client.post(
        "/v1/agencies", json={"name": "Fake", "email": "fake@example.org"}, headers=auth(key)
    )

    assert response.status_code == 403
    # Nothing was written: the email is still free for a real registration.
    assert network.agency(email="fake@example.org")["api_key"] is not None


@pytest.mark.parametrize("headers", [{}, auth("sm_wrong")], ids=["no key", "unknown key"])
def test_registering_an_agency_needs_a_valid_key(
    client: TestClient, network: Network, headers: dict[str, str]
) -> None:
    response = client.post(
        "/v1/agencies", json={"name": "Anon", "email": "anon@example.org"}, headers=headers
    )

    assert response.status_code == 401
    assert network.agency(email="anon@example.org")["api_key"] is not None


def test_each_agency_gets_its_own_working_key(client: TestClient, network: Network) -> None:
    first, second = network.agency(), network.agency()

    assert first["api_key"] != second["api_key"]
    assert client.get("/v1/me", headers=auth(first["api_key"])).json()["id"] == first["id"]
    assert client.get("/v1/me", headers=auth(second["api_key"])).json()["id"] == second["id"]


def test_admins_list_agencies_by_name_a_page_at_a_time(
    client: TestClient, network: Network, admin_key: str
) -> None:
    for name in ("Shelter", "Food Bank", "School", "Bike Kitchen", "Allotments"):
        network.agency(name=name)

    names, cursor, pages = [], None, 0
    while True:
        params = {"limit": 2, **({"cursor": cursor} if cursor else {})}
        page = client.get("/v1/agencies", params=params, headers=auth(admin_key)).json()
        names += [agency["name"] for agency in page["items"]]
        assert all("api_key" not in agency for agency in page["items"])
        pages += 1
        cursor = page["next_cursor"]
        if cursor is None:
            break

    assert names == ["Allotments", "Bike Kitchen", "Food Bank", "School", "Shelter"]
    assert pages == 3


def test_only_admins_list_agencies(client: TestClient, network: Network) -> None:
    agency = network.agency()
    home = network.staffed_community()
    for key in (agency["api_key"], home.coordinator_key, home.member_key):
        assert client.get("/v1/agencies", headers=auth(key)).status_code == 403
