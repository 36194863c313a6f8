"""Needs over HTTP: who may post, read, edit and cancel them, and what each caller sees."""

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient

from geo.distance import geodesic_km_exact
from tests.factories import Network, Staffed, auth, soon

UNKNOWN_ID = "00000000-0000-4000-8000-000000000000"
BRISTOL = {"lat": 51.4545, "lon": -2.5879}


@dataclass(frozen=True)
class Neighbourhood:
    """Two communities and two agencies, each with one need of its own, plus a network need."""

    home: Staffed
    other: Staffed
    agency: dict[str, Any]
    other_agency: dict[str, Any]
    home_need: dict[str, Any]
    other_need: dict[str, Any]
    network_need: dict[str, Any]
    agency_need: dict[str, Any]
    other_agency_need: dict[str, Any]


@pytest.fixture
def hood(network: Network) -> Neighbourhood:
    home, other = network.staffed_community(), network.staffed_community()
    agency, other_agency = network.agency(), network.agency()
    return Neighbourhood(
        home=home,
        other=other,
        agency=agency,
        other_agency=other_agency,
        home_need=network.need(home.coordinator_key, community_id=home.id, title="Home"),
        other_need=network.need(other.coordinator_key, community_id=other.id, title="Other"),
        network_need=network.need(
            other.coordinator_key, community_id=other.id, title="Network", open_to_network=True
        ),
        agency_need=network.need(agency["api_key"], title="Agency"),
        other_agency_need=network.need(other_agency["api_key"], title="Other agency"),
    )


def _list(client: TestClient, key: str, **params: Any) -> list[dict[str, Any]]:
    response = client.get("/v1/needs", params={"limit": 200, **params}, headers=auth(key))
    assert response.status_code == 200, response.text
    items: list[dict[str, Any]] = response.json()["items"]
    return items


def _ids(client: TestClient, key: str, **params: Any) -> set[str]:
    return {need["id"] for need in _list(client, key, **params)}


def _get(client: TestClient, key: str, need_id: str) -> Any:
    return client.get(f"/v1/needs/{need_id}", headers=auth(key))


# The whole flow


