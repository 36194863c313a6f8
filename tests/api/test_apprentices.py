"""Apprentices: a coordinator marks a member as apprenticed to a leader of their community (a
leader-to-be); the link always names a current leader, so it ends when either side changes."""

from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from api.db.models import Member
from tests.factories import Network, Staffed, auth


@pytest.fixture
def home(network: Network) -> Staffed:
    return network.staffed_community()


def _patch(client: TestClient, home: Staffed, member: dict[str, Any], **body: Any) -> Any:
    return client.patch(
        f"/v1/members/{member['id']}", json=body, headers=auth(home.coordinator_key)
    )


def _apprentice_of(client: TestClient, home: Staffed, member: dict[str, Any]) -> Any:
    response = client.get(f"/v1/members/{member['id']}", headers=auth(home.coordinator_key))
    assert response.status_code == 200, response.text
    return response.json()["apprentice_of"]


def _refused_naming_apprentice_of(response: Any) -> str:
    assert response.status_code == 422, response.text
    (error,) = response.json()["detail"]
    assert error["loc"][-1] == "apprentice_of"
    return str(error["msg"])


def test_coordinator_sets_and_clears_an_apprentice_and_reads_show_it(
    client: TestClient, network: Network, home: Staffed
) -> None:
    leader = network.member(home.id, stage="leader")
    assert home.member["apprentice_of"] is None

    marked = _patch(client, home, home.member, apprentice_of=leader["id"])

    assert marked.status_code == 200, marked.text
    assert marked.json()["apprentice_of"] == leader["id"]
    assert _apprentice_of(client, home, home.member) == leader["id"]
    own = client.get(f"/v1/members/{home.member['id']}", headers=auth(home.member_key)).json()
    assert own["apprentice_of"] == leader["id"]
    listed = client.get(
        f"/v1/communities/{home.id}/members", headers=auth(home.coordinator_key)
    ).json()["items"]
    assert {m["id"]: m["apprentice_of"] for m in listed}[home.member["id"]] == leader["id"]

    cleared = _patch(client, home, home.member, apprentice_of=None)

    assert cleared.status_code == 200, cleared.text
    assert _apprentice_of(client, home, home.member) is None


def test_a_member_joins_as_an_apprentice(
    client: TestClient, network: Network, home: Staffed
) -> None:
    leader = network.member(home.id, stage="leader")

    joined = network.member(home.id, home.coordinator_key, apprentice_of=leader["id"])

    assert joined["apprentice_of"] == leader["id"]
    refused = client.post(
        f"/v1/communities/{home.id}/members",
        json=network.member_body(apprentice_of=home.member["id"]),
        headers=auth(home.coordinator_key),
    )
    assert "leader" in _refused_naming_apprentice_of(refused)


def test_a_member_cannot_appoint_themselves_an_apprentice(
    client: TestClient, network: Network, home: Staffed
) -> None:
    leader = network.member(home.id, stage="leader")

    response = client.patch(
        f"/v1/members/{home.member['id']}",
        json={"apprentice_of": leader["id"]},
        headers=auth(home.member_key),
    )

    assert response.status_code == 403
    assert "apprentice_of" in response.json()["detail"]
    assert _apprentice_of(client, home, home.member) is None


def test_each_refusal_names_apprentice_of(
    client: TestClient, network: Network, home: Staffed
) -> None:
    growing = network.member(home.id, stage="growing")
    leader = network.member(home.id, stage="leader")
    away = network.staffed_community()
    leader_away = network.member(away.id, stage="leader")
    erased = network.member(home.id, stage="leader")
    client.delete(
        f"/v1/members/{erased['id']}", headers=auth(home.coordinator_key)
    ).raise_for_status()

    not_a_leader = _patch(client, home, home.member, apprentice_of=growing["id"])
    elsewhere = _patch(client, home, home.member, apprentice_of=leader_away["id"])
    gone = _patch(client, home, home.member, apprentice_of=erased["id"])
    unknown = _patch(
        client, home, home.member, apprentice_of="00000000-0000-4000-8000-000000000000"
    )
    themselves = _patch(client, home, leader, apprentice_of=leader["id"])
    leader_as_apprentice = _patch(
        client, home, leader, apprentice_of=network.member(home.id, stage="leader")["id"]
    )
    promoted_and_apprenticed = _patch(
        client, home, home.member, stage="leader", apprentice_of=leader["id"]
    )

    assert "stage growing" in _refused_naming_apprentice_of(not_a_leader)
    for refused in (elsewhere, gone, unknown):
        assert "not a member of this community" in _refused_naming_apprentice_of(refused)
    assert "own apprentice" in _refused_naming_apprentice_of(themselves)
    for refused in (leader_as_apprentice, promoted_and_apprenticed):
        assert "a leader cannot be an apprentice" in _refused_naming_apprentice_of(refused)
    assert _apprentice_of(client, home, home.member) is None
    assert _apprentice_of(client, home, leader) is None


def test_promotion_to_leader_ends_the_apprenticeship(
    client: TestClient, network: Network, home: Staffed
) -> None:
    leader = network.member(home.id, stage="leader")
    _patch(client, home, home.member, apprentice_of=leader["id"]).raise_for_status()

    promoted = _patch(client, home, home.member, stage="leader")

    assert promoted.status_code == 200, promoted.text
    assert promoted.json()["apprentice_of"] is None


def test_a_leader_who_stops_leading_releases_their_apprentices(
    client: TestClient, network: Network, home: Staffed
) -> None:
    leader = network.member(home.id, stage="leader")
    other_leader = network.member(home.id, stage="leader")
    kept = network.member(home.id)
    _patch(client, home, home.member, apprentice_of=leader["id"]).raise_for_status()
    _patch(client, home, kept, apprentice_of=other_leader["id"]).raise_for_status()

    _patch(client, home, leader, stage="mature").raise_for_status()

    assert _apprentice_of(client, home, home.member) is None
    assert _apprentice_of(client, home, kept) == other_leader["id"]


def test_erasure_ends_apprenticeships_on_both_sides(
    app: FastAPI, client: TestClient, network: Network, home: Staffed
) -> None:
    leader = network.member(home.id, stage="leader")
    other_leader = network.member(home.id, stage="leader")
    apprentice = network.member(home.id, apprentice_of=other_leader["id"])
    _patch(client, home, home.member, apprentice_of=leader["id"]).raise_for_status()

    for erased in (leader, apprentice):
        client.delete(
            f"/v1/members/{erased['id']}", headers=auth(home.coordinator_key)
        ).raise_for_status()

    assert _apprentice_of(client, home, home.member) is None
    with app.state.sessionmaker() as session:
        stubs = {member["id"]: session.get(Member, member["id"]) for member in (leader, apprentice)}
        assert all(stub is not None and stub.apprentice_of is None for stub in stubs.values())
