"""Sign-ups and withdrawals: every hard constraint enforced, with a reason to act on."""

from datetime import timedelta
from typing import Any

from fastapi.testclient import TestClient

from tests.factories import Network, auth, soon

NEAR = {"lat": 51.46, "lon": -2.59}


def _world(network: Network) -> dict[str, Any]:
    community = network.community()
    coordinator = network.coordinator(community["id"])
    return {"community_id": community["id"], "key": coordinator["api_key"]}


def _sign_up(
    client: TestClient, need: dict[str, Any], member: dict[str, Any], key: str | None = None
) -> Any:
    return client.post(
        f"/v1/needs/{need['id']}/signups",
        json={"member_id": member["id"], "role": "cook"},
        headers=auth(key or member["api_key"]),
    )


def _need(network: Network, world: dict[str, Any], **overrides: Any) -> dict[str, Any]:
    return network.need(world["key"], community_id=world["community_id"], **overrides)


def test_a_member_signs_up_and_the_place_is_counted(client: TestClient, network: Network) -> None:
    world = _world(network)
    member = network.member(world["community_id"], home=NEAR)
    need = _need(network, world)
    response = _sign_up(client, need, member)
    assert response.status_code == 201
    body = response.json()
    assert body["status"] == "confirmed" and body["role"] == "cook"
    assert body["need_id"] == need["id"] and body["member_id"] == member["id"]
    roles = client.get(f"/v1/needs/{need['id']}", headers=auth(world["key"])).json()["roles"]
    assert roles[0]["filled"] == 1
    listed = client.get(f"/v1/needs/{need['id']}/signups", headers=auth(world["key"])).json()
    assert [s["id"] for s in listed] == [body["id"]]


def test_signing_up_twice_is_a_409_naming_why(client: TestClient, network: Network) -> None:
    world = _world(network)
    member = network.member(world["community_id"], home=NEAR)
    need = _need(network, world)
    assert _sign_up(client, need, member).status_code == 201
    again = _sign_up(client, need, member)
    assert again.status_code == 409
    assert "already signed up" in again.json()["detail"]
    assert {v["code"] for v in again.json()["violations"]} == {"already_signed_up"}


def test_a_full_role_is_a_409_and_the_need_becomes_filled(
    client: TestClient, network: Network
) -> None:
    world = _world(network)
    first, second = (network.member(world["community_id"], home=NEAR) for _ in range(2))
    need = _need(network, world, roles=[{"name": "cook", "skill": "cooking", "count": 1}])
    assert _sign_up(client, need, first).status_code == 201
    full = _sign_up(client, need, second)
    assert full.status_code == 409
    assert "filled" in full.json()["detail"] or "full" in full.json()["detail"]
    assert (
        client.get(f"/v1/needs/{need['id']}", headers=auth(world["key"])).json()["status"]
        == "filled"
    )


def test_a_missing_check_or_skill_level_is_a_422_naming_it(
    client: TestClient, network: Network
) -> None:
    world = _world(network)
    member = network.member(world["community_id"], home=NEAR, skills={"cooking": 1})
    need = _need(
        network,
        world,
        roles=[{"name": "cook", "skill": "cooking", "min_level": 2, "count": 2}],
        requirements=["background_check"],
    )
    refused = _sign_up(client, need, member)
    assert refused.status_code == 422
    body = refused.json()
    assert body["code"] == "not_eligible"
    assert {v["code"] for v in body["violations"]} == {"missing_check", "skill_level"}
    assert "background_check" in body["detail"] and "cooking" in body["detail"]
    roles = client.get(f"/v1/needs/{need['id']}", headers=auth(world["key"])).json()["roles"]
    assert roles[0]["filled"] == 0


def test_overlapping_another_confirmed_sign_up_is_a_409(
    client: TestClient, network: Network
) -> None:
    world = _world(network)
    member = network.member(world["community_id"], home=NEAR)
    starts_at = soon(days=4)
    first = _need(
        network,
        world,
        starts_at=starts_at.isoformat(),
        ends_at=(starts_at + timedelta(hours=2)).isoformat(),
    )
    overlapping = _need(
        network,
        world,
        starts_at=(starts_at + timedelta(hours=1)).isoformat(),
        ends_at=(starts_at + timedelta(hours=3)).isoformat(),
    )
    assert _sign_up(client, first, member).status_code == 201
    clash = _sign_up(client, overlapping, member)
    assert clash.status_code == 409
    assert {v["code"] for v in clash.json()["violations"]} == {"overlap"}


def test_outside_radius_or_unavailable_is_refused(client: TestClient, network: Network) -> None:
    world = _world(network)
    far = network.member(world["community_id"], home={"lat": 51.75, "lon": -2.59})
    evenings = network.member(
        world["community_id"],
        home=NEAR,
        availability=[{"day": day, "start": "19:00", "end": "22:00"} for day in ("mon", "tue")],
    )
    need = _need(network, world)
    assert {v["code"] for v in _sign_up(client, need, far).json()["violations"]} == {
        "outside_radius"
    }
    assert {v["code"] for v in _sign_up(client, need, evenings).json()["violations"]} == {
        "unavailable"
    }


