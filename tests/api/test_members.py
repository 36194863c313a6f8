"""Members over HTTP: who may add, read, edit and remove them, and who may see a home."""

from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.factories import Network, Staffed, auth

UNKNOWN_ID = "00000000-0000-4000-8000-000000000000"


@pytest.fixture
def home(network: Network) -> Staffed:
    return network.staffed_community()


@pytest.fixture
def other(network: Network) -> Staffed:
    return network.staffed_community()


def _member_ids(client: TestClient, admin_key: str, community_id: str) -> set[str]:
    response = client.get(
        f"/v1/communities/{community_id}/members", params={"limit": 200}, headers=auth(admin_key)
    )
    assert response.status_code == 200, response.text
    return {member["id"] for member in response.json()["items"]}


def _get(client: TestClient, key: str, member_id: str) -> Any:
    return client.get(f"/v1/members/{member_id}", headers=auth(key))


# Adding members


def test_coordinator_adds_a_member_and_sees_the_key_only_in_that_response(
    client: TestClient, network: Network, home: Staffed
) -> None:
    body = network.member_body(
        name="Grace Obi",
        email="Grace@Example.org",
        home={"lat": 51.47, "lon": -2.6},
        interests="cooking for families",
    )

    response = client.post(
        f"/v1/communities/{home.id}/members", json=body, headers=auth(home.coordinator_key)
    )

    assert response.status_code == 201
    member = response.json()
    assert member["community_id"] == home.id
    assert member["email"] == "grace@example.org"
    assert member["home"] == {"lat": 51.47, "lon": -2.6}
    assert member["stage"] == "new"
    assert member["checks"] == []
    assert member["active"] is True
    assert member["api_key"].startswith("sm_")
    me = client.get("/v1/me", headers=auth(member["api_key"]))
    assert me.json() == {"role": "member", "id": member["id"], "community_ids": [home.id]}
    read = _get(client, home.coordinator_key, member["id"])
    assert read.status_code == 200
    assert "api_key" not in read.json()
    assert read.json() == {key: value for key, value in member.items() if key != "api_key"}


def test_admin_adds_a_member_to_any_community(
    client: TestClient, network: Network, admin_key: str, home: Staffed
) -> None:
    response = client.post(
        f"/v1/communities/{home.id}/members", json=network.member_body(), headers=auth(admin_key)
    )

    assert response.status_code == 201
    assert response.json()["id"] in _member_ids(client, admin_key, home.id)


def test_coordinator_of_another_community_gets_404_adding_a_member_there(
    client: TestClient, network: Network, admin_key: str, home: Staffed, other: Staffed
) -> None:
    response = client.post(
        f"/v1/communities/{other.id}/members",
        json=network.member_body(),
        headers=auth(home.coordinator_key),
    )

    assert response.status_code == 404
    assert _member_ids(client, admin_key, other.id) == {other.member["id"]}


@pytest.mark.parametrize("role", ["member", "agency"])
def test_members_and_agencies_may_not_add_members(
    client: TestClient, network: Network, admin_key: str, home: Staffed, role: str
) -> None:
    key = home.member_key if role == "member" else network.agency()["api_key"]

    response = client.post(
        f"/v1/communities/{home.id}/members", json=network.member_body(), headers=auth(key)
    )

    assert response.status_code == 403
    assert _member_ids(client, admin_key, home.id) == {home.member["id"]}


def test_adding_a_member_to_an_unknown_community_is_404(
    client: TestClient, network: Network, admin_key: str
) -> None:
    response = client.post(
        f"/v1/communities/{UNKNOWN_ID}/members", json=network.member_body(), headers=auth(admin_key)
    )

    assert response.status_code == 404


def test_an_email_is_unique_within_a_community_but_may_recur_in_another(
    client: TestClient, network: Network, admin_key: str, home: Staffed, other: Staffed
) -> None:
    network.member(home.id, email="jo@example.org")

    clash = client.post(
        f"/v1/communities/{home.id}/members",
        json=network.member_body(email="JO@example.org"),
        headers=auth(admin_key),
    )
    elsewhere = client.post(
        f"/v1/communities/{other.id}/members",
        json=network.member_body(email="jo@example.org"),
        headers=auth(admin_key),
    )

    assert clash.status_code == 409
    assert "api_key" not in clash.json()
    assert len(_member_ids(client, admin_key, home.id)) == 2
    assert elsewhere.status_code == 201


