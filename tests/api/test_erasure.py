"""Member erasure: personal data gone for good, the community's service hours unchanged."""

from datetime import timedelta
from typing import Any

from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import select, text, update

from api.db.models import ApiKey, AuditEvent, Member, Need
from api.db.types import utcnow
from tests.factories import Network, Staffed, auth

PERSONAL = {
    "name": "Priya Ramaswamy",
    "email": "priya.r@example.org",
    "home": {"lat": 51.4623, "lon": -2.5911},
    "skills": {"cooking": 3},
    "interests": "baking with children",
    "blackout_dates": ["2031-01-02"],
    "checks": ["dbs"],
    "stage": "mature",
}
MEETING_POINT = (51.4545, -2.5879)  # the factory's community meeting point


def _sign_up(client: TestClient, need: dict[str, Any], member: dict[str, Any]) -> Any:
    response = client.post(
        f"/v1/needs/{need['id']}/signups",
        json={"member_id": member["id"], "role": "cook"},
        headers=auth(member["api_key"]),
    )
    assert response.status_code == 201, response.text
    return response.json()


def _move_into_the_past(app: FastAPI, need_id: str, hours: int) -> None:
    """Needs cannot be posted in the past, so time is moved for the need instead."""
    ends_at = utcnow() - timedelta(days=2)
    with app.state.sessionmaker.begin() as session:
        session.execute(
            update(Need)
            .where(Need.id == need_id)
            .values(starts_at=ends_at - timedelta(hours=hours), ends_at=ends_at, status="done")
        )


def _health(client: TestClient, home: Staffed) -> Any:
    response = client.get(f"/v1/communities/{home.id}/health", headers=auth(home.coordinator_key))
    assert response.status_code == 200, response.text
    return response.json()


def _served_and_booked(
    app: FastAPI, client: TestClient, network: Network
) -> tuple[Staffed, dict[str, Any], dict[str, Any], dict[str, Any]]:
    """A member with 3 hours of past service and a place in a need still to come."""
    home = network.staffed_community()
    member = network.member(home.id, home.coordinator_key, **PERSONAL)
    past = network.need(home.coordinator_key, community_id=home.id)
    _sign_up(client, past, member)
    _move_into_the_past(app, past["id"], hours=3)
    future = network.need(home.coordinator_key, community_id=home.id)
    _sign_up(client, future, member)
    return home, member, past, future


def test_erasure_keeps_the_communitys_hours_and_removes_every_personal_field(
    app: FastAPI, client: TestClient, network: Network
) -> None:
    home, member, _past, future = _served_and_booked(app, client, network)
    before = _health(client, home)
    assert (before["service_hours"], before["confirmed_signups"]) == (3.0, 1)
    assert before["members"]["total"] == 2 and before["members"]["by_stage"]["mature"] == 1

    erased = client.delete(f"/v1/members/{member['id']}", headers=auth(home.coordinator_key))
    assert erased.status_code == 204

    after = _health(client, home)
    assert (after["service_hours"], after["confirmed_signups"]) == (3.0, 1)
    assert after["upcoming_signups"] == 0
    assert after["members"]["total"] == 1 and after["members"]["by_stage"]["mature"] == 0
    with app.state.sessionmaker() as session:
        row = session.get(Member, member["id"])
        assert row is not None and row.erased_at is not None
        assert row.name == "Erased member"
        assert row.email == f"erased-{member['id']}@erased.invalid"
        assert (row.home_lat, row.home_lon) == MEETING_POINT
        assert (row.skills, row.interests, row.availability) == ({}, "", [])
        assert (row.blackout_dates, row.checks, row.stage, row.active) == ([], [], "new", False)
        keys = session.scalars(select(ApiKey).where(ApiKey.principal_id == member["id"])).all()
        assert keys and all(k.revoked_at is not None and k.name == "Erased member" for k in keys)
        raw = " ".join(
            str(value)
            for value in session.execute(
                text("SELECT * FROM members WHERE id = :id"), {"id": member["id"]}
            ).one()
        )
    for secret in ("Priya", "Ramaswamy", "priya.r", "51.4623", "2.5911", "baking", "dbs"):
        assert secret not in raw, secret
    # The place in the need still to come went back to the community.
    seen = client.get(f"/v1/needs/{future['id']}", headers=auth(home.coordinator_key)).json()
    assert seen["roles"][0]["filled"] == 0


def test_an_erased_member_is_gone_from_reads_lists_and_candidates(
    app: FastAPI, client: TestClient, network: Network
) -> None:
    home, member, _past, future = _served_and_booked(app, client, network)
    client.delete(f"/v1/members/{member['id']}", headers=auth(home.coordinator_key))
    coordinator = auth(home.coordinator_key)
    assert client.get(f"/v1/members/{member['id']}", headers=coordinator).status_code == 404
    listed = client.get(f"/v1/communities/{home.id}/members", headers=coordinator).json()
    assert member["id"] not in {m["id"] for m in listed["items"]}
    candidates = client.get(f"/v1/needs/{future['id']}/candidates", headers=coordinator).json()
    assert member["id"] not in {c["member_id"] for c in candidates["candidates"]}
    suggestions = client.get(f"/v1/members/{member['id']}/suggestions", headers=coordinator)
    assert suggestions.status_code == 404
    assert client.get("/v1/me", headers=auth(member["api_key"])).status_code == 401
    edit = client.patch(f"/v1/members/{member['id']}", json={"name": "Back"}, headers=coordinator)
    assert edit.status_code == 404


def test_erasing_twice_is_harmless_and_logged_once(
    app: FastAPI, client: TestClient, network: Network, admin_key: str
) -> None:
    home = network.staffed_community()
    url = f"/v1/members/{home.member['id']}"
    assert client.delete(url, headers=auth(home.member_key)).status_code == 204  # their own wish
    assert client.delete(url, headers=auth(home.coordinator_key)).status_code == 204
    assert client.delete(url, headers=auth(admin_key)).status_code == 204
    with app.state.sessionmaker() as session:
        actions = session.scalars(
            select(AuditEvent.action).where(AuditEvent.object_id == home.member["id"])
        ).all()
    assert sorted(actions) == ["member.create", "member.erase"]


def test_an_erased_members_email_may_join_again_as_a_new_member(
    client: TestClient, network: Network
) -> None:
    home = network.staffed_community()
    member = network.member(home.id, home.coordinator_key, **PERSONAL)
    client.delete(f"/v1/members/{member['id']}", headers=auth(home.coordinator_key))
    again = network.member(home.id, home.coordinator_key, **PERSONAL)
    assert again["id"] != member["id"]


def test_others_cannot_erase_or_read_health(
    client: TestClient, network: Network, admin_key: str
) -> None:
    home, away = network.staffed_community(), network.staffed_community()
    agency = network.agency()
    url = f"/v1/members/{home.member['id']}"
    assert client.delete(url, headers=auth(away.coordinator_key)).status_code == 404
    assert client.delete(url, headers=auth(away.member_key)).status_code == 404
    assert client.delete(url, headers=auth(agency["api_key"])).status_code == 403
    health = f"/v1/communities/{home.id}/health"
    assert client.get(health, headers=auth(admin_key)).status_code == 200
    assert client.get(health, headers=auth(away.coordinator_key)).status_code == 404
    assert client.get(health, headers=auth(home.member_key)).status_code == 403
    assert client.get(health, headers=auth(agency["api_key"])).status_code == 403
    assert client.get(health).status_code == 401
    assert client.get(url, headers=auth(home.member_key)).status_code == 200
