"""Candidates for a need and suggestions for a member, over HTTP on both backends."""

from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from api.auth.principal import Principal
from api.db.types import utcnow
from api.matching import repository
from tests.factories import Network, auth, every_day

BRISTOL = {"lat": 51.4545, "lon": -2.5879}
NEAR = {"lat": 51.46, "lon": -2.59}  # ~0.7 km from the need location below
FAR = {"lat": 51.75, "lon": -2.59}  # ~33 km away


def _setup(network: Network) -> dict[str, Any]:
    community = network.community(meeting_point=BRISTOL)
    coordinator = network.coordinator(community["id"])
    return {"community": community, "coordinator": coordinator, "key": coordinator["api_key"]}


def _candidates(client: TestClient, need_id: str, key: str) -> Any:
    response = client.get(f"/v1/needs/{need_id}/candidates", headers=auth(key))
    assert response.status_code == 200, response.text
    return response.json()


def _names(body: dict[str, Any]) -> list[str]:
    return [candidate["name"] for candidate in body["candidates"]]


def test_candidates_are_ranked_best_first_and_explained(
    client: TestClient, network: Network
) -> None:
    world = _setup(network)
    community_id = world["community"]["id"]
    network.member(community_id, name="Close Cook", home=NEAR, skills={"cooking": 3})
    network.member(
        community_id, name="Farther Cook", home={"lat": 51.50, "lon": -2.59}, skills={"cooking": 1}
    )
    need = network.need(world["key"], community_id=community_id)
    body = _candidates(client, need["id"], world["key"])
    assert body["need_id"] == need["id"]
    assert _names(body) == ["Close Cook", "Farther Cook"]
    best = body["candidates"][0]
    assert best["role"] == "cook"
    assert 0 <= body["candidates"][1]["score"] <= best["score"] <= 1
    assert 0.5 < best["distance_km"] < 1.0
    assert set(best["components"]) >= {"distance", "skill", "availability", "fairness"}
    assert any("km from home" in reason for reason in best["reasons"])
    assert any("cooking" in reason for reason in best["reasons"])
    assert "home" not in best and "lat" not in str(best)


def test_every_hard_constraint_keeps_a_member_off_the_list(
    client: TestClient, network: Network
) -> None:
    world = _setup(network)
    community_id = world["community"]["id"]
    network.member(community_id, name="Eligible", home=NEAR)
    network.member(community_id, name="Too far", home=FAR, max_travel_km=10)
    network.member(community_id, name="Inactive", home=NEAR, active=False)
    network.member(community_id, name="Novice", home=NEAR, skills={"cooking": 1})
    network.member(community_id, name="Unchecked", home=NEAR, checks=[])
    network.member(community_id, name="Busy", home=NEAR, availability=every_day("18:00", "22:00"))
    network.member(
        community_id, name="Checked", home=NEAR, checks=["background_check"], skills={"cooking": 3}
    )
    need = network.need(
        world["key"],
        community_id=community_id,
        roles=[{"name": "cook", "skill": "cooking", "min_level": 2, "count": 2}],
        requirements=["background_check"],
    )
    assert _names(_candidates(client, need["id"], world["key"])) == ["Checked"]


def test_each_member_appears_once_with_their_best_role(
    client: TestClient, network: Network
) -> None:
    world = _setup(network)
    community_id = world["community"]["id"]
    network.member(community_id, name="Driver", home=NEAR, skills={"driving": 3, "cooking": 1})
    need = network.need(
        world["key"],
        community_id=community_id,
        roles=[
            {"name": "cook", "skill": "cooking", "count": 1},
            {"name": "driver", "skill": "driving", "count": 1},
        ],
    )
    candidates = _candidates(client, need["id"], world["key"])["candidates"]
    assert [(c["name"], c["role"]) for c in candidates] == [("Driver", "driver")]


def test_candidates_for_a_community_need_stay_within_that_community(
    client: TestClient, network: Network
) -> None:
    mine, theirs = _setup(network), _setup(network)
    network.member(mine["community"]["id"], name="Mine", home=NEAR)
    network.member(theirs["community"]["id"], name="Theirs", home=NEAR)
    need = network.need(mine["key"], community_id=mine["community"]["id"])
    assert _names(_candidates(client, need["id"], mine["key"])) == ["Mine"]
    other = client.get(f"/v1/needs/{need['id']}/candidates", headers=auth(theirs["key"]))
    assert other.status_code == 404


