"""Invitations: a coordinator asks, the place is held, the member accepts or declines, and
an invitation left unanswered expires and gives its place back."""

from datetime import timedelta
from typing import Any

from fastapi import FastAPI
from fastapi.testclient import TestClient

from api.auth.principal import Principal
from api.db.types import utcnow
from api.signups import service
from api.signups.schemas import InvitationCreate
from api.sweep import sweep_once
from tests.factories import Network, Staffed, auth, soon

ONE_PLACE = [{"name": "cook", "skill": "cooking", "count": 1}]


def _invite(
    client: TestClient, need: dict[str, Any], member: dict[str, Any], key: str, role: str = "cook"
) -> Any:
    return client.post(
        f"/v1/needs/{need['id']}/invitations",
        json={"member_id": member["id"], "role": role},
        headers=auth(key),
    )


def _answer(
    client: TestClient, invitation: dict[str, Any], verb: str, key: str, **body: Any
) -> Any:
    return client.post(
        f"/v1/needs/{invitation['need_id']}/signups/{invitation['id']}/{verb}",
        json=body or None,
        headers=auth(key),
    )


def _sign_up(client: TestClient, need: dict[str, Any], member: dict[str, Any]) -> Any:
    return client.post(
        f"/v1/needs/{need['id']}/signups",
        json={"member_id": member["id"], "role": "cook"},
        headers=auth(member["api_key"]),
    )


def _roles(client: TestClient, need: dict[str, Any], key: str) -> list[dict[str, Any]]:
    roles: list[dict[str, Any]] = client.get(f"/v1/needs/{need['id']}", headers=auth(key)).json()[
        "roles"
    ]
    return roles


def _need(network: Network, world: Staffed, **overrides: Any) -> dict[str, Any]:
    return network.need(world.coordinator_key, community_id=world.id, **overrides)


def test_an_invitation_holds_the_place_until_the_member_accepts(
    client: TestClient, network: Network
) -> None:
    world = network.staffed_community()
    need = _need(network, world, roles=ONE_PLACE)
    invited = _invite(client, need, world.member, world.coordinator_key)
    assert invited.status_code == 201, invited.text
    invitation = invited.json()
    assert invitation["status"] == "invited" and invitation["expires_at"] is not None
    role = _roles(client, need, world.coordinator_key)[0]
    assert (role["filled"], role["invited"]) == (0, 1)
    other = network.member(world.id)
    held = _sign_up(client, need, other)
    assert held.status_code == 409 and "full" in held.json()["detail"]
    accepted = _answer(client, invitation, "accept", world.member_key)
    assert accepted.status_code == 200, accepted.text
    assert accepted.json()["status"] == "confirmed" and accepted.json()["answered_at"]
    role = _roles(client, need, world.coordinator_key)[0]
    assert (role["filled"], role["invited"]) == (1, 0)
    refreshed = client.get(f"/v1/needs/{need['id']}", headers=auth(world.coordinator_key))
    assert refreshed.json()["status"] == "filled"
    again = _answer(client, invitation, "accept", world.member_key)
    assert again.status_code == 409 and "confirmed" in again.json()["detail"]


def test_declining_gives_the_place_back_with_a_reason(client: TestClient, network: Network) -> None:
    world = network.staffed_community()
    need = _need(network, world, roles=ONE_PLACE)
    invitation = _invite(client, need, world.member, world.coordinator_key).json()
    declined = _answer(
        client, invitation, "decline", world.member_key, reason="busy", note="away that week"
    )
    assert declined.status_code == 200, declined.text
    body = declined.json()
    assert body["status"] == "declined"
    assert (body["decline_reason"], body["decline_note"]) == ("busy", "away that week")
    role = _roles(client, need, world.coordinator_key)[0]
    assert (role["filled"], role["invited"]) == (0, 0)
    assert _sign_up(client, need, network.member(world.id)).status_code == 201
    assert _answer(client, invitation, "accept", world.member_key).status_code == 409


