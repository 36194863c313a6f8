"""Feedback on suggestions and invitations, and the learned re-ranker's switch, on both backends.

The switch is tested both ways with synthetic answers (``tests.matcher.feedback_data``): where
members take tutoring whatever the hand score says, ``servematch train`` switches the learned
model on and a member's suggestions change order; where the hand score is the truth, the model
stays off and the order is the hand weights'.
"""

import os
import subprocess
import sys
from datetime import timedelta
from typing import Any

import numpy as np
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import select

from api.auth.principal import Principal
from api.db.models import MatchEvent, Member, Need, RankingModel
from api.db.types import new_id, utcnow
from api.feedback import service as feedback
from api.feedback.ranking_cache import RankingModelCache
from api.matching import service as matching
from api.signups.service import expire_overdue
from matcher.weights import COMPONENTS
from tests.factories import Network, Staffed, auth, soon
from tests.matcher.feedback_data import synthetic_answers

BRISTOL = {"lat": 51.4545, "lon": -2.5879}
NEAR = {"lat": 51.46, "lon": -2.59}


def _suggestions(client: TestClient, member: dict[str, Any]) -> dict[str, Any]:
    response = client.get(
        f"/v1/members/{member['id']}/suggestions", headers=auth(member["api_key"])
    )
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def _titles(body: dict[str, Any]) -> list[str]:
    return [each["title"] for each in body["suggestions"]]


def _events(app: FastAPI, **where: Any) -> list[MatchEvent]:
    with app.state.sessionmaker() as session:
        statement = select(MatchEvent).filter_by(**where).order_by(MatchEvent.need_id)
        return list(session.scalars(statement))


def _verdict(
    client: TestClient, member: dict[str, Any], need_id: str, verdict: str, key: str | None = None
) -> Any:
    return client.post(
        f"/v1/members/{member['id']}/suggestions/{need_id}/feedback",
        json={"verdict": verdict},
        headers=auth(key or member["api_key"]),
    )


def _world(network: Network) -> Staffed:
    return network.staffed_community(meeting_point=BRISTOL)


def _need(network: Network, world: Staffed, **overrides: Any) -> dict[str, Any]:
    return network.need(world.coordinator_key, community_id=world.id, **overrides)


# --- what is recorded ------------------------------------------------------------------------


def test_each_suggestion_shown_is_one_row_per_member_and_need_counting_showings(
    app: FastAPI, client: TestClient, network: Network
) -> None:
    world = _world(network)
    first = _need(network, world, title="Soup run")
    second = _need(network, world, title="Garden tidy", category="cleanup")
    _suggestions(client, world.member)
    _suggestions(client, world.member)
    events = _events(app, member_id=world.member["id"])
    assert sorted(event.need_id for event in events) == sorted([first["id"], second["id"]])
    for event in events:
        assert event.kind == "suggestion" and event.shown_count == 2
        assert event.rank in (1, 2) and event.outcome is None
        assert set(event.components or {}) == set(COMPONENTS) and event.score is not None
        assert event.starts_at == soon() and event.local_hour == 10.0  # London in winter


def test_a_sign_up_on_a_suggested_need_is_recorded_as_taken(
    app: FastAPI, client: TestClient, network: Network
) -> None:
    world = _world(network)
    need = _need(network, world)
    _suggestions(client, world.member)
    signed = client.post(
        f"/v1/needs/{need['id']}/signups",
        json={"member_id": world.member["id"], "role": "cook"},
        headers=auth(world.member_key),
    )
    assert signed.status_code == 201, signed.text
    (event,) = _events(app, member_id=world.member["id"])
    assert event.outcome == "signed_up" and event.outcome_at is not None


def _invite(client: TestClient, world: Staffed, need: dict[str, Any]) -> dict[str, Any]:
    response = client.post(
        f"/v1/needs/{need['id']}/invitations",
        json={"member_id": world.member["id"], "role": "cook"},
        headers=auth(world.coordinator_key),
    )
    assert response.status_code == 201, response.text
    invitation: dict[str, Any] = response.json()
    return invitation


