"""Bad input: every refusal is a 4xx that names the field, and nothing is written after one."""

import base64
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from fastapi.testclient import TestClient

from api.schemas import CURSOR_MAX_CHARS
from tests.factories import Network, Staffed, auth, soon

LONG = "x" * 5001


@dataclass(frozen=True)
class Case:
    """One bad request: what to change in a valid body, and where the 422 must point."""

    overrides: dict[str, Any]
    loc: list[str | int]
    field: str  # must appear in the one-line ``message`` too


@dataclass(frozen=True)
class Scene:
    """A community with people and a need, and a way to snapshot what a list shows."""

    client: TestClient
    network: Network
    admin_key: str
    home: Staffed
    need: dict[str, Any]

    def snapshot(self) -> dict[str, Any]:
        admin = auth(self.admin_key)
        members_url = f"/v1/communities/{self.home.id}/members"
        return {
            "communities": self.client.get("/v1/communities", headers=admin).json(),
            "members": self.client.get(members_url, params={"limit": 200}, headers=admin).json(),
            "needs": self.client.get("/v1/needs", params={"limit": 200}, headers=admin).json(),
        }


@pytest.fixture
def scene(client: TestClient, network: Network, admin_key: str) -> Scene:
    home = network.staffed_community()
    need = network.need(home.coordinator_key, community_id=home.id)
    return Scene(client, network, admin_key, home, need)


def assert_names_the_field(response: Any, loc: list[str | int], field: str) -> None:
    assert response.status_code == 422, response.text
    body = response.json()
    assert isinstance(body["message"], str)
    assert body["detail"], body
    for error in body["detail"]:
        assert set(error) == {"loc", "msg", "type"}
    assert any(error["loc"][: len(loc)] == loc for error in body["detail"]), body["detail"]
    assert field in body["message"], body["message"]


# Bodies: (case id) -> Case


def _slot(start: str, end: str, day: str = "sat") -> dict[str, Any]:
    return {"availability": [{"day": day, "start": start, "end": end}]}


COMMUNITY_CASES = {
    "latitude above 90": Case(
        {"meeting_point": {"lat": 90.0001, "lon": 0}}, ["body", "meeting_point", "lat"], "lat"
    ),
    "latitude below -90": Case(
        {"meeting_point": {"lat": -91, "lon": 0}}, ["body", "meeting_point", "lat"], "lat"
    ),
    "longitude above 180": Case(
        {"meeting_point": {"lat": 0, "lon": 180.5}}, ["body", "meeting_point", "lon"], "lon"
    ),
    "longitude below -180": Case(
        {"meeting_point": {"lat": 0, "lon": -181}}, ["body", "meeting_point", "lon"], "lon"
    ),
    "unknown timezone": Case({"timezone": "Mars/Olympus_Mons"}, ["body", "timezone"], "timezone"),
    "over-long timezone": Case({"timezone": "A" * 65}, ["body", "timezone"], "timezone"),
    "over-long name": Case({"name": "n" * 121}, ["body", "name"], "name"),
    "blank name": Case({"name": "   "}, ["body", "name"], "name"),
    "over-long parent_id": Case({"parent_id": "p" * 37}, ["body", "parent_id"], "parent_id"),
    "id is not assignable": Case({"id": "mine"}, ["body", "id"], "id"),
    "created_at is not assignable": Case(
        {"created_at": "2020-01-01T00:00:00Z"}, ["body", "created_at"], "created_at"
    ),
    "NUL in the name": Case({"name": "Hope\x00Street"}, ["body", "name"], "name"),
}

