import time

from fastapi.testclient import TestClient

from api.app import create_app
from api.settings import Settings
from tests.factories import auth


def test_healthz_needs_no_key_and_reports_the_database(client: TestClient, backend: str) -> None:
    response = client.get("/healthz")
    assert response.status_code == 200
    health = response.json()
    assert health.pop("member_snapshot") in {"building", "ready"}
    assert health == {
        "status": "ok",
        "database": "ok",
        "backend": "sqlite" if backend == "sqlite" else "postgresql",
    }


def test_healthz_says_when_the_worker_has_its_member_snapshot(client: TestClient) -> None:
    """A worker starts building it as it starts; a load balancer or a bench can wait for it."""
    deadline = time.monotonic() + 60
    while client.get("/healthz").json()["member_snapshot"] != "ready":
        assert time.monotonic() < deadline, "the member snapshot was never built"
        time.sleep(0.05)


def test_healthz_says_off_when_snapshots_are_switched_off(database_url: str) -> None:
    app = create_app(Settings(database_url=database_url, member_snapshot=False))
    with TestClient(app) as client:
        assert client.get("/healthz").json()["member_snapshot"] == "off"
    app.state.engine.dispose()


def test_a_request_without_a_key_is_refused_with_401(client: TestClient) -> None:
    response = client.get("/v1/me")
    assert response.status_code == 401
    assert response.headers["www-authenticate"] == "Bearer"
    assert "bearer" in response.json()["detail"].lower()


def test_an_unknown_key_is_refused_with_401(client: TestClient) -> None:
    assert client.get("/v1/me", headers=auth("sm_not-a-real-key")).status_code == 401


def test_me_tells_the_caller_who_they_are(client: TestClient, admin_key: str) -> None:
    assert client.get("/v1/me", headers=auth(admin_key)).json() == {
        "role": "admin",
        "id": None,
        "community_ids": [],
    }
