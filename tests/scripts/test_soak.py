"""The soak script, kept from rotting: a quick run on a tiny network, and invariants that bite.

The quick run is bounded by a small request budget as well as ``--minutes 0.5``; it checks
the run's outcome and report, never its speed.
"""

import json
import subprocess
import sys
import uuid
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from fastapi import FastAPI
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from scripts.soak import invariants
from tests.conftest import POSTGRES_ADMIN_URL, REQUIRE_POSTGIS
from tests.factories import Network, auth, soon

REPOSITORY = Path(__file__).resolve().parents[2]


@pytest.fixture
def soak_url() -> Iterator[str]:
    """A database name for the soak to create (it must contain 'soak'); dropped afterwards."""
    name = f"servematch_soak_test_{uuid.uuid4().hex[:8]}"
    admin = create_engine(POSTGRES_ADMIN_URL, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            connection.execute(text("SELECT 1 FROM pg_available_extensions WHERE name='postgis'"))
    except Exception as error:
        admin.dispose()
        if REQUIRE_POSTGIS:
            pytest.fail(f"REQUIRE_POSTGIS=1 but PostgreSQL is unreachable: {error}")
        pytest.skip(f"PostgreSQL unreachable: {error}")
    yield make_url(POSTGRES_ADMIN_URL).set(database=name).render_as_string(False)
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def test_a_quick_soak_passes_and_reports_requests_invariants_and_memory(
    soak_url: str, tmp_path: Path
) -> None:
    report, summary = tmp_path / "soak.json", tmp_path / "soak.md"
    run = subprocess.run(
        [sys.executable, str(REPOSITORY / "scripts/soak.py"), "--database-url", soak_url,
         "--members", "300", "--needs", "40", "--minutes", "0.5", "--max-requests", "400",
         "--concurrency", "4", "--workers", "1", "--work-dir", str(tmp_path / "work"),
         "--json", str(report), "--markdown", str(summary)],
        capture_output=True,
        text=True,
        timeout=300,
    )  # fmt: skip
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
    figures = json.loads(report.read_text())
    assert figures["passed"] is True
    assert 0 < figures["requests"] <= 400
    assert not any(status.startswith("5") or status == "0" for status in figures["statuses"])
    assert set(figures["operations"]) >= {"suggestions", "need_read", "candidates", "sign_up"}
    assert figures["invariants_after"]["lost_sign_ups"] == 0
    assert 0 < figures["rss_mb"]["start"] <= figures["rss_mb"]["peak"]
    assert "Verdict: **passed**" in summary.read_text()


def test_the_invariants_catch_overfilling_double_booking_and_lost_writes(
    app: FastAPI, database_url: str, network: Network
) -> None:
    community = network.staffed_community()
    starts_at = soon(days=4)
    first, second = (
        network.need(
            community.coordinator_key,
            community_id=community.id,
            starts_at=(starts_at + timedelta(minutes=30 * index)).isoformat(),
            ends_at=(starts_at + timedelta(hours=2)).isoformat(),
        )
        for index in range(2)
    )
    member = community.member
    signup = network.client.post(
        f"/v1/needs/{first['id']}/signups",
        json={"member_id": member["id"], "role": "cook"},
        headers=auth(member["api_key"]),
    ).json()
    clean = invariants.check(database_url, confirmed=[signup["id"]])
    assert clean.violations == {}
    assert clean.confirmed_sign_ups == 1

    with app.state.engine.begin() as connection:  # what a buggy service could leave behind
        role_id = connection.scalar(
            text("SELECT id FROM need_roles WHERE need_id = :need"), {"need": second["id"]}
        )
        connection.execute(
            text(
                "INSERT INTO signups (id, need_id, role_id, member_id, status, created_at)"
                " VALUES (:id, :need, :role, :member, 'confirmed', :now)"
            ),
            {"id": str(uuid.uuid4()), "need": second["id"], "role": role_id,
             "member": member["id"], "now": starts_at},
        )  # fmt: skip
    broken = invariants.check(
        database_url, confirmed=[signup["id"], str(uuid.uuid4())], withdrawn=[signup["id"]]
    )
    assert broken.violations == {
        "roles_filled_mismatch": 1,
        "double_bookings": 1,
        "lost_sign_ups": 1,
        "lost_withdrawals": 1,
    }