def test_a_coordinator_signs_up_their_member_but_not_someone_elses(
    client: TestClient, network: Network
) -> None:
    mine, theirs = _world(network), _world(network)
    member = network.member(mine["community_id"], home=NEAR)
    need = _need(network, mine)
    assert _sign_up(client, need, member, key=theirs["key"]).status_code == 404
    assert _sign_up(client, need, member, key=mine["key"]).status_code == 201


def test_members_sign_up_only_themselves_and_agencies_never(
    client: TestClient, network: Network
) -> None:
    world = _world(network)
    member, other = (network.member(world["community_id"], home=NEAR) for _ in range(2))
    need = _need(network, world)
    assert _sign_up(client, need, member, key=other["api_key"]).status_code == 404
    agency_key = network.agency()["api_key"]
    assert _sign_up(client, need, member, key=agency_key).status_code == 403


def test_a_need_of_another_community_is_invisible_unless_open_to_the_network(
    client: TestClient, network: Network
) -> None:
    mine, theirs = _world(network), _world(network)
    member = network.member(mine["community_id"], home=NEAR)
    closed = _need(network, theirs)
    assert _sign_up(client, closed, member).status_code == 404
    shared = _need(network, theirs, open_to_network=True)
    assert _sign_up(client, shared, member).status_code == 201


def test_withdrawing_frees_the_place_and_is_idempotent(
    client: TestClient, network: Network
) -> None:
    world = _world(network)
    member = network.member(world["community_id"], home=NEAR)
    need = _need(network, world, roles=[{"name": "cook", "skill": "cooking", "count": 1}])
    signup = _sign_up(client, need, member).json()
    path = f"/v1/needs/{need['id']}/signups/{signup['id']}"
    assert client.delete(path, headers=auth(member["api_key"])).status_code == 204
    assert client.delete(path, headers=auth(member["api_key"])).status_code == 204
    seen = client.get(f"/v1/needs/{need['id']}", headers=auth(world["key"])).json()
    assert seen["status"] == "open" and seen["roles"][0]["filled"] == 0
    assert _sign_up(client, need, member).status_code == 201


def test_another_member_cannot_withdraw_my_place(client: TestClient, network: Network) -> None:
    world = _world(network)
    member, other = (network.member(world["community_id"], home=NEAR) for _ in range(2))
    need = _need(network, world)
    signup = _sign_up(client, need, member).json()
    path = f"/v1/needs/{need['id']}/signups/{signup['id']}"
    assert client.delete(path, headers=auth(other["api_key"])).status_code == 404
    assert (
        client.get(f"/v1/needs/{need['id']}", headers=auth(world["key"])).json()["roles"][0][
            "filled"
        ]
        == 1
    )


def test_removing_a_member_gives_their_places_back(client: TestClient, network: Network) -> None:
    world = _world(network)
    member = network.member(world["community_id"], home=NEAR)
    need = _need(network, world, roles=[{"name": "cook", "skill": "cooking", "count": 1}])
    assert _sign_up(client, need, member).status_code == 201
    assert (
        client.delete(f"/v1/members/{member['id']}", headers=auth(world["key"])).status_code == 204
    )
    seen = client.get(f"/v1/needs/{need['id']}", headers=auth(world["key"])).json()
    assert seen["status"] == "open" and seen["roles"][0]["filled"] == 0


def test_a_cancelled_need_takes_no_sign_ups(client: TestClient, network: Network) -> None:
    world = _world(network)
    member = network.member(world["community_id"], home=NEAR)
    need = _need(network, world)
    client.post(f"/v1/needs/{need['id']}/cancel", headers=auth(world["key"]))
    refused = _sign_up(client, need, member)
    assert refused.status_code == 409 and "cancelled" in refused.json()["detail"]


def test_the_monthly_limit_is_respected(client: TestClient, network: Network) -> None:
    world = _world(network)
    member = network.member(world["community_id"], home=NEAR, max_commitments_per_month=1)
    base = soon(days=1)
    # Two needs in the same calendar month (the 1st and 2nd day after `base`'s month starts).
    month_start = (base.replace(day=1, hour=0) + timedelta(days=32)).replace(day=1)
    first, second = (
        _need(
            network,
            world,
            starts_at=(month_start + timedelta(days=offset, hours=10)).isoformat(),
            ends_at=(month_start + timedelta(days=offset, hours=12)).isoformat(),
        )
        for offset in (1, 2)
    )
    assert _sign_up(client, first, member).status_code == 201
    limited = _sign_up(client, second, member)
    assert limited.status_code == 409
    assert {v["code"] for v in limited.json()["violations"]} == {"monthly_limit"}