MEMBER_CASES = {
    "skill level above 3": Case(
        {"skills": {"cooking": 4}}, ["body", "skills", "cooking"], "skills"
    ),
    "skill level below 1": Case(
        {"skills": {"cooking": 0}}, ["body", "skills", "cooking"], "skills"
    ),
    "skill name not a slug": Case({"skills": {"Cooking!": 2}}, ["body", "skills"], "skills"),
    "unknown day": Case(
        _slot("09:00", "12:00", day="someday"), ["body", "availability", 0, "day"], "day"
    ),
    "hour 25": Case(_slot("25:00", "26:00"), ["body", "availability", 0, "start"], "start"),
    "single-digit hour": Case(
        _slot("9:00", "12:00"), ["body", "availability", 0, "start"], "start"
    ),
    "minute 60": Case(_slot("09:00", "12:60"), ["body", "availability", 0, "end"], "end"),
    "slot ends before it starts": Case(_slot("13:00", "09:00"), ["body", "availability", 0], "end"),
    "slot ends as it starts": Case(_slot("10:00", "10:00"), ["body", "availability", 0], "end"),
    "over-long interests": Case({"interests": "i" * 2001}, ["body", "interests"], "interests"),
    "over-long name": Case({"name": "n" * 121}, ["body", "name"], "name"),
    "malformed email": Case({"email": "not-an-email"}, ["body", "email"], "email"),
    "over-long email": Case({"email": "e" * 250 + "@x.org"}, ["body", "email"], "email"),
    "home latitude out of range": Case(
        {"home": {"lat": 91, "lon": 0}}, ["body", "home", "lat"], "lat"
    ),
    "blackout date in year 9999": Case(
        {"blackout_dates": ["9999-12-31"]}, ["body", "blackout_dates", 0], "blackout_dates"
    ),
    "blackout date before 2000": Case(
        {"blackout_dates": ["2030-01-01", "1999-12-31"]},
        ["body", "blackout_dates", 1],
        "blackout_dates",
    ),
    "home longitude out of range": Case(
        {"home": {"lat": 0, "lon": -180.01}}, ["body", "home", "lon"], "lon"
    ),
    "zero travel radius": Case({"max_travel_km": 0}, ["body", "max_travel_km"], "max_travel_km"),
    "zero commitments a month": Case(
        {"max_commitments_per_month": 0},
        ["body", "max_commitments_per_month"],
        "max_commitments_per_month",
    ),
    "unknown stage": Case({"stage": "saint"}, ["body", "stage"], "stage"),
    "check not a slug": Case({"checks": ["Background Check"]}, ["body", "checks", 0], "checks"),
    "repeated check": Case({"checks": ["dbs", "dbs"]}, ["body", "checks"], "checks"),
    "malformed blackout date": Case(
        {"blackout_dates": ["2030-02-30"]}, ["body", "blackout_dates", 0], "blackout_dates"
    ),
    "id is not assignable": Case({"id": "mine"}, ["body", "id"], "id"),
    "community_id is not assignable": Case(
        {"community_id": "elsewhere"}, ["body", "community_id"], "community_id"
    ),
    "api_key is not assignable": Case({"api_key": "sm_mine"}, ["body", "api_key"], "api_key"),
    "NUL in interests": Case({"interests": "soup\x00"}, ["body", "interests"], "interests"),
}

MEMBER_PATCH_CASES = {
    "null name": Case({"name": None}, ["body", "name"], "name"),
    "active as 1": Case({"active": 1}, ["body", "active"], "active"),
    "null home": Case({"home": None}, ["body", "home"], "home"),
    "null stage": Case({"stage": None}, ["body", "stage"], "stage"),
    "community_id": Case({"community_id": "elsewhere"}, ["body", "community_id"], "community_id"),
    "id": Case({"id": "mine"}, ["body", "id"], "id"),
    "created_at": Case(
        {"created_at": "2020-01-01T00:00:00Z"}, ["body", "created_at"], "created_at"
    ),
    "skill level above 3": Case(
        {"skills": {"cooking": 5}}, ["body", "skills", "cooking"], "skills"
    ),
    "slot ends before it starts": Case(_slot("18:00", "17:59"), ["body", "availability", 0], "end"),
    "home latitude out of range": Case(
        {"home": {"lat": -90.5, "lon": 0}}, ["body", "home", "lat"], "lat"
    ),
    "blackout date past 2871-11-25": Case(
        {"blackout_dates": ["2871-11-26"]}, ["body", "blackout_dates", 0], "blackout_dates"
    ),
}


def _role(**fields: Any) -> dict[str, Any]:
    return {"roles": [{"name": "cook", "count": 1, **fields}]}