def test_blackout_dates_are_kept_in_order_without_repeats(network: Network, home: Staffed) -> None:
    member = network.member(home.id, blackout_dates=["2030-03-02", "2030-01-15", "2030-03-02"])

    assert member["blackout_dates"] == ["2030-01-15", "2030-03-02"]


# Reading members


def test_member_reads_their_own_profile_including_their_home(
    client: TestClient, home: Staffed
) -> None:
    response = _get(client, home.member_key, home.member["id"])

    assert response.status_code == 200
    assert response.json()["home"] == home.member["home"]


def test_member_gets_404_for_another_member_of_their_own_community(
    client: TestClient, network: Network, home: Staffed
) -> None:
    neighbour = network.member(home.id)

    response = _get(client, home.member_key, neighbour["id"])

    assert response.status_code == 404
    assert "home" not in response.json()


def test_coordinator_reads_their_members_home(client: TestClient, home: Staffed) -> None:
    response = _get(client, home.coordinator_key, home.member["id"])

    assert response.status_code == 200
    assert response.json()["home"] == home.member["home"]


def test_coordinator_of_another_community_gets_404_for_a_member(
    client: TestClient, home: Staffed, other: Staffed
) -> None:
    response = _get(client, other.coordinator_key, home.member["id"])

    assert response.status_code == 404
    assert response.json() == {
        "detail": f"member {home.member['id']} not found",
        "code": "not_found",
    }


def test_a_member_of_another_community_gets_404_for_a_member(
    client: TestClient, home: Staffed, other: Staffed
) -> None:
    assert _get(client, other.member_key, home.member["id"]).status_code == 404


def test_admin_reads_any_member(client: TestClient, admin_key: str, home: Staffed) -> None:
    response = _get(client, admin_key, home.member["id"])

    assert response.status_code == 200
    assert response.json()["home"] == home.member["home"]


def test_an_unknown_member_is_404_even_for_an_admin(client: TestClient, admin_key: str) -> None:
    assert _get(client, admin_key, UNKNOWN_ID).status_code == 404


def test_agencies_may_not_read_edit_or_remove_members(
    client: TestClient, network: Network, admin_key: str, home: Staffed
) -> None:
    agency_key = network.agency()["api_key"]
    url = f"/v1/members/{home.member['id']}"

    assert client.get(url, headers=auth(agency_key)).status_code == 403
    assert client.patch(url, json={"name": "Taken"}, headers=auth(agency_key)).status_code == 403
    assert client.delete(url, headers=auth(agency_key)).status_code == 403
    assert _get(client, admin_key, home.member["id"]).json()["name"] == home.member["name"]


@pytest.mark.parametrize("headers", [{}, auth("sm_wrong")], ids=["no key", "unknown key"])
def test_member_routes_refuse_a_missing_or_invalid_key_with_401(
    client: TestClient, network: Network, home: Staffed, headers: dict[str, str]
) -> None:
    url = f"/v1/members/{home.member['id']}"
    add = client.post(
        f"/v1/communities/{home.id}/members", json=network.member_body(), headers=headers
    )

    assert add.status_code == 401
    assert client.get(f"/v1/communities/{home.id}/members", headers=headers).status_code == 401
    assert client.get(url, headers=headers).status_code == 401
    assert client.patch(url, json={"name": "X"}, headers=headers).status_code == 401
    assert client.delete(url, headers=headers).status_code == 401


# Listing a community's members


def test_coordinator_lists_their_communitys_members_by_name_without_keys(
    client: TestClient, network: Network, home: Staffed
) -> None:
    network.member(home.id, name="Zed Vale")
    network.member(home.id, name="Abi Hart")

    response = client.get(f"/v1/communities/{home.id}/members", headers=auth(home.coordinator_key))

    assert response.status_code == 200
    page = response.json()
    assert page["next_cursor"] is None
    names = [member["name"] for member in page["items"]]
    assert names[0] == "Abi Hart"
    assert names[-1] == "Zed Vale"
    assert len(names) == 3
    assert all("api_key" not in member for member in page["items"])