def test_for_an_agency_request_each_coordinator_sees_only_their_own_members(
    client: TestClient, network: Network, admin_key: str
) -> None:
    mine, theirs = _setup(network), _setup(network)
    network.member(mine["community"]["id"], name="Mine", home=NEAR)
    network.member(theirs["community"]["id"], name="Theirs", home=NEAR)
    agency = network.agency()
    need = network.need(agency["api_key"])
    assert _names(_candidates(client, need["id"], mine["key"])) == ["Mine"]
    assert _names(_candidates(client, need["id"], theirs["key"])) == ["Theirs"]
    assert sorted(_names(_candidates(client, need["id"], admin_key))) == ["Mine", "Theirs"]


def test_agencies_and_members_cannot_list_candidates(client: TestClient, network: Network) -> None:
    world = _setup(network)
    member = network.member(world["community"]["id"], home=NEAR)
    agency = network.agency()
    for need in (
        network.need(agency["api_key"]),
        network.need(world["key"], community_id=world["community"]["id"]),
    ):
        for key in (agency["api_key"], member["api_key"]):
            response = client.get(f"/v1/needs/{need['id']}/candidates", headers=auth(key))
            assert response.status_code == 403


def test_suggestions_cover_own_community_agency_and_network_needs_within_reach(
    client: TestClient, network: Network
) -> None:
    mine, theirs = _setup(network), _setup(network)
    member = network.member(mine["community"]["id"], home=NEAR)
    own = network.need(mine["key"], community_id=mine["community"]["id"], title="Own")
    network.need(theirs["key"], community_id=theirs["community"]["id"], title="Closed")
    network.need(
        theirs["key"],
        community_id=theirs["community"]["id"],
        title="Network",
        open_to_network=True,
    )
    network.need(network.agency()["api_key"], title="Agency")
    network.need(mine["key"], community_id=mine["community"]["id"], title="Far", location=FAR)
    response = client.get(
        f"/v1/members/{member['id']}/suggestions", headers=auth(member["api_key"])
    )
    assert response.status_code == 200
    suggestions = response.json()["suggestions"]
    assert sorted(s["title"] for s in suggestions) == ["Agency", "Network", "Own"]
    first = next(s for s in suggestions if s["need_id"] == own["id"])
    assert first["role"] == "cook" and first["urgency"] == "normal"
    assert first["reasons"]


def test_suggestions_follow_sign_ups_filling_and_withdrawals(
    client: TestClient, network: Network
) -> None:
    world = _setup(network)
    community_id = world["community"]["id"]
    me = network.member(community_id, home=NEAR)
    other = network.member(community_id, home=NEAR)
    need = network.need(
        world["key"],
        community_id=community_id,
        roles=[{"name": "cook", "skill": "cooking", "count": 1}],
    )

    def suggested(member: dict[str, Any]) -> list[str]:
        response = client.get(
            f"/v1/members/{member['id']}/suggestions", headers=auth(member["api_key"])
        )
        return [s["need_id"] for s in response.json()["suggestions"]]

    assert suggested(me) == [need["id"]] and suggested(other) == [need["id"]]
    signup = client.post(
        f"/v1/needs/{need['id']}/signups",
        json={"member_id": other["id"], "role": "cook"},
        headers=auth(other["api_key"]),
    ).json()
    assert suggested(me) == [] and suggested(other) == []
    assert (
        client.get(f"/v1/needs/{need['id']}", headers=auth(world["key"])).json()["status"]
        == "filled"
    )
    withdrawn = client.delete(
        f"/v1/needs/{need['id']}/signups/{signup['id']}", headers=auth(other["api_key"])
    )
    assert withdrawn.status_code == 204
    assert suggested(me) == [need["id"]]
    assert (
        client.get(f"/v1/needs/{need['id']}", headers=auth(world["key"])).json()["status"] == "open"
    )


