"""The load report: who carries a community's service, month by month, and how evenly."""

from datetime import UTC, datetime, timedelta
from itertools import count
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import update

from api.db.models import Need
from api.db.types import utcnow
from tests.factories import Network, Staffed, auth, soon

_days = count(3)
ROOMY = 62
"""A monthly limit no test reaches while signing up; lowered afterwards where it matters."""


def _placed(
    app: FastAPI, network: Network, home: Staffed, member: dict[str, Any], starts_at: datetime
) -> dict[str, Any]:
    """A confirmed place of ``member`` in a need that starts at ``starts_at``.

    The sign-up goes through the API on a need at a free future hour; the need is then moved
    to ``starts_at`` (needs cannot be posted in the past, nor sign-ups taken there)."""
    day = soon(days=next(_days), hour=15)
    need = network.need(
        home.coordinator_key,
        community_id=home.id,
        starts_at=day.isoformat(),
        ends_at=(day + timedelta(hours=2)).isoformat(),
    )
    signup = network.client.post(
        f"/v1/needs/{need['id']}/signups",
        json={"member_id": member["id"], "role": "cook"},
        headers=auth(home.coordinator_key),
    )
    assert signup.status_code == 201, signup.text
    with app.state.sessionmaker.begin() as session:
        session.execute(
            update(Need)
            .where(Need.id == need["id"])
            .values(starts_at=starts_at, ends_at=starts_at + timedelta(hours=2))
        )
    return {"need": need, "signup": signup.json()}


def _load(client: TestClient, home: Staffed, **window: datetime) -> Any:
    params = {name.rstrip("_"): moment.isoformat() for name, moment in window.items()}
    response = client.get(
        f"/v1/communities/{home.id}/load", params=params, headers=auth(home.coordinator_key)
    )
    assert response.status_code == 200, response.text
    return response.json()


def _by_id(report: Any) -> dict[str, Any]:
    return {member["member_id"]: member for member in report["members"]}


def test_places_count_in_the_window_they_start_in_and_the_spread_is_measured(
    app: FastAPI, client: TestClient, network: Network
) -> None:
    home = network.staffed_community()
    ana, ben, cy, gone = (
        network.member(home.id, name=name, max_commitments_per_month=ROOMY)
        for name in ("Ana", "Ben", "Cy", "Dee")
    )
    start = soon(days=60, hour=0)
    end = start + timedelta(days=10)
    for moment in (start, end - timedelta(minutes=1), end, start - timedelta(minutes=1)):
        _placed(app, network, home, ana, moment)
    _placed(app, network, home, ben, start + timedelta(days=1))
    withdrawn = _placed(app, network, home, cy, start + timedelta(days=2))
    client.delete(
        f"/v1/needs/{withdrawn['need']['id']}/signups/{withdrawn['signup']['id']}",
        headers=auth(home.coordinator_key),
    ).raise_for_status()
    _placed(app, network, home, gone, start + timedelta(days=3))
    client.patch(
        f"/v1/members/{gone['id']}", json={"active": False}, headers=auth(home.coordinator_key)
    ).raise_for_status()

    report = _load(client, home, from_=start, to=end)

    assert report["community_id"] == home.id
    assert (report["from"], report["to"]) == (
        start.isoformat().replace("+00:00", "Z"),
        end.isoformat().replace("+00:00", "Z"),
    )
    listed = [(m["member_id"], m["confirmed"], m["invited"]) for m in report["members"]]
    assert listed == [
        (ana["id"], 2, 0),
        (ben["id"], 1, 0),
        (cy["id"], 0, 0),
        (home.member["id"], 0, 0),
    ]
    assert report["active_members"] == 4
    assert report["gini"] == pytest.approx(7 / 12)  # loads 2, 1, 0, 0
    assert report["share_served"] == 0.5
    first = report["members"][0]
    assert (first["name"], first["stage"], first["monthly_limit"]) == ("Ana", "new", ROOMY)
    assert not any(member["over_limit"] for member in report["members"])