def test_invitations_are_recorded_with_their_answer_and_only_the_reason_of_a_decline(
    app: FastAPI, client: TestClient, network: Network
) -> None:
    world = _world(network)
    accepted_need, declined_need, expired_need = (
        _need(network, world, **_at(soon(days=days))) for days in (3, 4, 5)
    )
    for need, verb, body in (
        (accepted_need, "accept", None),
        (declined_need, "decline", {"reason": "busy", "note": "Away at my sister's that week"}),
    ):
        invitation = _invite(client, world, need)
        answered = client.post(
            f"/v1/needs/{need['id']}/signups/{invitation['id']}/{verb}",
            json=body,
            headers=auth(world.member_key),
        )
        assert answered.status_code == 200, answered.text
    _invite(client, world, expired_need)
    with app.state.sessionmaker.begin() as session:
        expire_overdue(session, now=utcnow() + timedelta(days=30), limit=10)

    outcomes = {
        event.need_id: (event.outcome, event.decline_reason, event.rank)
        for event in _events(app, member_id=world.member["id"], kind="invitation")
    }
    assert outcomes == {
        accepted_need["id"]: ("accepted", None, None),
        declined_need["id"]: ("declined", "busy", None),
        expired_need["id"]: ("expired", None, None),
    }
    with app.state.sessionmaker() as session:
        stored = [str(v) for e in session.scalars(select(MatchEvent)) for v in vars(e).values()]
    assert not any("sister" in value for value in stored), "a member's note is never kept"


def test_a_team_sent_as_invitations_records_what_the_engine_said_of_each(
    app: FastAPI, client: TestClient, network: Network
) -> None:
    world = _world(network)
    need = _need(network, world, **_at(soon(days=3)))

    sent = client.post(
        f"/v1/needs/{need['id']}/team",
        json={"commit": True},
        headers=auth(world.coordinator_key),
    )

    assert sent.status_code == 201, sent.text
    proposed = {place["member_id"]: place["score"] for place in sent.json()["proposal"]}
    assert proposed
    events = _events(app, need_id=need["id"], kind="invitation")
    assert {event.member_id for event in events} == set(proposed)
    for event in events:
        # The score and the components the answer will be learned from, as the team chose.
        assert event.score == pytest.approx(proposed[event.member_id], abs=1e-3)
        assert event.components is not None and set(event.components) >= {"distance", "skill"}
        assert event.outcome is None


# --- the member's word -----------------------------------------------------------------------


def test_not_for_me_hides_a_need_for_good_and_repeating_it_changes_nothing(
    app: FastAPI, client: TestClient, network: Network
) -> None:
    world = _world(network)
    soup = _need(network, world, title="Soup run")
    _need(network, world, title="Garden tidy")
    assert sorted(_titles(_suggestions(client, world.member))) == ["Garden tidy", "Soup run"]

    first = _verdict(client, world.member, soup["id"], "not_for_me")
    again = _verdict(client, world.member, soup["id"], "not_for_me")
    assert first.status_code == again.status_code == 200, first.text
    assert first.json() == again.json()
    assert first.json()["hidden_until"] is None and first.json()["verdict"] == "not_for_me"
    assert _titles(_suggestions(client, world.member)) == ["Garden tidy"]
    (event,) = _events(app, member_id=world.member["id"], need_id=soup["id"])
    assert event.outcome == "not_for_me" and event.shown_count == 1


def _suggested_at(app: FastAPI, member: dict[str, Any], moment: Any) -> list[str]:
    with app.state.sessionmaker() as session:
        body = matching.suggestions(
            session,
            principal=Principal(role="admin", id=None, community_ids=frozenset()),
            member_id=member["id"],
            limit=10,
            now=moment,
            weights=app.state.settings.weight,
            text_models=app.state.text_models,
            need_cache=app.state.need_cache,
        )
        session.commit()
    return [each.title for each in body.suggestions]


def test_maybe_later_snoozes_for_the_set_days_or_until_a_day_before_the_start(
    app: FastAPI, client: TestClient, network: Network
) -> None:
    world = _world(network)
    starts = soon(days=10)
    later = _need(
        network,
        world,
        title="In ten days",
        starts_at=starts.isoformat(),
        ends_at=(starts + timedelta(hours=2)).isoformat(),
    )
    soon_need = _need(network, world, title="In two days", **_at(soon(days=2)))
    for need in (later, soon_need):
        answered = _verdict(client, world.member, need["id"], "maybe_later")
        assert answered.status_code == 200, answered.text
    now = utcnow()
    assert _suggested_at(app, world.member, now) == []
    # Snoozed for 3 days (the default), or until 24 h before the start if that is sooner.
    assert _suggested_at(app, world.member, soon(days=1, hour=11)) == ["In two days"]
    assert _suggested_at(app, world.member, now + timedelta(days=3, minutes=1)) == ["In ten days"]