def test_walking_the_member_pages_returns_everyone_once_in_order(
    client: TestClient, network: Network, home: Staffed
) -> None:
    # Repeated names make the cursor rely on its id tie-break.
    for name in ["Ann Bell", "Ann Bell", "Ann Bell", "Cal Dunn", "Bea Fox", "Bea Fox", "Eli Gray"]:
        network.member(home.id, name=name)
    url = f"/v1/communities/{home.id}/members"
    key = auth(home.coordinator_key)
    everyone = client.get(url, params={"limit": 200}, headers=key).json()["items"]

    walked: list[str] = []
    cursor = None
    pages = 0
    while True:
        params: dict[str, Any] = {"limit": 3} | ({"cursor": cursor} if cursor else {})
        page = client.get(url, params=params, headers=key).json()
        walked += [member["id"] for member in page["items"]]
        pages += 1
        cursor = page["next_cursor"]
        if cursor is None:
            break

    assert pages == 3
    assert walked == [member["id"] for member in everyone]
    assert len(set(walked)) == 8


@pytest.mark.parametrize("letter", ["\x01", "語", "🙂"], ids=["control", "cjk", "emoji"])
def test_a_cursor_after_the_longest_name_is_taken_back(
    client: TestClient, network: Network, home: Staffed, letter: str
) -> None:
    # A cursor holds the last name of its page: 120 of the widest characters must fit.
    network.member(home.id, name="A" + letter * 119)
    network.member(home.id, name="Zoe Last")
    url = f"/v1/communities/{home.id}/members"
    key = auth(home.coordinator_key)

    walked: list[str] = []
    params: dict[str, Any] = {"limit": 1}
    while True:
        answer = client.get(url, params=params, headers=key)
        assert answer.status_code == 200, answer.text
        walked += [member["id"] for member in answer.json()["items"]]
        if answer.json()["next_cursor"] is None:
            break
        params["cursor"] = answer.json()["next_cursor"]

    assert len(set(walked)) == len(walked) == 3


def test_coordinator_of_another_community_gets_404_listing_its_members(
    client: TestClient, home: Staffed, other: Staffed
) -> None:
    response = client.get(f"/v1/communities/{home.id}/members", headers=auth(other.coordinator_key))

    assert response.status_code == 404


@pytest.mark.parametrize("role", ["member", "agency"])
def test_members_and_agencies_may_not_list_members(
    client: TestClient, network: Network, home: Staffed, role: str
) -> None:
    key = home.member_key if role == "member" else network.agency()["api_key"]

    response = client.get(f"/v1/communities/{home.id}/members", headers=auth(key))

    assert response.status_code == 403


# Editing members


def test_member_edits_their_own_profile(client: TestClient, home: Staffed) -> None:
    changes = {
        "name": "Grace O.",
        "home": {"lat": 51.44, "lon": -2.55},
        "max_travel_km": 4.5,
        "skills": {"tutoring": 3},
        "availability": [{"day": "mon", "start": "18:00", "end": "24:00"}],
        "blackout_dates": ["2030-12-25"],
        "max_commitments_per_month": 2,
        "active": False,
    }

    response = client.patch(
        f"/v1/members/{home.member['id']}", json=changes, headers=auth(home.member_key)
    )

    assert response.status_code == 200
    read = _get(client, home.member_key, home.member["id"]).json()
    for field, value in changes.items():
        assert read[field] == value
    assert read["email"] == home.member["email"]


def test_member_may_not_change_their_own_stage_or_checks(
    client: TestClient, admin_key: str, home: Staffed
) -> None:
    url = f"/v1/members/{home.member['id']}"
    key = auth(home.member_key)

    stage = client.patch(url, json={"name": "Promoted", "stage": "leader"}, headers=key)
    checks = client.patch(url, json={"checks": ["background_check"]}, headers=key)

    assert stage.status_code == 403
    assert "stage" in stage.json()["detail"]
    assert checks.status_code == 403
    read = _get(client, admin_key, home.member["id"]).json()
    assert (read["name"], read["stage"], read["checks"]) == (home.member["name"], "new", [])


