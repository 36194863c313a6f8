"""Communities and their coordinators over HTTP: who may create, appoint and read them."""

import pytest
from fastapi.testclient import TestClient

from tests.factories import Network, auth


def _community_ids(client: TestClient, key: str) -> set[str]:
    response = client.get("/v1/communities", headers=auth(key))
    assert response.status_code == 200, response.text
    return {community["id"] for community in response.json()}


def test_admin_creates_a_community_and_reads_it_back(client: TestClient, admin_key: str) -> None:
    body = {
        "name": "  Hope Street  ",
        "meeting_point": {"lat": 51.4545, "lon": -2.5879},
        "timezone": "Europe/London",
    }
    created = client.post("/v1/communities", json=body, headers=auth(admin_key))

    assert created.status_code == 201
    community = created.json()
    assert community["name"] == "Hope Street"
    assert community["meeting_point"] == {"lat": 51.4545, "lon": -2.5879}
    assert community["timezone"] == "Europe/London"
    assert community["parent_id"] is None
    read = client.get(f"/v1/communities/{community['id']}", headers=auth(admin_key))
    assert read.status_code == 200
    assert read.json() == community


@pytest.mark.parametrize("role", ["coordinator", "member", "agency"])
def test_only_an_admin_may_create_a_community(
    client: TestClient, network: Network, admin_key: str, role: str
) -> None:
    home = network.staffed_community()
    key = {
        "coordinator": home.coordinator_key,
        "member": home.member_key,
        "agency": network.agency()["api_key"],
    }[role]
    before = _community_ids(client, admin_key)

    body = {"name": "Rogue", "meeting_point": {"lat": 1, "lon": 1}, "timezone": "UTC"}
    response = client.post("/v1/communities", json=body, headers=auth(key))

    assert response.status_code == 403
    assert response.json()["code"] == "forbidden"
    assert _community_ids(client, admin_key) == before


@pytest.mark.parametrize(
    "headers",
    [{}, auth("sm_not-a-key"), {"Authorization": "Basic YWRtaW46YWRtaW4="}],
    ids=["no key", "unknown key", "wrong scheme"],
)
def test_community_routes_refuse_a_missing_or_invalid_key_with_401(
    client: TestClient, network: Network, admin_key: str, headers: dict[str, str]
) -> None:
    community = network.community()
    body = {"name": "X", "meeting_point": {"lat": 1, "lon": 1}, "timezone": "UTC"}

    assert client.post("/v1/communities", json=body, headers=headers).status_code == 401
    assert client.get("/v1/communities", headers=headers).status_code == 401
    assert client.get(f"/v1/communities/{community['id']}", headers=headers).status_code == 401
    appoint = client.post(
        f"/v1/communities/{community['id']}/coordinators",
        json={"name": "Eve", "email": "eve@example.org"},
        headers=headers,
    )
    assert appoint.status_code == 401
    assert _community_ids(client, admin_key) == {community["id"]}


def test_a_child_community_records_the_community_it_grew_from(
    client: TestClient, network: Network, admin_key: str
) -> None:
    parent = network.community(name="Old Market")
    child = network.community(name="Old Market East", parent_id=parent["id"])
    grandchild = network.community(name="Old Market East Two", parent_id=child["id"])

    def parent_of(community_id: str) -> str | None:
        response = client.get(f"/v1/communities/{community_id}", headers=auth(admin_key))
        assert response.status_code == 200
        parent_id: str | None = response.json()["parent_id"]
        return parent_id

    assert parent_of(grandchild["id"]) == child["id"]
    assert parent_of(child["id"]) == parent["id"]
    assert parent_of(parent["id"]) is None


def test_a_community_with_an_unknown_parent_is_refused_and_not_created(
    client: TestClient, network: Network, admin_key: str
) -> None:
    existing = network.community()
    body = {
        "name": "Orphan",
        "meeting_point": {"lat": 1, "lon": 1},
        "timezone": "UTC",
        "parent_id": "00000000-0000-4000-8000-000000000000",
    }

    response = client.post("/v1/communities", json=body, headers=auth(admin_key))

    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["body", "parent_id"]
    assert _community_ids(client, admin_key) == {existing["id"]}


def test_appointing_a_coordinator_returns_their_key_once(
    client: TestClient, network: Network, admin_key: str
) -> None:
    community = network.community()

    response = client.post(
        f"/v1/communities/{community['id']}/coordinators",
        json={"name": "Ruth Ade", "email": "Ruth@Example.org"},
        headers=auth(admin_key),
    )

    assert response.status_code == 201
    coordinator = response.json()
    assert coordinator["name"] == "Ruth Ade"
    assert coordinator["email"] == "ruth@example.org"
    assert coordinator["community_ids"] == [community["id"]]
    assert coordinator["api_key"].startswith("sm_")
    me = client.get("/v1/me", headers=auth(coordinator["api_key"]))
    assert me.json() == {
        "role": "coordinator",
        "id": coordinator["id"],
        "community_ids": [community["id"]],
    }