def _at(starts: Any) -> dict[str, str]:
    return {"starts_at": starts.isoformat(), "ends_at": (starts + timedelta(hours=2)).isoformat()}


def test_feedback_on_a_need_the_member_cannot_see_is_a_404_and_a_bad_verdict_a_422(
    client: TestClient, network: Network
) -> None:
    world, other = _world(network), _world(network)
    theirs = _need(network, other)
    assert _verdict(client, world.member, theirs["id"], "not_for_me").status_code == 404
    mine = _need(network, world)
    refused = _verdict(client, world.member, mine["id"], "never")
    assert refused.status_code == 422
    assert refused.json()["detail"][0]["loc"] == ["body", "verdict"]
    by_coordinator = _verdict(
        client, world.member, mine["id"], "not_for_me", key=world.coordinator_key
    )
    assert by_coordinator.status_code == 200, by_coordinator.text


# --- bounded storage and erasure -------------------------------------------------------------


def test_the_sweep_marks_unanswered_suggestions_ignored_and_deletes_old_ones(
    app: FastAPI, client: TestClient, network: Network
) -> None:
    world = _world(network)
    _need(network, world)
    _suggestions(client, world.member)
    with app.state.sessionmaker.begin() as session:
        assert feedback.sweep(session, now=utcnow(), retention_days=365) == (0, 0)
    with app.state.sessionmaker.begin() as session:
        in_a_week = utcnow() + timedelta(days=7)
        assert feedback.sweep(session, now=in_a_week, retention_days=365) == (1, 0)
    (event,) = _events(app, member_id=world.member["id"])
    assert event.outcome == "ignored" and event.outcome_at == event.starts_at
    with app.state.sessionmaker.begin() as session:
        next_year = utcnow() + timedelta(days=366)
        assert feedback.sweep(session, now=next_year, retention_days=365) == (0, 1)
    assert _events(app) == []


def test_erasure_deletes_what_the_member_was_shown(
    app: FastAPI, client: TestClient, network: Network
) -> None:
    world = _world(network)
    neighbour = network.member(world.id, home=NEAR)
    _need(network, world)
    _suggestions(client, world.member)
    _suggestions(client, neighbour)
    erased = client.delete(f"/v1/members/{world.member['id']}", headers=auth(world.member_key))
    assert erased.status_code == 204
    assert _events(app, member_id=world.member["id"]) == []
    assert len(_events(app, member_id=neighbour["id"])) == 1


# --- the re-ranker's switch ------------------------------------------------------------------