def test_admin_builds_a_community_whose_people_and_partner_post_and_read_needs(
    client: TestClient, admin_key: str
) -> None:
    admin = auth(admin_key)
    community = client.post(
        "/v1/communities",
        json={"name": "St Paul's", "meeting_point": BRISTOL, "timezone": "Europe/London"},
        headers=admin,
    ).json()
    coordinator = client.post(
        f"/v1/communities/{community['id']}/coordinators",
        json={"name": "Ruth", "email": "ruth@example.org"},
        headers=admin,
    ).json()
    member = client.post(
        f"/v1/communities/{community['id']}/members",
        json={"name": "Grace", "email": "grace@example.org", "home": {"lat": 51.46, "lon": -2.6}},
        headers=auth(coordinator["api_key"]),
    ).json()
    agency = client.post(
        "/v1/agencies", json={"name": "Food Bank", "email": "fb@example.org"}, headers=admin
    ).json()
    starts_at = soon()
    window = {
        "starts_at": starts_at.isoformat(),
        "ends_at": (starts_at + timedelta(hours=3)).isoformat(),
    }
    meals = client.post(
        "/v1/needs",
        json={
            "community_id": community["id"],
            "title": "Meals for the Okafors",
            "category": "meals",
            "location": {"lat": 51.462, "lon": -2.583},
            "private_location": True,
            "roles": [{"name": "cook", "skill": "cooking", "min_level": 2, "count": 2}],
            **window,
        },
        headers=auth(coordinator["api_key"]),
    )
    sorting = client.post(
        "/v1/needs",
        json={
            "title": "Sort donations",
            "category": "other",
            "location": {"lat": 51.45, "lon": -2.6},
            "roles": [{"name": "sorter", "count": 6}, {"name": "driver", "count": 1}],
            **window,
        },
        headers=auth(agency["api_key"]),
    )

    assert meals.status_code == 201
    assert sorting.status_code == 201
    meals_need, sorting_need = meals.json(), sorting.json()
    assert meals_need["status"] == "open"
    assert meals_need["community_id"] == community["id"]
    assert [role["filled"] for role in meals_need["roles"]] == [0]
    assert sorting_need["agency_id"] == agency["id"]
    assert sorting_need["community_id"] is None
    assert [role["filled"] for role in sorting_need["roles"]] == [0, 0]
    # The member sees both: their community's need (roughly placed) and the agency's request.
    seen = {need["id"]: need for need in _list(client, member["api_key"])}
    assert set(seen) == {meals_need["id"], sorting_need["id"]}
    assert seen[meals_need["id"]]["location_approximate"] is True
    # The coordinator sees their own need exactly; the agency sees only its own request.
    assert _get(client, coordinator["api_key"], meals_need["id"]).json() == meals_need
    assert _ids(client, agency["api_key"]) == {sorting_need["id"]}
    assert _get(client, agency["api_key"], meals_need["id"]).status_code == 404
    # And each is refused what it may not do.
    # The member's home is theirs and their coordinator's to see.
    for key in (member["api_key"], coordinator["api_key"]):
        read = client.get(f"/v1/members/{member['id']}", headers=auth(key))
        assert read.json()["home"] == {"lat": 51.46, "lon": -2.6}
    # And each is refused what it may not do, without anything changing.
    a_need = {
        **window,
        "title": "Uninvited",
        "category": "other",
        "location": BRISTOL,
        "roles": [{"name": "helper", "count": 1}],
    }
    refusals = {
        "member posts a need": client.post(
            "/v1/needs", json=a_need, headers=auth(member["api_key"])
        ),
        "agency edits the community's need": client.patch(
            f"/v1/needs/{meals_need['id']}", json={"title": "Ours"}, headers=auth(agency["api_key"])
        ),
        "coordinator edits the agency's request": client.patch(
            f"/v1/needs/{sorting_need['id']}",
            json={"title": "Ours"},
            headers=auth(coordinator["api_key"]),
        ),
        "member lists the community's members": client.get(
            f"/v1/communities/{community['id']}/members", headers=auth(member["api_key"])
        ),
        "agency reads the member": client.get(
            f"/v1/members/{member['id']}", headers=auth(agency["api_key"])
        ),
        "coordinator creates a community": client.post(
            "/v1/communities",
            json={"name": "Mine", "meeting_point": BRISTOL, "timezone": "UTC"},
            headers=auth(coordinator["api_key"]),
        ),
    }
    assert {action: response.status_code for action, response in refusals.items()} == {
        "member posts a need": 403,
        "agency edits the community's need": 404,
        "coordinator edits the agency's request": 404,
        "member lists the community's members": 403,
        "agency reads the member": 403,
        "coordinator creates a community": 403,
    }
    assert sorted(need["title"] for need in _list(client, admin_key)) == [
        "Meals for the Okafors",
        "Sort donations",
    ]
    assert len(client.get("/v1/communities", headers=admin).json()) == 1


# Posting needs


def test_coordinator_posts_an_open_need_for_their_community(
    client: TestClient, network: Network
) -> None:
    home = network.staffed_community()
    body = network.need_body(
        community_id=home.id,
        roles=[
            {"name": "cook", "skill": "cooking", "min_level": 2, "count": 2},
            {"name": "driver", "count": 1},
        ],
        requirements=["food_hygiene"],
        urgency="high",
    )

    response = client.post("/v1/needs", json=body, headers=auth(home.coordinator_key))

    assert response.status_code == 201
    need = response.json()
    assert need["status"] == "open"
    assert need["community_id"] == home.id
    assert need["agency_id"] is None
    assert need["location"] == body["location"]
    assert need["location_approximate"] is False
    assert need["requirements"] == ["food_hygiene"]
    assert need["urgency"] == "high"
    assert need["open_to_network"] is False
    assert need["roles"] == [
        {"name": "cook", "skill": "cooking", "min_level": 2, "count": 2, "filled": 0, "invited": 0},
        {"name": "driver", "skill": None, "min_level": 1, "count": 1, "filled": 0, "invited": 0},
    ]


