"""API keys over HTTP: list, issue, rotate, revoke; last use; the CLI's key commands (audited
as the system)."""

import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from api.settings import Settings
from tests.factories import Network, Staffed, auth

SECRET_FIELDS = {"key_hash", "hash", "api_key"}
METADATA = {
    "id",
    "prefix",
    "name",
    "role",
    "principal_id",
    "created_at",
    "last_used_at",
    "expires_at",
    "revoked_at",
}


@pytest.fixture
def home(network: Network) -> Staffed:
    return network.staffed_community()


def _in(days: float) -> str:
    return (datetime.now(UTC) + timedelta(days=days)).isoformat()


def _me(client: TestClient, key: str) -> int:
    return client.get("/v1/me", headers=auth(key)).status_code


def _keys(client: TestClient, key: str, **params: Any) -> list[dict[str, Any]]:
    response = client.get("/v1/keys", headers=auth(key), params=params)
    assert response.status_code == 200, response.text
    items: list[dict[str, Any]] = response.json()["items"]
    return items


def _create(client: TestClient, key: str, **body: Any) -> dict[str, Any]:
    response = client.post("/v1/keys", json={"name": "script", **body}, headers=auth(key))
    assert response.status_code == 201, response.text
    created: dict[str, Any] = response.json()
    return created


# Listing


def test_a_member_lists_only_their_own_keys_as_metadata(client: TestClient, home: Staffed) -> None:
    keys = _keys(client, home.member_key)

    assert len(keys) == 1
    assert set(keys[0]) == METADATA
    assert keys[0]["role"] == "member" and keys[0]["principal_id"] == home.member["id"]
    assert home.member_key.startswith(keys[0]["prefix"])
    assert home.member_key not in client.get("/v1/keys", headers=auth(home.member_key)).text


def test_an_admin_lists_every_key_and_filters_by_role_and_principal(
    client: TestClient, network: Network, admin_key: str, home: Staffed
) -> None:
    agency = network.agency()

    everyone = _keys(client, admin_key)
    assert {key["role"] for key in everyone} == {"admin", "coordinator", "member", "agency"}
    assert [key["role"] for key in _keys(client, admin_key, role="agency")] == ["agency"]
    of_agency = _keys(client, admin_key, principal_id=agency["id"])
    assert [key["principal_id"] for key in of_agency] == [agency["id"]]


def test_key_lists_are_paginated_newest_first(
    client: TestClient, admin_key: str, home: Staffed
) -> None:
    for number in range(4):
        _create(client, home.member_key, name=f"device {number}")

    seen: list[dict[str, Any]] = []
    cursor = None
    while True:
        params = {"limit": 2, **({"cursor": cursor} if cursor else {})}
        page = client.get("/v1/keys", params=params, headers=auth(home.member_key)).json()
        seen += page["items"]
        cursor = page["next_cursor"]
        if cursor is None:
            break

    assert len(seen) == 5 and len({key["id"] for key in seen}) == 5
    assert [key["name"] for key in seen[:4]] == [f"device {n}" for n in (3, 2, 1, 0)]
    stamps = [key["created_at"] for key in seen]
    assert stamps == sorted(stamps, reverse=True)


def test_a_bad_cursor_or_role_filter_is_a_422_naming_it(client: TestClient, admin_key: str) -> None:
    bad_cursor = client.get("/v1/keys?cursor=nonsense", headers=auth(admin_key))
    bad_role = client.get("/v1/keys?role=owner", headers=auth(admin_key))

    assert bad_cursor.status_code == 422 and bad_cursor.json()["detail"][0]["loc"][-1] == "cursor"
    assert bad_role.status_code == 422 and bad_role.json()["detail"][0]["loc"][-1] == "role"


# Issuing


def test_anyone_may_issue_themselves_another_key_shown_once(
    client: TestClient, home: Staffed
) -> None:
    created = _create(client, home.coordinator_key, name="laptop", expires_at=_in(30))

    assert created["role"] == "coordinator"
    assert created["principal_id"] == home.coordinator["id"]
    assert created["name"] == "laptop" and created["expires_at"] is not None
    assert (
        client.get("/v1/me", headers=auth(created["api_key"])).json()["id"]
        == (home.coordinator["id"])
    )
    listing = client.get("/v1/keys", headers=auth(home.coordinator_key))
    assert not any(SECRET_FIELDS & set(key) for key in listing.json()["items"])
    assert created["api_key"] not in listing.text