def test_a_decline_reason_outside_the_list_is_a_422_naming_it(
    client: TestClient, network: Network
) -> None:
    world = network.staffed_community()
    invitation = _invite(client, _need(network, world), world.member, world.coordinator_key)
    refused = _answer(client, invitation.json(), "decline", world.member_key, reason="bored")
    assert refused.status_code == 422 and "reason" in refused.text


def test_re_inviting_or_inviting_a_signed_up_member_is_a_409(
    client: TestClient, network: Network
) -> None:
    world = network.staffed_community()
    need = _need(network, world)
    assert _invite(client, need, world.member, world.coordinator_key).status_code == 201
    again = _invite(client, need, world.member, world.coordinator_key)
    assert again.status_code == 409
    assert {v["code"] for v in again.json()["violations"]} == {"already_signed_up"}
    signed_up = network.member(world.id)
    assert _sign_up(client, need, signed_up).status_code == 201
    assert _invite(client, need, signed_up, world.coordinator_key).status_code == 409


def test_an_invitation_expires_before_the_need_starts(client: TestClient, network: Network) -> None:
    world = network.staffed_community()
    starts_at = soon(days=1)  # inside the member's hours and sooner than the 48-hour TTL
    need = _need(
        network,
        world,
        starts_at=starts_at.isoformat(),
        ends_at=(starts_at + timedelta(hours=1)).isoformat(),
    )
    invitation = _invite(client, need, world.member, world.coordinator_key).json()
    assert invitation["expires_at"] == need["starts_at"]


def _invited_in_the_past(app: FastAPI, world: Staffed, need: dict[str, Any]) -> str:
    """An invitation sent three hours ago with a one-hour TTL: expired now, never marked."""
    coordinator = Principal(
        role="coordinator", id=world.coordinator["id"], community_ids=frozenset([world.id])
    )
    with app.state.sessionmaker.begin() as session:
        invitation = service.invite(
            session,
            principal=coordinator,
            need_id=need["id"],
            data=InvitationCreate(member_id=world.member["id"], role="cook"),
            now=utcnow() - timedelta(hours=3),
            ttl_hours=1,
        )
    return invitation.id


def test_an_expired_invitation_releases_its_place_and_cannot_be_accepted(
    app: FastAPI, client: TestClient, network: Network
) -> None:
    world = network.staffed_community()
    need = _need(network, world, roles=ONE_PLACE)
    invitation_id = _invited_in_the_past(app, world, need)
    invitation = {"id": invitation_id, "need_id": need["id"]}
    inbox = client.get(
        f"/v1/members/{world.member['id']}/signups",
        params={"status": "expired"},
        headers=auth(world.member_key),
    ).json()["items"]
    assert [(item["id"], item["status"]) for item in inbox] == [(invitation_id, "expired")]
    candidates = client.get(
        f"/v1/needs/{need['id']}/candidates", headers=auth(world.coordinator_key)
    ).json()["candidates"]
    assert candidates, "an expired invitation holds no place"
    late = _answer(client, invitation, "accept", world.member_key)
    assert late.status_code == 409 and "invitation expired" in late.json()["detail"]
    assert _sign_up(client, need, network.member(world.id)).status_code == 201
    role = _roles(client, need, world.coordinator_key)[0]
    assert (role["filled"], role["invited"]) == (1, 0)
    audit = client.get(
        "/v1/audit", params={"object_id": invitation_id}, headers=auth(network.admin_key)
    ).json()["items"]
    assert {event["action"] for event in audit} >= {"signup.invite", "signup.expire"}