NEED_CASES = {
    "naive starts_at": Case(
        {"starts_at": "2030-01-01T10:00:00"}, ["body", "starts_at"], "starts_at"
    ),
    "naive ends_at": Case({"ends_at": "2030-01-01T12:00:00"}, ["body", "ends_at"], "ends_at"),
    "starts_at that overflows UTC": Case(
        {"starts_at": "9999-12-31T20:00:00-05:00"}, ["body", "starts_at"], "starts_at"
    ),
    "starts_at in year 1": Case(
        {"starts_at": "0001-01-01T00:00:00+01:00"}, ["body", "starts_at"], "starts_at"
    ),
    "ends_at after 2100": Case({"ends_at": "2101-01-01T00:00:00Z"}, ["body", "ends_at"], "ends_at"),
    "ends before it starts": Case(
        {"starts_at": "2030-01-01T12:00:00Z", "ends_at": "2030-01-01T10:00:00Z"},
        ["body"],
        "ends_at",
    ),
    "ends as it starts": Case(
        {"starts_at": "2030-01-01T12:00:00Z", "ends_at": "2030-01-01T12:00:00Z"},
        ["body"],
        "ends_at",
    ),
    "zero people": Case(_role(count=0), ["body", "roles", 0, "count"], "count"),
    "negative people": Case(_role(count=-3), ["body", "roles", 0, "count"], "count"),
    "skill level above 3": Case(_role(min_level=4), ["body", "roles", 0, "min_level"], "min_level"),
    "skill level below 1": Case(_role(min_level=0), ["body", "roles", 0, "min_level"], "min_level"),
    "role name not a slug": Case(
        {"roles": [{"name": "Head Cook", "count": 1}]}, ["body", "roles", 0, "name"], "name"
    ),
    "role skill not a slug": Case(_role(skill="cooking!"), ["body", "roles", 0, "skill"], "skill"),
    "repeated role names": Case(
        {"roles": [{"name": "cook", "count": 1}, {"name": "cook", "count": 2}]},
        ["body", "roles"],
        "roles",
    ),
    "no roles": Case({"roles": []}, ["body", "roles"], "roles"),
    "over-long title": Case({"title": "t" * 201}, ["body", "title"], "title"),
    "empty title": Case({"title": ""}, ["body", "title"], "title"),
    "over-long description": Case({"description": LONG}, ["body", "description"], "description"),
    "unknown category": Case({"category": "gardening"}, ["body", "category"], "category"),
    "unknown urgency": Case({"urgency": "whenever"}, ["body", "urgency"], "urgency"),
    "latitude out of range": Case(
        {"location": {"lat": 90.5, "lon": 0}}, ["body", "location", "lat"], "lat"
    ),
    "longitude out of range": Case(
        {"location": {"lat": 0, "lon": 200}}, ["body", "location", "lon"], "lon"
    ),
    "requirement not a slug": Case(
        {"requirements": ["DBS check"]}, ["body", "requirements", 0], "requirements"
    ),
    "status is not assignable": Case({"status": "filled"}, ["body", "status"], "status"),
    "filled is not assignable": Case(_role(filled=1), ["body", "roles", 0, "filled"], "filled"),
    "agency_id is not assignable": Case(
        {"agency_id": "00000000-0000-4000-8000-000000000000"}, ["body", "agency_id"], "agency_id"
    ),
    "id is not assignable": Case({"id": "mine"}, ["body", "id"], "id"),
    "over-long community_id": Case(
        {"community_id": "c" * 37}, ["body", "community_id"], "community_id"
    ),
    "NUL in the title": Case({"title": "Meals\x00"}, ["body", "title"], "title"),
}

