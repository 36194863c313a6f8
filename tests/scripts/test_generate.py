"""The synthetic network generator: realistic, reproducible, loadable on both backends, and
served by the API exactly like hand-made data.
"""

import json
import stat
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from alembic import command
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, func, select, text

from api.db.migrate import alembic_config
from api.db.models import Community, Member, Membership, Need, NeedRole, StageChange
from scripts.generate.guard import NetworkExists
from scripts.generate.pipeline import generate
from scripts.generate.synthesis import Network, digest, synthesize
from tests.factories import auth
from tests.scripts.tooling import run_tooling

START = date(2030, 3, 4)
SMALL = {"members": 300, "needs": 40}


def _today() -> date:
    # Loaded needs must lie in the future for suggestions, so loading tests start today.
    return datetime.now(UTC).date()


def _generate(url: str, tmp_path: Path, *, seed: int = 3) -> dict[str, Any]:
    keys_path = tmp_path / "keys.json"
    generate(url, seed=seed, start=_today(), keys_out=keys_path, cell_km=1.0, **SMALL)
    keys: dict[str, Any] = json.loads(keys_path.read_text())
    return keys


def _count(url: str, entity: Any, *where: Any) -> int:
    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            return int(connection.scalar(select(func.count()).select_from(entity).where(*where)))
    finally:
        engine.dispose()


# --- synthesis (no database) --------------------------------------------------------------


def test_the_same_seed_gives_the_same_network_and_another_seed_a_different_one() -> None:
    first = synthesize(seed=11, start=START, **SMALL)
    assert digest(synthesize(seed=11, start=START, **SMALL)) == digest(first)
    assert digest(synthesize(seed=12, start=START, **SMALL)) != digest(first)


def test_asking_for_more_needs_leaves_the_members_unchanged() -> None:
    fewer = synthesize(members=300, needs=10, seed=5, start=START)
    more = synthesize(members=300, needs=80, seed=5, start=START)
    assert np.array_equal(fewer.members.id, more.members.id)
    assert np.array_equal(fewer.members.lat, more.members.lat)


@pytest.fixture(scope="module")
def national() -> Network:
    return synthesize(members=6000, needs=3000, seed=1, start=START)


def test_communities_are_small_groups_each_with_one_coordinator(national: Network) -> None:
    communities = national.communities
    assert communities.size.sum() == 6000
    assert (communities.size[:-1] >= 8).all() and (communities.size <= 25).all()
    assert 12 <= communities.size.mean() <= 18
    assert communities.coordinator.max() + 1 == national.coordinators.id.size
    assert national.coordinators.id.size <= communities.id.size
    parents = communities.parent[communities.parent >= 0]
    children = np.flatnonzero(communities.parent >= 0)
    assert children.size > 0 and (parents < children).all()
    assert (communities.city[parents] == communities.city[children]).all()
    assert national.agencies.id.size == round(communities.id.size / 40)


def test_members_live_near_their_community_and_mostly_travel_3_to_15_km(
    national: Network,
) -> None:
    members = national.members
    meeting_lat = national.communities.lat[members.community]
    assert np.median(np.abs(members.lat - meeting_lat)) * 111 < 2.5
    radius = members.max_travel_km
    assert ((radius >= 3) & (radius <= 15)).mean() > 0.75 and radius.max() <= 50
    assert 0.2 < (members.checks & 1).astype(bool).mean() < 0.4
    assert 0.92 < members.active.mean() < 0.98
    stage_share = np.bincount(members.stage, minlength=4) / len(members)
    assert stage_share[0] + stage_share[1] > 0.6 > stage_share[2] + stage_share[3]
    popularity = np.bincount(members.skill[members.skill >= 0], minlength=20)
    assert popularity[0] > 3 * popularity[-1]
    assert set(np.unique(members.level[members.skill >= 0]).tolist()) == {1, 2, 3}
    for document in members.availability_documents:
        for slot in json.loads(document):
            assert slot["start"] < slot["end"]


def test_needs_fill_the_next_four_weeks_with_realistic_windows_and_roles(
    national: Network,
) -> None:
    needs, roles = national.needs, national.roles
    start_s = datetime(START.year, START.month, START.day, tzinfo=UTC).timestamp()
    assert needs.starts_at.min() > start_s
    assert needs.starts_at.max() < start_s + timedelta(days=29).total_seconds()
    duration_h = (needs.ends_at - needs.starts_at) / 3600
    assert duration_h.min() >= 1 and duration_h.max() <= 4
    from_agency = needs.agency >= 0
    assert (from_agency == (needs.community < 0)).all()
    assert 0.10 < from_agency.mean() < 0.20 and needs.open_to_network[from_agency].all()
    assert 0.05 < needs.open_to_network[~from_agency].mean() < 0.15
    roles_per_need = np.bincount(roles.need, minlength=needs.id.size)
    assert roles_per_need.min() >= 1 and roles_per_need.max() <= 3
    assert roles.count.min() >= 1 and roles.count.max() <= 6
    assert (roles.min_level == 1).mean() > 0.8
    assert np.bincount(needs.urgency).argmax() == 1  # "normal"


# --- loading and serving, on both backends ------------------------------------------------


