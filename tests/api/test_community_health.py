"""A community's health over time: what a coordinator reads month by month (or week by week)
in ``series`` of ``GET /v1/communities/{id}/health``."""

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from itertools import count, pairwise
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import update

from api.db.models import Member, Membership, Need, StageChange
from tests.factories import Network, Staffed, auth, soon

LONDON = ZoneInfo("Europe/London")
_days = count(3)


def _london(month: int, day: int, hour: int = 0) -> datetime:
    return datetime(2026, month, day, hour, tzinfo=LONDON)


def _z(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


def _joined(app: FastAPI, member: dict[str, Any], at: datetime) -> None:
    """Move a member's joining (membership, first stage, creation) back to ``at``."""
    with app.state.sessionmaker.begin() as session:
        session.execute(
            update(Membership).where(Membership.member_id == member["id"]).values(joined_at=at)
        )
        session.execute(
            update(StageChange).where(StageChange.member_id == member["id"]).values(changed_at=at)
        )
        session.execute(update(Member).where(Member.id == member["id"]).values(created_at=at))


def _left(app: FastAPI, member: dict[str, Any], at: datetime) -> None:
    """Close the member's membership at ``at`` (as a move to another community does)."""
    with app.state.sessionmaker.begin() as session:
        session.execute(
            update(Membership).where(Membership.member_id == member["id"]).values(left_at=at)
        )


def _served(
    app: FastAPI, network: Network, home: Staffed, members: list[dict[str, Any]], at: datetime
) -> None:
    """A two-hour need starting at ``at`` in which ``members`` held confirmed places (signed up
    on a future need, then moved into the past: sign-ups cannot be taken there)."""
    day = soon(days=next(_days), hour=15)
    need = network.need(
        home.coordinator_key,
        community_id=home.id,
        starts_at=day.isoformat(),
        ends_at=(day + timedelta(hours=2)).isoformat(),
        roles=[{"name": "cook", "skill": "cooking", "count": len(members)}],
    )
    for member in members:
        response = network.client.post(
            f"/v1/needs/{need['id']}/signups",
            json={"member_id": member["id"], "role": "cook"},
            headers=auth(home.coordinator_key),
        )
        assert response.status_code == 201, response.text
    with app.state.sessionmaker.begin() as session:
        session.execute(
            update(Need)
            .where(Need.id == need["id"])
            .values(starts_at=at, ends_at=at + timedelta(hours=2))
        )


@pytest.fixture
def story(app: FastAPI, client: TestClient, network: Network) -> Iterator[Staffed]:
    """January to March 2026 in a London community.

    Eve joins 5 Jan and moves away 20 Feb; Ana (mature) 10 Jan; Ben (new) 20 Jan, made
    growing 15 Feb; Cy (new) 5 Feb; Dee (new) 3 Mar. Ben serves beside Ana on 25 Jan; Cy
    serves alone on 10 Mar. The coordinator's first member joins today, after the window.
    """
    home = network.staffed_community(timezone="Europe/London")
    joins = {
        "Eve": ("new", _london(1, 5, 9)),
        "Ana": ("mature", _london(1, 10, 9)),
        "Ben": ("new", _london(1, 20, 9)),
        "Cy": ("new", _london(2, 5, 9)),
        "Dee": ("new", _london(3, 3, 9)),
    }
    people = {}
    for name, (stage, at) in joins.items():
        people[name] = network.member(home.id, name=name, stage=stage)
        _joined(app, people[name], at)
    _left(app, people["Eve"], _london(2, 20, 12))
    client.patch(
        f"/v1/members/{people['Ben']['id']}",
        json={"stage": "growing"},
        headers=auth(home.coordinator_key),
    ).raise_for_status()
    with app.state.sessionmaker.begin() as session:
        session.execute(
            update(StageChange)
            .where(StageChange.member_id == people["Ben"]["id"], StageChange.stage == "growing")
            .values(changed_at=_london(2, 15, 12))
        )
    _served(app, network, home, [people["Ana"], people["Ben"]], _london(1, 25, 10))
    _served(app, network, home, [people["Cy"]], _london(3, 10, 10))
    yield home


def _series(client: TestClient, home: Staffed, **params: str) -> Any:
    response = client.get(
        f"/v1/communities/{home.id}/health", params=params, headers=auth(home.coordinator_key)
    )
    assert response.status_code == 200, response.text
    return response.json()["series"]


def _stages(new: int = 0, growing: int = 0, mature: int = 0, leader: int = 0) -> dict[str, int]:
    return {"new": new, "growing": growing, "mature": mature, "leader": leader}


def test_each_month_counts_members_at_its_end_and_what_happened_in_it(
    client: TestClient, story: Staffed
) -> None:
    series = _series(
        client, story, **{"from": _london(1, 1).isoformat(), "to": _london(4, 1).isoformat()}
    )

    assert series["interval"] == "month"
    assert (series["from"], series["to"]) == (_z(_london(1, 1)), _z(_london(4, 1)))
    january, february, march = series["points"]
    # London's clocks go forward on 29 March: April begins at 23:00 UTC on 31 March.
    assert [(p["start"], p["end"]) for p in series["points"]] == [
        (_z(_london(1, 1)), _z(_london(2, 1))),
        (_z(_london(2, 1)), _z(_london(3, 1))),
        (_z(_london(3, 1)), "2026-03-31T23:00:00Z"),
    ]
    assert january == {
        "start": january["start"],
        "end": january["end"],
        "members": 3,
        "by_stage": _stages(new=2, mature=1),
        "joined": 3,
        "left": 0,
        "served_members": 2,
        "service_hours": 4.0,
        "places_filled": 2,
        "new_served": 1,
        "new_served_with_mature": 1,
        "stage_changes": [],
    }
    assert february == {
        "start": february["start"],
        "end": february["end"],
        "members": 3,
        "by_stage": _stages(new=1, growing=1, mature=1),
        "joined": 1,
        "left": 1,
        "served_members": 0,
        "service_hours": 0.0,
        "places_filled": 0,
        "new_served": 0,
        "new_served_with_mature": 0,
        "stage_changes": [{"from_stage": "new", "to_stage": "growing", "count": 1}],
    }
    assert march == {
        "start": march["start"],
        "end": march["end"],
        "members": 4,
        "by_stage": _stages(new=2, growing=1, mature=1),
        "joined": 1,
        "left": 0,
        "served_members": 1,
        "service_hours": 2.0,
        "places_filled": 1,
        "new_served": 1,
        "new_served_with_mature": 0,
        "stage_changes": [],
    }


def test_weeks_run_from_monday_and_the_ends_are_cut_at_from_and_to(
    client: TestClient, story: Staffed
) -> None:
    start, end = _london(2, 4), _london(2, 25)  # a Wednesday to a Wednesday

    series = _series(
        client, story, interval="week", **{"from": start.isoformat(), "to": end.isoformat()}
    )

    points = series["points"]
    cuts = [_z(day) for day in (start, _london(2, 9), _london(2, 16), _london(2, 23), end)]
    assert [(p["start"], p["end"]) for p in points] == list(pairwise(cuts))
    assert [p["joined"] for p in points] == [1, 0, 0, 0]  # Cy, 5 Feb
    assert [p["left"] for p in points] == [0, 0, 1, 0]  # Eve, 20 Feb
    assert [p["members"] for p in points] == [4, 4, 3, 3]
    assert [p["by_stage"]["growing"] for p in points] == [0, 1, 1, 1]
    assert [len(p["stage_changes"]) for p in points] == [0, 1, 0, 0]  # Ben, 15 Feb


def test_by_default_twelve_months_end_now(client: TestClient, story: Staffed) -> None:
    series = _series(client, story)

    points = series["points"]
    assert len(points) == 12
    first = datetime.fromisoformat(points[0]["start"]).astimezone(LONDON)
    assert (first.day, first.hour, first.minute) == (1, 0, 0)
    assert datetime.fromisoformat(series["to"]) <= datetime.now(UTC)
    assert datetime.now(UTC) - datetime.fromisoformat(series["to"]) < timedelta(minutes=1)
    assert sum(point["places_filled"] for point in points) == 3
    assert points[-1]["members"] == 5  # Ana, Ben, Cy, Dee and the member who joined today


def test_the_90_day_figures_are_still_there(client: TestClient, story: Staffed) -> None:
    response = client.get(f"/v1/communities/{story.id}/health", headers=auth(story.coordinator_key))

    body = response.json()
    assert {"community_id", "as_of", "window_days", "members", "confirmed_signups"} <= set(body)
    assert {"service_hours", "upcoming_signups", "series"} <= set(body)
    assert body["members"]["total"] == 6  # Eve moved away only in her memberships


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"from": "2026-03-01T00:00:00Z", "to": "2026-03-01T00:00:00Z"}, "to"),
        ({"from": "2026-03-01T00:00:00Z", "to": "2026-02-01T00:00:00Z"}, "to"),
        ({"from": "2020-01-01T00:00:00Z", "to": "2026-01-01T00:00:00Z"}, "from"),
        (
            {"from": "2025-01-01T00:00:00Z", "to": "2026-03-01T00:00:00Z", "interval": "week"},
            "from",
        ),
        ({"interval": "year"}, "interval"),
        ({"from": "last tuesday"}, "from"),
    ],
)
def test_a_window_it_cannot_draw_is_a_422_naming_the_field(
    client: TestClient, network: Network, params: dict[str, str], field: str
) -> None:
    home = network.staffed_community()

    response = client.get(
        f"/v1/communities/{home.id}/health", params=params, headers=auth(home.coordinator_key)
    )

    assert response.status_code == 422, response.text
    assert response.json()["detail"][0]["loc"][:2] == ["query", field]