NEED_PATCH_CASES = {
    "null title": Case({"title": None}, ["body", "title"], "title"),
    # A yes/no is true or false, as the schema says: not 0, 1 or "yes".
    "private_location as 0": Case(
        {"private_location": 0}, ["body", "private_location"], "private_location"
    ),
    "open_to_network as yes": Case(
        {"open_to_network": "yes"}, ["body", "open_to_network"], "open_to_network"
    ),
    "null location": Case({"location": None}, ["body", "location"], "location"),
    "null roles": Case({"roles": None}, ["body", "roles"], "roles"),
    "status": Case({"status": "done"}, ["body", "status"], "status"),
    "community_id": Case({"community_id": "elsewhere"}, ["body", "community_id"], "community_id"),
    "agency_id": Case({"agency_id": "elsewhere"}, ["body", "agency_id"], "agency_id"),
    "naive ends_at": Case({"ends_at": "2030-01-01T12:00:00"}, ["body", "ends_at"], "ends_at"),
    "ends_at that overflows UTC": Case(
        {"ends_at": "9999-12-31T20:00:00-05:00"}, ["body", "ends_at"], "ends_at"
    ),
    "ends before it starts": Case(
        {"starts_at": "2030-01-01T12:00:00Z", "ends_at": "2030-01-01T11:00:00Z"},
        ["body"],
        "ends_at",
    ),
    "filled is not assignable": Case(_role(filled=1), ["body", "roles", 0, "filled"], "filled"),
    "no roles": Case({"roles": []}, ["body", "roles"], "roles"),
    "zero people": Case(_role(count=0), ["body", "roles", 0, "count"], "count"),
}


def _community_body(**overrides: Any) -> dict[str, Any]:
    return {
        "name": "Hope Street",
        "meeting_point": {"lat": 51.45, "lon": -2.59},
        "timezone": "Europe/London",
        **overrides,
    }


@pytest.mark.parametrize("case", COMMUNITY_CASES.values(), ids=COMMUNITY_CASES.keys())
def test_a_bad_community_is_refused_naming_the_field(scene: Scene, case: Case) -> None:
    before = scene.snapshot()

    response = scene.client.post(
        "/v1/communities", json=_community_body(**case.overrides), headers=auth(scene.admin_key)
    )

    assert_names_the_field(response, case.loc, case.field)
    assert scene.snapshot() == before


@pytest.mark.parametrize("case", MEMBER_CASES.values(), ids=MEMBER_CASES.keys())
def test_a_bad_member_is_refused_naming_the_field(scene: Scene, case: Case) -> None:
    before = scene.snapshot()

    response = scene.client.post(
        f"/v1/communities/{scene.home.id}/members",
        json=scene.network.member_body(**case.overrides),
        headers=auth(scene.home.coordinator_key),
    )

    assert_names_the_field(response, case.loc, case.field)
    assert scene.snapshot() == before


@pytest.mark.parametrize("case", MEMBER_PATCH_CASES.values(), ids=MEMBER_PATCH_CASES.keys())
def test_a_bad_member_edit_is_refused_naming_the_field(scene: Scene, case: Case) -> None:
    before = scene.snapshot()

    response = scene.client.patch(
        f"/v1/members/{scene.home.member['id']}",
        json={"name": "Changed", **case.overrides},
        headers=auth(scene.home.coordinator_key),
    )

    assert_names_the_field(response, case.loc, case.field)
    assert scene.snapshot() == before


@pytest.mark.parametrize("case", NEED_CASES.values(), ids=NEED_CASES.keys())
def test_a_bad_need_is_refused_naming_the_field(scene: Scene, case: Case) -> None:
    before = scene.snapshot()

    response = scene.client.post(
        "/v1/needs",
        json={**scene.network.need_body(community_id=scene.home.id), **case.overrides},
        headers=auth(scene.home.coordinator_key),
    )

    assert_names_the_field(response, case.loc, case.field)
    assert scene.snapshot() == before


@pytest.mark.parametrize("case", NEED_PATCH_CASES.values(), ids=NEED_PATCH_CASES.keys())
def test_a_bad_need_edit_is_refused_naming_the_field(scene: Scene, case: Case) -> None:
    before = scene.snapshot()

    response = scene.client.patch(
        f"/v1/needs/{scene.need['id']}",
        json={"title": "Changed", **case.overrides},
        headers=auth(scene.home.coordinator_key),
    )

    assert_names_the_field(response, case.loc, case.field)
    assert scene.snapshot() == before