def test_over_limit_counts_whole_calendar_months_in_the_communitys_time_zone(
    app: FastAPI, client: TestClient, network: Network
) -> None:
    zone = ZoneInfo("America/New_York")
    home = network.staffed_community(timezone=zone.key)
    later = soon(days=70).astimezone(zone)
    month_start = datetime(later.year, later.month, 1, tzinfo=zone)
    month_end = (month_start + timedelta(days=32)).replace(day=1)  # the boundary, local midnight
    boundary = month_end.astimezone(UTC)
    evening = datetime(boundary.year, boundary.month, 1, 2, tzinfo=UTC)  # last evening, locally
    before, after = boundary - timedelta(days=2), boundary + timedelta(days=2)
    early = (month_start + timedelta(days=1, hours=12)).astimezone(UTC)  # before the window
    straddles, late_evening, whole_month = (
        network.member(home.id, max_commitments_per_month=ROOMY) for _ in range(3)
    )
    placements = {
        straddles["id"]: (before, after),  # one place each side: within a limit of 1
        late_evening["id"]: (before, evening),  # both in the first month, locally
        whole_month["id"]: (early, before),  # one before the window, in the same month
    }
    members = {m["id"]: m for m in (straddles, late_evening, whole_month)}
    for member_id, moments in placements.items():
        for moment in moments:
            _placed(app, network, home, members[member_id], moment)
        client.patch(
            f"/v1/members/{member_id}",
            json={"max_commitments_per_month": 1},
            headers=auth(home.coordinator_key),
        ).raise_for_status()

    report = _by_id(
        _load(client, home, from_=boundary - timedelta(days=5), to=boundary + timedelta(days=5))
    )

    assert report[straddles["id"]]["confirmed"] == 2
    assert report[straddles["id"]]["over_limit"] is False
    assert report[late_evening["id"]]["over_limit"] is True
    assert report[whole_month["id"]]["confirmed"] == 1
    assert report[whole_month["id"]]["over_limit"] is True
    assert report[home.member["id"]]["over_limit"] is False


def test_days_since_last_served_reads_the_latest_need_over_and_the_window_defaults_to_28_days(
    app: FastAPI, client: TestClient, network: Network
) -> None:
    home = network.staffed_community()
    served, booked = (network.member(home.id, max_commitments_per_month=ROOMY) for _ in range(2))
    now = utcnow()
    _placed(app, network, home, served, now - timedelta(days=3, hours=3))  # ended 3 d 1 h ago
    _placed(app, network, home, served, now - timedelta(days=10))
    _placed(app, network, home, booked, now + timedelta(days=27))
    _placed(app, network, home, booked, now + timedelta(days=29))

    report = _load(client, home)
    members = _by_id(report)

    window = datetime.fromisoformat(report["to"]) - datetime.fromisoformat(report["from"])
    assert window == timedelta(days=28)
    assert now <= datetime.fromisoformat(report["from"]) <= utcnow()
    assert members[served["id"]]["days_since_last_served"] == 3
    assert members[served["id"]]["confirmed"] == 0
    assert members[booked["id"]]["days_since_last_served"] is None
    assert members[booked["id"]]["confirmed"] == 1
    assert members[home.member["id"]]["days_since_last_served"] is None
    assert report["share_served"] == pytest.approx(1 / 3)


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ({"from": "2030-06-10T00:00:00Z", "to": "2030-06-10T00:00:00Z"}, "to"),
        ({"from": "2030-06-10T00:00:00Z", "to": "2030-06-01T00:00:00Z"}, "to"),
        ({"from": "2030-01-01T00:00:00Z", "to": "2031-01-02T00:00:01Z"}, "to"),
        ({"from": "1900000000"}, "from"),
        ({"from": "2030-06-10T00:00:00"}, "from"),
        ({"to": "2200-01-01T00:00:00Z"}, "to"),
    ],
    ids=["empty", "backwards", "over 366 days", "unix seconds", "no zone", "beyond the years"],
)
def test_a_window_that_is_not_one_is_refused_naming_the_field(
    client: TestClient, network: Network, query: dict[str, str], field: str
) -> None:
    home = network.staffed_community()

    response = client.get(
        f"/v1/communities/{home.id}/load", params=query, headers=auth(home.coordinator_key)
    )

    assert response.status_code == 422, response.text
    assert response.json()["detail"][0]["loc"][:2] == ["query", field]


def test_only_the_communitys_coordinators_and_admins_read_its_load(
    client: TestClient, network: Network
) -> None:
    home, other = network.staffed_community(), network.staffed_community()
    path = f"/v1/communities/{home.id}/load"

    assert client.get(path, headers=auth(network.admin_key)).status_code == 200
    assert client.get(path, headers=auth(other.coordinator_key)).status_code == 404
    assert client.get(path, headers=auth(home.member_key)).status_code == 403
    assert client.get(path, headers=auth(network.agency()["api_key"])).status_code == 403
