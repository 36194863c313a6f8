"""Authorization matrix: every route × every kind of caller, against the table in authz_table.

The routes come from the app itself, so a new route without a row in the table fails
``test_every_route_has_a_row`` (and a row for a route that is gone fails too). Each row runs
as one test, named after the route and the object, on a freshly seeded network: a valid
request is sent as every caller, so the only reason for a refusal is who is asking.
Also here: mass assignment — fields a client must never set are refused, and stored values
never change.
"""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.routing import APIRoute, iter_route_contexts
from fastapi.testclient import TestClient
from sqlalchemy import update

from api.app import create_app
from api.auth.credentials import hash_key, issue_key
from api.db.models import ApiKey
from api.db.types import utcnow
from api.settings import Settings
from tests.api.authz_table import CALLERS, ROWS
from tests.factories import Network, Staffed, auth, soon


def _app_routes(app: FastAPI) -> set[tuple[str, str]]:
    """(method, path) of every API route the app serves (pages are ``tests/web``'s)."""
    return {
        (method, context.path)
        for context in iter_route_contexts(app.routes)
        if isinstance(context.original_route, APIRoute) and context.original_route.include_in_schema
        for method in context.methods or ()
    }


def test_every_route_has_a_row() -> None:
    served = _app_routes(create_app(Settings(database_url="sqlite://")))
    tabled = {(method, path) for method, path, _, _ in ROWS}
    missing = sorted(served - tabled)
    gone = sorted(tabled - served)
    assert not missing, (
        f"routes without a row: {missing}; add a row to the authorization table "
        "(tests/api/authz_table.py) saying who may call each"
    )
    assert not gone, f"rows for routes the app no longer serves: {gone}; remove them"


@dataclass
class Cast:
    """The seeded network: one community with its people, another one, two agencies."""

    network: Network
    home: Staffed
    neighbour: dict[str, Any]
    other: Staffed
    agency: dict[str, Any]
    other_agency: dict[str, Any]
    revoked_key: str

    def key(self, caller: str, member_key: str) -> str | None:
        return {
            "adm": self.network.admin_key,
            "crd": self.home.coordinator_key,
            "ocd": self.other.coordinator_key,
            "mem": member_key,
            "nbr": self.neighbour["api_key"],
            "out": self.other.member_key,
            "agy": self.agency["api_key"],
            "oag": self.other_agency["api_key"],
            "nok": None,
            "rev": self.revoked_key,
        }[caller]

    def fresh_member(self) -> dict[str, Any]:
        return self.network.member(self.home.id)

    def home_need(self) -> dict[str, Any]:
        return self.network.need(
            self.home.coordinator_key, community_id=self.home.id, private_location=True
        )

    def agency_need(self) -> dict[str, Any]:
        return self.network.need(self.agency["api_key"], open_to_network=True)

    def household(self, member: dict[str, Any]) -> dict[str, Any]:
        """A household of ``member`` and a fresh member of home, formed by an admin."""
        response = self.network.client.post(
            f"/v1/communities/{self.home.id}/households",
            json={"name": "Household", "member_ids": [member["id"], self.fresh_member()["id"]]},
            headers=auth(self.network.admin_key),
        )
        assert response.status_code == 201, response.text
        body: dict[str, Any] = response.json()
        return body

    def halves(self) -> list[list[str]]:
        """Every active member of home, in two groups: a split to evaluate."""
        ids: list[str] = []
        cursor = None
        while True:
            response = self.network.client.get(
                f"/v1/communities/{self.home.id}/members",
                params={"limit": 200, **({"cursor": cursor} if cursor else {})},
                headers=auth(self.network.admin_key),
            )
            assert response.status_code == 200, response.text
            page = response.json()
            ids += [member["id"] for member in page["items"] if member["active"]]
            cursor = page["next_cursor"]
            if cursor is None:
                return [ids[::2], ids[1::2]]

    def spare_key(self, key: str) -> dict[str, Any]:
        """A second key of the key's owner, issued by the owner: revoking it locks no one out."""
        response = self.network.client.post("/v1/keys", json={"name": "spare"}, headers=auth(key))
        assert response.status_code == 201, response.text
        body: dict[str, Any] = response.json()
        return body

    def signup(self, need: dict[str, Any], member: dict[str, Any]) -> dict[str, Any]:
        response = self.network.client.post(
            f"/v1/needs/{need['id']}/signups",
            json={"member_id": member["id"], "role": "cook"},
            headers=auth(member["api_key"]),
        )
        assert response.status_code == 201, response.text
        body: dict[str, Any] = response.json()
        return body

    def invitation(self, need: dict[str, Any], member: dict[str, Any]) -> dict[str, Any]:
        response = self.network.client.post(
            f"/v1/needs/{need['id']}/invitations",
            json={"member_id": member["id"], "role": "cook"},
            headers=auth(self.home.coordinator_key),
        )
        assert response.status_code == 201, response.text
        body: dict[str, Any] = response.json()
        return body


