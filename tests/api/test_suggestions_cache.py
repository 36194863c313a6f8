"""Suggestions come from each worker's cache of open needs, yet always show needs as they are.

Every test asks once to fill the cache, changes something as a coordinator or a member would,
and asks again: the answer must be what an empty cache would give.
"""

from datetime import timedelta
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from api.auth.principal import Principal
from api.db.types import utcnow
from api.matching import repository, service
from api.matching.need_cache import NeedCache
from tests.factories import Network, auth, soon

BRISTOL = {"lat": 51.4545, "lon": -2.5879}
NEAR = {"lat": 51.46, "lon": -2.59}
FAR = {"lat": 51.75, "lon": -2.59}  # ~33 km away: outside a 10 km radius


def _world(network: Network) -> tuple[str, str]:
    community = network.community(meeting_point=BRISTOL)
    return community["id"], network.coordinator(community["id"])["api_key"]


def _suggestions(client: TestClient, member: dict[str, Any]) -> list[dict[str, Any]]:
    response = client.get(
        f"/v1/members/{member['id']}/suggestions", headers=auth(member["api_key"])
    )
    assert response.status_code == 200, response.text
    found: list[dict[str, Any]] = response.json()["suggestions"]
    return found


def _edit(client: TestClient, key: str, need_id: str, **changes: Any) -> None:
    response = client.patch(f"/v1/needs/{need_id}", json=changes, headers=auth(key))
    assert response.status_code == 200, response.text


def _sign_up(client: TestClient, member: dict[str, Any], need_id: str, role: str) -> None:
    response = client.post(
        f"/v1/needs/{need_id}/signups",
        json={"member_id": member["id"], "role": role},
        headers=auth(member["api_key"]),
    )
    assert response.status_code == 201, response.text


def test_an_edited_need_is_suggested_as_it_now_is(client: TestClient, network: Network) -> None:
    community_id, key = _world(network)
    member = network.member(community_id, home=NEAR)
    need = network.need(key, community_id=community_id, title="Soup run")
    (before,) = _suggestions(client, member)
    assert before["title"] == "Soup run"

    later = soon(days=5, hour=9)
    _edit(
        client,
        key,
        need["id"],
        title="Soup run (moved)",
        starts_at=later.isoformat(),
        ends_at=(later + timedelta(hours=3)).isoformat(),
        location={"lat": 51.47, "lon": -2.6},
        urgency="high",
    )
    (after,) = _suggestions(client, member)
    assert after["title"] == "Soup run (moved)" and after["urgency"] == "high"
    assert after["starts_at"].startswith(later.isoformat()[:16])
    assert after["distance_km"] != before["distance_km"]

    _edit(client, key, need["id"], location=FAR)
    assert _suggestions(client, member) == []


def test_a_role_edited_alone_changes_who_is_suggested(client: TestClient, network: Network) -> None:
    # Editing only a need's roles leaves the need's own row, and its updated_at, as it was.
    community_id, key = _world(network)
    cook = network.member(community_id, home=NEAR, skills={"cooking": 2})
    need = network.need(
        key, community_id=community_id, roles=[{"name": "cook", "skill": "cooking", "count": 2}]
    )
    assert [s["need_id"] for s in _suggestions(client, cook)] == [need["id"]]
    _edit(client, key, need["id"], roles=[{"name": "cook", "skill": "driving", "count": 2}])
    assert _suggestions(client, cook) == []
    _edit(client, key, need["id"], roles=[{"name": "helper", "count": 2}])
    assert [s["role"] for s in _suggestions(client, cook)] == ["helper"]


def test_a_role_filled_by_someone_else_is_no_longer_suggested(
    client: TestClient, network: Network
) -> None:
    community_id, key = _world(network)
    me = network.member(community_id, home=NEAR, skills={"cooking": 3})
    other = network.member(community_id, home=NEAR, skills={"cooking": 3})
    need = network.need(
        key,
        community_id=community_id,
        roles=[
            {"name": "cook", "skill": "cooking", "min_level": 2, "count": 1},
            {"name": "helper", "count": 3},
        ],
    )
    assert [s["role"] for s in _suggestions(client, me)] == ["cook"]
    _sign_up(client, other, need["id"], "cook")
    assert [s["role"] for s in _suggestions(client, me)] == ["helper"]