def test_the_instant_sent_with_any_offset_is_the_instant_read_back(
    client: TestClient, network: Network
) -> None:
    home = network.staffed_community()
    day = soon().date()

    need = network.need(
        home.coordinator_key,
        community_id=home.id,
        starts_at=f"{day}T10:00:00+02:00",
        ends_at=f"{day}T12:30:00+02:00",
    )

    read = _get(client, home.member_key, need["id"]).json()
    assert read["starts_at"] == f"{day}T08:00:00Z"
    assert read["ends_at"] == f"{day}T10:30:00Z"


def test_the_response_to_posting_a_need_matches_what_a_later_read_returns(
    client: TestClient, network: Network
) -> None:
    home = network.staffed_community()
    day = soon().date()

    need = network.need(
        home.coordinator_key,
        community_id=home.id,
        starts_at=f"{day}T10:00:00+02:00",
        ends_at=f"{day}T12:30:00+02:00",
    )

    assert _get(client, home.coordinator_key, need["id"]).json() == need


def test_agency_posts_a_request_that_is_its_own(client: TestClient, network: Network) -> None:
    agency = network.agency()

    response = client.post("/v1/needs", json=network.need_body(), headers=auth(agency["api_key"]))

    assert response.status_code == 201
    assert response.json()["agency_id"] == agency["id"]
    assert response.json()["community_id"] is None


def test_an_agency_naming_a_community_is_refused_and_nothing_is_posted(
    client: TestClient, network: Network, admin_key: str
) -> None:
    home = network.staffed_community()
    agency = network.agency()

    response = client.post(
        "/v1/needs", json=network.need_body(community_id=home.id), headers=auth(agency["api_key"])
    )

    assert response.status_code == 422
    body = response.json()
    assert body["detail"][0]["loc"] == ["body", "community_id"]
    assert "community_id" in body["message"]
    assert _list(client, admin_key) == []


def test_members_may_not_post_needs(client: TestClient, network: Network, admin_key: str) -> None:
    home = network.staffed_community()

    response = client.post(
        "/v1/needs", json=network.need_body(community_id=home.id), headers=auth(home.member_key)
    )

    assert response.status_code == 403
    assert _list(client, admin_key) == []


def test_coordinator_gets_404_posting_for_a_community_they_do_not_lead(
    client: TestClient, network: Network, admin_key: str
) -> None:
    home, other = network.staffed_community(), network.staffed_community()

    response = client.post(
        "/v1/needs",
        json=network.need_body(community_id=other.id),
        headers=auth(home.coordinator_key),
    )

    assert response.status_code == 404
    assert _list(client, admin_key) == []


@pytest.mark.parametrize("poster", ["coordinator", "admin"])
def test_a_community_need_must_say_which_community(
    client: TestClient, network: Network, admin_key: str, poster: str
) -> None:
    home = network.staffed_community()
    key = home.coordinator_key if poster == "coordinator" else admin_key

    response = client.post("/v1/needs", json=network.need_body(), headers=auth(key))

    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["body", "community_id"]
    assert _list(client, admin_key) == []


def test_admin_posts_for_any_community(
    client: TestClient, network: Network, admin_key: str
) -> None:
    home = network.staffed_community()

    need = network.need(admin_key, community_id=home.id)

    assert need["community_id"] == home.id
    assert need["id"] in _ids(client, home.coordinator_key)


def test_a_need_that_is_already_over_is_refused(
    client: TestClient, network: Network, admin_key: str
) -> None:
    home = network.staffed_community()
    body = network.need_body(
        community_id=home.id, starts_at="2020-01-01T10:00:00Z", ends_at="2020-01-01T12:00:00Z"
    )

    response = client.post("/v1/needs", json=body, headers=auth(home.coordinator_key))

    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["body", "ends_at"]
    assert _list(client, admin_key) == []