def test_only_an_admin_issues_keys_for_someone_else(
    client: TestClient, network: Network, admin_key: str, home: Staffed
) -> None:
    other = network.staffed_community()
    for_other = {"name": "x", "role": "member", "principal_id": other.member["id"]}

    refused = client.post("/v1/keys", json=for_other, headers=auth(home.coordinator_key))
    as_admin = client.post("/v1/keys", json=for_other, headers=auth(admin_key))
    admin_for_self = client.post(
        "/v1/keys", json={"name": "x", "role": "admin"}, headers=auth(home.member_key)
    )

    assert refused.status_code == 403
    assert admin_for_self.status_code == 403
    assert as_admin.status_code == 201
    assert (
        client.get("/v1/me", headers=auth(as_admin.json()["api_key"])).json()["id"]
        == (other.member["id"])
    )


@pytest.mark.parametrize(
    ("body", "field"),
    [
        (
            {"role": "member", "principal_id": "00000000-0000-4000-8000-000000000000"},
            "principal_id",
        ),
        ({"role": "agency"}, "principal_id"),
        ({"role": "admin", "principal_id": "00000000-0000-4000-8000-000000000000"}, "principal_id"),
        ({"principal_id": "00000000-0000-4000-8000-000000000000"}, "role"),
        ({"role": "owner"}, "role"),
        ({"expires_at": "2001-01-01T00:00:00Z"}, "expires_at"),
        ({"expires_at": "2030-01-01T00:00:00"}, "expires_at"),
        ({"expires_at": "9999-12-31T23:59:59-01:00"}, "expires_at"),
        ({"key_hash": "0" * 64}, "key_hash"),
    ],
)
def test_bad_key_requests_are_a_422_naming_the_field(
    client: TestClient, admin_key: str, body: dict[str, Any], field: str
) -> None:
    response = client.post("/v1/keys", json={"name": "x", **body}, headers=auth(admin_key))

    assert response.status_code == 422, response.text
    assert field in [str(part) for error in response.json()["detail"] for part in error["loc"]]


def test_an_erased_or_unknown_principal_gets_no_key(
    client: TestClient, admin_key: str, home: Staffed
) -> None:
    gone = client.delete(f"/v1/members/{home.member['id']}", headers=auth(admin_key))
    assert gone.status_code == 204

    response = client.post(
        "/v1/keys",
        json={"name": "x", "role": "member", "principal_id": home.member["id"]},
        headers=auth(admin_key),
    )

    assert response.status_code == 422


# Revoking


def test_revoking_a_key_stops_it_and_is_idempotent(client: TestClient, home: Staffed) -> None:
    spare = _create(client, home.member_key, name="spare")
    assert _me(client, spare["api_key"]) == 200

    first = client.post(f"/v1/keys/{spare['id']}/revoke", headers=auth(home.member_key))
    again = client.post(f"/v1/keys/{spare['id']}/revoke", headers=auth(home.member_key))

    assert first.status_code == 200 and first.json()["revoked_at"] is not None
    assert again.status_code == 200 and again.json()["revoked_at"] == first.json()["revoked_at"]
    assert _me(client, spare["api_key"]) == 401
    assert _me(client, home.member_key) == 200


def test_revoking_your_own_last_key_is_allowed_and_locks_you_out(
    client: TestClient, home: Staffed
) -> None:
    [only] = _keys(client, home.member_key)

    response = client.post(f"/v1/keys/{only['id']}/revoke", headers=auth(home.member_key))

    assert response.status_code == 200
    assert _me(client, home.member_key) == 401


def test_another_principals_key_is_404_to_rotate_revoke_or_see(
    client: TestClient, network: Network, admin_key: str, home: Staffed
) -> None:
    other = network.staffed_community()
    [theirs] = _keys(client, other.member_key)

    for action in ("revoke", "rotate"):
        for key in (home.member_key, home.coordinator_key, other.coordinator_key):
            response = client.post(f"/v1/keys/{theirs['id']}/{action}", headers=auth(key))
            assert response.status_code == 404, (action, response.text)
    assert theirs["id"] not in {key["id"] for key in _keys(client, other.coordinator_key)}
    assert _me(client, other.member_key) == 200

    by_admin = client.post(f"/v1/keys/{theirs['id']}/revoke", headers=auth(admin_key))
    assert by_admin.status_code == 200
    assert _me(client, other.member_key) == 401