def test_accept_and_sign_up_refuse_with_the_same_409_and_422_bodies(
    client: TestClient, network: Network
) -> None:
    world = network.staffed_community()
    day = soon(days=10)
    first, second = (
        _need(
            network,
            world,
            starts_at=(day + timedelta(hours=offset)).isoformat(),
            ends_at=(day + timedelta(hours=offset + 2)).isoformat(),
            roles=[{"name": "cook", "skill": "cooking", "min_level": 2, "count": 2}],
        )
        for offset in (0, 4)
    )
    invitations = [
        _invite(client, need, world.member, world.coordinator_key).json()
        for need in (first, second)
    ]
    member_path = f"/v1/members/{world.member['id']}"
    manager = auth(world.coordinator_key)
    # 409: the other invitation now uses up the monthly limit.
    client.patch(member_path, json={"max_commitments_per_month": 1}, headers=manager)
    conflict = _answer(client, invitations[0], "accept", world.member_key)
    assert conflict.status_code == 409
    # 422 as well: the member's skill fell below the role's level.
    client.patch(member_path, json={"skills": {"cooking": 1}}, headers=manager)
    both = _answer(client, invitations[0], "accept", world.member_key)
    _answer(client, invitations[0], "decline", world.member_key, reason="other")
    as_sign_up = _sign_up(client, first, world.member)
    assert both.status_code == as_sign_up.status_code == 409
    assert both.json() == as_sign_up.json()
    assert {v["code"] for v in both.json()["violations"]} == {"monthly_limit", "skill_level"}
    client.patch(member_path, json={"max_commitments_per_month": 4}, headers=manager)
    eligible_only = _answer(client, invitations[1], "accept", world.member_key)
    _answer(client, invitations[1], "decline", world.member_key, reason="other")
    sign_up_422 = _sign_up(client, second, world.member)
    assert eligible_only.status_code == sign_up_422.status_code == 422
    assert eligible_only.json() == sign_up_422.json()


def test_only_managers_of_the_member_may_invite(client: TestClient, network: Network) -> None:
    world, other = network.staffed_community(), network.staffed_community()
    need = _need(network, world)
    assert _invite(client, need, world.member, other.coordinator_key).status_code == 404
    assert _invite(client, need, world.member, world.member_key).status_code == 403
    agency = network.agency()
    assert _invite(client, need, world.member, agency["api_key"]).status_code == 403
    assert _invite(client, need, world.member, network.admin_key).status_code == 201


def test_only_the_member_or_their_managers_may_answer(client: TestClient, network: Network) -> None:
    world, other = network.staffed_community(), network.staffed_community()
    invitation = _invite(client, _need(network, world), world.member, world.coordinator_key).json()
    neighbour = network.member(world.id)
    for key in (other.coordinator_key, neighbour["api_key"], other.member_key):
        assert _answer(client, invitation, "accept", key).status_code == 404
    assert _answer(client, invitation, "accept", world.coordinator_key).status_code == 200


def test_the_inbox_lists_and_filters_a_members_sign_ups(
    client: TestClient, network: Network
) -> None:
    world = network.staffed_community()
    needs = [
        _need(
            network,
            world,
            title=f"Meals {n}",
            starts_at=soon(days=3 + n).isoformat(),
            ends_at=(soon(days=3 + n) + timedelta(hours=1)).isoformat(),
        )
        for n in range(3)
    ]
    invited = _invite(client, needs[0], world.member, world.coordinator_key).json()
    declined = _invite(client, needs[1], world.member, world.coordinator_key).json()
    _answer(client, declined, "decline", world.member_key, reason="not_for_me")
    confirmed = _sign_up(client, needs[2], world.member).json()
    path = f"/v1/members/{world.member['id']}/signups"

    def listed(key: str, **params: Any) -> list[tuple[str, str]]:
        response = client.get(path, params=params, headers=auth(key))
        assert response.status_code == 200, response.text
        return [(item["id"], item["status"]) for item in response.json()["items"]]

    everything = listed(world.member_key)
    assert set(everything) == {
        (invited["id"], "invited"),
        (declined["id"], "declined"),
        (confirmed["id"], "confirmed"),
    }
    assert listed(world.coordinator_key, status=["invited", "confirmed"]) == [
        (confirmed["id"], "confirmed"),
        (invited["id"], "invited"),
    ]
    item = client.get(path, params={"status": "invited"}, headers=auth(world.member_key)).json()
    (only,) = item["items"]
    assert only["need_title"] == "Meals 0" and only["expires_at"] == invited["expires_at"]
    assert only["starts_at"] == needs[0]["starts_at"]
    first_page = client.get(path, params={"limit": 2}, headers=auth(world.member_key)).json()
    second_page = client.get(
        path,
        params={"limit": 2, "cursor": first_page["next_cursor"]},
        headers=auth(world.member_key),
    ).json()
    paged = [item["id"] for item in first_page["items"] + second_page["items"]]
    assert paged == [entry[0] for entry in everything] and second_page["next_cursor"] is None
    for key in (network.staffed_community().coordinator_key, network.member(world.id)["api_key"]):
        assert client.get(path, headers=auth(key)).status_code == 404
    assert (
        client.get(path, params={"status": "maybe"}, headers=auth(world.member_key)).status_code
        == 422
    )


