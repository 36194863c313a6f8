from fastapi.testclient import TestClient

from tests.factories import auth


def test_healthz_needs_no_key_and_reports_the_database(client: TestClient, backend: str) -> None:
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {
        "status": "ok",
        "database": "ok",
        "backend": "sqlite" if backend == "sqlite" else "postgresql",
    }


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
