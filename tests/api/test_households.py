"""Households: who lives with whom in a community, each member in at most one."""

import threading
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx2 as httpx
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from api.db.models import household_members
from api.households import service as households
from tests.factories import Network, Staffed, auth


def _household(client: TestClient, home: Staffed, member_ids: list[str], **overrides: Any) -> Any:
    response = client.post(
        f"/v1/communities/{home.id}/households",
        json={"name": "The Okafors", "member_ids": member_ids, "serve": "together", **overrides},
        headers=auth(home.coordinator_key),
    )
    assert response.status_code == 201, response.text
    return response.json()


def _listed(client: TestClient, home: Staffed, key: str) -> list[Any]:
    response = client.get(f"/v1/communities/{home.id}/households", headers=auth(key))
    assert response.status_code == 200, response.text
    return list(response.json()["items"])


def _ids(household: Any) -> list[str]:
    return [member["id"] for member in household["members"]]


def test_a_coordinator_forms_a_household_of_their_members(
    client: TestClient, network: Network
) -> None:
    home = network.staffed_community()
    partner = network.member(home.id, name="Ada Okafor", stage="mature")

    household = _household(client, home, [home.member["id"], partner["id"]])

    assert household["community_id"] == home.id
    assert (household["name"], household["serve"]) == ("The Okafors", "together")
    assert household["members"] == [
        {"id": partner["id"], "name": "Ada Okafor", "stage": "mature"},
        {"id": home.member["id"], "name": home.member["name"], "stage": "new"},
    ]
    assert household["created_at"] == household["updated_at"]
    # The community's coordinator reads the write in the audit log; another one does not.
    query = {"object_type": "household", "object_id": household["id"]}
    audit = client.get("/v1/audit", params=query, headers=auth(home.coordinator_key)).json()
    assert [event["action"] for event in audit["items"]] == ["household.create"]
    other = network.staffed_community().coordinator_key
    assert client.get("/v1/audit", params=query, headers=auth(other)).json()["items"] == []


def test_a_member_reads_their_own_household_and_no_other(
    client: TestClient, network: Network
) -> None:
    home = network.staffed_community()
    partner = network.member(home.id)
    neighbour = network.member(home.id)
    other = network.staffed_community()
    household = _household(client, home, [home.member["id"], partner["id"]])
    path = f"/v1/households/{household['id']}"

    assert client.get(path, headers=auth(home.member_key)).json() == household
    assert client.get(path, headers=auth(neighbour["api_key"])).status_code == 404
    assert client.get(path, headers=auth(other.coordinator_key)).status_code == 404
    assert client.get(path, headers=auth(other.member_key)).status_code == 404
    assert _listed(client, home, home.member_key) == [household]
    assert _listed(client, home, neighbour["api_key"]) == []