def test_an_agency_request_with_a_bad_field_is_refused_before_any_write(
    scene: Scene,
) -> None:
    agency = scene.network.agency()
    before = scene.snapshot()

    response = scene.client.post(
        "/v1/needs",
        json=scene.network.need_body(status="open", roles=[{"name": "x", "count": 0}]),
        headers=auth(agency["api_key"]),
    )

    assert response.status_code == 422
    assert {tuple(error["loc"]) for error in response.json()["detail"]} == {
        ("body", "status"),
        ("body", "roles", 0, "count"),
    }
    assert scene.snapshot() == before


# Query strings


def _cursor(*values: Any) -> str:
    return base64.urlsafe_b64encode(json.dumps(list(values)).encode()).decode().rstrip("=")


NEED_QUERY_CASES = {
    "latitude above 90": ({"near": "91,0"}, ["query", "near"]),
    "longitude below -180": ({"near": "0,-181"}, ["query", "near"]),
    "near is not a point": ({"near": "the station"}, ["query", "near"]),
    "near has three numbers": ({"near": "1,2,3"}, ["query", "near"]),
    "radius without near": ({"radius_km": 5}, ["query", "radius_km"]),
    "zero radius": ({"near": "51.45,-2.59", "radius_km": 0}, ["query", "radius_km"]),
    "radius over 500 km": ({"near": "51.45,-2.59", "radius_km": 501}, ["query", "radius_km"]),
    "radius not a number": ({"near": "51.45,-2.59", "radius_km": "nan"}, ["query", "radius_km"]),
    "zero limit": ({"limit": 0}, ["query", "limit"]),
    "limit over 200": ({"limit": 201}, ["query", "limit"]),
    "unknown status": ({"status": "pending"}, ["query", "status"]),
    "cursor not base64 json": ({"cursor": "!!!"}, ["query", "cursor"]),
    "cursor of the wrong shape": (
        {"cursor": _cursor("2030-01-01T00:00:00+00:00")},
        ["query", "cursor"],
    ),
    "cursor that is not a time": ({"cursor": _cursor("soon", "x")}, ["query", "cursor"]),
    "over-long cursor": ({"cursor": "a" * (CURSOR_MAX_CHARS + 1)}, ["query", "cursor"]),
}


@pytest.mark.parametrize(("params", "loc"), NEED_QUERY_CASES.values(), ids=NEED_QUERY_CASES.keys())
def test_a_bad_need_query_is_refused_naming_the_parameter(
    scene: Scene, params: dict[str, Any], loc: list[str]
) -> None:
    response = scene.client.get("/v1/needs", params=params, headers=auth(scene.admin_key))

    assert_names_the_field(response, loc, loc[-1])


MEMBER_QUERY_CASES = {
    "zero limit": ({"limit": 0}, ["query", "limit"]),
    "cursor not base64 json": ({"cursor": "%%%"}, ["query", "cursor"]),
    "cursor with numbers": ({"cursor": _cursor(1, 2)}, ["query", "cursor"]),
    "cursor with a NUL": ({"cursor": _cursor("Ann\x00", "x")}, ["query", "cursor"]),
}


@pytest.mark.parametrize(
    ("params", "loc"), MEMBER_QUERY_CASES.values(), ids=MEMBER_QUERY_CASES.keys()
)
def test_a_bad_member_list_query_is_refused_naming_the_parameter(
    scene: Scene, params: dict[str, Any], loc: list[str]
) -> None:
    response = scene.client.get(
        f"/v1/communities/{scene.home.id}/members",
        params=params,
        headers=auth(scene.home.coordinator_key),
    )

    assert_names_the_field(response, loc, loc[-1])


def test_a_need_cursor_with_a_naive_time_is_refused_naming_the_cursor(scene: Scene) -> None:
    response = scene.client.get(
        "/v1/needs",
        params={"cursor": _cursor("2030-01-01T10:00:00", "x")},
        headers=auth(scene.admin_key),
    )

    assert_names_the_field(response, ["query", "cursor"], "cursor")


# Ids in paths


@pytest.mark.parametrize(
    "path",
    [
        "/v1/members/{bad}",
        "/v1/communities/{bad}",
        "/v1/communities/{bad}/members",
        "/v1/needs/{bad}",
    ],
)
def test_an_id_holding_a_nul_character_is_refused_on_both_backends(scene: Scene, path: str) -> None:
    response = scene.client.get(path.format(bad="a%00b"), headers=auth(scene.admin_key))

    assert_names_the_field(response, ["path"], "_id")


