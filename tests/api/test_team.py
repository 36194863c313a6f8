"""A team for a need: every open place at once, new members beside mature ones, households."""

from typing import Any

from fastapi.testclient import TestClient

from tests.factories import Network, auth

ROLES = [
    {"name": "cook", "skill": "cooking", "count": 1},
    {"name": "driver", "skill": "driving", "count": 1},
]


def _world(network: Network) -> dict[str, Any]:
    community = network.community()
    coordinator = network.coordinator(community["id"])
    return {"community_id": community["id"], "key": coordinator["api_key"]}


def _member(network: Network, world: dict[str, Any], **overrides: Any) -> dict[str, Any]:
    return network.member(world["community_id"], **overrides)


def _need(network: Network, world: dict[str, Any], **overrides: Any) -> dict[str, Any]:
    return network.need(world["key"], community_id=world["community_id"], **overrides)


def _team(client: TestClient, need: dict[str, Any], key: str, **body: Any) -> Any:
    return client.post(f"/v1/needs/{need['id']}/team", json=body, headers=auth(key))


def test_a_team_fills_every_role_with_a_different_member(
    client: TestClient, network: Network
) -> None:
    world = _world(network)
    both = _member(network, world, skills={"cooking": 3, "driving": 3}, stage="mature")
    cook = _member(network, world, skills={"cooking": 1}, stage="growing")
    need = _need(network, world, roles=ROLES)
    response = _team(client, need, world["key"])
    assert response.status_code == 200, response.text
    body = response.json()
    placed = {place["role"]: place["member_id"] for place in body["proposal"]}
    # The all-rounder would be the best cook, but only as driver can both places be filled.
    assert placed == {"cook": cook["id"], "driver": both["id"]}
    assert body["unfilled"] == [] and body["need_id"] == need["id"]
    assert abs(body["total_score"] - sum(p["score"] for p in body["proposal"])) < 1e-3


def test_a_new_member_is_proposed_only_beside_a_mature_one_and_the_pair_is_named(
    client: TestClient, network: Network
) -> None:
    world = _world(network)
    newcomer = _member(network, world, skills={"cooking": 3}, stage="new", name="Nia New")
    mentor = _member(network, world, skills={"cooking": 1}, stage="mature", name="Mo Mature")
    _member(network, world, skills={"cooking": 2}, stage="growing")
    need = _need(network, world, roles=[{"name": "cook", "skill": "cooking", "count": 2}])
    body = _team(client, need, world["key"]).json()
    stages = {place["member_id"]: place["stage"] for place in body["proposal"]}
    assert len(stages) == 2
    if "new" in stages.values():
        assert {"mature", "leader"} & set(stages.values())
    assert newcomer["id"] in stages, "the best cook is new: she serves, with a mentor beside her"
    assert mentor["id"] in stages
    assert body["pairs"] == [{"new_member_id": newcomer["id"], "mentor_member_id": mentor["id"]}]
    reasons = {place["member_id"]: place["reasons"] for place in body["proposal"]}
    assert "learns beside Mo Mature" in reasons[newcomer["id"]]
    assert "guides Nia New, who is new" in reasons[mentor["id"]]


def test_places_nobody_can_take_are_unfilled_with_the_reason(
    client: TestClient, network: Network
) -> None:
    world = _world(network)
    _member(network, world, skills={"cooking": 2}, stage="mature")
    need = _need(
        network,
        world,
        roles=[
            {"name": "cook", "skill": "cooking", "count": 3},
            {"name": "nurse", "skill": "first_aid", "count": 1},
        ],
    )
    body = _team(client, need, world["key"]).json()
    assert len(body["proposal"]) == 1
    unfilled = {item["role"]: item for item in body["unfilled"]}
    assert unfilled["cook"]["missing"] == 2
    assert unfilled["cook"]["why"] == "only 1 eligible member for 3 places"
    assert unfilled["nurse"]["missing"] == 1
    assert unfilled["nurse"]["why"].startswith("nobody eligible")


