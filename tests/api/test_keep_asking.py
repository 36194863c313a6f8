"""A team or batch sent with ``keep_asking: true`` (or a need PATCHed to it) asks again by
itself: when a place is given back — declined, expired, withdrawn — the sweep invites the
next members never asked for the need, on behalf of whoever turned it on."""

from datetime import datetime, timedelta
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import update

from api.db.models import Signup
from api.sweep import sweep_once
from tests.api.team_need import Need
from tests.factories import Network, auth, soon


def _three_cooks(client: TestClient, network: Network, **need: Any) -> Need:
    """A one-cook need and three mature cooks, best first by level."""
    need_ = Need(client, network, **need)
    for level in (3, 2, 1):
        need_.member(cooking=level)
    return need_


def _sweep(app: FastAPI) -> None:
    sweep_once(app.state.sessionmaker, asking=app.state.asking)


def _invitations(need: Need) -> list[dict[str, Any]]:
    """Every invitation on the need, as the members' coordinator reads their sign-ups."""
    found = []
    for member_id in need.members:
        listed = need.client.get(f"/v1/members/{member_id}/signups", headers=auth(need.key))
        assert listed.status_code == 200, listed.text
        found += [s for s in listed.json()["items"] if s["need_id"] == need.need["id"]]
    return found


def _pending(need: Need) -> list[str]:
    return [s["member_id"] for s in _invitations(need) if s["status"] == "invited"]


def _level(need: Need, member_id: str) -> int:
    return int(need.members[member_id]["skills"]["cooking"])


def _keeps_asking(need: Need) -> bool:
    got = need.client.get(f"/v1/needs/{need.need['id']}", headers=auth(need.key))
    return bool(got.json()["keep_asking"])


def test_each_no_is_followed_by_the_next_members_invitation(
    app: FastAPI, client: TestClient, network: Network
) -> None:
    need = _three_cooks(client, network)
    assert not _keeps_asking(need)
    (first,) = need.send(keep_asking=True)["invitations"]
    assert _keeps_asking(need)
    assert _level(need, first["member_id"]) == 3
    asked = [first["member_id"]]
    for level in (2, 1):
        assert (
            need.answer(_invitation_of(need, asked[-1]), "decline", reason="busy").status_code
            == 200
        )
        assert need.places() == (0, 0, 1)
        _sweep(app)
        (pending,) = _pending(need)
        assert pending not in asked, "nobody is asked twice"
        assert _level(need, pending) == level, "the next best"
        assert need.places() == (0, 1, 1)
        asked.append(pending)
    assert need.answer(_invitation_of(need, asked[-1]), "decline", reason="busy").status_code == 200
    _sweep(app)
    assert _pending(need) == [], "everyone was asked: nobody is asked again"
    assert need.places() == (0, 0, 1)
    assert (
        client.get(f"/v1/needs/{need.need['id']}", headers=auth(need.key)).json()["status"]
        == "open"
    )


def _invitation_of(need: Need, member_id: str) -> dict[str, Any]:
    (found,) = [s for s in _invitations(need) if s["member_id"] == member_id]
    return found


def test_an_expired_invitation_is_asked_again(
    app: FastAPI, client: TestClient, network: Network
) -> None:
    need = _three_cooks(client, network)
    (first,) = need.send(keep_asking=True)["invitations"]
    with app.state.sessionmaker.begin() as session:
        session.execute(
            update(Signup)
            .where(Signup.id == first["id"])
            .values(expires_at=datetime.now().astimezone() - timedelta(minutes=1))
        )
    _sweep(app)
    assert need.status(first) == "expired"
    (pending,) = _pending(need)
    assert _level(need, pending) == 2
    assert need.places() == (0, 1, 1)


def test_a_withdrawn_invitation_and_a_cancelled_place_are_asked_again(
    app: FastAPI, client: TestClient, network: Network
) -> None:
    need = _three_cooks(client, network)
    (first,) = need.send(keep_asking=True)["invitations"]
    taken_back = client.delete(
        f"/v1/needs/{need.need['id']}/signups/{first['id']}", headers=auth(need.key)
    )
    assert taken_back.status_code == 204
    _sweep(app)
    (second,) = _pending(need)
    assert need.answer(_invitation_of(need, second), "accept").status_code == 200
    assert need.places() == (1, 0, 1)
    _sweep(app)
    assert _pending(need) == [], "nothing given back, nothing asked"
    cancelled = client.delete(
        f"/v1/needs/{need.need['id']}/signups/{_invitation_of(need, second)['id']}",
        headers=auth(need.members[second]["api_key"]),
    )
    assert cancelled.status_code == 204
    _sweep(app)
    (third,) = _pending(need)
    assert third not in (first["member_id"], second)


