"""The audit log: one event per committed write, ids and field names only, never personal data."""

import json
from datetime import UTC, datetime, timedelta
from typing import Any

from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import select

from api.db.models import AuditEvent
from tests.factories import Network, Staffed, auth

PERSONAL = {
    "name": "Zanele Okonkwo-Smith",
    "email": "zanele.private@example.org",
    "home": {"lat": 51.4612345, "lon": -2.5987654},
    "interests": "knitting for the hospice",
}
SECRETS = ("Zanele", "Okonkwo", "zanele.private", "51.4612345", "2.5987654", "knitting")


def _events(app: FastAPI) -> list[AuditEvent]:
    with app.state.sessionmaker() as session:
        return list(session.scalars(select(AuditEvent).order_by(AuditEvent.at, AuditEvent.id)))


def _audit(client: TestClient, key: str, **params: Any) -> Any:
    response = client.get("/v1/audit", params=params, headers=auth(key))
    assert response.status_code == 200, response.text
    return response.json()


def _assert_no_personal_data(serialised: str) -> None:
    for secret in SECRETS:
        assert secret not in serialised, secret


def test_creating_a_member_records_one_event_without_personal_data(
    app: FastAPI, client: TestClient, network: Network, admin_key: str
) -> None:
    home = network.staffed_community()
    before = len(_events(app))
    member = network.member(home.id, home.coordinator_key, **PERSONAL)
    events = _events(app)[before:]
    assert [(e.action, e.object_type, e.object_id) for e in events] == [
        ("member.create", "member", member["id"])
    ]
    assert events[0].actor_role == "coordinator"
    assert events[0].actor_id == home.coordinator["id"]
    assert {"name", "email", "home", "interests"} <= set(events[0].detail["fields"])
    _assert_no_personal_data(json.dumps(_audit(client, admin_key, object_id=member["id"])))


def test_editing_and_erasing_a_member_record_field_names_never_values(
    app: FastAPI, client: TestClient, network: Network, admin_key: str
) -> None:
    home = network.staffed_community()
    member = network.member(home.id, home.coordinator_key, **PERSONAL)
    edit = client.patch(
        f"/v1/members/{member['id']}",
        json={"interests": "knitting and baking", "max_travel_km": 3},
        headers=auth(member["api_key"]),
    )
    assert edit.status_code == 200
    erase = client.delete(f"/v1/members/{member['id']}", headers=auth(home.coordinator_key))
    assert erase.status_code == 204
    page = _audit(client, admin_key, object_type="member", object_id=member["id"])
    assert [e["action"] for e in page["items"]] == [
        "member.erase",
        "member.update",
        "member.create",
    ]
    update = page["items"][1]
    assert update["detail"] == {"fields": ["interests", "max_travel_km"]}
    assert (update["actor_role"], update["actor_id"]) == ("member", member["id"])
    _assert_no_personal_data(json.dumps(page))


def test_need_and_sign_up_writes_each_record_exactly_one_event(
    app: FastAPI, client: TestClient, network: Network
) -> None:
    home = network.staffed_community()
    need = network.need(home.coordinator_key, community_id=home.id)
    signup = client.post(
        f"/v1/needs/{need['id']}/signups",
        json={"member_id": home.member["id"], "role": "cook"},
        headers=auth(home.member_key),
    ).json()
    client.delete(f"/v1/needs/{need['id']}/signups/{signup['id']}", headers=auth(home.member_key))
    client.patch(
        f"/v1/needs/{need['id']}", json={"urgency": "high"}, headers=auth(home.coordinator_key)
    )
    client.post(f"/v1/needs/{need['id']}/cancel", headers=auth(home.coordinator_key))
    # Repeats that change nothing record nothing.
    client.delete(f"/v1/needs/{need['id']}/signups/{signup['id']}", headers=auth(home.member_key))
    client.post(f"/v1/needs/{need['id']}/cancel", headers=auth(home.coordinator_key))
    about = [
        (e.action, e.object_id, e.detail)
        for e in _events(app)
        if e.object_id in (need["id"], signup["id"])
    ]
    assert about == [
        ("need.create", need["id"], about[0][2]),
        ("signup.create", signup["id"], {}),
        ("signup.withdraw", signup["id"], {"fields": ["status"]}),
        ("need.update", need["id"], {"fields": ["urgency"]}),
        ("need.cancel", need["id"], {"fields": ["status"]}),
    ]
    assert "title" in about[0][2]["fields"]