def _answers_in_the_database(app: FastAPI, community_id: str, *, truth: str) -> None:
    """600 answered suggestions of 20 members on 30 needs, as ``synthetic_answers`` makes
    them, shown over the last 70 days."""
    answers = synthetic_answers(truth=truth, events=600, seed=11)
    now = utcnow()
    with app.state.sessionmaker.begin() as session:
        member_ids = [new_id() for _ in range(20)]
        need_ids = [new_id() for _ in range(30)]
        session.add_all(
            Member(
                id=member_id,
                community_id=community_id,
                name="Synthetic",
                email=f"{member_id}@example.org",
                home_lat=51.9,
                home_lon=-2.0,
                max_travel_km=1,
            )
            for member_id in member_ids
        )
        session.add_all(
            Need(
                id=need_id,
                community_id=community_id,
                title="Past need",
                category="other",
                location_lat=51.9,
                location_lon=-2.0,
                shown_lat=51.9,
                shown_lon=-2.0,
                starts_at=now - timedelta(days=1),
                ends_at=now - timedelta(hours=22),
                status="done",
            )
            for need_id in need_ids
        )
        session.flush()
        first_shown = int(answers.shown_at_s.min())
        for index in range(600):
            shown_at = now - timedelta(
                days=70, seconds=first_shown - int(answers.shown_at_s[index])
            )
            session.add(
                MatchEvent(
                    member_id=member_ids[index % 20],
                    need_id=need_ids[index // 20],
                    role="helper",
                    kind="suggestion",
                    rank=1 + index % 5,
                    score=float(answers.hand_score[index]),
                    components=dict(
                        zip(COMPONENTS, map(float, answers.components[index]), strict=True)
                    ),
                    category=answers.categories[index],
                    starts_at=shown_at + timedelta(hours=float(answers.lead_hours[index])),
                    local_weekday=int(answers.weekdays[index]),
                    local_hour=float(answers.hours[index]),
                    shown_at=shown_at,
                    last_shown_at=shown_at,
                    shown_count=1,
                    outcome="signed_up" if answers.taken[index] else "ignored",
                    outcome_at=shown_at,
                )
            )


def _train(database_url: str) -> tuple[int, str, str]:
    """``servematch train`` as an operator runs it: exit status, and what it printed (the
    table on stdout, the verdict on stderr), with rich's line wrapping undone."""
    env = {**os.environ, "SERVEMATCH_DATABASE_URL": database_url, "COLUMNS": "200"}
    done = subprocess.run(
        [sys.executable, "-m", "api", "train"], env=env, capture_output=True, text=True, check=False
    )
    return done.returncode, done.stdout, " ".join(done.stderr.split())


def _two_needs(network: Network, world: Staffed) -> None:
    """A meal near the member that the hand weights put first, and a tutoring session a
    little farther that takes no skill (so the hand score puts it second)."""
    _need(network, world, title="Soup run", location={"lat": 51.46, "lon": -2.59})
    _need(
        network,
        world,
        title="Homework club",
        category="tutoring",
        location={"lat": 51.475, "lon": -2.59},
        roles=[{"name": "helper", "count": 1}],
    )


def _ranking(client: TestClient, key: str) -> dict[str, Any]:
    response = client.get("/v1/ranking/model", headers=auth(key))
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def test_switch_on_a_model_that_beats_the_hand_weights_ranks_suggestions(
    app: FastAPI, client: TestClient, network: Network, database_url: str
) -> None:
    app.state.ranking_models = RankingModelCache(max_age_s=1e-6)  # notice a new one at once
    world = _world(network)
    _two_needs(network, world)
    before = _suggestions(client, world.member)
    assert (before["ranked_by"], _titles(before)) == ("hand_weights", ["Soup run", "Homework club"])
    _answers_in_the_database(app, world.id, truth="category")

    status_code, table, said = _train(database_url)

    assert status_code == 0, said
    assert "ranks: beats the hand weights" in said
    assert "ROC AUC" in table and "hand weights" in table
    status = _ranking(client, world.coordinator_key)
    assert status["ranked_by"] == "learned" and status["latest_model"]["active"] is True
    figures = status["latest_model"]
    assert figures["learned"]["auc"] > figures["hand_weights"]["auc"] + 0.01
    assert figures["learned"]["ndcg_at_5"] > figures["hand_weights"]["ndcg_at_5"] + 0.01
    assert figures["events"] == 600 and figures["test_events"] == 150
    after = _suggestions(client, world.member)
    assert (after["ranked_by"], _titles(after)) == ("learned", ["Homework club", "Soup run"])
    # The engine's numbers and words are unchanged: the reasons still come from components.
    assert {s["title"]: s["score"] for s in after["suggestions"]} == {
        s["title"]: s["score"] for s in before["suggestions"]
    }
    assert [s["reasons"] for s in after["suggestions"]][::-1] == [
        s["reasons"] for s in before["suggestions"]
    ]


def test_switch_off_a_model_that_does_not_beat_the_hand_weights_is_stored_but_never_ranks(
    app: FastAPI, client: TestClient, network: Network, database_url: str
) -> None:
    app.state.ranking_models = RankingModelCache(max_age_s=1e-6)
    world = _world(network)
    _two_needs(network, world)
    _answers_in_the_database(app, world.id, truth="hand_score")

    status_code, _, said = _train(database_url)

    assert status_code == 0, said
    assert "stays off: does not beat the hand weights" in said
    status = _ranking(client, network.admin_key)
    assert status["ranked_by"] == "hand_weights"
    assert status["latest_model"]["active"] is False
    assert "does not beat" in status["why"]
    after = _suggestions(client, world.member)
    assert (after["ranked_by"], _titles(after)) == ("hand_weights", ["Soup run", "Homework club"])
    with app.state.sessionmaker() as session:
        (stored,) = session.scalars(select(RankingModel))
        assert stored.parameters["model"]["coef"] and stored.active is False


def test_too_few_answers_train_nothing_and_say_so(
    client: TestClient, network: Network, database_url: str
) -> None:
    status_code, _, said = _train(database_url)
    assert status_code == 0, said
    assert "nothing trained" in said and "at least 200" in said
    status = _ranking(client, network.admin_key)
    assert status["ranked_by"] == "hand_weights" and status["latest_model"] is None
    assert np.isclose(sum(status["hand_weights"].values()), 1.0)
