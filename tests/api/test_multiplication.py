"""Multiplication: readiness, the plan, a coordinator's own split, multiplying, lineage."""

from dataclasses import dataclass
from typing import Any

from fastapi.testclient import TestClient

from tests.factories import Network, Staffed, auth

WEST = (51.455, -2.64)
EAST = (51.455, -2.53)
# (name, stage, side): two neighbourhoods ~7.6 km apart, a leader on each side.
CAST = [
    ("Lena Leader", "leader", WEST),
    ("Liam Leader", "leader", EAST),
    *((f"West Mature {i}", "mature", WEST) for i in range(2)),
    *((f"East Mature {i}", "mature", EAST) for i in range(2)),
    *((f"West Growing {i}", "growing", WEST) for i in range(3)),
    *((f"East Growing {i}", "growing", EAST) for i in range(3)),
    *((f"West New {i}", "new", WEST) for i in range(3)),
    *((f"East New {i}", "new", EAST) for i in range(3)),
]


@dataclass
class Ready:
    """A community of 18 ready to multiply, with a household of two in the east."""

    home: Staffed
    members: dict[str, dict[str, Any]]
    household_id: str

    def ids(self, *names: str) -> list[str]:
        return [self.members[name]["id"] for name in names]

    def side(self, side: tuple[float, float]) -> list[str]:
        return [self.members[name]["id"] for name, _, at in CAST if at == side]


def _ready(client: TestClient, network: Network) -> Ready:
    home = network.staffed_community(meeting_point={"lat": 51.455, "lon": -2.585})
    # The staffed community's own member is inactive: the split counts active members.
    client.patch(
        f"/v1/members/{home.member['id']}",
        json={"active": False},
        headers=auth(home.coordinator_key),
    ).raise_for_status()
    members = {}
    for number, (name, stage, (lat, lon)) in enumerate(CAST):
        jitter = (number % 5) * 0.002
        members[name] = network.member(
            home.id,
            home.coordinator_key,
            name=name,
            stage=stage,
            home={"lat": lat + jitter, "lon": lon - jitter},
        )
    household = client.post(
        f"/v1/communities/{home.id}/households",
        json={
            "name": "Easton",
            "member_ids": [members["East New 0"]["id"], members["East Mature 0"]["id"]],
            "serve": "together",
        },
        headers=auth(home.coordinator_key),
    )
    assert household.status_code == 201, household.text
    return Ready(home=home, members=members, household_id=household.json()["id"])


def _plan(client: TestClient, ready: Ready, **params: Any) -> Any:
    response = client.get(
        f"/v1/communities/{ready.home.id}/multiplication",
        params=params,
        headers=auth(ready.home.coordinator_key),
    )
    assert response.status_code == 200, response.text
    return response.json()


def test_a_small_community_is_told_what_it_lacks(client: TestClient, network: Network) -> None:
    home = network.staffed_community()
    answer = client.get(
        f"/v1/communities/{home.id}/multiplication", headers=auth(home.coordinator_key)
    ).json()

    assert answer["ready"] is False
    assert answer["plan"] is None
    missing = {
        reason["rule"]: reason["message"] for reason in answer["reasons"] if not reason["holds"]
    }
    assert set(missing) == {"members", "leaders", "group_size"}
    assert "15 more" in missing["members"]