def test_sixty_months_is_the_most_a_series_draws(client: TestClient, network: Network) -> None:
    home = network.staffed_community(timezone="Europe/London")
    start = _london(1, 1)

    series = _series(
        client,
        home,
        **{"from": start.isoformat(), "to": start.replace(year=start.year + 5).isoformat()},
    )

    assert len(series["points"]) == 60


def test_only_the_communitys_coordinators_and_admins_read_its_series(
    client: TestClient, network: Network, admin_key: str
) -> None:
    home, other = network.staffed_community(), network.staffed_community()
    path = f"/v1/communities/{home.id}/health"
    params = {"interval": "week"}

    assert client.get(path, params=params, headers=auth(admin_key)).status_code == 200
    assert client.get(path, params=params, headers=auth(other.coordinator_key)).status_code == 404
    assert client.get(path, params=params, headers=auth(home.member_key)).status_code == 403


def test_an_erasure_today_leaves_the_past_points_as_they_were(
    client: TestClient, story: Staffed
) -> None:
    window = {"from": _london(1, 1).isoformat(), "to": _london(4, 1).isoformat()}
    before = _series(client, story, **window)
    ana = next(
        member
        for member in client.get(
            f"/v1/communities/{story.id}/members", headers=auth(story.coordinator_key)
        ).json()["items"]
        if member["name"] == "Ana"
    )

    client.delete(
        f"/v1/members/{ana['id']}", headers=auth(story.coordinator_key)
    ).raise_for_status()

    assert _series(client, story, **window) == before
    today = _series(client, story)["points"][-1]
    assert today["members"] == 4 and today["by_stage"]["mature"] == 0