def test_a_generated_network_loads_with_the_counts_asked_for(
    database_url: str, tmp_path: Path
) -> None:
    keys = _generate(database_url, tmp_path)
    assert _count(database_url, Member) == 300
    # Each member's history starts where the API's would: one membership, one stage change.
    joined = (
        Membership.member_id == Member.id,
        Membership.community_id == Member.community_id,
        Membership.joined_at == Member.created_at,
        Membership.left_at.is_(None),
    )
    assert _count(database_url, Membership) == _count(database_url, Membership, *joined) == 300
    first_stage = (
        StageChange.member_id == Member.id,
        StageChange.stage == Member.stage,
        StageChange.changed_at == Member.created_at,
    )
    assert _count(database_url, StageChange) == _count(database_url, StageChange, *first_stage)
    assert _count(database_url, StageChange) == 300
    assert _count(database_url, Need, Need.status == "open") == 40
    assert _count(database_url, NeedRole) >= 40
    assert 15 <= _count(database_url, Community) <= 30
    assert stat.S_IMODE((tmp_path / "keys.json").stat().st_mode) == 0o600
    assert set(keys) == {"admin", "coordinators", "members", "agencies", "needs"}
    assert keys["admin"].startswith("sm_")
    assert all(set(c) == {"key", "id", "community_ids"} for c in keys["coordinators"])
    assert all(set(m) == {"key", "id", "community_id"} for m in keys["members"])
    assert all(set(a) == {"key", "id"} for a in keys["agencies"]) and keys["agencies"]
    assert keys["needs"] and len(set(keys["needs"])) == len(keys["needs"])


def test_the_api_serves_a_generated_network_to_each_role(
    database_url: str, tmp_path: Path, client: TestClient
) -> None:
    keys = _generate(database_url, tmp_path)
    communities = client.get("/v1/communities", headers=auth(keys["admin"]))
    assert communities.status_code == 200
    assert len(communities.json()) == _count(database_url, Community)
    coordinator_of = {
        community: coordinator
        for coordinator in keys["coordinators"]
        for community in coordinator["community_ids"]
    }
    candidates_found = 0
    for need_id in keys["needs"]:
        need = client.get(f"/v1/needs/{need_id}", headers=auth(keys["admin"])).json()
        coordinator = coordinator_of.get(need["community_id"], keys["coordinators"][0])
        response = client.get(f"/v1/needs/{need_id}/candidates", headers=auth(coordinator["key"]))
        assert response.status_code == 200, response.text
        candidates_found += bool(response.json()["candidates"])
    assert candidates_found > 0
    suggested = 0
    for member in keys["members"][:40]:
        response = client.get(
            f"/v1/members/{member['id']}/suggestions", headers=auth(member["key"])
        )
        assert response.status_code == 200, response.text
        suggested += bool(response.json()["suggestions"])
    assert suggested > 0
    agency = keys["agencies"][0]
    assert client.get("/v1/needs", headers=auth(agency["key"])).status_code == 200
    community_id, coordinator = next(iter(coordinator_of.items()))
    health = client.get(
        f"/v1/communities/{community_id}/health", headers=auth(coordinator["key"])
    ).json()
    # Members joined before today, each with a membership and a stage: today's point has them.
    assert health["series"]["points"][-1]["members"] == health["members"]["total"] > 0
    assert health["series"]["points"][-1]["by_stage"] == health["members"]["by_stage"]


def test_loading_leaves_the_schema_exactly_as_migrated(
    database_url: str, tmp_path: Path, backend: str
) -> None:
    before = _schema_objects(database_url, backend)
    _generate(database_url, tmp_path)
    assert _schema_objects(database_url, backend) == before
    command.check(alembic_config(database_url))


def _schema_objects(url: str, backend: str) -> list[tuple[str, ...]]:
    query = (
        "SELECT type, name, sql FROM sqlite_master WHERE name NOT LIKE 'sqlite_%' ORDER BY name"
        if backend == "sqlite"
        else "SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint "
        "WHERE connamespace = 'public'::regnamespace "
        "UNION ALL SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = 'public' "
        "ORDER BY 1, 2"
    )
    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            return [tuple(row) for row in connection.execute(text(query))]
    finally:
        engine.dispose()


def test_a_database_that_already_has_a_network_is_refused_and_left_alone(
    database_url: str, tmp_path: Path
) -> None:
    _generate(database_url, tmp_path)
    with pytest.raises(NetworkExists, match="members"):
        _generate(database_url, tmp_path / "again", seed=4)
    assert _count(database_url, Member) == 300
    assert not (tmp_path / "again" / "keys.json").exists()


# --- the command ----------------------------------------------------------------------------


def test_the_generate_command_loads_a_sqlite_file_then_refuses_to_load_it_twice(
    tmp_path: Path,
) -> None:
    url = f"sqlite:///{tmp_path / 'bench.db'}"
    arguments = ("generate", "--members", "150", "--needs", "12", "--seed", "2")
    done = run_tooling(*arguments, cwd=tmp_path, url=url)
    assert done.returncode == 0, done.stderr
    keys = json.loads((tmp_path / "bench" / "keys.json").read_text())
    assert len(keys["members"]) > 100 and _count(url, Need) == 12
    refused = run_tooling(*arguments, "--keys-out", "other.json", cwd=tmp_path, url=url)
    assert refused.returncode == 1
    assert "already holds" in refused.stderr and not (tmp_path / "other.json").exists()


def test_the_generate_command_takes_an_explicit_database_url_and_start(tmp_path: Path) -> None:
    target = f"sqlite:///{tmp_path / 'explicit.db'}"
    done = run_tooling(
        "generate",
        "--members", "40", "--needs", "5", "--start", "2030-01-07",
        "--database-url", target, "--keys-out", "keys.json",
        cwd=tmp_path,
        url=f"sqlite:///{tmp_path / 'unused.db'}",
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert _count(target, Member) == 40
    engine = create_engine(target)
    with engine.connect() as connection:
        first = connection.scalar(select(func.min(Need.starts_at)))
    engine.dispose()
    assert first is not None and first.date() >= date(2030, 1, 8)
