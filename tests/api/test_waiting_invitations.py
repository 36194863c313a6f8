"""A new member's invitation from a team or a batch waits for their mentor's: held, unsent,
sent when the mentor accepts and withdrawn (its place given back) when the mentor does not."""

import html
from datetime import datetime, timedelta
from typing import Any

from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import select, update

from api.db.models import MatchEvent, Signup
from api.feedback import repository as feedback
from api.sweep import sweep_once
from tests.api.team_need import role_places
from tests.factories import Network, auth, signed_in, soon

TTL = timedelta(hours=48)  # SERVEMATCH_INVITATION_TTL_HOURS' default


class Team:
    """A coordinator, a new member who is the best cook and a mature one to guide her, and a
    need for two cooks: the team pairs them."""

    def __init__(self, client: TestClient, network: Network, **need: Any) -> None:
        community = network.community()
        self.client = client
        self.key = network.coordinator(community["id"])["api_key"]
        self.admin_key = network.admin_key
        self.new = network.member(community["id"], skills={"cooking": 3}, stage="new")
        self.mentor = network.member(community["id"], skills={"cooking": 1}, stage="mature")
        self.need = network.need(
            self.key,
            community_id=community["id"],
            roles=[{"name": "cook", "skill": "cooking", "count": 2}],
            **need,
        )

    def commit(self) -> dict[str, Any]:
        """Commit the team: the 201's body."""
        sent = self.client.post(
            f"/v1/needs/{self.need['id']}/team", json={"commit": True}, headers=auth(self.key)
        )
        assert sent.status_code == 201, sent.text
        return dict(sent.json())

    def invite(self, member: dict[str, Any]) -> dict[str, Any]:
        """One invitation for ``member`` as cook, outside any team: the 201's body."""
        invited = self.client.post(
            f"/v1/needs/{self.need['id']}/invitations",
            json={"member_id": member["id"], "role": "cook"},
            headers=auth(self.key),
        )
        assert invited.status_code == 201, invited.text
        return dict(invited.json())

    def send(self) -> dict[str, dict[str, Any]]:
        """Commit the team; its invitations by member: ``new`` and ``mentor``."""
        body = self.commit()
        assert body["pairs"] == [
            {"new_member_id": self.new["id"], "mentor_member_id": self.mentor["id"]}
        ]
        by_member = {invitation["member_id"]: invitation for invitation in body["invitations"]}
        return {"new": by_member[self.new["id"]], "mentor": by_member[self.mentor["id"]]}

    def answer(self, invitation: dict[str, Any], verb: str, key: str, **body: Any) -> Any:
        return self.client.post(
            f"/v1/needs/{self.need['id']}/signups/{invitation['id']}/{verb}",
            json=body or None,
            headers=auth(key),
        )

    def places(self) -> tuple[int, int, int]:
        return role_places(self.client, self.need["id"], self.key)

    def inbox(self, member: dict[str, Any], key: str | None = None) -> list[tuple[str, str]]:
        items = self.client.get(
            f"/v1/members/{member['id']}/signups", headers=auth(key or member["api_key"])
        ).json()["items"]
        return [(item["id"], item["status"]) for item in items]

    def on_the_need(self) -> dict[str, dict[str, Any]]:
        """The need's sign-ups as its coordinator sees them, by id."""
        listed = self.client.get(
            f"/v1/needs/{self.need['id']}/signups", headers=auth(self.key)
        ).json()
        return {signup["id"]: signup for signup in listed}

    def audit(self, signup_id: str) -> set[tuple[str, str]]:
        items = self.client.get(
            "/v1/audit", params={"object_id": signup_id}, headers=auth(self.admin_key)
        ).json()["items"]
        return {(event["action"], event["actor_role"]) for event in items}


def _aware(moment: str) -> datetime:
    return datetime.fromisoformat(moment.replace("Z", "+00:00"))


def _invitation_event(app: FastAPI, member_id: str, need_id: str) -> MatchEvent | None:
    with app.state.sessionmaker() as session:
        return session.scalar(
            select(MatchEvent).where(
                MatchEvent.member_id == member_id,
                MatchEvent.need_id == need_id,
                MatchEvent.kind == "invitation",
            )
        )


def test_a_new_members_invitation_waits_unseen_and_unanswerable_for_the_mentors(
    app: FastAPI, client: TestClient, network: Network
) -> None:
    team = Team(client, network)
    sent = team.send()
    new, mentor = sent["new"], sent["mentor"]
    assert (mentor["status"], mentor["waits_for"]) == ("invited", None)
    assert (new["status"], new["waits_for"]) == ("waiting", mentor["id"])
    assert new["expires_at"] == team.need["starts_at"], "held at most until the need starts"
    assert team.places() == (0, 2, 2), "the waiting invitation holds its place"
    assert team.inbox(team.new) == [], "not sent: the member does not see it"
    assert team.inbox(team.new, team.key) == [(new["id"], "waiting")], "their coordinator does"
    assert team.on_the_need()[new["id"]]["waits_for"] == mentor["id"]
    assert new["id"] not in {
        s["id"]
        for s in client.get(
            f"/v1/needs/{team.need['id']}/signups", headers=auth(team.new["api_key"])
        ).json()
    }
    for key in (team.new["api_key"], team.key):
        refused = team.answer(new, "accept", key)
        assert refused.status_code == 409
        assert (
            refused.json()["detail"]
            == "invitation is waiting for the cook invitation to be accepted"
        )
    assert team.answer(new, "decline", team.new["api_key"], reason="busy").status_code == 409
    event = _invitation_event(app, team.new["id"], team.need["id"])
    assert event is not None and event.components, "the engine's view is kept for when it is sent"