def test_an_unknown_key_id_is_404(client: TestClient, admin_key: str) -> None:
    unknown = "00000000-0000-4000-8000-000000000000"
    assert client.post(f"/v1/keys/{unknown}/revoke", headers=auth(admin_key)).status_code == 404
    assert client.post(f"/v1/keys/{unknown}/rotate", headers=auth(admin_key)).status_code == 404


# Rotating


def test_rotation_issues_a_replacement_and_stops_the_old_key(
    client: TestClient, home: Staffed
) -> None:
    old = _create(client, home.coordinator_key, name="rota script")

    response = client.post(f"/v1/keys/{old['id']}/rotate", headers=auth(home.coordinator_key))

    assert response.status_code == 201
    new = response.json()
    assert new["name"] == "rota script" and new["principal_id"] == home.coordinator["id"]
    assert new["api_key"] != old["api_key"] and new["id"] != old["id"]
    assert new["replaced"]["id"] == old["id"] and new["replaced"]["revoked_at"] is not None
    assert _me(client, old["api_key"]) == 401
    assert _me(client, new["api_key"]) == 200
    again = client.post(f"/v1/keys/{old['id']}/rotate", headers=auth(home.coordinator_key))
    assert again.status_code == 409


def test_rotation_with_a_grace_period_keeps_the_old_key_working_until_then(
    client: TestClient, home: Staffed
) -> None:
    old = _create(client, home.member_key, name="phone")

    response = client.post(
        f"/v1/keys/{old['id']}/rotate", json={"grace_s": 600}, headers=auth(home.member_key)
    )

    assert response.status_code == 201
    revoked_at = datetime.fromisoformat(response.json()["replaced"]["revoked_at"])
    assert timedelta(seconds=590) < revoked_at - datetime.now(UTC) <= timedelta(seconds=600)
    assert _me(client, old["api_key"]) == 200
    assert _me(client, response.json()["api_key"]) == 200
    # Revoking during the grace period cuts it short.
    client.post(f"/v1/keys/{old['id']}/revoke", headers=auth(home.member_key))
    assert _me(client, old["api_key"]) == 401


def test_rotation_carries_the_lifetime_over_or_takes_a_new_expiry(
    client: TestClient, home: Staffed
) -> None:
    month = _create(client, home.member_key, name="a", expires_at=_in(30))
    forever = _create(client, home.member_key, name="b")

    carried = client.post(f"/v1/keys/{month['id']}/rotate", headers=auth(home.member_key))
    chosen = client.post(
        f"/v1/keys/{forever['id']}/rotate",
        json={"expires_at": _in(7)},
        headers=auth(home.member_key),
    )

    lifetime = datetime.fromisoformat(carried.json()["expires_at"]) - datetime.now(UTC)
    assert timedelta(days=29) < lifetime <= timedelta(days=30)
    assert datetime.fromisoformat(chosen.json()["expires_at"]) - datetime.now(UTC) < timedelta(8)


@pytest.mark.parametrize("body", [{"grace_s": -1}, {"grace_s": 3601}, {"name": "renamed"}])
def test_bad_rotation_options_are_a_422(
    client: TestClient, home: Staffed, body: dict[str, Any]
) -> None:
    [key] = _keys(client, home.member_key)

    response = client.post(f"/v1/keys/{key['id']}/rotate", json=body, headers=auth(home.member_key))

    assert response.status_code == 422
    assert _me(client, home.member_key) == 200


def test_key_writes_are_audited_without_the_key(
    client: TestClient, admin_key: str, home: Staffed
) -> None:
    spare = _create(client, home.member_key, name="spare")
    rotated = client.post(f"/v1/keys/{spare['id']}/rotate", headers=auth(home.member_key))
    client.post(f"/v1/keys/{rotated.json()['id']}/revoke", headers=auth(home.member_key))

    response = client.get("/v1/audit?object_type=api_key", headers=auth(admin_key))

    events = [(event["action"], event["object_id"]) for event in response.json()["items"]]
    assert ("key.create", spare["id"]) in events
    assert ("key.rotate", spare["id"]) in events
    assert ("key.revoke", rotated.json()["id"]) in events
    assert spare["api_key"] not in response.text


