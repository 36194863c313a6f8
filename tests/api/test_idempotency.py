"""Idempotency-Key: a client's retry of a creating POST returns the first result, never a twin."""

import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from typing import Any

import httpx2 as httpx
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import func, select, update

from api.db.models import IdempotencyRecord, Need, Signup
from api.db.types import utcnow
from tests.factories import Network, Staffed, auth

REPLAYED = "Idempotent-Replayed"


def _with_key(key: str, idempotency_key: str) -> dict[str, str]:
    return {**auth(key), "Idempotency-Key": idempotency_key}


def _count(app: FastAPI, model: type[Any]) -> int:
    with app.state.sessionmaker() as session:
        return int(session.scalar(select(func.count()).select_from(model)) or 0)


def _post_need(
    client: TestClient, network: Network, home: Staffed, key: str, **overrides: Any
) -> Any:
    body = network.need_body(community_id=home.id, **overrides)
    return client.post("/v1/needs", json=body, headers=_with_key(home.coordinator_key, key))


def test_a_retried_need_post_returns_the_first_need_and_creates_one(
    app: FastAPI, client: TestClient, network: Network
) -> None:
    home = network.staffed_community()
    body = network.need_body(community_id=home.id)
    headers = _with_key(home.coordinator_key, "need-2030-06-01")
    first = client.post("/v1/needs", json=body, headers=headers)
    retry = client.post("/v1/needs", json=body, headers=headers)
    assert first.status_code == retry.status_code == 201
    assert retry.json() == first.json()
    assert REPLAYED not in first.headers and retry.headers[REPLAYED] == "true"
    assert _count(app, Need) == 1


def test_a_retry_with_the_same_json_in_another_key_order_is_the_same_request(
    app: FastAPI, client: TestClient, network: Network
) -> None:
    home = network.staffed_community()
    body = network.need_body(community_id=home.id)
    headers = _with_key(home.coordinator_key, "reordered")
    first = client.post("/v1/needs", json=body, headers=headers)
    reordered = dict(reversed(list(body.items())))
    retry = client.post("/v1/needs", json=reordered, headers=headers)
    assert retry.status_code == 201 and retry.json()["id"] == first.json()["id"]
    assert _count(app, Need) == 1


def test_a_retried_sign_up_returns_the_same_sign_up_and_takes_one_place(
    app: FastAPI, client: TestClient, network: Network
) -> None:
    home = network.staffed_community()
    need = network.need(home.coordinator_key, community_id=home.id)
    path = f"/v1/needs/{need['id']}/signups"
    body = {"member_id": home.member["id"], "role": "cook"}
    headers = _with_key(home.member_key, "take-my-place")
    first = client.post(path, json=body, headers=headers)
    retry = client.post(path, json=body, headers=headers)
    assert first.status_code == 201, first.text
    assert retry.status_code == 201 and retry.headers[REPLAYED] == "true"
    assert retry.json() == first.json()
    assert _count(app, Signup) == 1
    seen = client.get(f"/v1/needs/{need['id']}", headers=auth(home.coordinator_key)).json()
    assert seen["roles"][0]["filled"] == 1
    # Without a key the same request is a new one, and is refused as a double sign-up.
    assert client.post(path, json=body, headers=auth(home.member_key)).status_code == 409


def test_the_same_key_with_a_different_body_is_refused_naming_the_header(
    app: FastAPI, client: TestClient, network: Network
) -> None:
    home = network.staffed_community()
    assert _post_need(client, network, home, "k1", title="Meals").status_code == 201
    clash = _post_need(client, network, home, "k1", title="Other meals")
    assert clash.status_code == 422
    assert clash.json()["detail"][0]["loc"] == ["header", "Idempotency-Key"]
    assert "different request" in clash.json()["message"]
    assert _count(app, Need) == 1


def test_the_same_key_on_another_path_is_refused(client: TestClient, network: Network) -> None:
    home = network.staffed_community()
    assert _post_need(client, network, home, "shared").status_code == 201
    other = client.post(
        f"/v1/communities/{home.id}/members",
        json=network.member_body(),
        headers=_with_key(home.coordinator_key, "shared"),
    )
    assert other.status_code == 422 and "POST /v1/needs" in other.json()["message"]


def test_the_same_key_from_another_caller_is_independent(
    app: FastAPI, client: TestClient, network: Network
) -> None:
    home = network.staffed_community()
    second = network.coordinator(home.id)
    body = network.need_body(community_id=home.id)
    mine = client.post("/v1/needs", json=body, headers=_with_key(home.coordinator_key, "k"))
    theirs = client.post("/v1/needs", json=body, headers=_with_key(second["api_key"], "k"))
    assert mine.status_code == theirs.status_code == 201
    assert REPLAYED not in theirs.headers
    assert mine.json()["id"] != theirs.json()["id"]
    assert _count(app, Need) == 2