def test_posting_a_need_without_a_valid_key_is_401(client: TestClient, network: Network) -> None:
    body = network.need_body()

    assert client.post("/v1/needs", json=body).status_code == 401
    assert client.post("/v1/needs", json=body, headers=auth("sm_nope")).status_code == 401


# Reading needs


def test_community_people_see_their_needs_agency_requests_and_network_needs(
    client: TestClient, hood: Neighbourhood
) -> None:
    expected = {
        hood.home_need["id"],
        hood.network_need["id"],
        hood.agency_need["id"],
        hood.other_agency_need["id"],
    }

    assert _ids(client, hood.home.member_key) == expected
    assert _ids(client, hood.home.coordinator_key) == expected


def test_another_communitys_own_need_is_404_for_its_neighbours(
    client: TestClient, hood: Neighbourhood
) -> None:
    for key in (hood.home.member_key, hood.home.coordinator_key):
        response = _get(client, key, hood.other_need["id"])
        assert response.status_code == 404
        assert response.json()["code"] == "not_found"


def test_a_need_open_to_the_network_is_readable_by_other_communities(
    client: TestClient, hood: Neighbourhood
) -> None:
    response = _get(client, hood.home.member_key, hood.network_need["id"])

    assert response.status_code == 200
    assert response.json()["title"] == "Network"


def test_agency_reads_only_its_own_requests(client: TestClient, hood: Neighbourhood) -> None:
    key = hood.agency["api_key"]

    assert _ids(client, key) == {hood.agency_need["id"]}
    for need in (hood.home_need, hood.network_need, hood.other_agency_need):
        assert _get(client, key, need["id"]).status_code == 404


def test_admin_sees_every_need(client: TestClient, admin_key: str, hood: Neighbourhood) -> None:
    assert _ids(client, admin_key) == {
        hood.home_need["id"],
        hood.other_need["id"],
        hood.network_need["id"],
        hood.agency_need["id"],
        hood.other_agency_need["id"],
    }


def test_an_unknown_need_is_404(client: TestClient, admin_key: str) -> None:
    assert _get(client, admin_key, UNKNOWN_ID).status_code == 404


def test_reading_needs_without_a_valid_key_is_401(client: TestClient, hood: Neighbourhood) -> None:
    assert client.get("/v1/needs").status_code == 401
    assert client.get(f"/v1/needs/{hood.home_need['id']}").status_code == 401
    assert _get(client, "sm_nope", hood.home_need["id"]).status_code == 401


def test_a_private_location_is_exact_for_its_owners_and_coarse_for_everyone_else(
    client: TestClient, network: Network, admin_key: str
) -> None:
    home, other = network.staffed_community(), network.staffed_community()
    exact = {"lat": 51.46123, "lon": -2.57891}
    need = network.need(
        other.coordinator_key,
        community_id=other.id,
        location=exact,
        private_location=True,
        open_to_network=True,
    )

    for key in (other.coordinator_key, admin_key):
        seen = _get(client, key, need["id"]).json()
        assert (seen["location"], seen["location_approximate"]) == (exact, False)
    for key in (home.coordinator_key, home.member_key, other.member_key):
        seen = _get(client, key, need["id"]).json()
        assert seen["location_approximate"] is True
        assert seen["private_location"] is True
        assert seen["location"] != exact
        coarse = seen["location"]
        assert geodesic_km_exact(coarse["lat"], coarse["lon"], exact["lat"], exact["lon"]) < 1.0
        listed = {item["id"]: item for item in _list(client, key)}
        assert listed[need["id"]]["location"] == coarse


def test_an_agencys_private_address_is_exact_only_for_the_agency(
    client: TestClient, network: Network
) -> None:
    home = network.staffed_community()
    agency = network.agency()
    exact = {"lat": 51.45012, "lon": -2.60345}
    need = network.need(agency["api_key"], location=exact, private_location=True)

    assert need["location"] == exact
    assert _get(client, agency["api_key"], need["id"]).json()["location"] == exact
    seen = _get(client, home.coordinator_key, need["id"]).json()
    assert seen["location_approximate"] is True
    assert seen["location"] != exact