REVOKE_ROUTE = ("POST", "/v1/keys/{key_id}/revoke")


def _revoked_coordinator_key(app: FastAPI, client: TestClient, coordinator_key: str) -> str:
    """A key of the home coordinator, revoked (through the API): it must open nothing."""
    issued = client.post("/v1/keys", json={"name": "to revoke"}, headers=auth(coordinator_key))
    assert issued.status_code == 201, issued.text
    revoked = client.post(f"/v1/keys/{issued.json()['id']}/revoke", headers=auth(coordinator_key))
    assert revoked.status_code == 200, revoked.text
    key: str = issued.json()["api_key"]
    return key


def _revoked_coordinator_key_in_db(app: FastAPI, coordinator_id: str) -> str:
    """The same without a revoke route: mark the key revoked in the database."""
    with app.state.sessionmaker.begin() as session:
        key = issue_key(session, role="coordinator", principal_id=coordinator_id, name="revoked")
    with app.state.sessionmaker.begin() as session:
        session.execute(
            update(ApiKey).where(ApiKey.key_hash == hash_key(key)).values(revoked_at=utcnow())
        )
    return key


@pytest.fixture
def cast(app: FastAPI, network: Network) -> Cast:
    home = network.staffed_community()
    return Cast(
        network=network,
        home=home,
        neighbour=network.member(home.id),
        other=network.staffed_community(),
        agency=network.agency(),
        other_agency=network.agency(),
        revoked_key=(
            _revoked_coordinator_key(app, network.client, home.coordinator_key)
            if REVOKE_ROUTE in _app_routes(app)
            else _revoked_coordinator_key_in_db(app, home.coordinator["id"])
        ),
    )


@dataclass
class Call:
    """One request as one caller: where, with what body, and whose key is "the member"."""

    path: str
    body: dict[str, Any] | None
    member_key: str


def _prepare(cast: Cast, method: str, path: str, target: str) -> Call:
    """Objects for one caller's request: fresh ones for writes, so callers do not interfere."""
    home, network = cast.home, cast.network
    writes = method != "GET"
    member = cast.fresh_member() if writes else home.member
    ids: dict[str, str] = {"community_id": home.id, "member_id": member["id"]}
    if target == "need":
        ids["need_id"] = cast.home_need()["id"]
    elif target == "areq":
        ids["need_id"] = cast.agency_need()["id"]
    elif target == "mkey":
        ids["key_id"] = cast.spare_key(member["api_key"])["id"]
    elif target == "ckey":
        ids["key_id"] = cast.spare_key(home.coordinator_key)["id"]
    elif target == "hous":
        ids["household_id"] = cast.household(member)["id"]
    elif target == "sign":
        need = cast.home_need()
        ids["need_id"] = need["id"]
        ids["signup_id"] = cast.signup(need, member)["id"]
    elif target == "invt":
        need = cast.home_need()
        ids["need_id"] = need["id"]
        ids["signup_id"] = cast.invitation(need, member)["id"]
    bodies: dict[tuple[str, str], Callable[[], dict[str, Any]]] = {
        ("POST", "/v1/communities"): lambda: {
            "name": f"Community of {member['id'][:8]}",
            "meeting_point": {"lat": 51.45, "lon": -2.59},
            "timezone": "Europe/London",
        },
        ("POST", "/v1/communities/{community_id}/coordinators"): lambda: {
            "name": "Newly Appointed",
            "email": f"coord-{member['id'][:8]}@example.org",
        },
        ("POST", "/v1/agencies"): lambda: {
            "name": "New Agency",
            "email": f"agency-{member['id'][:8]}@example.org",
        },
        ("POST", "/v1/communities/{community_id}/members"): network.member_body,
        ("PATCH", "/v1/members/{member_id}"): lambda: {"interests": "gardening, baking"},
        ("POST", "/v1/communities/{community_id}/households"): lambda: {
            "name": "The Bells",
            "member_ids": [member["id"], cast.fresh_member()["id"]],
            "serve": "apart",
        },
        ("PATCH", "/v1/households/{household_id}"): lambda: {"name": "The Bell-Okafors"},
        ("POST", "/v1/needs"): lambda: (
            network.need_body(community_id=home.id) if target == "home" else network.need_body()
        ),
        ("PATCH", "/v1/needs/{need_id}"): lambda: {"title": "Meals for two families"},
        ("POST", "/v1/keys"): lambda: {"name": "rota script"},
        ("POST", "/v1/needs/{need_id}/signups"): lambda: {
            "member_id": member["id"],
            "role": "cook",
        },
        ("POST", "/v1/needs/{need_id}/invitations"): lambda: {
            "member_id": member["id"],
            "role": "cook",
        },
        ("POST", "/v1/needs/{need_id}/signups/{signup_id}/decline"): lambda: {"reason": "busy"},
        ("POST", "/v1/members/{member_id}/suggestions/{need_id}/feedback"): lambda: {
            "verdict": "not_for_me"
        },
        ("POST", "/v1/needs/{need_id}/team"): dict,
        ("POST", "/v1/communities/{community_id}/multiplication/evaluate"): lambda: {
            "groups": cast.halves()
        },
        # Home is far from ready: those who may multiply it are told so (409).
        ("POST", "/v1/communities/{community_id}/multiplication"): lambda: {
            "groups": cast.halves(),
            "names": ["Home", "Daughter"],
            "meeting_points": [{"lat": 51.45, "lon": -2.59}, {"lat": 51.46, "lon": -2.58}],
        },
        ("POST", "/v1/match/batch"): lambda: {
            **({"community_id": home.id} if target == "home" else {}),
            "from": soon(days=0, hour=0).isoformat(),
            "to": soon(days=14, hour=0).isoformat(),
        },
    }
    body = bodies.get((method, path), lambda: None)()
    return Call(path=path.format(**ids), body=body, member_key=member["api_key"])