def test_editing_through_an_id_holding_a_nul_character_changes_nothing(scene: Scene) -> None:
    before = scene.snapshot()

    responses = [
        scene.client.patch("/v1/needs/a%00b", json={"title": "x"}, headers=auth(scene.admin_key)),
        scene.client.post("/v1/needs/a%00b/cancel", headers=auth(scene.admin_key)),
        scene.client.delete("/v1/members/a%00b", headers=auth(scene.admin_key)),
    ]

    assert [response.status_code for response in responses] == [422, 422, 422]
    assert scene.snapshot() == before


def test_a_nul_character_in_a_skill_name_is_refused_on_both_backends(scene: Scene) -> None:
    response = scene.client.post(
        f"/v1/communities/{scene.home.id}/members",
        json=scene.network.member_body(skills={"cook\x00": 2}),
        headers=auth(scene.home.coordinator_key),
    )

    assert_names_the_field(response, ["body", "skills"], "skills")


# Size and syntax


def _raw_post(scene: Scene, path: str, content: bytes | Iterator[bytes], key: str) -> Any:
    headers = {**auth(key), "Content-Type": "application/json"}
    return scene.client.post(path, content=content, headers=headers)


def test_a_body_over_256_kib_is_refused_with_413_and_nothing_is_written(scene: Scene) -> None:
    body = scene.network.need_body(community_id=scene.home.id, description="x" * (257 * 1024))
    before = scene.snapshot()

    response = _raw_post(scene, "/v1/needs", json.dumps(body).encode(), scene.home.coordinator_key)

    assert response.status_code == 413
    assert response.json()["code"] == "payload_too_large"
    assert scene.snapshot() == before


def test_a_streamed_body_over_256_kib_is_refused_with_413_and_nothing_is_written(
    scene: Scene,
) -> None:
    body = json.dumps(_community_body(name="Streamed")).encode()
    padding = b" " * (64 * 1024)

    def chunks() -> Iterator[bytes]:
        # No Content-Length: the bound has to be enforced while the body streams in.
        yield body[:-1]
        for _ in range(5):
            yield padding
        yield body[-1:]

    before = scene.snapshot()

    response = _raw_post(scene, "/v1/communities", chunks(), scene.admin_key)

    assert response.status_code == 413
    assert response.json()["code"] == "payload_too_large"
    assert scene.snapshot() == before


def test_a_body_under_the_limit_is_accepted_however_it_is_padded(scene: Scene) -> None:
    body = json.dumps(_community_body(name="Padded")).encode() + b" " * (250 * 1024)

    response = _raw_post(scene, "/v1/communities", body, scene.admin_key)

    assert response.status_code == 201
    assert response.json()["name"] == "Padded"


MALFORMED = {
    "truncated json": b'{"name": "Hope", ',
    "json syntax error": b'{"name": }',
    "trailing garbage": b'{"name": "Hope"} and more',
    "a list": b'[{"name": "Hope"}]',
    "a string": b'"Hope Street"',
    "null": b"null",
    "empty body": b"",
    "not utf-8": b'{"name": "\xff\xfe"}',
    "deeply nested": b"[" * 100_000 + b"]" * 100_000,
    "huge integer": b'{"name": "Hope", "meeting_point": {"lat": 1' + b"0" * 5000 + b', "lon": 0}}',
    "NaN latitude": b'{"name": "Hope", "meeting_point": {"lat": NaN, "lon": 0}, "timezone": "UTC"}',
    "Infinity longitude": (
        b'{"name": "Hope", "meeting_point": {"lat": 0, "lon": Infinity}, "timezone": "UTC"}'
    ),
}


@pytest.mark.parametrize("content", MALFORMED.values(), ids=MALFORMED.keys())
def test_malformed_json_is_a_client_error_never_a_500(scene: Scene, content: bytes) -> None:
    before = scene.snapshot()

    response = _raw_post(scene, "/v1/communities", content, scene.admin_key)

    assert 400 <= response.status_code < 500, response.text
    assert "detail" in response.json()
    assert scene.snapshot() == before