def test_a_public_location_is_exact_for_everyone(client: TestClient, hood: Neighbourhood) -> None:
    seen = _get(client, hood.home.member_key, hood.agency_need["id"]).json()

    assert seen["location"] == hood.agency_need["location"]
    assert seen["location_approximate"] is False


def test_status_filter_lists_only_needs_in_that_state(
    client: TestClient, network: Network, admin_key: str
) -> None:
    home = network.staffed_community()
    kept = network.need(home.coordinator_key, community_id=home.id)
    dropped = network.need(home.coordinator_key, community_id=home.id)
    client.post(f"/v1/needs/{dropped['id']}/cancel", headers=auth(home.coordinator_key))

    assert _ids(client, admin_key, status="open") == {kept["id"]}
    assert _ids(client, admin_key, status="cancelled") == {dropped["id"]}
    assert _ids(client, admin_key, status="done") == set()
    assert _ids(client, admin_key) == {kept["id"], dropped["id"]}


def test_category_and_start_window_filters_list_and_map_the_same_needs(
    client: TestClient, network: Network, admin_key: str
) -> None:
    home = network.staffed_community()
    made = {}
    for name, days, category in (
        ("early meal", 2, "meals"),
        ("late meal", 6, "meals"),
        ("early tidy", 2, "cleanup"),
    ):
        starts_at = soon(days=days)
        made[name] = network.need(
            home.coordinator_key,
            community_id=home.id,
            category=category,
            starts_at=starts_at.isoformat(),
            ends_at=(starts_at + timedelta(hours=1)).isoformat(),
        )["id"]
    window = {"from": soon(days=1).isoformat(), "to": soon(days=4).isoformat()}

    assert _ids(client, admin_key, category="meals") == {made["early meal"], made["late meal"]}
    assert _ids(client, admin_key, **window) == {made["early meal"], made["early tidy"]}
    assert _ids(client, admin_key, category="meals", **window) == {made["early meal"]}
    # The map layer filters alike, and its next-page link keeps the filters.
    layer = client.get(
        "/v1/needs.geojson", params={"category": "meals", "limit": 1}, headers=auth(admin_key)
    )
    assert [f["id"] for f in layer.json()["features"]] == [made["early meal"]]
    assert "category=meals" in layer.headers["Link"]
    for params in (
        {"from": window["to"], "to": window["from"]},
        {"to": window["from"], "from": window["from"]},
    ):
        refused = client.get("/v1/needs", params=params, headers=auth(admin_key))
        assert refused.status_code == 422
        assert refused.json()["detail"][0]["loc"] == ["query", "to"]
    assert (
        client.get("/v1/needs", params={"category": "karaoke"}, headers=auth(admin_key)).status_code
        == 422
    )


def test_walking_the_need_pages_returns_every_need_once_soonest_first(
    client: TestClient, network: Network
) -> None:
    home = network.staffed_community()
    # Three needs share a start, so the cursor has to rely on its id tie-break.
    for days, hour in [(5, 9), (2, 10), (4, 10), (4, 10), (4, 10), (3, 18), (6, 8)]:
        starts_at = soon(days=days, hour=hour)
        network.need(
            home.coordinator_key,
            community_id=home.id,
            starts_at=starts_at.isoformat(),
            ends_at=(starts_at + timedelta(hours=1)).isoformat(),
        )
    key = auth(home.member_key)
    everyone = _list(client, home.member_key)

    walked: list[dict[str, Any]] = []
    cursor = None
    pages = 0
    while True:
        params: dict[str, Any] = {"limit": 2} | ({"cursor": cursor} if cursor else {})
        page = client.get("/v1/needs", params=params, headers=key).json()
        walked += page["items"]
        pages += 1
        cursor = page["next_cursor"]
        if cursor is None:
            break

    assert pages == 4
    assert [need["id"] for need in walked] == [need["id"] for need in everyone]
    assert len({need["id"] for need in walked}) == 7
    starts = [need["starts_at"] for need in walked]
    assert starts == sorted(starts)