@pytest.mark.parametrize(
    ("method", "path", "target", "expected"),
    [pytest.param(*row, id=f"{row[0]} {row[1]} [{row[2]}]") for row in ROWS],
)
def test_route_answers_each_caller_as_the_table_says(
    client: TestClient,
    cast: Cast,
    method: str,
    path: str,
    target: str,
    expected: dict[str, int],
) -> None:
    observed: dict[str, int] = {}
    bodies: dict[str, str] = {}
    shared = _prepare(cast, method, path, target) if method == "GET" else None
    for caller in CALLERS:
        call = shared or _prepare(cast, method, path, target)
        key = cast.key(caller, call.member_key)
        response = client.request(
            method, call.path, json=call.body, headers=auth(key) if key else {}
        )
        observed[caller] = response.status_code
        bodies[caller] = response.text[:200]
    wrong = {
        caller: f"expected {expected[caller]}, got {observed[caller]}: {bodies[caller]}"
        for caller in CALLERS
        if observed[caller] != expected[caller]
    }
    assert not wrong, "\n".join(f"{caller}: {problem}" for caller, problem in wrong.items())


# Mass assignment: fields only the service sets are refused, whoever sends them.

FOREIGN_ID = "00000000-0000-4000-8000-000000000000"
STAMP = "2020-01-01T00:00:00Z"


def _need_fields(cast: Cast) -> dict[str, Any]:
    return {
        "status": "filled",
        "community_id": cast.other.id,
        "agency_id": cast.agency["id"],
        "id": FOREIGN_ID,
        "created_at": STAMP,
        "roles": [{"name": "cook", "skill": "cooking", "count": 2, "filled": 2}],
    }


def _member_fields(cast: Cast) -> dict[str, Any]:
    return {
        "community_id": cast.other.id,
        "id": FOREIGN_ID,
        "erased_at": STAMP,
        "created_at": STAMP,
        "role": "admin",
    }


def _stored(client: TestClient, cast: Cast, path: str) -> Any:
    response = client.get(path, headers=auth(cast.network.admin_key))
    assert response.status_code == 200, response.text
    return response.json()


def _refused_and_unchanged(
    client: TestClient,
    cast: Cast,
    *,
    method: str,
    path: str,
    key: str,
    valid: dict[str, Any],
    fields: dict[str, Any],
    witness: str,
    refusals: tuple[int, ...] = (422,),
    project: Callable[[Any], Any] = lambda body: body,
) -> None:
    """Send ``valid`` plus each field in turn: each is refused and ``witness`` stays as it was."""
    before = project(_stored(client, cast, witness))
    accepted = {}
    for field, value in fields.items():
        response = client.request(method, path, json={**valid, field: value}, headers=auth(key))
        if response.status_code not in refusals:
            accepted[field] = f"{response.status_code}: {response.text[:200]}"
    assert not accepted, f"{method} {path} accepted fields a client must not set: {accepted}"
    assert project(_stored(client, cast, witness)) == before


def test_a_new_need_cannot_choose_its_status_owner_id_or_filled_places(
    client: TestClient, cast: Cast
) -> None:
    coordinator = cast.home.coordinator_key
    _refused_and_unchanged(
        client,
        cast,
        method="POST",
        path="/v1/needs",
        key=coordinator,
        valid=cast.network.need_body(community_id=cast.home.id),
        fields={key: value for key, value in _need_fields(cast).items() if key != "community_id"},
        witness="/v1/needs?limit=200",
    )