def test_who_signed_up_counts_at_once(client: TestClient, network: Network) -> None:
    # A mature member signing up changes a new member's mentoring score, not the need's row.
    community_id, key = _world(network)
    newcomer = network.member(community_id, home=NEAR, stage="new")
    mentor = network.member(community_id, home=NEAR, stage="mature")
    need = network.need(key, community_id=community_id)
    (alone,) = _suggestions(client, newcomer)
    _sign_up(client, mentor, need["id"], "cook")
    (mentored,) = _suggestions(client, newcomer)
    assert mentored["components"]["mentoring"] > alone["components"]["mentoring"]
    assert mentored["score"] > alone["score"]


def test_a_cancelled_need_drops_out(client: TestClient, network: Network) -> None:
    community_id, key = _world(network)
    member = network.member(community_id, home=NEAR)
    kept = network.need(key, community_id=community_id, title="Kept")
    cancelled = network.need(key, community_id=community_id, title="Cancelled")
    assert {s["need_id"] for s in _suggestions(client, member)} == {kept["id"], cancelled["id"]}
    response = client.post(f"/v1/needs/{cancelled['id']}/cancel", headers=auth(key))
    assert response.status_code == 200, response.text
    assert [s["need_id"] for s in _suggestions(client, member)] == [kept["id"]]


def _ranked(app: FastAPI, member: dict[str, Any], cache: NeedCache | None) -> Any:
    """Suggestions through ``cache``; None: a fresh, empty one (every need read afresh)."""
    with app.state.sessionmaker() as session:
        return service.suggestions(
            session,
            principal=Principal(role="admin", id=None, community_ids=frozenset()),
            member_id=member["id"],
            limit=50,
            now=NOW_FOR_COMPARISON,
            weights=app.state.settings.weight,
            text_models=app.state.text_models,
            need_cache=NeedCache(max_needs=repository.SUGGESTION_NEEDS_MAX)
            if cache is None
            else cache,
        ).model_dump()


NOW_FOR_COMPARISON = utcnow()


def test_a_warm_cache_ranks_exactly_as_an_empty_one(
    app: FastAPI, client: TestClient, network: Network
) -> None:
    community_id, key = _world(network)
    members = [
        network.member(community_id, home=NEAR, stage=stage, skills=skills)
        for stage, skills in (("new", {"cooking": 1}), ("mature", {"cooking": 3, "driving": 2}))
    ]
    agency_key = network.agency()["api_key"]
    needs = [
        network.need(key, community_id=community_id, title="Meals", urgency="high"),
        network.need(
            key,
            community_id=community_id,
            title="Lifts to the clinic",
            category="transport",
            roles=[
                {"name": "driver", "skill": "driving", "count": 1},
                {"name": "buddy", "count": 1},
            ],
        ),
        network.need(agency_key, title="Sort donations", roles=[{"name": "sorter", "count": 4}]),
        network.need(key, community_id=community_id, title="Tidy the park", location=FAR),
    ]
    warm = NeedCache(max_needs=100)
    for member in members:
        assert _ranked(app, member, warm) == _ranked(app, member, None)

    _edit(client, key, needs[0]["id"], title="Meals for two families", description="twins")
    _edit(client, key, needs[1]["id"], roles=[{"name": "driver", "count": 2}])
    _edit(client, key, needs[3]["id"], location=NEAR)
    _sign_up(client, members[1], needs[2]["id"], "sorter")
    for member in members:
        assert _ranked(app, member, warm) == _ranked(app, member, None)
        assert _ranked(app, member, NeedCache(max_needs=1)) == _ranked(app, member, None)


def test_a_second_ask_reads_no_need_again_and_the_cache_stays_bounded(
    app: FastAPI, client: TestClient, network: Network, monkeypatch: pytest.MonkeyPatch
) -> None:
    community_id, key = _world(network)
    member = network.member(community_id, home=NEAR)
    needs = [network.need(key, community_id=community_id, title=f"Need {n}") for n in range(3)]
    read: list[str] = []
    need_rows_by_id = repository.need_rows_by_id

    def counted(session: Any, need_ids: Any) -> Any:
        read.extend(need_ids)
        return need_rows_by_id(session, need_ids)

    monkeypatch.setattr(repository, "need_rows_by_id", counted)
    first = _suggestions(client, member)
    assert sorted(read) == sorted(need["id"] for need in needs)
    read.clear()
    assert _suggestions(client, member) == first
    assert read == []
    _edit(client, key, needs[1]["id"], title="Need 1, edited")
    assert {s["title"] for s in _suggestions(client, member)} == {
        "Need 0",
        "Need 1, edited",
        "Need 2",
    }
    assert read == [needs[1]["id"]]

    small = NeedCache(max_needs=2)
    _ranked(app, member, small)
    assert len(small) == 2