def test_coordinator_records_a_members_stage_and_checks(client: TestClient, home: Staffed) -> None:
    response = client.patch(
        f"/v1/members/{home.member['id']}",
        json={"stage": "mature", "checks": ["background_check", "food_hygiene"]},
        headers=auth(home.coordinator_key),
    )

    assert response.status_code == 200
    read = _get(client, home.member_key, home.member["id"]).json()
    assert read["stage"] == "mature"
    assert read["checks"] == ["background_check", "food_hygiene"]


def test_member_gets_404_editing_another_member(
    client: TestClient, network: Network, admin_key: str, home: Staffed
) -> None:
    neighbour = network.member(home.id)

    response = client.patch(
        f"/v1/members/{neighbour['id']}", json={"name": "Hacked"}, headers=auth(home.member_key)
    )

    assert response.status_code == 404
    assert _get(client, admin_key, neighbour["id"]).json()["name"] == neighbour["name"]


def test_coordinator_of_another_community_gets_404_editing_a_member(
    client: TestClient, admin_key: str, home: Staffed, other: Staffed
) -> None:
    response = client.patch(
        f"/v1/members/{home.member['id']}",
        json={"stage": "leader"},
        headers=auth(other.coordinator_key),
    )

    assert response.status_code == 404
    assert _get(client, admin_key, home.member["id"]).json()["stage"] == "new"


def test_changing_email_to_one_already_used_in_the_community_is_a_conflict(
    client: TestClient, network: Network, admin_key: str, home: Staffed
) -> None:
    neighbour = network.member(home.id, email="taken@example.org")

    response = client.patch(
        f"/v1/members/{home.member['id']}",
        json={"email": "taken@example.org", "name": "Renamed"},
        headers=auth(home.member_key),
    )

    assert response.status_code == 409
    read = _get(client, admin_key, home.member["id"]).json()
    assert (read["email"], read["name"]) == (home.member["email"], home.member["name"])
    assert _get(client, admin_key, neighbour["id"]).json()["email"] == "taken@example.org"


def test_an_empty_patch_changes_nothing(client: TestClient, home: Staffed) -> None:
    response = client.patch(
        f"/v1/members/{home.member['id']}", json={}, headers=auth(home.member_key)
    )

    assert response.status_code == 200
    unchanged = {key: value for key, value in home.member.items() if key != "api_key"}
    assert response.json() | {"updated_at": None} == unchanged | {"updated_at": None}


# Removing members


def test_coordinator_removes_a_member_whose_key_then_stops_working(
    client: TestClient, admin_key: str, home: Staffed
) -> None:
    response = client.delete(f"/v1/members/{home.member['id']}", headers=auth(home.coordinator_key))

    assert response.status_code == 204
    assert _get(client, admin_key, home.member["id"]).status_code == 404
    assert client.get("/v1/me", headers=auth(home.member_key)).status_code == 401
    assert _member_ids(client, admin_key, home.id) == set()


def test_member_may_leave_and_their_key_then_stops_working(
    client: TestClient, home: Staffed
) -> None:
    response = client.delete(f"/v1/members/{home.member['id']}", headers=auth(home.member_key))

    assert response.status_code == 204
    assert _get(client, home.member_key, home.member["id"]).status_code == 401


def test_removing_a_member_leaves_the_others_keys_working(
    client: TestClient, network: Network, home: Staffed
) -> None:
    neighbour = network.member(home.id)

    client.delete(f"/v1/members/{home.member['id']}", headers=auth(home.coordinator_key))

    assert _get(client, neighbour["api_key"], neighbour["id"]).status_code == 200
    assert client.get("/v1/me", headers=auth(home.coordinator_key)).status_code == 200


def test_coordinator_of_another_community_gets_404_removing_a_member(
    client: TestClient, home: Staffed, other: Staffed
) -> None:
    response = client.delete(
        f"/v1/members/{home.member['id']}", headers=auth(other.coordinator_key)
    )

    assert response.status_code == 404
    assert _get(client, home.member_key, home.member["id"]).status_code == 200


def test_member_gets_404_removing_another_member(
    client: TestClient, network: Network, home: Staffed
) -> None:
    neighbour = network.member(home.id)

    response = client.delete(f"/v1/members/{neighbour['id']}", headers=auth(home.member_key))

    assert response.status_code == 404
    assert _get(client, neighbour["api_key"], neighbour["id"]).status_code == 200