def test_a_ready_community_gets_a_plan_that_keeps_every_rule(
    client: TestClient, network: Network
) -> None:
    ready = _ready(client, network)

    answer = _plan(client, ready)

    assert answer["ready"] is True
    assert all(reason["holds"] for reason in answer["reasons"])
    plan = answer["plan"]
    assert plan["violations"] == []
    groups = [{member["id"] for member in group["members"]} for group in plan["groups"]]
    assert len(groups) == 2
    assert set.union(*groups) == {member["id"] for member in ready.members.values()}
    for group in plan["groups"]:
        stages = [member["stage"] for member in group["members"]]
        assert group["size"] >= 8
        assert "leader" in stages
        assert group["leader_id"] in {m["id"] for m in group["members"] if m["stage"] == "leader"}
        if "new" in stages:
            assert {"mature", "leader"} & set(stages)
    household = set(ready.ids("East New 0", "East Mature 0"))
    assert any(household <= group for group in groups)
    # Compact: the two neighbourhoods are the two groups, each meeting on its own side.
    assert {frozenset(group) for group in groups} == {
        frozenset(ready.side(WEST)),
        frozenset(ready.side(EAST)),
    }
    assert plan["travel_after"]["sum_km"] < plan["travel_before"]["sum_km"] / 3
    methods = {row["method"]: row for row in plan["comparison"]}
    assert set(methods) == {"plan", "random", "kmeans"}
    assert methods["plan"]["travel_after"] == plan["travel_after"]
    assert methods["plan"]["travel_after"]["sum_km"] <= methods["random"]["travel_after"]["sum_km"]


def test_a_coordinators_own_split_is_evaluated_rule_by_rule(
    client: TestClient, network: Network
) -> None:
    ready = _ready(client, network)
    west, east = ready.side(WEST), ready.side(EAST)
    leader = ready.members["Liam Leader"]["id"]
    # Liam joins the west: the east keeps no leader.
    groups = [[*west, leader], [member for member in east if member != leader]]

    response = client.post(
        f"/v1/communities/{ready.home.id}/multiplication/evaluate",
        json={"groups": groups},
        headers=auth(ready.home.coordinator_key),
    )

    assert response.status_code == 200, response.text
    split = response.json()
    leaderless = [v for v in split["violations"] if v["rule"] == "leader"]
    assert [v["group"] for v in leaderless] == [1]
    assert split["groups"][0]["size"] == 10
    assert split["groups"][1]["leader_id"] is None


def test_a_split_must_place_every_active_member_once(client: TestClient, network: Network) -> None:
    ready = _ready(client, network)
    west, east = ready.side(WEST), ready.side(EAST)
    path = f"/v1/communities/{ready.home.id}/multiplication/evaluate"
    headers = auth(ready.home.coordinator_key)
    stranger = network.staffed_community().member["id"]

    for groups, words in (
        ([west, east[1:]], "every active member needs a group"),
        ([west, [*east, west[0]]], "is in groups 1 and 2"),
        ([west, [*east, stranger]], "is not an active member of this community"),
    ):
        response = client.post(path, json={"groups": groups}, headers=headers)
        assert response.status_code == 422, response.text
        detail = response.json()["detail"][0]
        assert detail["loc"] == ["body", "groups"]
        assert words in detail["msg"]