def test_admin_writes_are_logged_with_the_admin_as_actor(
    app: FastAPI, network: Network, admin_key: str
) -> None:
    community = network.community()
    coordinator = network.coordinator(community["id"])
    agency = network.agency()
    actions = {(e.action, e.object_id) for e in _events(app)}
    assert ("community.create", community["id"]) in actions
    assert ("coordinator.create", coordinator["id"]) in actions
    assert ("community.appoint_coordinator", community["id"]) in actions
    assert ("agency.create", agency["id"]) in actions
    assert {e.actor_role for e in _events(app)} == {"admin"}


def test_a_failed_write_leaves_no_event(app: FastAPI, client: TestClient, network: Network) -> None:
    home = network.staffed_community()
    need = network.need(
        home.coordinator_key,
        community_id=home.id,
        roles=[{"name": "cook", "skill": "cooking", "count": 1}],
    )
    taken = client.post(
        f"/v1/needs/{need['id']}/signups",
        json={"member_id": home.member["id"], "role": "cook"},
        headers=auth(home.member_key),
    )
    assert taken.status_code == 201
    before = len(_events(app))
    other = network.member(home.id, home.coordinator_key)
    after_member = len(_events(app))
    full = client.post(
        f"/v1/needs/{need['id']}/signups",
        json={"member_id": other["id"], "role": "cook"},
        headers=auth(other["api_key"]),
    )
    assert full.status_code == 409
    clash = client.post(
        f"/v1/communities/{home.id}/members",
        json=network.member_body(email=other["email"]),
        headers=auth(home.coordinator_key),
    )
    assert clash.status_code == 409
    assert len(_events(app)) == after_member == before + 1


def test_the_log_is_filtered_and_paged_newest_first(
    client: TestClient, network: Network, admin_key: str
) -> None:
    home = network.staffed_community()
    needs = [network.need(home.coordinator_key, community_id=home.id) for _ in range(3)]
    page = _audit(client, admin_key, object_type="need", limit=2)
    assert [e["object_id"] for e in page["items"]] == [needs[2]["id"], needs[1]["id"]]
    rest = _audit(client, admin_key, object_type="need", limit=2, cursor=page["next_cursor"])
    assert [e["object_id"] for e in rest["items"]] == [needs[0]["id"]]
    assert rest["next_cursor"] is None
    by_actor = _audit(client, admin_key, actor_id=home.coordinator["id"])
    assert {e["action"] for e in by_actor["items"]} == {"need.create"}
    future = (datetime.now(UTC) + timedelta(hours=1)).isoformat()
    assert _audit(client, admin_key, since=future)["items"] == []


def test_bad_filters_are_422_naming_the_parameter(client: TestClient, admin_key: str) -> None:
    for params, name in (
        ({"since": "2030-01-01T00:00:00"}, "since"),
        ({"since": "0001-01-01T00:00:00+05:00"}, "since"),
        ({"since": "0.5"}, "since"),
        ({"object_type": "person"}, "object_type"),
        ({"cursor": "not-a-cursor"}, "cursor"),
        ({"object_id": "a b"}, "object_id"),
    ):
        response = client.get("/v1/audit", params=params, headers=auth(admin_key))
        assert response.status_code == 422, params
        assert response.json()["detail"][0]["loc"][-1] == name


def _two_communities(network: Network) -> tuple[Staffed, Staffed, dict[str, Any], dict[str, Any]]:
    home, away = network.staffed_community(), network.staffed_community()
    mine = network.need(home.coordinator_key, community_id=home.id)
    theirs = network.need(away.coordinator_key, community_id=away.id)
    return home, away, mine, theirs


def test_a_coordinator_reads_only_events_about_their_communities(
    client: TestClient, network: Network
) -> None:
    home, away, mine, theirs = _two_communities(network)
    seen = {e["object_id"] for e in _audit(client, home.coordinator_key, limit=200)["items"]}
    assert {home.id, home.member["id"], mine["id"]} <= seen
    assert not {away.id, away.member["id"], theirs["id"], home.coordinator["id"]} & seen


def test_members_agencies_and_strangers_may_not_read_the_log(
    client: TestClient, network: Network
) -> None:
    home = network.staffed_community()
    agency = network.agency()
    assert client.get("/v1/audit", headers=auth(home.member_key)).status_code == 403
    assert client.get("/v1/audit", headers=auth(agency["api_key"])).status_code == 403
    assert client.get("/v1/audit").status_code == 401