# Last use


def test_last_use_is_recorded_but_not_rewritten_within_a_minute(
    client: TestClient, home: Staffed
) -> None:
    spare = _create(client, home.member_key, name="spare")
    assert _last_used(client, home.member_key, spare["id"]) is None

    _me(client, spare["api_key"])
    first = _last_used(client, home.member_key, spare["id"])
    for _ in range(3):
        _me(client, spare["api_key"])

    assert first is not None
    assert _last_used(client, home.member_key, spare["id"]) == first


def test_another_worker_does_not_rewrite_a_last_use_made_within_the_minute(
    client: TestClient, home: Staffed, database_url: str
) -> None:
    spare = _create(client, home.member_key, name="spare")
    _me(client, spare["api_key"])
    first = _last_used(client, home.member_key, spare["id"])
    other_worker = create_app(Settings(database_url=database_url))
    with TestClient(other_worker) as other:
        assert _me(other, spare["api_key"]) == 200

    assert first is not None
    assert _last_used(client, home.member_key, spare["id"]) == first
    other_worker.state.engine.dispose()


def _last_used(client: TestClient, key: str, key_id: str) -> str | None:
    [found] = [item for item in _keys(client, key) if item["id"] == key_id]
    value: str | None = found["last_used_at"]
    return value


# CLI


SERVEMATCH = [sys.executable, "-m", "api"]


def _run(*args: str, cwd: Path, url: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "SERVEMATCH_DATABASE_URL": url}
    return subprocess.run(
        [*SERVEMATCH, *args], cwd=cwd, env=env, capture_output=True, text=True, check=False
    )


def test_cli_creates_an_expiring_admin_key_and_revokes_it_by_prefix(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'ops.db'}"
    assert _run("db", "upgrade", cwd=tmp_path, url=url).returncode == 0
    created = _run(
        "keys", "create", "--name", "ops", "--expires-in-days", "7", cwd=tmp_path, url=url
    )
    assert created.returncode == 0, created.stderr
    key = created.stdout.strip()
    app = create_app(Settings(database_url=url, auth_cache_ttl_s=0))
    with TestClient(app) as client:
        [listed] = client.get("/v1/keys", headers=auth(key)).json()["items"]
        expires = datetime.fromisoformat(listed["expires_at"]) - datetime.now(UTC)
        assert timedelta(days=6) < expires <= timedelta(days=7)

        revoked = _run("keys", "revoke", key[:10], cwd=tmp_path, url=url)
        again = _run("keys", "revoke", listed["id"], cwd=tmp_path, url=url)
        unknown = _run("keys", "revoke", "sm_nothing", cwd=tmp_path, url=url)

        assert revoked.returncode == 0, revoked.stderr
        assert again.returncode == 0 and "already" in again.stderr
        assert unknown.returncode == 1
        assert client.get("/v1/me", headers=auth(key)).status_code == 401
    app.state.engine.dispose()


def test_cli_key_writes_go_through_the_service_and_are_audited_as_the_system(
    database_url: str, tmp_path: Path
) -> None:
    created = _run("keys", "create", "--name", "ops", cwd=tmp_path, url=database_url)
    assert created.returncode == 0, created.stderr
    key = created.stdout.strip()
    app = create_app(Settings(database_url=database_url, auth_cache_ttl_s=0))
    with TestClient(app) as client:
        assert _me(client, key) == 200
        [listed] = [item for item in _keys(client, key) if item["prefix"] == key[:10]]
        witness = _create(client, key, name="reads the log")["api_key"]

        revoked = _run("keys", "revoke", listed["id"], cwd=tmp_path, url=database_url)

        assert revoked.returncode == 0, revoked.stderr
        assert _me(client, key) == 401
        response = client.get(
            "/v1/audit",
            params={"object_type": "api_key", "object_id": listed["id"]},
            headers=auth(witness),
        )
    app.state.engine.dispose()
    events = {(e["action"], e["actor_role"], e["actor_id"]) for e in response.json()["items"]}
    assert events == {("key.create", "system", None), ("key.revoke", "system", None)}
    assert key not in response.text