def test_an_expired_key_runs_again_and_expired_records_are_purged(
    app: FastAPI, client: TestClient, network: Network
) -> None:
    home = network.staffed_community()
    first = _post_need(client, network, home, "old-key")
    assert _post_need(client, network, home, "another-old-key").status_code == 201
    with app.state.sessionmaker.begin() as session:
        session.execute(
            update(IdempotencyRecord).values(expires_at=utcnow() - timedelta(minutes=1))
        )
    again = _post_need(client, network, home, "old-key")
    assert again.status_code == 201 and REPLAYED not in again.headers
    assert again.json()["id"] != first.json()["id"]
    with app.state.sessionmaker() as session:
        keys = session.scalars(select(IdempotencyRecord.key)).all()
    assert keys == ["old-key"]  # the other expired record was purged on the way


def test_a_failed_request_is_not_remembered(
    app: FastAPI, client: TestClient, network: Network
) -> None:
    home = network.staffed_community()
    past = network.need_body(community_id=home.id, ends_at="2001-01-01T10:00:00Z")
    past["starts_at"] = "2001-01-01T09:00:00Z"
    headers = _with_key(home.coordinator_key, "fix-and-retry")
    assert client.post("/v1/needs", json=past, headers=headers).status_code == 422
    malformed = {**past, "category": "juggling"}
    assert client.post("/v1/needs", json=malformed, headers=headers).status_code == 422
    assert _count(app, IdempotencyRecord) == 0
    fixed = client.post("/v1/needs", json=network.need_body(community_id=home.id), headers=headers)
    assert fixed.status_code == 201 and REPLAYED not in fixed.headers


@pytest.mark.parametrize(
    "value",
    ["", "x" * 256, "with space", "tab\there", "caf\xe9"],
    ids=["empty", "too-long", "space", "tab", "non-ascii"],
)
def test_a_malformed_key_is_a_422_naming_the_header(
    client: TestClient, network: Network, value: str
) -> None:
    home = network.staffed_community()
    headers = {**auth(home.coordinator_key), "Idempotency-Key": value.encode("latin-1")}
    response = client.post(
        "/v1/needs",
        json=network.need_body(community_id=home.id),
        headers=headers,  # type: ignore[arg-type]
    )
    assert response.status_code == 422, response.text
    assert response.json()["detail"][0]["loc"] == ["header", "Idempotency-Key"]


def test_a_new_members_replay_never_shows_or_stores_the_key(
    app: FastAPI, client: TestClient, network: Network
) -> None:
    home = network.staffed_community()
    body = network.member_body()
    headers = _with_key(home.coordinator_key, "add-sam")
    path = f"/v1/communities/{home.id}/members"
    first = client.post(path, json=body, headers=headers)
    retry = client.post(path, json=body, headers=headers)
    assert first.status_code == retry.status_code == 201
    assert first.json()["api_key"] and retry.json()["api_key"] is None
    assert {**retry.json(), "api_key": None} == {**first.json(), "api_key": None}
    with app.state.sessionmaker() as session:
        stored = session.scalar(select(IdempotencyRecord.response_body))
    assert first.json()["api_key"] not in str(stored)


@pytest.mark.parametrize("kind", ["community", "coordinator", "agency"])
def test_admin_creations_are_replayed_too(
    client: TestClient, network: Network, admin_key: str, kind: str
) -> None:
    community = network.community()
    path, body = {
        "community": ("/v1/communities", {"name": "Redland", "meeting_point": {"lat": 51, "lon": 0},
                                          "timezone": "Europe/London"}),
        "coordinator": (f"/v1/communities/{community['id']}/coordinators",
                        {"name": "Ana", "email": "ana@example.org"}),
        "agency": ("/v1/agencies", {"name": "Food bank", "email": "food@example.org"}),
    }[kind]  # fmt: skip
    headers = _with_key(admin_key, f"create-{kind}")
    first = client.post(path, json=body, headers=headers)
    retry = client.post(path, json=body, headers=headers)
    assert first.status_code == retry.status_code == 201, first.text
    assert retry.headers[REPLAYED] == "true" and retry.json()["id"] == first.json()["id"]


def test_every_creating_post_declares_the_header(app: FastAPI) -> None:
    schema = app.openapi()
    creating = [
        "/v1/needs",
        "/v1/needs/{need_id}/signups",
        "/v1/communities",
        "/v1/communities/{community_id}/members",
        "/v1/communities/{community_id}/coordinators",
        "/v1/agencies",
    ]
    for path in creating:
        names = {p["name"] for p in schema["paths"][path]["post"].get("parameters", [])}
        assert "Idempotency-Key" in names, path


RACERS = 8


def test_concurrent_duplicates_create_one_need_and_all_see_it(
    app: FastAPI, network: Network, live_server: str
) -> None:
    home = network.staffed_community()
    body = network.need_body(community_id=home.id)
    headers = _with_key(home.coordinator_key, "racing")
    barrier = threading.Barrier(RACERS)

    def post(_: int) -> httpx.Response:
        with httpx.Client(base_url=live_server, timeout=30) as client:
            barrier.wait()
            return client.post("/v1/needs", json=body, headers=headers)

    with ThreadPoolExecutor(max_workers=RACERS) as pool:
        responses = list(pool.map(post, range(RACERS)))
    assert [r.status_code for r in responses] == [201] * RACERS
    assert len({r.json()["id"] for r in responses}) == 1
    assert sum(r.headers.get(REPLAYED) == "true" for r in responses) == RACERS - 1
    assert _count(app, Need) == 1
