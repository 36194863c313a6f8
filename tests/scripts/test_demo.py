"""The demo network, loaded by the tooling command (``python -m scripts demo``) as ``make run``
does, against a real SQLite file."""

import json
import os
import shutil
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient

from api.app import create_app
from api.db.types import utcnow
from api.geocoding.service import configured_geocoder
from api.settings import Settings
from scripts import demo
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
        _the_health_series_tells_a_year(client, keys)
        _the_batch_fills_the_weekend(client, keys, needs)


def _the_health_series_tells_a_year(client: TestClient, keys: dict[str, str]) -> None:
    health = client.get(
        f"/v1/communities/{keys['community_id']}/health", headers=auth(keys["coordinator"])
    ).json()
    points = health["series"]["points"]
    assert points[-1]["members"] == health["members"]["total"]
    assert sum(point["joined"] for point in points) == health["members"]["total"]
    assert sum(bool(point["joined"]) for point in points) >= 6  # joined over the year
    assert any(point["stage_changes"] for point in points)


def _the_batch_fills_the_weekend(
    client: TestClient, keys: dict[str, str], needs: list[dict[str, Any]]
) -> None:
    households = client.get(
        f"/v1/communities/{keys['community_id']}/households", headers=auth(keys["coordinator"])
    ).json()["items"]
    assert [household["serve"] for household in households] == ["together"]
    start = datetime.now(UTC).replace(microsecond=0)
    batch = client.post(
        "/v1/match/batch",
        json={
            "community_id": keys["community_id"],
            "from": start.isoformat(),
            "to": (start + timedelta(days=14)).isoformat(),
        },
        headers=auth(keys["coordinator"]),
    )
    assert batch.status_code == 200, batch.text
    weekend = {need["id"] for need in needs if need["title"] in {row[2] for row in WEEKEND}}
    places = sum(role["count"] for need in needs if need["id"] in weekend for role in need["roles"])
    assigned = [place for place in batch.json()["assignments"] if place["need_id"] in weekend]
    assert len(assigned) == places
    assert batch.json()["optimal"] is True


def test_demo_reset_loads_it_anew_after_the_walk_through_erased_its_member(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'demo.db'}"
    _servematch("db", "upgrade", cwd=tmp_path, url=url)
    assert run_tooling("demo", cwd=tmp_path, url=url).returncode == 0
    old = json.loads((tmp_path / "servematch-demo-keys.json").read_text())
    with TestClient(create_app(Settings(database_url=url))) as client:
        erased = client.delete(f"/v1/members/{old['member_id']}", headers=auth(old["admin"]))
        assert erased.status_code == 204
    refused = run_tooling("demo", cwd=tmp_path, url=url)
    assert refused.returncode != 0 and "--reset" in refused.stderr

    # The service's own command runs the checkout's loader, as `make demo` does.
    assert _servematch("demo", "--reset", cwd=tmp_path, url=url).returncode == 0
    new = json.loads((tmp_path / "servematch-demo-keys.json").read_text())
    with TestClient(create_app(Settings(database_url=url))) as client:
        for role in ("admin", "coordinator", "agency", "member"):
            assert client.get("/v1/me", headers=auth(old[role])).status_code == 401
        assert len(client.get("/v1/communities", headers=auth(new["admin"])).json()) == 3
        me = client.get(f"/v1/members/{new['member_id']}", headers=auth(new["member"]))
        assert me.status_code == 200


def test_demo_easton_is_ready_to_multiply_and_its_plan_keeps_every_rule(
    sqlite_template: Path, tmp_path: Path
) -> None:
    path = tmp_path / "demo.db"
    shutil.copy(sqlite_template, path)
    settings = Settings(database_url=f"sqlite:///{path}", rate_limit_per_minute=0)
    app = create_app(settings)
    with app.state.sessionmaker.begin() as session:
        keys = demo.load(
            session,
            now=utcnow(),
            cell_km=settings.location_coarsening_km,
            geocoder=configured_geocoder(settings),
        )
    with TestClient(app) as client:
        answer = client.get(
            f"/v1/communities/{keys.community_id}/multiplication",
            headers=auth(keys.coordinator),
        )
        assert answer.status_code == 200, answer.text
        readiness = answer.json()
        assert readiness["ready"] is True, readiness["reasons"]
        plan = readiness["plan"]
        assert plan["violations"] == []
        assert sorted(group["size"] for group in plan["groups"]) == [8, 9]
        assert all(group["leaders"] == 1 for group in plan["groups"])
        # The two parts of Easton: each group meets in its own, and travels less than all
        # to the one meeting point.
        assert plan["travel_after"]["sum_km"] < plan["travel_before"]["sum_km"] / 1.5
        households = [
            {member["household_id"] for member in group["members"]} - {None}
            for group in plan["groups"]
        ]
        assert sum(len(found) for found in households) == 1  # the household stays together
        lineage = client.get(
            f"/v1/communities/{keys.community_id}/lineage", headers=auth(keys.coordinator)
        ).json()
        assert [node["name"] for node in lineage["descendants"]] == ["Southville Community"]
