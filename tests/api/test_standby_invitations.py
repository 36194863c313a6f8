"""A team or a batch sent with ``standby: true`` asks one more member on standby for a need
nobody has taken yet: that invitation holds no place, the first yes takes it, and the one who
did not get it is told the place went to someone else (``superseded``)."""

import html
from datetime import datetime, timedelta
from typing import Any

from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import update

from api.db.models import NeedRole, Signup
from api.feedback import repository as feedback
from api.sweep import sweep_once
from tests.api.team_need import Need
from tests.factories import Network, auth, signed_in, soon

PLACE_TAKEN = "the place has been taken — thank you for saying yes"


def _two_mature_cooks(client: TestClient, network: Network, **need: Any) -> Need:
    need_ = Need(client, network, **need)
    need_.member(cooking=3)
    need_.member(cooking=2)
    return need_


def test_standby_asks_one_more_member_who_holds_no_place(
    client: TestClient, network: Network
) -> None:
    need = _two_mature_cooks(client, network)
    holder, standby = need.send_with_standby()
    assert {holder["member_id"], standby["member_id"]} == set(need.members)
    assert (holder["status"], holder["standby"]) == ("invited", False)
    assert (standby["status"], standby["standby"]) == ("invited", True)
    assert standby["expires_at"] is not None
    assert need.places() == (0, 1, 1), "only the holder's invitation holds the place"
    inbox = client.get(
        f"/v1/members/{standby['member_id']}/signups",
        headers=auth(need.members[standby["member_id"]]["api_key"]),
    ).json()["items"]
    assert [(item["id"], item["standby"]) for item in inbox] == [(standby["id"], True)]
    listed = client.get(f"/v1/needs/{need.need['id']}/signups", headers=auth(need.key)).json()
    assert [(s["id"], s["standby"]) for s in listed] == [(standby["id"], True)]
    again = need.send(standby=True)
    assert again["invitations"] == [] and again["standby_invitations"] == []


def test_without_standby_nothing_changes(client: TestClient, network: Network) -> None:
    need = _two_mature_cooks(client, network)
    refused = client.post(
        f"/v1/needs/{need.need['id']}/team",
        json={"commit": True, "standby": "yes"},
        headers=auth(need.key),
    )
    assert refused.status_code == 422, "a strict yes/no"
    proposed = client.post(
        f"/v1/needs/{need.need['id']}/team", json={"standby": True}, headers=auth(need.key)
    )
    assert proposed.status_code == 200 and proposed.json()["standby_invitations"] == []
    body = need.send(standby=False)
    (invitation,) = body["invitations"]
    assert body["standby_invitations"] == [] and invitation["standby"] is False
    assert need.places() == (0, 1, 1)


def test_the_standby_saying_yes_first_takes_the_holders_place(
    app: FastAPI, client: TestClient, network: Network
) -> None:
    need = _two_mature_cooks(client, network)
    holder, standby = need.send_with_standby()
    accepted = need.answer(standby, "accept")
    assert accepted.status_code == 200, accepted.text
    assert (accepted.json()["status"], accepted.json()["standby"]) == ("confirmed", True)
    assert need.status(holder) == "superseded"
    assert need.places() == (1, 0, 1), "the holder's place moved to the standby"
    late = need.answer(holder, "accept")
    assert (late.status_code, late.json()["detail"]) == (409, PLACE_TAKEN)
    later = datetime.now().astimezone() + timedelta(days=30)
    with app.state.sessionmaker() as session:
        trained = {row.member_id for row in feedback.training_rows(session, now=later)}
    assert holder["member_id"] not in trained, "superseded is no answer"
    assert standby["member_id"] in trained, "the standby's yes is"


def test_the_holder_saying_yes_first_supersedes_the_standby_at_once(
    client: TestClient, network: Network
) -> None:
    need = _two_mature_cooks(client, network)
    holder, standby = need.send_with_standby()
    assert need.answer(holder, "accept").status_code == 200
    assert need.status(standby) == "superseded"
    assert need.places() == (1, 0, 1)
    late = need.answer(standby, "accept")
    assert (late.status_code, late.json()["detail"]) == (409, PLACE_TAKEN)
    assert need.status(standby) == "superseded"
    assert need.places() == (1, 0, 1)