def test_near_and_radius_keep_only_needs_within_the_radius(
    client: TestClient, network: Network
) -> None:
    home = network.staffed_community()
    key = home.coordinator_key
    # Due north of the centre: 0.01 degrees of latitude is about 1.1 km.
    placed = {
        distance_km: network.need(
            key,
            community_id=home.id,
            location={"lat": BRISTOL["lat"] + distance_km / 111.2, "lon": BRISTOL["lon"]},
        )["id"]
        for distance_km in (1, 10, 40)
    }
    near = f"{BRISTOL['lat']},{BRISTOL['lon']}"

    assert _ids(client, key, near=near, radius_km=5) == {placed[1]}
    assert _ids(client, key, near=near, radius_km=15) == {placed[1], placed[10]}
    assert _ids(client, key, near=near) == {placed[1], placed[10]}  # 25 km by default
    assert _ids(client, key, near=near, radius_km=50) == set(placed.values())
    assert _ids(client, key) == set(placed.values())


def test_near_never_widens_what_the_caller_may_see(client: TestClient, hood: Neighbourhood) -> None:
    near = f"{hood.home_need['location']['lat']},{hood.home_need['location']['lon']}"

    seen = _ids(client, hood.agency["api_key"], near=near, radius_km=100)

    assert seen == {hood.agency_need["id"]}


def test_coordinator_of_two_communities_sees_and_posts_needs_for_both(
    client: TestClient, network: Network
) -> None:
    first, second, elsewhere = (network.staffed_community() for _ in range(3))
    key = network.coordinator(first.id, email="both@example.org")["api_key"]
    network.coordinator(second.id, email="both@example.org")

    mine = {network.need(key, community_id=community.id)["id"] for community in (first, second)}
    theirs = network.need(elsewhere.coordinator_key, community_id=elsewhere.id)
    refused = client.post(
        "/v1/needs", json=network.need_body(community_id=elsewhere.id), headers=auth(key)
    )

    assert _ids(client, key) == mine
    assert refused.status_code == 404
    assert _get(client, key, theirs["id"]).status_code == 404


# Editing needs


def test_coordinator_edits_their_need(client: TestClient, network: Network) -> None:
    home = network.staffed_community()
    need = network.need(home.coordinator_key, community_id=home.id)
    starts_at = soon(days=5, hour=14)
    changes = {
        "title": "Meals for two families",
        "description": "Twins!",
        "location": {"lat": 51.47, "lon": -2.61},
        "starts_at": starts_at.isoformat(),
        "ends_at": (starts_at + timedelta(hours=4)).isoformat(),
        "urgency": "critical",
        "open_to_network": True,
        "requirements": ["food_hygiene"],
    }

    response = client.patch(
        f"/v1/needs/{need['id']}", json=changes, headers=auth(home.coordinator_key)
    )

    assert response.status_code == 200
    read = _get(client, home.coordinator_key, need["id"]).json()
    assert read == response.json()
    assert read["title"] == "Meals for two families"
    assert read["location"] == {"lat": 51.47, "lon": -2.61}
    assert read["starts_at"] == starts_at.isoformat().replace("+00:00", "Z")
    assert (read["urgency"], read["open_to_network"]) == ("critical", True)
    assert read["status"] == "open"


def test_roles_are_replaced_by_name_keeping_their_order(
    client: TestClient, network: Network
) -> None:
    home = network.staffed_community()
    need = network.need(
        home.coordinator_key,
        community_id=home.id,
        roles=[{"name": "cook", "skill": "cooking", "count": 2}, {"name": "driver", "count": 1}],
    )

    response = client.patch(
        f"/v1/needs/{need['id']}",
        json={
            "roles": [
                {"name": "washer", "count": 2},
                {"name": "cook", "skill": "cooking", "min_level": 3, "count": 4},
            ]
        },
        headers=auth(home.coordinator_key),
    )

    assert response.status_code == 200
    assert _get(client, home.coordinator_key, need["id"]).json()["roles"] == [
        {"name": "washer", "skill": None, "min_level": 1, "count": 2, "filled": 0, "invited": 0},
        {"name": "cook", "skill": "cooking", "min_level": 3, "count": 4, "filled": 0, "invited": 0},
    ]