def test_the_mentors_accept_sends_it_with_its_time_counted_from_then(
    app: FastAPI, client: TestClient, network: Network
) -> None:
    team = Team(client, network)
    sent = team.send()
    new, mentor = sent["new"], sent["mentor"]
    before = datetime.now().astimezone()
    accepted = team.answer(mentor, "accept", team.mentor["api_key"])
    after = datetime.now().astimezone()
    assert accepted.status_code == 200, accepted.text
    assert team.places() == (1, 1, 2)
    assert team.inbox(team.new) == [(new["id"], "invited")], "now it is in her inbox"
    released = team.on_the_need().get(new["id"])
    assert released is None, "an invitation sent is no longer listed as waiting"
    (item,) = client.get(
        f"/v1/members/{team.new['id']}/signups", headers=auth(team.new["api_key"])
    ).json()["items"]
    assert before + TTL <= _aware(item["expires_at"]) <= after + TTL
    assert item["created_at"] == new["created_at"] and item["waits_for"] == mentor["id"]
    event = _invitation_event(app, team.new["id"], team.need["id"])
    assert event is not None and before <= event.shown_at <= after, "recorded as sent now"
    assert ("signup.release", "system") in team.audit(new["id"])
    answered = team.answer(new, "accept", team.new["api_key"])
    assert answered.status_code == 200, answered.text
    assert answered.json()["status"] == "confirmed"
    assert team.places() == (2, 0, 2)


def test_the_mentors_decline_withdraws_it_and_frees_its_place(
    app: FastAPI, client: TestClient, network: Network
) -> None:
    team = Team(client, network)
    sent = team.send()
    new, mentor = sent["new"], sent["mentor"]
    declined = team.answer(mentor, "decline", team.mentor["api_key"], reason="busy")
    assert declined.status_code == 200, declined.text
    assert team.places() == (0, 0, 2), "both places open again"
    assert team.inbox(team.new, team.key) == [(new["id"], "withdrawn")]
    assert team.inbox(team.new) == [(new["id"], "withdrawn")]
    assert team.answer(new, "accept", team.new["api_key"]).status_code == 409
    assert _invitation_event(app, team.new["id"], team.need["id"]) is None, (
        "never asked: nothing recorded as her answer"
    )
    assert ("signup.withdraw", "system") in team.audit(new["id"])
    # The places are free: a new team pairs them again.
    again = team.send()
    assert again["new"]["status"] == "waiting"


def test_withdrawing_the_mentors_invitation_withdraws_the_waiting_one(
    client: TestClient, network: Network
) -> None:
    team = Team(client, network)
    sent = team.send()
    taken_back = client.delete(
        f"/v1/needs/{team.need['id']}/signups/{sent['mentor']['id']}", headers=auth(team.key)
    )
    assert taken_back.status_code == 204
    assert team.places() == (0, 0, 2)
    assert team.inbox(team.new, team.key) == [(sent["new"]["id"], "withdrawn")]


def test_the_mentors_invitation_expiring_in_the_sweep_withdraws_the_waiting_one(
    app: FastAPI, client: TestClient, network: Network
) -> None:
    team = Team(client, network)
    sent = team.send()
    with app.state.sessionmaker.begin() as session:
        session.execute(
            update(Signup)
            .where(Signup.id == sent["mentor"]["id"])
            .values(expires_at=datetime.now().astimezone() - timedelta(minutes=1))
        )
    assert team.places() == (0, 2, 2), "the stored counts lag until the sweep"
    assert sweep_once(app.state.sessionmaker) == 1
    assert team.places() == (0, 0, 2)
    statuses = dict(team.inbox(team.new, team.key)) | dict(team.inbox(team.mentor, team.key))
    assert statuses == {sent["new"]["id"]: "withdrawn", sent["mentor"]["id"]: "expired"}
    assert sweep_once(app.state.sessionmaker) == 0, "nothing left to sweep"


def test_erasing_the_mentor_withdraws_the_waiting_invitation(
    client: TestClient, network: Network
) -> None:
    team = Team(client, network)
    sent = team.send()
    erased = client.delete(f"/v1/members/{team.mentor['id']}", headers=auth(team.key))
    assert erased.status_code in (200, 204), erased.text
    assert team.places() == (0, 0, 2)
    assert team.inbox(team.new, team.key) == [(sent["new"]["id"], "withdrawn")]