def test_a_standby_takes_a_free_place(client: TestClient, network: Network) -> None:
    need = _two_mature_cooks(client, network)
    holder, standby = need.send_with_standby()
    assert need.answer(holder, "decline", reason="busy").status_code == 200
    assert need.places() == (0, 0, 1)
    accepted = need.answer(standby, "accept")
    assert accepted.status_code == 200, accepted.text
    assert need.places() == (1, 0, 1)
    assert need.status(holder) == "declined"


def test_a_standby_accepting_when_every_place_is_confirmed_is_superseded(
    app: FastAPI, client: TestClient, network: Network
) -> None:
    """Even when the role filled by a way that did not supersede it (the counter set here,
    as a lowered count would leave it), the late yes is a 409 and the supersession stands."""
    need = _two_mature_cooks(client, network)
    holder, standby = need.send_with_standby()
    assert need.answer(holder, "decline", reason="busy").status_code == 200
    with app.state.sessionmaker.begin() as session:
        session.execute(update(Signup).where(Signup.id == holder["id"]).values(status="confirmed"))
        session.execute(
            update(NeedRole).where(NeedRole.need_id == need.need["id"]).values(filled=1)
        )
    late = need.answer(standby, "accept")
    assert (late.status_code, late.json()["detail"]) == (409, PLACE_TAKEN)
    assert need.status(standby) == "superseded"
    assert need.places() == (1, 0, 1)


def test_a_standby_declining_or_expiring_frees_nothing(
    app: FastAPI, client: TestClient, network: Network
) -> None:
    need = _two_mature_cooks(client, network)
    holder, standby = need.send_with_standby()
    assert need.answer(standby, "decline", reason="busy").status_code == 200
    assert need.places() == (0, 1, 1)
    assert need.status(holder) == "invited"

    other = _two_mature_cooks(client, network)
    holder, standby = other.send_with_standby()
    with app.state.sessionmaker.begin() as session:
        session.execute(
            update(Signup)
            .where(Signup.id == standby["id"])
            .values(expires_at=datetime.now().astimezone() - timedelta(minutes=1))
        )
    assert sweep_once(app.state.sessionmaker) >= 1
    assert other.status(standby) == "expired"
    assert other.status(holder) == "invited"
    assert other.places() == (0, 1, 1)


def test_erasing_a_standby_member_frees_nothing(client: TestClient, network: Network) -> None:
    need = _two_mature_cooks(client, network)
    holder, standby = need.send_with_standby()
    erased = client.delete(f"/v1/members/{standby['member_id']}", headers=auth(need.key))
    assert erased.status_code in (200, 204), erased.text
    assert need.places() == (0, 1, 1)
    assert need.status(holder) == "invited"


def test_withdrawing_a_standby_frees_nothing(client: TestClient, network: Network) -> None:
    need = _two_mature_cooks(client, network)
    holder, standby = need.send_with_standby()
    taken_back = client.delete(
        f"/v1/needs/{need.need['id']}/signups/{standby['id']}", headers=auth(need.key)
    )
    assert taken_back.status_code == 204
    assert need.places() == (0, 1, 1)
    assert need.status(standby) == "withdrawn"
    assert need.status(holder) == "invited"


def test_a_new_member_is_never_asked_on_standby(client: TestClient, network: Network) -> None:
    """The team pairs a new cook with a mature one; the only member left is new too."""
    need = Need(client, network, count=2)
    new = need.member(cooking=3, stage="new")
    mentor = need.member(cooking=1)
    need.member(cooking=3, stage="new")
    body = need.send(standby=True)
    assert {i["member_id"] for i in body["invitations"]} == {new["id"], mentor["id"]}
    assert body["standby_invitations"] == []


def test_a_standby_saying_yes_before_the_mentor_drops_the_new_member_waiting_for_them(
    client: TestClient, network: Network
) -> None:
    need = Need(client, network, count=2)
    new = need.member(cooking=3, stage="new")
    matures = {need.member(cooking=1)["id"], need.member(cooking=2)["id"]}
    body = need.send(standby=True)
    by_member = {i["member_id"]: i for i in body["invitations"]}
    (standby,) = body["standby_invitations"]
    (mentor,) = [need.members[member_id] for member_id in by_member if member_id in matures]
    assert standby["member_id"] == (matures - {mentor["id"]}).pop()
    assert by_member[new["id"]]["status"] == "waiting"
    assert need.places() == (0, 2, 2)
    assert need.answer(standby, "accept").status_code == 200
    assert need.status(by_member[mentor["id"]]) == "superseded", "the oldest sent one"
    assert need.status(by_member[new["id"]]) == "withdrawn", "never without the mentor"
    assert need.places() == (1, 0, 2)


