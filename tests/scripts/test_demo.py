"""The demo network, loaded by the tooling command (``python -m scripts demo``) as ``make run``
does, against a real SQLite file."""

import json
import os
import subprocess
import sys
from pathlib import Path

from fastapi.testclient import TestClient

from api.app import create_app
from api.settings import Settings
from scripts.demo import WEEKEND
from tests.factories import auth
from tests.scripts.tooling import run_tooling


def _servematch(*args: str, cwd: Path, url: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "SERVEMATCH_DATABASE_URL": url}
    return subprocess.run(
        [sys.executable, "-m", "api", *args], cwd=cwd, env=env, capture_output=True, text=True
    )


def test_demo_loads_once_and_its_keys_see_the_bristol_network(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'demo.db'}"
    _servematch("db", "upgrade", cwd=tmp_path, url=url)
    assert run_tooling("demo", "--if-empty", cwd=tmp_path, url=url).returncode == 0
    again = run_tooling("demo", "--if-empty", cwd=tmp_path, url=url)
    assert again.returncode == 0 and "already loaded" in again.stderr
    keys = json.loads((tmp_path / "servematch-demo-keys.json").read_text())
    with TestClient(create_app(Settings(database_url=url))) as client:
        communities = client.get("/v1/communities", headers=auth(keys["admin"])).json()
        assert len(communities) == 3
        assert all(51.3 < c["meeting_point"]["lat"] < 51.6 for c in communities)
        members = client.get(
            f"/v1/communities/{keys['community_id']}/members?limit=200",
            headers=auth(keys["coordinator"]),
        ).json()["items"]
        assert len(members) >= 15
        needs = client.get("/v1/needs?limit=200", headers=auth(keys["admin"])).json()["items"]
        assert len(needs) == 20 + len(WEEKEND)
        assert client.get("/v1/needs", headers=auth(keys["agency"])).json()["items"]
        me = client.get(f"/v1/members/{keys['member_id']}", headers=auth(keys["member"]))
        assert me.status_code == 200