def test_appointing_a_known_email_attaches_that_coordinator_without_a_new_key(
    client: TestClient, network: Network, admin_key: str
) -> None:
    first, second = network.community(), network.community()
    original = network.coordinator(first["id"], email="ruth@example.org")

    response = client.post(
        f"/v1/communities/{second['id']}/coordinators",
        json={"name": "Ruth", "email": "RUTH@example.org"},
        headers=auth(admin_key),
    )

    assert response.status_code == 200
    attached = response.json()
    assert attached["id"] == original["id"]
    assert attached["api_key"] is None
    assert sorted(attached["community_ids"]) == sorted([first["id"], second["id"]])
    assert _community_ids(client, original["api_key"]) == {first["id"], second["id"]}


def test_appointing_a_coordinator_twice_to_the_same_community_changes_nothing(
    client: TestClient, network: Network, admin_key: str
) -> None:
    community = network.community()
    original = network.coordinator(community["id"], email="sam@example.org")

    again = client.post(
        f"/v1/communities/{community['id']}/coordinators",
        json={"name": "Sam", "email": "sam@example.org"},
        headers=auth(admin_key),
    )

    assert again.status_code == 200
    assert again.json()["community_ids"] == [community["id"]]
    assert again.json()["api_key"] is None
    assert client.get("/v1/me", headers=auth(original["api_key"])).status_code == 200


def test_coordinator_of_two_communities_reads_both_and_no_other(
    client: TestClient, network: Network
) -> None:
    first, second, elsewhere = network.community(), network.community(), network.community()
    coordinator = network.coordinator(first["id"], email="two@example.org")
    network.coordinator(second["id"], email="two@example.org")
    key = coordinator["api_key"]

    assert _community_ids(client, key) == {first["id"], second["id"]}
    for community in (first, second):
        assert (
            client.get(f"/v1/communities/{community['id']}", headers=auth(key)).status_code == 200
        )
    assert client.get(f"/v1/communities/{elsewhere['id']}", headers=auth(key)).status_code == 404


@pytest.mark.parametrize("role", ["coordinator", "member", "agency"])
def test_only_an_admin_may_appoint_a_coordinator(
    client: TestClient, network: Network, role: str
) -> None:
    home = network.staffed_community()
    key = {
        "coordinator": home.coordinator_key,
        "member": home.member_key,
        "agency": network.agency()["api_key"],
    }[role]

    response = client.post(
        f"/v1/communities/{home.id}/coordinators",
        json={"name": "Mallory", "email": "mallory@example.org"},
        headers=auth(key),
    )

    assert response.status_code == 403
    # Nobody was created: appointing the same email now still makes a new coordinator.
    assert network.coordinator(home.id, email="mallory@example.org")["api_key"] is not None


def test_appointing_a_coordinator_to_an_unknown_community_is_404_and_creates_nobody(
    client: TestClient, network: Network, admin_key: str
) -> None:
    response = client.post(
        "/v1/communities/00000000-0000-4000-8000-000000000000/coordinators",
        json={"name": "Ghost", "email": "ghost@example.org"},
        headers=auth(admin_key),
    )

    assert response.status_code == 404
    community = network.community()
    assert network.coordinator(community["id"], email="ghost@example.org")["api_key"] is not None


def test_member_reads_their_own_community_and_gets_404_for_another(
    client: TestClient, network: Network
) -> None:
    home, other = network.staffed_community(), network.staffed_community()

    assert _community_ids(client, home.member_key) == {home.id}
    assert (
        client.get(f"/v1/communities/{home.id}", headers=auth(home.member_key)).status_code == 200
    )
    assert (
        client.get(f"/v1/communities/{other.id}", headers=auth(home.member_key)).status_code == 404
    )


def test_coordinator_gets_404_for_a_community_they_do_not_lead(
    client: TestClient, network: Network
) -> None:
    home, other = network.staffed_community(), network.staffed_community()

    response = client.get(f"/v1/communities/{other.id}", headers=auth(home.coordinator_key))

    assert response.status_code == 404
    assert response.json()["code"] == "not_found"


def test_agencies_may_not_read_communities(client: TestClient, network: Network) -> None:
    home = network.staffed_community()
    agency_key = network.agency()["api_key"]

    assert client.get("/v1/communities", headers=auth(agency_key)).status_code == 403
    assert client.get(f"/v1/communities/{home.id}", headers=auth(agency_key)).status_code == 403


def test_admin_lists_every_community(client: TestClient, network: Network, admin_key: str) -> None:
    created = {network.community()["id"] for _ in range(3)}

    assert _community_ids(client, admin_key) == created


def test_an_unknown_community_is_404(client: TestClient, admin_key: str) -> None:
    response = client.get(
        "/v1/communities/00000000-0000-4000-8000-000000000000", headers=auth(admin_key)
    )

    assert response.status_code == 404