def test_without_keep_asking_a_no_waits_for_the_coordinator(
    app: FastAPI, client: TestClient, network: Network
) -> None:
    need = _three_cooks(client, network)
    (first,) = need.send()["invitations"]
    assert need.answer(first, "decline", reason="busy").status_code == 200
    _sweep(app)
    assert _pending(need) == []
    assert need.places() == (0, 0, 1)


def test_a_patch_turns_keep_asking_on_and_off(
    app: FastAPI, client: TestClient, network: Network
) -> None:
    need = _three_cooks(client, network)
    url = f"/v1/needs/{need.need['id']}"
    on = client.patch(url, json={"keep_asking": True}, headers=auth(need.key))
    assert on.status_code == 200, on.text
    assert on.json()["keep_asking"] is True
    _sweep(app)
    (first,) = _pending(need)
    assert _level(need, first) == 3, "the open place is asked for at once"
    off = client.patch(url, json={"keep_asking": False}, headers=auth(need.key))
    assert off.json()["keep_asking"] is False
    assert need.answer(_invitation_of(need, first), "decline", reason="busy").status_code == 200
    _sweep(app)
    assert _pending(need) == []
    refused = client.patch(url, json={"keep_asking": "please"}, headers=auth(need.key))
    assert refused.status_code == 422
    assert "keep_asking" in refused.text


def test_a_batch_sent_with_keep_asking_keeps_asking_on_its_needs(
    app: FastAPI, client: TestClient, network: Network
) -> None:
    need = _three_cooks(client, network)
    sent = client.post(
        "/v1/match/batch",
        json={
            "community_id": need.community["id"],
            "from": soon(days=1).isoformat(),
            "to": soon(days=5).isoformat(),
            "commit": True,
            "keep_asking": True,
        },
        headers=auth(need.key),
    )
    assert sent.status_code == 201, sent.text
    (first,) = sent.json()["invitations"]
    assert _keeps_asking(need)
    assert need.answer(first, "decline", reason="busy").status_code == 200
    _sweep(app)
    (second,) = _pending(need)
    assert second != first["member_id"]


def test_a_need_asked_with_standby_is_asked_again_with_standby(
    app: FastAPI, client: TestClient, network: Network
) -> None:
    need = _three_cooks(client, network)
    need.member(cooking=1)
    body = need.send(standby=True, keep_asking=True)
    (holder,), (standby,) = body["invitations"], body["standby_invitations"]
    assert need.answer(standby, "decline", reason="busy").status_code == 200
    _sweep(app)
    assert _pending(need) == [holder["member_id"]], "a standby gives no place back"
    assert need.answer(holder, "decline", reason="busy").status_code == 200
    _sweep(app)
    pending = {s["member_id"]: s["standby"] for s in _invitations(need) if s["status"] == "invited"}
    assert sorted(pending.values()) == [False, True], "the next member, and one on standby"
    assert not set(pending) & {holder["member_id"], standby["member_id"]}
    assert need.places() == (0, 1, 1)


def _hold_h(invitation: dict[str, Any]) -> float:
    """Hours from an invitation's sending to its expiry."""
    sent = datetime.fromisoformat(invitation["created_at"])
    return (datetime.fromisoformat(invitation["expires_at"]) - sent).total_seconds() / 3600


def test_on_a_need_that_keeps_asking_a_silent_invitation_frees_its_place_sooner(
    client: TestClient, network: Network
) -> None:
    """Half the time left before the need, at least 12 h, at most the 48 h TTL; without
    keep asking, the TTL (never past the start)."""
    holds = {}
    for days in (1, 3, 6):
        for keep_asking in (True, False):
            need = _three_cooks(
                client,
                network,
                starts_at=soon(days=days).isoformat(),
                ends_at=(soon(days=days) + timedelta(hours=2)).isoformat(),
            )
            (invitation,) = need.send(keep_asking=keep_asking)["invitations"]
            holds[days, keep_asking] = _hold_h(invitation)
    left = {
        days: (soon(days=days) - datetime.now().astimezone()).total_seconds() / 3600
        for days in (1, 3, 6)
    }
    assert holds[1, True] == pytest.approx(min(max(left[1] / 2, 12), left[1]), abs=0.1)
    assert holds[3, True] == pytest.approx(left[3] / 2, abs=0.1)
    assert holds[6, True] == pytest.approx(48, abs=0.1)
    assert holds[1, False] == pytest.approx(min(left[1], 48), abs=0.1)
    assert holds[3, False] == pytest.approx(48, abs=0.1)
    assert holds[6, False] == pytest.approx(48, abs=0.1)