@pytest.mark.parametrize(
    "send",
    [
        lambda client, key: client.patch("/v1/members/x", content=b"{", headers=auth(key)),
        lambda client, key: client.post("/v1/needs", content=b"\x00\x01", headers=auth(key)),
        lambda client, key: client.post(
            "/v1/agencies", content=b"name=x", headers={**auth(key), "Content-Type": "text/plain"}
        ),
    ],
    ids=["patch without content type", "binary need", "form-ish agency"],
)
def test_bodies_that_are_not_json_objects_are_client_errors(
    scene: Scene, send: Callable[[TestClient, str], Any]
) -> None:
    before = scene.snapshot()

    response = send(scene.client, scene.admin_key)

    assert 400 <= response.status_code < 500, response.text
    assert scene.snapshot() == before


@pytest.mark.parametrize("content_type", [None, "text/plain", "application/x-www-form-urlencoded"])
def test_a_body_not_sent_as_json_is_told_to_send_json(
    scene: Scene, content_type: str | None
) -> None:
    headers = auth(scene.admin_key)
    if content_type is not None:
        headers["Content-Type"] = content_type
    body = json.dumps({"name": "Food bank", "email": "food@example.org"})

    response = scene.client.post("/v1/agencies", content=body, headers=headers)

    assert response.status_code == 422, response.text
    assert "JSON" in response.json()["message"]
    assert "application/json" in response.json()["message"]


REGEX_MARKS = ("^", "$", "\\d", "[", "{0,")

WORDS_CASES = {
    "email": (
        "post_member",
        {"email": "not-an-email"},
        "an email address like name@example.org",
    ),
    "clock time": (
        "post_member",
        {"availability": [{"day": "sat", "start": "9:00", "end": "12:00"}]},
        "a time like 09:30",
    ),
    "skill name": ("post_member", {"skills": {"Cooking!": 2}}, "lowercase name like"),
    "near": ("near", {}, "latitude,longitude like 51.5072,-0.1276"),
}


@pytest.mark.parametrize(("how", "change", "words"), WORDS_CASES.values(), ids=WORDS_CASES.keys())
def test_a_refused_pattern_is_explained_in_words_not_a_regular_expression(
    scene: Scene, how: str, change: dict[str, Any], words: str
) -> None:
    if how == "near":
        response = scene.client.get("/v1/needs?near=north", headers=auth(scene.admin_key))
    else:
        response = scene.client.post(
            f"/v1/communities/{scene.home.id}/members",
            json=scene.network.member_body(**change),
            headers=auth(scene.admin_key),
        )

    assert response.status_code == 422, response.text
    said = [error["msg"] for error in response.json()["detail"]]
    assert any(words in msg for msg in said), said
    assert not any(mark in msg for mark in REGEX_MARKS for msg in said), said


def test_a_caller_without_a_key_learns_nothing_from_validation(scene: Scene) -> None:
    response = scene.client.post("/v1/needs", json={"status": "done", "roles": []})

    assert response.status_code == 401


def test_the_need_window_is_checked_against_the_stored_one_when_only_one_end_moves(
    scene: Scene,
) -> None:
    early = soon(days=1).isoformat()

    response = scene.client.patch(
        f"/v1/needs/{scene.need['id']}",
        json={"ends_at": early},
        headers=auth(scene.home.coordinator_key),
    )

    assert_names_the_field(response, ["body", "ends_at"], "ends_at")


@pytest.mark.parametrize(
    ("path", "misspelt"),
    [("/v1/needs?stauts=open", "stauts"), ("/v1/needs?status=open&limt=5", "limt")],
)
def test_an_unknown_query_parameter_is_refused_by_name_not_ignored(
    client: TestClient, admin_key: str, path: str, misspelt: str
) -> None:
    response = client.get(path, headers=auth(admin_key))
    assert response.status_code == 422
    body = response.json()
    assert body["detail"][0]["loc"] == ["query", misspelt]
    assert "status" in body["detail"][0]["msg"]  # says what the operation does take