def test_multiplying_makes_a_daughter_community_with_its_members_and_coordinator(
    client: TestClient, network: Network
) -> None:
    ready = _ready(client, network)
    west, east = ready.side(WEST), ready.side(EAST)
    coordinator = auth(ready.home.coordinator_key)
    mover = ready.members["East Growing 1"]
    # An east member already signed up to one of the mother's needs.
    need = network.need(ready.home.coordinator_key, community_id=ready.home.id)
    signup = client.post(
        f"/v1/needs/{need['id']}/signups",
        json={"member_id": mover["id"], "role": "cook"},
        headers=auth(mover["api_key"]),
    )
    assert signup.status_code == 201, signup.text
    body = {
        "groups": [west, east],
        "names": ["Bristol West", "Bristol East"],
        "meeting_points": [{"lat": 51.456, "lon": -2.63}, {"lat": 51.456, "lon": -2.54}],
    }

    response = client.post(
        f"/v1/communities/{ready.home.id}/multiplication",
        json=body,
        headers={**coordinator, "Idempotency-Key": "multiply-1"},
    )

    assert response.status_code == 201, response.text
    done = response.json()
    assert done["community"]["name"] == "Bristol West"
    assert done["community"]["meeting_point"] == {"lat": 51.456, "lon": -2.63}
    assert done["moved_members"] == 9
    assert done["warnings"] == []
    [daughter] = done["daughters"]
    assert daughter["community"]["parent_id"] == ready.home.id
    assert daughter["community"]["name"] == "Bristol East"
    assert daughter["members"] == 9
    assert daughter["coordinator"]["name"] == "Liam Leader"
    key = daughter["coordinator"]["api_key"]
    assert key
    daughter_id = daughter["community"]["id"]
    # The new coordinator runs the daughter: its members, its households.
    listed = client.get(f"/v1/communities/{daughter_id}/members", headers=auth(key)).json()
    assert {member["id"] for member in listed["items"]} == set(east)
    households = client.get(f"/v1/communities/{daughter_id}/households", headers=auth(key))
    assert [h["id"] for h in households.json()["items"]] == [ready.household_id]
    # The mother's coordinator no longer reaches those who moved.
    moved = client.get(f"/v1/members/{mover['id']}", headers=coordinator)
    assert moved.status_code == 404
    # The mover's sign-up stays: in their list, and theirs to withdraw.
    mine = client.get(f"/v1/members/{mover['id']}/signups", headers=auth(mover["api_key"]))
    assert [s["id"] for s in mine.json()["items"]] == [signup.json()["id"]]
    withdrawn = client.delete(
        f"/v1/needs/{need['id']}/signups/{signup.json()['id']}", headers=auth(mover["api_key"])
    )
    assert withdrawn.status_code in (200, 204), withdrawn.text
    # A replay answers the same, shows no key twice and makes no second daughter.
    replay = client.post(
        f"/v1/communities/{ready.home.id}/multiplication",
        json=body,
        headers={**coordinator, "Idempotency-Key": "multiply-1"},
    )
    assert replay.status_code == 201
    assert replay.json()["daughters"][0]["community"]["id"] == daughter_id
    assert replay.json()["daughters"][0]["coordinator"]["api_key"] is None
    lineage = client.get(f"/v1/communities/{ready.home.id}/lineage", headers=coordinator).json()
    assert [node["id"] for node in lineage["descendants"]] == [daughter_id]


def test_the_lineage_shows_generations_with_sizes(client: TestClient, network: Network) -> None:
    ready = _ready(client, network)
    body = {
        "groups": [ready.side(WEST), ready.side(EAST)],
        "names": ["West", "East"],
        "meeting_points": [{"lat": 51.456, "lon": -2.63}, {"lat": 51.456, "lon": -2.54}],
    }
    done = client.post(
        f"/v1/communities/{ready.home.id}/multiplication",
        json=body,
        headers=auth(ready.home.coordinator_key),
    ).json()
    daughter = done["daughters"][0]["community"]
    member_key = ready.members["East New 1"]["api_key"]

    lineage = client.get(f"/v1/communities/{daughter['id']}/lineage", headers=auth(member_key))

    assert lineage.status_code == 200, lineage.text
    tree = lineage.json()
    assert tree["community"]["generation"] == 1
    assert tree["community"]["active_members"] == 9
    assert [(n["id"], n["generation"], n["active_members"]) for n in tree["ancestors"]] == [
        (ready.home.id, 0, 9)
    ]
    assert tree["descendants"] == []
    agency = network.agency()["api_key"]
    refused = client.get(f"/v1/communities/{daughter['id']}/lineage", headers=auth(agency))
    assert refused.status_code == 403