def test_a_need_sooner_than_the_ttl_waits_too_and_the_new_member_gets_what_time_is_left(
    client: TestClient, network: Network
) -> None:
    starts_at = soon(days=1)  # inside the members' hours, sooner than the 48-hour TTL
    team = Team(
        client,
        network,
        starts_at=starts_at.isoformat(),
        ends_at=(starts_at + timedelta(hours=2)).isoformat(),
    )
    sent = team.send()
    assert (sent["new"]["status"], sent["new"]["waits_for"]) == ("waiting", sent["mentor"]["id"])
    assert team.answer(sent["mentor"], "accept", team.mentor["api_key"]).status_code == 200
    assert team.inbox(team.new) == [(sent["new"]["id"], "invited")]
    (released,) = client.get(
        f"/v1/members/{team.new['id']}/signups", headers=auth(team.new["api_key"])
    ).json()["items"]
    # Sent now, it expires at the start, which comes before the TTL would.
    assert _aware(released["expires_at"]) == _aware(team.need["starts_at"])
    assert team.answer(sent["new"], "accept", team.new["api_key"]).status_code == 200


def test_a_mentor_already_confirmed_means_no_wait(client: TestClient, network: Network) -> None:
    team = Team(client, network)
    signed_up = client.post(
        f"/v1/needs/{team.need['id']}/signups",
        json={"member_id": team.mentor["id"], "role": "cook"},
        headers=auth(team.mentor["api_key"]),
    )
    assert signed_up.status_code == 201, signed_up.text
    (invitation,) = team.commit()["invitations"]
    assert invitation["member_id"] == team.new["id"]
    assert (invitation["status"], invitation["waits_for"]) == ("invited", None)


def test_a_new_member_waits_for_a_mentor_asked_earlier_who_has_not_answered(
    client: TestClient, network: Network
) -> None:
    team = Team(client, network)
    mentor = team.invite(team.mentor)
    (invitation,) = team.commit()["invitations"]
    assert invitation["member_id"] == team.new["id"]
    assert (invitation["status"], invitation["waits_for"]) == ("waiting", mentor["id"])
    assert team.inbox(team.new) == []
    assert team.answer(mentor, "accept", team.mentor["api_key"]).status_code == 200
    assert team.inbox(team.new) == [(invitation["id"], "invited")]


def test_a_single_invitation_never_waits(client: TestClient, network: Network) -> None:
    team = Team(client, network)
    invited = team.invite(team.new)
    assert (invited["status"], invited["waits_for"]) == ("invited", None)


def test_a_batch_holds_a_new_members_invitation_for_the_mentors(
    client: TestClient, network: Network
) -> None:
    team = Team(client, network)
    start = soon(days=0, hour=0)
    window = {"from": start.isoformat(), "to": (start + timedelta(days=14)).isoformat()}
    community_id = team.need["community_id"]
    sent = client.post(
        "/v1/match/batch",
        json={**window, "community_id": community_id, "commit": True},
        headers=auth(team.key),
    )
    assert sent.status_code in (200, 201), sent.text
    by_member = {i["member_id"]: i for i in sent.json()["invitations"]}
    new, mentor = by_member[team.new["id"]], by_member[team.mentor["id"]]
    assert (new["status"], new["waits_for"]) == ("waiting", mentor["id"])
    assert team.places() == (0, 2, 2)
    assert team.answer(mentor, "accept", team.mentor["api_key"]).status_code == 200
    assert team.inbox(team.new) == [(new["id"], "invited")]


def test_training_never_reads_a_waiting_invitation_as_ignored(
    app: FastAPI, client: TestClient, network: Network
) -> None:
    team = Team(client, network)
    sent = team.send()
    later = datetime.now().astimezone() + timedelta(days=30)  # the need has started by then
    with app.state.sessionmaker() as session:
        members = {row.member_id for row in feedback.training_rows(session, now=later)}
    assert team.new["id"] not in members, "a waiting invitation is no answer"
    assert team.mentor["id"] in members, "an unanswered sent one counts (ignored)"
    assert team.answer(sent["mentor"], "accept", team.mentor["api_key"]).status_code == 200
    with app.state.sessionmaker() as session:
        members = {row.member_id for row in feedback.training_rows(session, now=later)}
    assert team.new["id"] in members, "once sent, it counts"


def test_the_need_page_says_whom_a_waiting_member_waits_for_and_her_pages_hide_it(
    app: FastAPI, network: Network
) -> None:
    with TestClient(app) as coordinator, TestClient(app) as member:
        team = Team(coordinator, network)
        sent = team.send()
        page = signed_in(coordinator, team.key).get(f"/coordinator/needs/{team.need['id']}")
        assert page.status_code == 200
        assert (
            f"{html.escape(team.new['name'])}: waiting for "
            f"{html.escape(team.mentor['name'])} to accept" in page.text
        )
        invitations = signed_in(member, team.new["api_key"]).get("/member/invitations")
        assert invitations.status_code == 200
        assert team.need["title"] not in invitations.text
        team.answer(sent["mentor"], "accept", team.mentor["api_key"])
        assert team.need["title"] in member.get("/member/invitations").text