def test_commit_sends_the_team_as_invitations_once_per_idempotency_key(
    client: TestClient, network: Network
) -> None:
    world = _world(network)
    _member(network, world, skills={"cooking": 2, "driving": 2}, stage="mature")
    _member(network, world, skills={"cooking": 2, "driving": 2}, stage="leader")
    need = _need(network, world, roles=ROLES)
    headers = {**auth(world["key"]), "Idempotency-Key": "team-1"}
    sent = client.post(f"/v1/needs/{need['id']}/team", json={"commit": True}, headers=headers)
    assert sent.status_code == 201, sent.text
    invitations = sent.json()["invitations"]
    assert {invitation["status"] for invitation in invitations} == {"invited"}
    assert {(i["role"], i["member_id"]) for i in invitations} == {
        (place["role"], place["member_id"]) for place in sent.json()["proposal"]
    }
    again = client.post(f"/v1/needs/{need['id']}/team", json={"commit": True}, headers=headers)
    assert again.status_code == 201 and again.json() == sent.json()
    roles = client.get(f"/v1/needs/{need['id']}", headers=auth(world["key"])).json()["roles"]
    assert [(role["filled"], role["invited"]) for role in roles] == [(0, 1), (0, 1)]
    # The invitations hold the places: a new proposal has nothing left to fill.
    assert _team(client, need, world["key"]).json()["proposal"] == []


def test_an_apart_household_never_serves_together_and_together_is_preferred(
    client: TestClient, network: Network
) -> None:
    world = _world(network)
    parents = [_member(network, world, skills={"cooking": 3}, stage="mature") for _ in range(2)]
    couple = [_member(network, world, skills={"cooking": 1}, stage="mature") for _ in range(2)]
    stranger = _member(network, world, skills={"cooking": 2}, stage="mature")
    for members, serve in ((parents, "apart"), (couple, "together")):
        created = client.post(
            f"/v1/communities/{world['community_id']}/households",
            json={"name": serve, "member_ids": [m["id"] for m in members], "serve": serve},
            headers=auth(world["key"]),
        )
        assert created.status_code == 201, created.text
    need = _need(network, world, roles=[{"name": "cook", "skill": "cooking", "count": 3}])
    body = _team(client, need, world["key"]).json()
    chosen = {place["member_id"] for place in body["proposal"]}
    assert len(chosen & {p["id"] for p in parents}) == 1
    assert {c["id"] for c in couple} <= chosen and stranger["id"] not in chosen
    reasons = next(p["reasons"] for p in body["proposal"] if p["member_id"] == couple[0]["id"])
    assert any("of the same household" in reason for reason in reasons)


def test_a_coordinator_proposes_from_their_own_members_for_an_agency_request(
    client: TestClient, network: Network
) -> None:
    world = _world(network)
    other = _world(network)
    mine = _member(network, world, skills={"cooking": 2}, stage="mature")
    _member(network, other, skills={"cooking": 3}, stage="mature")
    agency = network.agency()
    need = network.need(agency["api_key"], roles=[{"name": "cook", "skill": "cooking", "count": 2}])
    body = _team(client, need, world["key"]).json()
    assert [place["member_id"] for place in body["proposal"]] == [mine["id"]]


def test_only_the_needs_coordinators_and_admins_propose(
    client: TestClient, network: Network
) -> None:
    world = _world(network)
    member = _member(network, world)
    need = _need(network, world)
    assert _team(client, need, member["api_key"]).status_code == 403
    stranger = _world(network)
    assert _team(client, need, stranger["key"]).status_code == 404
    assert _team(client, need, network.admin_key).status_code == 200


def test_a_cancelled_need_gets_no_team(client: TestClient, network: Network) -> None:
    world = _world(network)
    need = _need(network, world)
    cancelled = client.post(f"/v1/needs/{need['id']}/cancel", headers=auth(world["key"]))
    assert cancelled.status_code == 200, cancelled.text
    response = _team(client, need, world["key"])
    assert response.status_code == 409
    assert "cancelled" in response.json()["detail"]
