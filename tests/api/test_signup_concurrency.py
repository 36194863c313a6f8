"""No overbooking under concurrency: real HTTP requests racing on separate connections."""

import threading
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import httpx2 as httpx
from fastapi import FastAPI
from sqlalchemy import func, select

from api.db.models import NeedRole, Signup
from tests.factories import Network, auth, soon

RACERS = 24
PLACES = 3


def _race(base_url: str, requests: list[tuple[str, dict[str, str], str]]) -> list[int]:
    barrier = threading.Barrier(len(requests))

    def post(request: tuple[str, dict[str, str], str]) -> int:
        path, body, key = request
        with httpx.Client(base_url=base_url, timeout=30) as client:
            barrier.wait()
            return client.post(path, json=body, headers=auth(key)).status_code

    with ThreadPoolExecutor(max_workers=len(requests)) as pool:
        return list(pool.map(post, requests))


def test_concurrent_sign_ups_never_overfill_a_role(
    app: FastAPI, network: Network, live_server: str
) -> None:
    community = network.community()
    coordinator = network.coordinator(community["id"])
    members = [network.member(community["id"]) for _ in range(RACERS)]
    need = network.need(
        coordinator["api_key"],
        community_id=community["id"],
        roles=[{"name": "cook", "skill": "cooking", "count": PLACES}],
    )
    path = f"/v1/needs/{need['id']}/signups"
    statuses = _race(
        live_server,
        [(path, {"member_id": m["id"], "role": "cook"}, m["api_key"]) for m in members],
    )
    assert Counter(statuses) == {201: PLACES, 409: RACERS - PLACES}
    with app.state.sessionmaker() as session:
        confirmed = session.scalar(
            select(func.count()).where(Signup.need_id == need["id"], Signup.status == "confirmed")
        )
        filled = session.scalar(select(NeedRole.filled).where(NeedRole.need_id == need["id"]))
    assert confirmed == PLACES and filled == PLACES


def test_one_member_racing_for_overlapping_needs_is_booked_once(
    app: FastAPI, network: Network, live_server: str
) -> None:
    community = network.community()
    coordinator = network.coordinator(community["id"])
    member = network.member(community["id"])
    starts_at = soon(days=5)
    needs = [
        network.need(
            coordinator["api_key"],
            community_id=community["id"],
            starts_at=(starts_at + timedelta(minutes=10 * index)).isoformat(),
            ends_at=(starts_at + timedelta(hours=2)).isoformat(),
        )
        for index in range(6)
    ]
    statuses = _race(
        live_server,
        [
            (
                f"/v1/needs/{need['id']}/signups",
                {"member_id": member["id"], "role": "cook"},
                member["api_key"],
            )
            for need in needs
        ],
    )
    assert Counter(statuses) == {201: 1, 409: len(needs) - 1}
    with app.state.sessionmaker() as session:
        booked = session.scalar(
            select(func.count()).where(
                Signup.member_id == member["id"], Signup.status == "confirmed"
            )
        )
    assert booked == 1


def test_racing_invitations_sign_ups_and_accepts_never_overhold_a_role(
    app: FastAPI, network: Network, live_server: str
) -> None:
    community = network.community()
    coordinator = network.coordinator(community["id"])
    members = [network.member(community["id"]) for _ in range(RACERS)]
    need = network.need(
        coordinator["api_key"],
        community_id=community["id"],
        roles=[{"name": "cook", "skill": "cooking", "count": PLACES}],
    )
    invited = members[: PLACES - 1]
    invitations = [
        network.client.post(
            f"/v1/needs/{need['id']}/invitations",
            json={"member_id": member["id"], "role": "cook"},
            headers=auth(coordinator["api_key"]),
        ).json()
        for member in invited
    ]
    # The invitees accept while the others race to sign up or be invited for what is left.
    accepts = [
        (f"/v1/needs/{need['id']}/signups/{invitation['id']}/accept", {}, member["api_key"])
        for invitation, member in zip(invitations, invited, strict=True)
    ]
    rest = members[PLACES - 1 :]
    sign_ups = [
        (f"/v1/needs/{need['id']}/signups", {"member_id": m["id"], "role": "cook"}, m["api_key"])
        for m in rest[::2]
    ]
    invites = [
        (
            f"/v1/needs/{need['id']}/invitations",
            {"member_id": m["id"], "role": "cook"},
            coordinator["api_key"],
        )
        for m in rest[1::2]
    ]
    statuses = _race(live_server, accepts + sign_ups + invites)
    assert statuses[: len(accepts)] == [200] * len(accepts)
    assert Counter(statuses[len(accepts) :]) == {201: 1, 409: len(rest) - 1}
    with app.state.sessionmaker() as session:
        held = session.scalar(
            select(func.count()).where(
                Signup.need_id == need["id"], Signup.status.in_(["confirmed", "invited"])
            )
        )
        role = session.execute(select(NeedRole).where(NeedRole.need_id == need["id"])).scalar_one()
    assert held == PLACES == role.filled + role.invited