def test_a_batch_with_standby_asks_one_more_per_need_nobody_has_taken(
    client: TestClient, network: Network
) -> None:
    first = Need(client, network)
    for cooking in (3, 3, 3, 2, 2, 2):
        first.member(cooking=cooking)
    community_id = first.community["id"]
    later = soon(days=5)
    second = network.need(
        first.key,
        community_id=community_id,
        roles=[{"name": "cook", "skill": "cooking", "count": 1}],
        starts_at=later.isoformat(),
        ends_at=(later + timedelta(hours=2)).isoformat(),
    )
    taken_at = soon(days=7)
    taken = network.need(
        first.key,
        community_id=community_id,
        roles=[{"name": "cook", "skill": "cooking", "count": 2}],
        starts_at=taken_at.isoformat(),
        ends_at=(taken_at + timedelta(hours=2)).isoformat(),
    )
    someone = next(iter(first.members.values()))
    signed_up = client.post(
        f"/v1/needs/{taken['id']}/signups",
        json={"member_id": someone["id"], "role": "cook"},
        headers=auth(first.key),
    )
    assert signed_up.status_code == 201, signed_up.text
    start = soon(days=0, hour=0)
    window = {"from": start.isoformat(), "to": (start + timedelta(days=14)).isoformat()}
    sent = client.post(
        "/v1/match/batch",
        json={**window, "community_id": community_id, "commit": True, "standby": True},
        headers=auth(first.key),
    )
    assert sent.status_code in (200, 201), sent.text
    body = sent.json()
    standbys = body["standby_invitations"]
    assert sorted(s["need_id"] for s in standbys) == sorted([first.need["id"], second["id"]])
    invited = {(i["need_id"], i["member_id"]) for i in body["invitations"]}
    chosen = {member_id for _, member_id in invited}
    for standby in standbys:
        assert standby["standby"] is True
        assert standby["member_id"] not in chosen, "not chosen in this request"
    assert len({s["member_id"] for s in standbys}) == len(standbys)
    for need_id in (first.need["id"], second["id"], taken["id"]):
        for role in client.get(f"/v1/needs/{need_id}", headers=auth(first.key)).json()["roles"]:
            assert role["filled"] + role["invited"] <= role["count"]
            if need_id != taken["id"]:
                assert (role["filled"], role["invited"]) == (0, 1)


def test_the_pages_say_standby_and_that_the_place_went_to_someone_else(
    app: FastAPI, network: Network
) -> None:
    with TestClient(app) as coordinator, TestClient(app) as member:
        need = _two_mature_cooks(coordinator, network)
        holder, standby = need.send_with_standby()
        page = signed_in(coordinator, need.key).get(f"/coordinator/needs/{need.need['id']}")
        name = need.members[standby["member_id"]]["name"]
        assert f"{html.escape(name)}: standby" in page.text
        signed = signed_in(member, need.members[standby["member_id"]]["api_key"])
        invitations = signed.get("/member/invitations").text
        assert "asked on standby: the first to say yes takes the place" in invitations
        assert need.answer(holder, "accept").status_code == 200
        after = member.get("/member/invitations").text
        assert "the place went to someone else — thank you" in after


def test_a_role_someone_stands_by_for_cannot_be_removed_while_they_may_answer(
    client: TestClient, network: Network
) -> None:
    need = _two_mature_cooks(client, network)
    holder, standby = need.send_with_standby()
    assert need.answer(holder, "decline", reason="busy").status_code == 200
    assert need.places() == (0, 0, 1)  # nothing held: only the standby is left
    only_helpers = [{"name": "helper", "count": 1}]
    refused = client.patch(
        f"/v1/needs/{need.need['id']}", json={"roles": only_helpers}, headers=auth(need.key)
    )
    assert refused.status_code == 409, refused.text
    assert "cook" in refused.json()["detail"] and "standby" in refused.json()["detail"]
    assert need.status(standby) == "invited"
    assert need.answer(standby, "decline", reason="busy").status_code == 200
    removed = client.patch(
        f"/v1/needs/{need.need['id']}", json={"roles": only_helpers}, headers=auth(need.key)
    )
    assert removed.status_code == 200, removed.text