def test_candidates_rank_for_one_role_and_skip_held_places(
    client: TestClient, network: Network
) -> None:
    world = network.staffed_community()
    need = _need(
        network,
        world,
        roles=[
            {"name": "cook", "skill": "cooking", "count": 1},
            {"name": "driver", "count": 1},
        ],
    )
    path = f"/v1/needs/{need['id']}/candidates"
    manager = auth(world.coordinator_key)
    drivers = client.get(path, params={"role": "driver"}, headers=manager).json()["candidates"]
    assert drivers and {c["role"] for c in drivers} == {"driver"}
    unknown = client.get(path, params={"role": "pilot"}, headers=manager)
    assert unknown.status_code == 422 and "role" in unknown.text
    assert (
        _invite(client, need, world.member, world.coordinator_key, role="driver").status_code == 201
    )
    after = client.get(path, params={"role": "driver"}, headers=manager).json()["candidates"]
    assert after == []  # the one driver's place is held
    cooks = client.get(path, headers=manager).json()["candidates"]
    assert world.member["id"] not in {c["member_id"] for c in cooks}  # busy: invited then


def test_erasure_releases_pending_invitations(client: TestClient, network: Network) -> None:
    world = network.staffed_community()
    need = _need(network, world, roles=ONE_PLACE)
    _invite(client, need, world.member, world.coordinator_key)
    erased = client.delete(f"/v1/members/{world.member['id']}", headers=auth(world.coordinator_key))
    assert erased.status_code == 204
    role = _roles(client, need, world.coordinator_key)[0]
    assert (role["filled"], role["invited"]) == (0, 0)


def test_an_invitation_retried_with_its_idempotency_key_is_sent_once(
    client: TestClient, network: Network
) -> None:
    world = network.staffed_community()
    need = _need(network, world)
    headers = {**auth(world.coordinator_key), "Idempotency-Key": "invite-once"}
    body = {"member_id": world.member["id"], "role": "cook"}
    path = f"/v1/needs/{need['id']}/invitations"
    first, again = (client.post(path, json=body, headers=headers) for _ in range(2))
    assert first.status_code == again.status_code == 201
    assert again.headers["Idempotent-Replayed"] == "true" and again.json() == first.json()
    assert _roles(client, need, world.coordinator_key)[0]["invited"] == 1


def test_the_sweep_gives_an_overdue_place_back_on_a_need_nobody_writes_to(
    app: FastAPI, client: TestClient, network: Network
) -> None:
    world = network.staffed_community()
    need = _need(network, world, roles=ONE_PLACE)
    invitation_id = _invited_in_the_past(app, world, need)

    def roles() -> list[tuple[int, int]]:
        body = client.get(f"/v1/needs/{need['id']}", headers=auth(world.coordinator_key)).json()
        return [(role["filled"], role["invited"]) for role in body["roles"]]

    assert roles() == [(0, 1)], "the stored count lags until something writes to the need"
    assert sweep_once(app.state.sessionmaker) == 1
    assert roles() == [(0, 0)]
    assert sweep_once(app.state.sessionmaker) == 0, "nothing left to sweep"
    audit = client.get(
        "/v1/audit", params={"object_type": "signup"}, headers=auth(network.admin_key)
    ).json()["items"]
    assert {(event["object_id"], event["action"]) for event in audit} >= {
        (invitation_id, "signup.expire")
    }