def test_a_private_home_is_only_a_coarse_area_until_the_member_signs_up(
    client: TestClient, network: Network
) -> None:
    world = _setup(network)
    member = network.member(world["community"]["id"], home=NEAR)
    exact = {"lat": 51.45512, "lon": -2.59034}
    need = network.need(
        world["key"], community_id=world["community"]["id"], location=exact, private_location=True
    )
    suggestion = client.get(
        f"/v1/members/{member['id']}/suggestions", headers=auth(member["api_key"])
    ).json()["suggestions"][0]
    assert suggestion["location_approximate"] is True
    assert suggestion["location"] != exact
    seen = client.get(f"/v1/needs/{need['id']}", headers=auth(member["api_key"])).json()
    assert seen["location"] != exact and seen["location_approximate"] is True
    client.post(
        f"/v1/needs/{need['id']}/signups",
        json={"member_id": member["id"], "role": "cook"},
        headers=auth(member["api_key"]),
    )
    seen = client.get(f"/v1/needs/{need['id']}", headers=auth(member["api_key"])).json()
    assert seen["location"] == exact and seen["location_approximate"] is False


def test_suggestions_are_for_the_member_their_coordinators_and_admins_only(
    client: TestClient, network: Network, admin_key: str
) -> None:
    mine, theirs = _setup(network), _setup(network)
    member = network.member(mine["community"]["id"], home=NEAR)
    someone = network.member(mine["community"]["id"], home=NEAR)
    path = f"/v1/members/{member['id']}/suggestions"
    for key in (member["api_key"], mine["key"], admin_key):
        assert client.get(path, headers=auth(key)).status_code == 200
    for key in (someone["api_key"], theirs["key"]):
        assert client.get(path, headers=auth(key)).status_code == 404
    assert client.get(path, headers=auth(network.agency()["api_key"])).status_code == 403


def test_member_history_is_read_in_batches_without_losing_anyone(
    client: TestClient, network: Network, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Large pools are read in batches (databases cap bound parameters); a batch of one
    # exercises the merging on a small network.
    monkeypatch.setattr(repository, "ID_BATCH", 1)
    world = _setup(network)
    community_id = world["community"]["id"]
    busy = network.member(community_id, name="Busy", home=NEAR)
    network.member(community_id, name="Free", home=NEAR)
    need = network.need(world["key"], community_id=community_id)
    clash = network.need(world["key"], community_id=community_id, title="Same time")
    client.post(
        f"/v1/needs/{clash['id']}/signups",
        json={"member_id": busy["id"], "role": "cook"},
        headers=auth(busy["api_key"]),
    )
    assert _names(_candidates(client, need["id"], world["key"])) == ["Free"]


def test_a_need_read_with_its_roles_is_the_need_and_its_role_rows(
    app: FastAPI, client: TestClient, network: Network
) -> None:
    world = _setup(network)
    community_id = world["community"]["id"]
    need = network.need(
        world["key"],
        community_id=community_id,
        roles=[
            {"name": "cook", "skill": "cooking", "count": 2},
            {"name": "driver", "count": 1},
        ],
    )
    for member in (network.member(community_id, home=NEAR), network.member(community_id)):
        signed_up = client.post(
            f"/v1/needs/{need['id']}/signups",
            json={"member_id": member["id"], "role": "cook"},
            headers=auth(member["api_key"]),
        )
        assert signed_up.status_code == 201, signed_up.text
    coordinator = Principal(
        role="coordinator",
        id=world["coordinator"]["id"],
        community_ids=frozenset([community_id]),
    )
    stranger = Principal(role="coordinator", id="k-0", community_ids=frozenset(["c-0"]))
    with app.state.sessionmaker() as session:
        found = repository.readable_need_with_roles(
            session, principal=coordinator, need_id=need["id"], now=utcnow()
        )
        assert found is not None
        need_row, role_rows = found
        alone = repository.readable_need_row(session, principal=coordinator, need_id=need["id"])
        assert alone is not None
        assert all(getattr(need_row, name) == value for name, value in alone._mapping.items())
        roles_alone = [
            dict(row._mapping)
            for row in repository.role_rows(session, need_ids=[need["id"]], now=utcnow())
        ]
        assert [row.name for row in role_rows] == ["cook", "cook", "driver"]
        assert [{name: row._mapping[name] for name in roles_alone[0]} for row in role_rows] == (
            roles_alone
        )
        for principal, need_id in ((stranger, need["id"]), (coordinator, "no-such-need")):
            assert (
                repository.readable_need_with_roles(
                    session, principal=principal, need_id=need_id, now=utcnow()
                )
                is None
            )