def test_a_place_counts_for_the_community_its_member_belonged_to_when_the_need_ended(
    app: FastAPI, client: TestClient, network: Network
) -> None:
    home = network.staffed_community(timezone="Europe/London")
    away = network.staffed_community(timezone="Europe/London")
    newcomer = network.member(home.id, stage="new")
    seasoned = network.member(away.id, stage="leader")
    for member in (newcomer, seasoned):
        _joined(app, member, _london(1, 2))
    # One need of home's, served by its new member beside a leader of another community.
    day = soon(days=next(_days), hour=15)
    need = network.need(
        home.coordinator_key,
        community_id=home.id,
        open_to_network=True,
        starts_at=day.isoformat(),
        ends_at=(day + timedelta(hours=3)).isoformat(),
    )
    for member, key in ((newcomer, home.coordinator_key), (seasoned, away.coordinator_key)):
        response = client.post(
            f"/v1/needs/{need['id']}/signups",
            json={"member_id": member["id"], "role": "cook"},
            headers=auth(key),
        )
        assert response.status_code == 201, response.text
    start = _london(1, 20, 10)
    with app.state.sessionmaker.begin() as session:
        session.execute(
            update(Need)
            .where(Need.id == need["id"])
            .values(starts_at=start, ends_at=start + timedelta(hours=3))
        )
    window = {"from": _london(1, 1).isoformat(), "to": _london(2, 1).isoformat()}

    (at_home,) = _series(client, home, **window)["points"]
    (abroad,) = _series(client, away, **window)["points"]

    assert (at_home["places_filled"], at_home["service_hours"]) == (1, 3.0)
    assert (at_home["new_served"], at_home["new_served_with_mature"]) == (1, 1)
    assert (abroad["places_filled"], abroad["service_hours"], abroad["new_served"]) == (1, 3.0, 0)