def test_agency_edits_its_own_request(client: TestClient, hood: Neighbourhood) -> None:
    response = client.patch(
        f"/v1/needs/{hood.agency_need['id']}",
        json={"title": "Sort tins"},
        headers=auth(hood.agency["api_key"]),
    )

    assert response.status_code == 200
    assert response.json()["title"] == "Sort tins"


def test_members_may_not_edit_needs(
    client: TestClient, admin_key: str, hood: Neighbourhood
) -> None:
    response = client.patch(
        f"/v1/needs/{hood.home_need['id']}",
        json={"title": "Mine now"},
        headers=auth(hood.home.member_key),
    )

    assert response.status_code == 403
    assert _get(client, admin_key, hood.home_need["id"]).json()["title"] == "Home"


@pytest.mark.parametrize(
    ("editor", "need"),
    [
        ("home_coordinator", "other_need"),
        ("home_coordinator", "network_need"),
        ("home_coordinator", "agency_need"),
        ("agency", "other_agency_need"),
        ("agency", "home_need"),
    ],
)
def test_a_need_someone_else_manages_is_404_to_edit_even_when_readable(
    client: TestClient, admin_key: str, hood: Neighbourhood, editor: str, need: str
) -> None:
    key = hood.home.coordinator_key if editor == "home_coordinator" else hood.agency["api_key"]
    target = getattr(hood, need)

    response = client.patch(
        f"/v1/needs/{target['id']}", json={"title": "Hijacked"}, headers=auth(key)
    )

    assert response.status_code == 404
    assert _get(client, admin_key, target["id"]).json()["title"] == target["title"]


def test_moving_the_start_past_the_end_is_refused_and_changes_nothing(
    client: TestClient, network: Network, admin_key: str
) -> None:
    home = network.staffed_community()
    need = network.need(home.coordinator_key, community_id=home.id)
    late = soon(days=9).isoformat()

    response = client.patch(
        f"/v1/needs/{need['id']}",
        json={"title": "Moved", "starts_at": late},
        headers=auth(home.coordinator_key),
    )

    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["body", "starts_at"]
    read = _get(client, admin_key, need["id"]).json()
    assert (read["title"], read["starts_at"]) == (need["title"], need["starts_at"])


# Cancelling needs


def test_cancelling_is_idempotent(client: TestClient, network: Network) -> None:
    home = network.staffed_community()
    need = network.need(home.coordinator_key, community_id=home.id)
    url = f"/v1/needs/{need['id']}/cancel"

    first = client.post(url, headers=auth(home.coordinator_key))
    second = client.post(url, headers=auth(home.coordinator_key))

    assert (first.status_code, second.status_code) == (200, 200)
    assert first.json()["status"] == second.json()["status"] == "cancelled"
    assert _get(client, home.member_key, need["id"]).json()["status"] == "cancelled"


def test_a_cancelled_need_can_no_longer_be_edited(
    client: TestClient, network: Network, admin_key: str
) -> None:
    home = network.staffed_community()
    need = network.need(home.coordinator_key, community_id=home.id)
    client.post(f"/v1/needs/{need['id']}/cancel", headers=auth(home.coordinator_key))

    response = client.patch(
        f"/v1/needs/{need['id']}", json={"title": "Revived"}, headers=auth(home.coordinator_key)
    )

    assert response.status_code == 409
    assert response.json()["code"] == "conflict"
    read = _get(client, admin_key, need["id"]).json()
    assert (read["title"], read["status"]) == (need["title"], "cancelled")


def test_agency_cancels_its_own_request(client: TestClient, hood: Neighbourhood) -> None:
    response = client.post(
        f"/v1/needs/{hood.agency_need['id']}/cancel", headers=auth(hood.agency["api_key"])
    )

    assert response.status_code == 200
    assert response.json()["status"] == "cancelled"