def test_the_list_pages_a_communitys_households_by_name(
    client: TestClient, network: Network
) -> None:
    home = network.staffed_community()
    names = ["Carter", "Abara", "Baptiste"]
    for name in names:
        pair = [network.member(home.id)["id"], network.member(home.id)["id"]]
        _household(client, home, pair, name=name)

    seen, cursor = [], None
    while True:
        query = {"limit": 2} | ({"cursor": cursor} if cursor else {})
        page = client.get(
            f"/v1/communities/{home.id}/households",
            params=query,
            headers=auth(home.coordinator_key),
        ).json()
        seen += [household["name"] for household in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == sorted(names)


@pytest.mark.parametrize(
    ("member_ids", "why"),
    [
        (lambda home, stranger: [home.member["id"], stranger], "not members of this community"),
        (lambda home, stranger: [home.member["id"]], "at least 2"),
        (lambda home, stranger: [home.member["id"], home.member["id"]], "unique"),
    ],
    ids=["another community's member", "one member", "the same member twice"],
)
def test_a_household_of_strangers_one_person_or_repeats_is_refused_naming_member_ids(
    client: TestClient, network: Network, member_ids: Any, why: str
) -> None:
    home = network.staffed_community()
    stranger = network.staffed_community().member["id"]

    response = client.post(
        f"/v1/communities/{home.id}/households",
        json={"name": "Mixed", "member_ids": member_ids(home, stranger), "serve": "apart"},
        headers=auth(home.coordinator_key),
    )

    assert response.status_code == 422, response.text
    assert response.json()["detail"][0]["loc"][:2] == ["body", "member_ids"]
    assert why in response.text
    if why.startswith("not members"):
        assert stranger in response.text
    assert _listed(client, home, home.coordinator_key) == []


def test_a_member_already_in_a_household_cannot_join_another(
    client: TestClient, network: Network
) -> None:
    home = network.staffed_community()
    partner, lodger = network.member(home.id), network.member(home.id)
    first = _household(client, home, [home.member["id"], partner["id"]])

    response = client.post(
        f"/v1/communities/{home.id}/households",
        json={"name": "Second", "member_ids": [lodger["id"], partner["id"]], "serve": "either"},
        headers=auth(home.coordinator_key),
    )

    assert response.status_code == 409, response.text
    assert partner["id"] in response.json()["detail"]
    assert _listed(client, home, home.coordinator_key) == [first]


def test_an_edit_renames_changes_how_they_serve_and_replaces_the_members(
    client: TestClient, network: Network
) -> None:
    home = network.staffed_community()
    partner, child = network.member(home.id), network.member(home.id)
    household = _household(client, home, [home.member["id"], partner["id"]])
    path = f"/v1/households/{household['id']}"

    edited = client.patch(
        path,
        json={"name": "Okafor-Bell", "serve": "apart", "member_ids": [partner["id"], child["id"]]},
        headers=auth(home.coordinator_key),
    )

    assert edited.status_code == 200, edited.text
    body = edited.json()
    assert (body["name"], body["serve"]) == ("Okafor-Bell", "apart")
    assert {member["id"] for member in body["members"]} == {partner["id"], child["id"]}
    assert body["updated_at"] > household["updated_at"]
    # The member who left is free to join another household.
    _household(client, home, [home.member["id"], network.member(home.id)["id"]])


def test_an_edit_breaking_a_rule_changes_nothing(client: TestClient, network: Network) -> None:
    home = network.staffed_community()
    first = _household(client, home, [home.member["id"], network.member(home.id)["id"]])
    second = _household(
        client, home, [network.member(home.id)["id"], network.member(home.id)["id"]]
    )
    path = f"/v1/households/{second['id']}"
    stranger = network.staffed_community().member["id"]
    key = auth(home.coordinator_key)

    taken = client.patch(path, json={"member_ids": [home.member["id"], *_ids(second)]}, headers=key)
    foreign = client.patch(
        path, json={"name": "New", "member_ids": [stranger, *_ids(second)]}, headers=key
    )
    members_may_not = client.patch(path, json={"name": "Ours"}, headers=auth(home.member_key))

    assert taken.status_code == 409 and home.member["id"] in taken.json()["detail"]
    assert foreign.status_code == 422
    assert foreign.json()["detail"][0]["loc"] == ["body", "member_ids"]
    assert members_may_not.status_code == 403
    assert _listed(client, home, home.coordinator_key) == sorted(
        [first, second], key=lambda household: (household["name"], household["id"])
    )


def test_a_dissolved_household_is_gone_and_its_members_stay(
    client: TestClient, network: Network
) -> None:
    home = network.staffed_community()
    household = _household(client, home, [home.member["id"], network.member(home.id)["id"]])
    path = f"/v1/households/{household['id']}"

    assert client.delete(path, headers=auth(home.coordinator_key)).status_code == 204
    assert client.get(path, headers=auth(home.coordinator_key)).status_code == 404
    assert client.delete(path, headers=auth(home.coordinator_key)).status_code == 404
    member = client.get(f"/v1/members/{home.member['id']}", headers=auth(home.member_key))
    assert member.status_code == 200


def test_an_erased_member_leaves_their_household_which_dissolves_below_two(
    client: TestClient, network: Network
) -> None:
    home = network.staffed_community()
    partner, child = network.member(home.id), network.member(home.id)
    household = _household(client, home, [home.member["id"], partner["id"], child["id"]])
    path = f"/v1/households/{household['id']}"
    key = auth(home.coordinator_key)

    assert client.delete(f"/v1/members/{child['id']}", headers=key).status_code == 204
    assert set(_ids(client.get(path, headers=key).json())) == {home.member["id"], partner["id"]}

    assert client.delete(f"/v1/members/{partner['id']}", headers=key).status_code == 204
    assert client.get(path, headers=key).status_code == 404
    assert _listed(client, home, home.coordinator_key) == []


def test_a_retried_creation_with_its_idempotency_key_forms_one_household(
    client: TestClient, network: Network
) -> None:
    home = network.staffed_community()
    body = {"name": "Once", "member_ids": [home.member["id"], network.member(home.id)["id"]]}
    headers = auth(home.coordinator_key) | {"Idempotency-Key": "household-once"}

    first = client.post(f"/v1/communities/{home.id}/households", json=body, headers=headers)
    again = client.post(f"/v1/communities/{home.id}/households", json=body, headers=headers)

    assert (first.status_code, again.status_code) == (201, 201)
    assert again.headers["Idempotent-Replayed"] == "true"
    assert again.json() == first.json()
    assert len(_listed(client, home, home.coordinator_key)) == 1


def test_the_database_itself_refuses_a_member_in_two_households(
    app: FastAPI, client: TestClient, network: Network
) -> None:
    home = network.staffed_community()
    partner = network.member(home.id)
    _household(client, home, [home.member["id"], partner["id"]])
    other = _household(client, home, [network.member(home.id)["id"], network.member(home.id)["id"]])

    with pytest.raises(IntegrityError), app.state.sessionmaker.begin() as session:
        session.execute(
            household_members.insert().values(household_id=other["id"], member_id=partner["id"])
        )


def test_households_of_gives_matching_each_household_of_the_members_asked_about(
    app: FastAPI, client: TestClient, network: Network
) -> None:
    home = network.staffed_community()
    partner, loner = network.member(home.id), network.member(home.id)
    household = _household(client, home, [home.member["id"], partner["id"]], serve="apart")

    with app.state.sessionmaker() as session:
        found = households.households_of(session, [partner["id"], loner["id"]])
        none = households.households_of(session, [loner["id"]])

    assert found == [(household["id"], "apart", tuple(sorted([home.member["id"], partner["id"]])))]
    assert none == []


RACERS = 6


def test_racing_households_for_one_member_seat_them_once(
    app: FastAPI, network: Network, live_server: str
) -> None:
    home = network.staffed_community()
    shared = network.member(home.id)["id"]
    bodies = [
        {"name": f"Race {index}", "member_ids": [shared, network.member(home.id)["id"]]}
        for index in range(RACERS)
    ]
    barrier = threading.Barrier(RACERS)

    def post(body: dict[str, Any]) -> tuple[int, str]:
        with httpx.Client(base_url=live_server, timeout=30) as client:
            barrier.wait()
            response = client.post(
                f"/v1/communities/{home.id}/households",
                json=body,
                headers=auth(home.coordinator_key),
            )
            return response.status_code, response.text

    with ThreadPoolExecutor(max_workers=RACERS) as pool:
        answers = list(pool.map(post, bodies))

    assert Counter(status for status, _ in answers) == {201: 1, 409: RACERS - 1}
    assert all(shared in text for status, text in answers if status == 409)
    with app.state.sessionmaker() as session:
        seats = session.scalars(
            select(household_members.c.household_id).where(household_members.c.member_id == shared)
        ).all()
    assert len(seats) == 1
