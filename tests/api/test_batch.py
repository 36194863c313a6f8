"""Batch assignment over HTTP: every open place of a window, optimally, fairly, and safely."""

from datetime import UTC, datetime, timedelta
from typing import Any

from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import update

from api.db.models import Need
from tests.factories import Network, auth, soon


def _world(network: Network) -> dict[str, Any]:
    community = network.community()
    coordinator = network.coordinator(community["id"])
    return {"community_id": community["id"], "key": coordinator["api_key"]}


def _need_at(
    network: Network, world: dict[str, Any], days: int, hour: int, count: int = 1
) -> dict[str, Any]:
    start = soon(days=days, hour=hour)
    return network.need(
        world["key"],
        community_id=world["community_id"],
        starts_at=start.isoformat(),
        ends_at=(start + timedelta(hours=2)).isoformat(),
        roles=[{"name": "cook", "skill": "cooking", "count": count}],
    )


def _window(days: int = 14) -> dict[str, str]:
    start = soon(days=0, hour=0)
    return {"from": start.isoformat(), "to": (start + timedelta(days=days)).isoformat()}


def _batch(client: TestClient, key: str, **body: Any) -> Any:
    return client.post("/v1/match/batch", json={**_window(), **body}, headers=auth(key))


def _overlap(a: dict[str, Any], b: dict[str, Any]) -> bool:
    return a["starts_at"] < b["ends_at"] and b["starts_at"] < a["ends_at"]


def test_a_weekend_of_needs_is_filled_with_load_spread_and_no_double_booking(
    client: TestClient, network: Network
) -> None:
    world = _world(network)
    star = network.member(world["community_id"], skills={"cooking": 3}, stage="mature")
    others = [
        network.member(world["community_id"], skills={"cooking": 1}, stage="mature")
        for _ in range(3)
    ]
    needs = [_need_at(network, world, 5, hour) for hour in (9, 10, 14, 16)]
    response = _batch(client, world["key"], community_id=world["community_id"])
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["unfilled"] == [] and len(body["assignments"]) == 4
    assert body["optimal"] is True and body["gap"] == 0
    assert body["bound"] >= body["total_score"]
    by_member: dict[str, list[dict[str, Any]]] = {}
    needs_by_id = {need["id"]: need for need in needs}
    for place in body["assignments"]:
        by_member.setdefault(place["member_id"], []).append(needs_by_id[place["need_id"]])
    for taken in by_member.values():
        assert not any(_overlap(a, b) for i, a in enumerate(taken) for b in taken[i + 1 :])
    # Greedy would give the best cook every need she is free for; the batch spreads them.
    assert len(by_member.get(star["id"], [])) <= 1
    assert set(by_member) <= {star["id"], *(o["id"] for o in others)}
    assert body["load"]["members_assigned"] == 4 and body["load"]["max_per_member"] == 1
    assert body["load"]["gini"] == 0


def test_a_monthly_limit_is_never_passed(client: TestClient, network: Network) -> None:
    world = _world(network)
    only = network.member(world["community_id"], skills={"cooking": 2}, max_commitments_per_month=1)
    for days in (3, 4):
        _need_at(network, world, days, 10)
    body = _batch(client, world["key"], community_id=world["community_id"]).json()
    assert [place["member_id"] for place in body["assignments"]] == [only["id"]]
    assert sum(item["missing"] for item in body["unfilled"]) == 1


def test_commit_sends_invitations_that_hold_the_places(
    client: TestClient, network: Network
) -> None:
    world = _world(network)
    for _ in range(2):
        network.member(world["community_id"], skills={"cooking": 2}, stage="mature")
    _need_at(network, world, 3, 10, count=2)
    sent = _batch(client, world["key"], community_id=world["community_id"], commit=True)
    assert sent.status_code == 201, sent.text
    invitations = sent.json()["invitations"]
    assert len(invitations) == 2 and {i["status"] for i in invitations} == {"invited"}
    again = _batch(client, world["key"], community_id=world["community_id"]).json()
    assert again["assignments"] == [] and again["unfilled"] == []