def test_multiplying_refuses_what_would_harm_the_community(
    client: TestClient, network: Network
) -> None:
    ready = _ready(client, network)
    west, east = ready.side(WEST), ready.side(EAST)
    path = f"/v1/communities/{ready.home.id}/multiplication"
    headers = auth(ready.home.coordinator_key)
    points = [{"lat": 51.456, "lon": -2.63}, {"lat": 51.456, "lon": -2.54}]
    partner = ready.members["East Mature 0"]["id"]
    liam = ready.members["Liam Leader"]["id"]

    cases = (
        # The Easton household split across the groups.
        ([[*west, partner], [m for m in east if m != partner]], None, "groups", "household"),
        # The east group given a coordinator who is not a leader there.
        ([west, east], [None, ready.members["East New 2"]["id"]], "leader_ids", "not a leader"),
        # Liam taken west: nobody leads the east.
        ([[*west, liam], [m for m in east if m != liam]], None, "leader_ids", "no leader"),
    )
    for groups, leader_ids, field, words in cases:
        body = {"groups": groups, "names": ["A", "B"], "meeting_points": points}
        if leader_ids:
            body["leader_ids"] = leader_ids
        response = client.post(path, json=body, headers=headers)
        assert response.status_code == 422, response.text
        detail = response.json()["detail"][0]
        assert detail["loc"] == ["body", field]
        assert words in detail["msg"]
    names = client.post(
        path,
        json={"groups": [west, east], "names": ["A"], "meeting_points": points},
        headers=headers,
    )
    assert names.status_code == 422
    # Nothing moved.
    assert (
        client.get(f"/v1/communities/{ready.home.id}/lineage", headers=headers).json()[
            "descendants"
        ]
        == []
    )


def test_only_the_communitys_coordinators_plan_and_multiply(
    client: TestClient, network: Network
) -> None:
    ready = _ready(client, network)
    path = f"/v1/communities/{ready.home.id}/multiplication"
    other = network.staffed_community().coordinator_key
    member = ready.members["West New 0"]["api_key"]

    assert client.get(path, headers=auth(other)).status_code == 404
    assert client.get(path, headers=auth(member)).status_code == 403
    body = {
        "groups": [ready.side(WEST), ready.side(EAST)],
        "names": ["A", "B"],
        "meeting_points": [{"lat": 51.456, "lon": -2.63}, {"lat": 51.456, "lon": -2.54}],
    }
    assert client.post(path, json=body, headers=auth(other)).status_code == 404


def test_a_community_not_ready_cannot_multiply(client: TestClient, network: Network) -> None:
    home = network.staffed_community()
    second = network.member(home.id)
    response = client.post(
        f"/v1/communities/{home.id}/multiplication",
        json={
            "groups": [[home.member["id"]], [second["id"]]],
            "names": ["A", "B"],
            "meeting_points": [{"lat": 51.4, "lon": -2.6}, {"lat": 51.5, "lon": -2.6}],
        },
        headers=auth(home.coordinator_key),
    )
    assert response.status_code == 409
    assert "not ready to multiply" in response.json()["detail"]


def test_an_apprentice_leads_the_daughter_and_leaves_their_leader_behind(
    client: TestClient, network: Network
) -> None:
    ready = _ready(client, network)
    headers = auth(ready.home.coordinator_key)
    lena, liam = ready.members["Lena Leader"]["id"], ready.members["Liam Leader"]["id"]
    # Liam steps back to mature and becomes Lena's apprentice: a leader and a leader-to-be.
    stepped = client.patch(
        f"/v1/members/{liam}", json={"stage": "mature", "apprentice_of": lena}, headers=headers
    )
    assert stepped.status_code == 200, stepped.text
    answer = _plan(client, ready)
    assert answer["ready"] is True
    leaders = next(r for r in answer["reasons"] if r["rule"] == "leaders")
    assert "1 leader and 1 apprentice" in leaders["message"]
    east = next(g for g in answer["plan"]["groups"] if liam in {m["id"] for m in g["members"]})
    assert east["leader_id"] == liam
    body = {
        "groups": [ready.side(WEST), ready.side(EAST)],
        "names": ["West", "East"],
        "meeting_points": [{"lat": 51.456, "lon": -2.63}, {"lat": 51.456, "lon": -2.54}],
    }

    done = client.post(
        f"/v1/communities/{ready.home.id}/multiplication", json=body, headers=headers
    )

    assert done.status_code == 201, done.text
    coordinator = done.json()["daughters"][0]["coordinator"]
    assert coordinator["name"] == "Liam Leader"
    liam_now = client.get(f"/v1/members/{liam}", headers=auth(coordinator["api_key"])).json()
    assert liam_now["apprentice_of"] is None