def test_an_edit_cannot_move_a_need_or_change_its_status_or_filled_places(
    client: TestClient, cast: Cast
) -> None:
    need = cast.home_need()
    _refused_and_unchanged(
        client,
        cast,
        method="PATCH",
        path=f"/v1/needs/{need['id']}",
        key=cast.home.coordinator_key,
        valid={"title": "Renamed"},
        fields=_need_fields(cast),
        witness=f"/v1/needs/{need['id']}",
    )


def test_an_agency_cannot_post_for_a_community_or_as_another_agency(
    client: TestClient, cast: Cast
) -> None:
    _refused_and_unchanged(
        client,
        cast,
        method="POST",
        path="/v1/needs",
        key=cast.agency["api_key"],
        valid=cast.network.need_body(),
        fields={"community_id": cast.home.id, "agency_id": cast.other_agency["id"]},
        witness="/v1/needs?limit=200",
    )


def test_a_new_member_cannot_choose_community_id_role_or_timestamps(
    client: TestClient, cast: Cast
) -> None:
    _refused_and_unchanged(
        client,
        cast,
        method="POST",
        path=f"/v1/communities/{cast.home.id}/members",
        key=cast.home.coordinator_key,
        valid=cast.network.member_body(),
        fields=_member_fields(cast),
        witness=f"/v1/communities/{cast.home.id}/members?limit=200",
    )


@pytest.mark.parametrize("editor", ["member", "coordinator"])
def test_a_member_edit_cannot_move_erase_or_promote_them(
    client: TestClient, cast: Cast, editor: str
) -> None:
    member = cast.home.member
    key = cast.home.member_key if editor == "member" else cast.home.coordinator_key
    _refused_and_unchanged(
        client,
        cast,
        method="PATCH",
        path=f"/v1/members/{member['id']}",
        key=key,
        valid={"interests": "gardening"},
        fields=_member_fields(cast),
        witness=f"/v1/members/{member['id']}",
    )


def test_a_member_cannot_vouch_for_themself(client: TestClient, cast: Cast) -> None:
    member = cast.home.member
    _refused_and_unchanged(
        client,
        cast,
        method="PATCH",
        path=f"/v1/members/{member['id']}",
        key=cast.home.member_key,
        valid={},
        fields={"stage": "leader", "checks": ["dbs"]},
        witness=f"/v1/members/{member['id']}",
        refusals=(403,),
    )


def test_a_sign_up_cannot_choose_its_status_or_id(client: TestClient, cast: Cast) -> None:
    need = cast.home_need()
    _refused_and_unchanged(
        client,
        cast,
        method="POST",
        path=f"/v1/needs/{need['id']}/signups",
        key=cast.home.member_key,
        valid={"member_id": cast.home.member["id"], "role": "cook"},
        fields={"status": "withdrawn", "id": FOREIGN_ID, "created_at": STAMP, "filled": 0},
        witness=f"/v1/needs/{need['id']}",
    )


@pytest.mark.parametrize(
    ("path", "valid"),
    [
        (
            "/v1/communities",
            {"name": "Fresh", "meeting_point": {"lat": 51.4, "lon": -2.6}, "timezone": "UTC"},
        ),
        ("/v1/agencies", {"name": "Fresh Agency", "email": "fresh@agency.example"}),
    ],
)
def test_new_communities_and_agencies_cannot_choose_id_role_or_timestamps(
    client: TestClient, cast: Cast, path: str, valid: dict[str, Any]
) -> None:
    _refused_and_unchanged(
        client,
        cast,
        method="POST",
        path=path,
        key=cast.network.admin_key,
        valid=valid,
        fields={"id": FOREIGN_ID, "created_at": STAMP, "role": "admin", "community_id": FOREIGN_ID},
        witness="/v1/communities",
    )


def test_a_coordinator_cannot_be_appointed_with_a_role_or_other_community(
    client: TestClient, cast: Cast
) -> None:
    _refused_and_unchanged(
        client,
        cast,
        method="POST",
        path=f"/v1/communities/{cast.home.id}/coordinators",
        key=cast.network.admin_key,
        valid={"name": "New Coordinator", "email": "new-coord@example.org"},
        fields={"role": "admin", "community_id": cast.other.id, "id": FOREIGN_ID},
        witness=f"/v1/communities/{cast.home.id}",
    )


def test_a_member_cannot_issue_themself_a_key_for_another_role_or_principal(
    client: TestClient, cast: Cast
) -> None:
    _refused_and_unchanged(
        client,
        cast,
        method="POST",
        path="/v1/keys",
        key=cast.home.member_key,
        valid={"name": "escalation"},
        fields={"role": "admin", "principal_id": cast.neighbour["id"], "id": FOREIGN_ID},
        witness="/v1/keys?limit=200",
        refusals=(403, 422),
        # last_used_at moves with every call; what matters is which keys exist, for whom.
        project=lambda page: {(k["id"], k["role"], k["principal_id"]) for k in page["items"]},
    )