def test_members_may_not_cancel_needs(
    client: TestClient, admin_key: str, hood: Neighbourhood
) -> None:
    response = client.post(
        f"/v1/needs/{hood.home_need['id']}/cancel", headers=auth(hood.home.member_key)
    )

    assert response.status_code == 403
    assert _get(client, admin_key, hood.home_need["id"]).json()["status"] == "open"


@pytest.mark.parametrize(
    ("canceller", "need"),
    [
        ("home_coordinator", "other_need"),
        ("home_coordinator", "network_need"),
        ("home_coordinator", "agency_need"),
        ("agency", "other_agency_need"),
        ("agency", "home_need"),
    ],
)
def test_a_need_someone_else_manages_is_404_to_cancel(
    client: TestClient, admin_key: str, hood: Neighbourhood, canceller: str, need: str
) -> None:
    key = hood.home.coordinator_key if canceller == "home_coordinator" else hood.agency["api_key"]
    target = getattr(hood, need)

    response = client.post(f"/v1/needs/{target['id']}/cancel", headers=auth(key))

    assert response.status_code == 404
    assert _get(client, admin_key, target["id"]).json()["status"] == "open"


def test_admin_may_edit_and_cancel_any_need(
    client: TestClient, admin_key: str, hood: Neighbourhood
) -> None:
    for need in (hood.other_need, hood.agency_need):
        edited = client.patch(
            f"/v1/needs/{need['id']}", json={"urgency": "high"}, headers=auth(admin_key)
        )
        cancelled = client.post(f"/v1/needs/{need['id']}/cancel", headers=auth(admin_key))
        assert (edited.status_code, cancelled.status_code) == (200, 200)
        assert (cancelled.json()["urgency"], cancelled.json()["status"]) == ("high", "cancelled")


def test_cancelling_an_unknown_need_is_404(client: TestClient, admin_key: str) -> None:
    response = client.post(f"/v1/needs/{UNKNOWN_ID}/cancel", headers=auth(admin_key))

    assert response.status_code == 404


def test_lowering_a_count_waits_for_a_sign_up_in_flight_and_then_says_409(
    client: TestClient, network: Network, backend: str, database_url: str
) -> None:
    """A sign-up holds the need's lock while it takes a place; an edit must wait for it and
    then see the place taken, instead of racing it into the filled <= count CHECK (a 500)."""
    if backend != "postgresql":
        pytest.skip("SQLite serialises writers with BEGIN IMMEDIATE; no row locks to race")
    import threading

    from sqlalchemy import create_engine, text

    staffed = network.staffed_community()
    need = network.need(
        staffed.coordinator_key, community_id=staffed.id, roles=[{"name": "cook", "count": 2}]
    )
    taken = client.post(
        f"/v1/needs/{need['id']}/signups",
        json={"member_id": staffed.member["id"], "role": "cook"},
        headers=auth(staffed.member_key),
    )
    assert taken.status_code == 201, taken.text
    engine = create_engine(database_url)
    answers: list[Any] = []
    with engine.connect() as in_flight:  # a second sign-up, mid-transaction
        in_flight.execute(
            text("SELECT id FROM needs WHERE id = :id FOR UPDATE"), {"id": need["id"]}
        )
        in_flight.execute(
            text("UPDATE need_roles SET filled = filled + 1 WHERE need_id = :id"),
            {"id": need["id"]},
        )
        edit = threading.Thread(
            target=lambda: answers.append(
                client.patch(
                    f"/v1/needs/{need['id']}",
                    json={"roles": [{"name": "cook", "count": 1}]},
                    headers=auth(staffed.coordinator_key),
                )
            )
        )
        edit.start()
        edit.join(timeout=1.0)
        assert edit.is_alive(), "the edit went ahead while a sign-up held the need"
        in_flight.commit()
    edit.join(timeout=30)
    engine.dispose()
    assert answers[0].status_code == 409, answers[0].text
    assert "2 sign-ups" in answers[0].json()["detail"]
    roles = client.get(f"/v1/needs/{need['id']}", headers=auth(staffed.coordinator_key)).json()
    assert roles["roles"][0]["count"] == 2