def test_households_kept_apart_never_serve_at_the_same_time(
    client: TestClient, network: Network
) -> None:
    world = _world(network)
    parents = [
        network.member(world["community_id"], skills={"cooking": 3}, stage="mature")
        for _ in range(2)
    ]
    created = client.post(
        f"/v1/communities/{world['community_id']}/households",
        json={"name": "Parents", "member_ids": [p["id"] for p in parents], "serve": "apart"},
        headers=auth(world["key"]),
    )
    assert created.status_code == 201, created.text
    _need_at(network, world, 3, 10)
    _need_at(network, world, 3, 11)
    body = _batch(client, world["key"], community_id=world["community_id"]).json()
    assert len(body["assignments"]) == 1
    assert sum(item["missing"] for item in body["unfilled"]) == 1


def test_a_coordinator_names_their_community_and_only_an_admin_fills_the_network(
    client: TestClient, network: Network
) -> None:
    world = _world(network)
    stranger = _world(network)
    network.member(world["community_id"], skills={"cooking": 2}, stage="mature")
    _need_at(network, world, 3, 10)
    missing = _batch(client, world["key"])
    assert missing.status_code == 422
    assert missing.json()["detail"][0]["loc"] == ["body", "community_id"]
    assert _batch(client, stranger["key"], community_id=world["community_id"]).status_code == 404
    network_wide = _batch(client, network.admin_key)
    assert network_wide.status_code == 200, network_wide.text
    assert len(network_wide.json()["assignments"]) == 1


def test_a_window_must_run_forwards_and_span_at_most_a_month(
    client: TestClient, network: Network
) -> None:
    world = _world(network)
    start = soon(days=1)
    backwards = client.post(
        "/v1/match/batch",
        json={
            "community_id": world["community_id"],
            "from": start.isoformat(),
            "to": (start - timedelta(hours=1)).isoformat(),
        },
        headers=auth(world["key"]),
    )
    assert backwards.status_code == 422
    assert backwards.json()["detail"][0]["loc"] == ["body", "to"]
    too_long = _batch(
        client,
        world["key"],
        community_id=world["community_id"],
        to=(start + timedelta(days=40)).isoformat(),
    )
    assert too_long.status_code == 422
    assert "31 days" in too_long.json()["detail"][0]["msg"]


def test_a_network_batch_reaches_the_most_rested_member_beyond_the_best_eight(
    app: FastAPI, client: TestClient, network: Network
) -> None:
    """Nine strong cooks nearby who all served three days ago, and one weaker cook a little
    farther who has not served: the top-k walk alone shows the solver the nine; the rested
    walk adds the tenth, whose turn it is."""
    world = _world(network)
    busy = [
        network.member(world["community_id"], skills={"cooking": 3}, stage="mature")
        for _ in range(9)
    ]
    rested = network.member(
        world["community_id"],
        skills={"cooking": 1},
        stage="mature",
        home={"lat": 51.49, "lon": -2.59},
    )
    past = _need_at(network, world, 2, 10, count=len(busy))
    for member in busy:
        signed = client.post(
            f"/v1/needs/{past['id']}/signups",
            json={"member_id": member["id"], "role": "cook"},
            headers=auth(world["key"]),
        )
        assert signed.status_code == 201, signed.text
    served_at = datetime.now(UTC) - timedelta(days=3)
    with app.state.sessionmaker.begin() as session:  # sign-ups cannot be taken in the past
        session.execute(
            update(Need)
            .where(Need.id == past["id"])
            .values(starts_at=served_at, ends_at=served_at + timedelta(hours=2))
        )
    need = network.need(
        world["key"],
        community_id=world["community_id"],
        open_to_network=True,
        roles=[{"name": "cook", "skill": "cooking", "count": 1}],
    )
    response = _batch(client, network.admin_key)
    assert response.status_code == 200, response.text
    chosen = {a["need_id"]: a["member_id"] for a in response.json()["assignments"]}
    assert chosen[need["id"]] == rested["id"]
