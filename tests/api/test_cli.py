"""The ``servematch`` command as an operator uses it, against a real SQLite file."""

import json
import os
import subprocess
import sys
from pathlib import Path

from fastapi.testclient import TestClient

from api.app import create_app
from api.settings import Settings
from tests.factories import auth
from tests.scripts.tooling import run_tooling

SERVEMATCH = [sys.executable, "-m", "api"]


def _run(*args: str, cwd: Path, url: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "SERVEMATCH_DATABASE_URL": url}
    return subprocess.run(
        [*SERVEMATCH, *args], cwd=cwd, env=env, capture_output=True, text=True, check=False
    )


def test_upgrade_then_keys_create_prints_a_working_admin_key_alone(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'ops.db'}"
    assert _run("db", "upgrade", cwd=tmp_path, url=url).returncode == 0
    created = _run("keys", "create", "--role", "admin", "--name", "ops", cwd=tmp_path, url=url)
    assert created.returncode == 0, created.stderr
    key = created.stdout.strip()
    assert created.stdout == key + "\n" and key.startswith("sm_")
    with TestClient(create_app(Settings(database_url=url))) as client:
        assert client.get("/v1/me", headers=auth(key)).json()["role"] == "admin"


def test_keys_create_refuses_roles_other_than_admin(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'ops.db'}"
    _run("db", "upgrade", cwd=tmp_path, url=url)
    refused = _run("keys", "create", "--role", "member", "--name", "x", cwd=tmp_path, url=url)
    assert refused.returncode != 0
    assert refused.stdout == ""


def test_keys_create_refuses_a_name_the_api_would_refuse(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'ops.db'}"
    _run("db", "upgrade", cwd=tmp_path, url=url)
    refused = _run("keys", "create", "--name", "x" * 121, cwd=tmp_path, url=url)
    assert refused.returncode != 0
    assert refused.stdout == ""


def test_openapi_writes_the_contract_the_service_publishes(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'unused.db'}"
    written = _run("openapi", "--output", "build/openapi.json", cwd=tmp_path, url=url)
    printed = _run("openapi", cwd=tmp_path, url=url)

    assert written.returncode == printed.returncode == 0, written.stderr + printed.stderr
    published = create_app(Settings(database_url=url)).openapi()
    assert json.loads((tmp_path / "build" / "openapi.json").read_text()) == published
    assert json.loads(printed.stdout) == published
    assert not (tmp_path / "unused.db").exists()


def test_recoarsen_shows_older_private_places_at_a_new_cell_size(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'demo.db'}"
    _run("db", "upgrade", cwd=tmp_path, url=url)
    run_tooling("demo", "--if-empty", cwd=tmp_path, url=url)
    keys = json.loads((tmp_path / "servematch-demo-keys.json").read_text())

    def shown_to_member() -> dict[str, dict[str, float]]:
        with TestClient(create_app(Settings(database_url=url))) as client:
            needs = client.get("/v1/needs?limit=200", headers=auth(keys["member"])).json()
        return {need["id"]: need["location"] for need in needs["items"]}

    before = shown_to_member()
    env = {**os.environ, "SERVEMATCH_DATABASE_URL": url, "SERVEMATCH_LOCATION_COARSENING_KM": "5"}
    done = subprocess.run(
        [*SERVEMATCH, "privacy", "recoarsen"], cwd=tmp_path, env=env, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr
    moved = int(done.stderr.split()[0])
    after = shown_to_member()
    assert moved > 0
    assert 0 < sum(before[need] != after[need] for need in before) <= moved
