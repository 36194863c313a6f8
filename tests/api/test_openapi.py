"""The published contract says what the server does, as generated clients and linters read it.

Schema-only checks on ``create_app(...).openapi()``; the contract fuzz then holds the running
service to it (statuses, bodies and the headers declared here).
"""

import re
from collections.abc import Iterator
from typing import Any
from zoneinfo import available_timezones

import pytest
from fastapi.routing import APIRoute, iter_route_contexts
from fastapi.testclient import TestClient

from api.app import create_app
from api.idempotency import HEADER as IDEMPOTENCY_HEADER
from api.members.schemas import MemberManagerUpdate
from api.needs.schemas import NeedUpdate
from api.openapi import json_objects
from api.ratelimit import EXEMPT_PATHS
from api.schemas import Patch
from api.settings import Settings
from tests.factories import Network, auth

APP = create_app(Settings(database_url="sqlite://"))
DOCUMENT = APP.openapi()
SCHEMAS = DOCUMENT["components"]["schemas"]
NULL = {"type": "null"}


def _operations() -> Iterator[tuple[str, str, dict[str, Any]]]:
    for path, item in DOCUMENT["paths"].items():
        for method, operation in item.items():
            yield path, method, operation


def _header(reference: dict[str, Any]) -> dict[str, Any]:
    name = reference["$ref"].removeprefix("#/components/headers/")
    header: dict[str, Any] = DOCUMENT["components"]["headers"][name]
    return header


def _subclasses(base: type) -> Iterator[type]:
    for subclass in base.__subclasses__():
        yield subclass
        yield from _subclasses(subclass)


def test_operation_ids_are_the_route_names_and_unique() -> None:
    routes = [context.route for context in iter_route_contexts(APP.routes)]
    names = [r.name for r in routes if isinstance(r, APIRoute) and r.include_in_schema]
    ids = [operation["operationId"] for _path, _method, operation in _operations()]

    assert len(set(ids)) == len(ids)
    assert sorted(ids) == sorted(names)


def test_every_operation_has_one_declared_tag() -> None:
    declared = {tag["name"] for tag in DOCUMENT["tags"]}
    assert all(tag.get("description") for tag in DOCUMENT["tags"])
    for path, method, operation in _operations():
        assert len(operation["tags"]) == 1, (method, path)
        assert operation["tags"][0] in declared, (method, path)


@pytest.mark.parametrize("model", sorted(_subclasses(Patch), key=lambda model: model.__name__))
def test_patch_fields_are_optional_but_never_nullable(model: type[Patch]) -> None:
    schema = model.model_json_schema()

    assert not schema.get("required")
    for name, field in schema["properties"].items():
        if name in model.CLEARABLE:
            assert NULL in field["anyOf"], name  # null clears it, and the schema says so
            continue
        assert NULL not in field.get("anyOf", []) and field.get("type") != "null", name
        assert "default" not in field, name


def test_the_published_patch_bodies_are_the_non_nullable_ones() -> None:
    for model in (NeedUpdate, MemberManagerUpdate):
        for name, field in SCHEMAS[model.__name__]["properties"].items():
            nullable = NULL in field.get("anyOf", [])
            assert nullable == (name in model.CLEARABLE), (model.__name__, name)


def test_inputs_that_take_null_still_say_so() -> None:
    """Null means "not given" for these, as omitting them does."""
    for model, field in [
        ("NeedCreate", "location"),
        ("NeedCreate", "address"),
        ("CommunityCreate", "meeting_point"),
        ("CommunityCreate", "timezone"),
        ("CommunityCreate", "parent_id"),
        ("RoleIn", "skill"),
    ]:
        assert NULL in SCHEMAS[model]["properties"][field]["anyOf"], (model, field)


def test_lists_the_server_keeps_unique_say_unique_items() -> None:
    for model, field in [
        ("NeedCreate", "requirements"),
        ("NeedCreate", "roles"),
        ("NeedUpdate", "requirements"),
        ("NeedUpdate", "roles"),
        ("MemberCreate", "checks"),
        ("MemberManagerUpdate", "checks"),
    ]:
        assert SCHEMAS[model]["properties"][field]["uniqueItems"] is True, (model, field)


def test_skills_constrain_their_keys_and_values() -> None:
    for model in ("MemberCreate", "MemberManagerUpdate", "MemberOut"):
        skills = SCHEMAS[model]["properties"]["skills"]
        assert skills["propertyNames"]["pattern"] == "^[a-z][a-z0-9_]{0,39}$"
        assert skills["additionalProperties"]["type"] == "integer"
        assert "patternProperties" not in skills
    for schema in json_objects(DOCUMENT):
        if "patternProperties" in schema:
            assert schema.get("additionalProperties") is False, schema


def test_timezone_lists_the_zones_the_server_accepts_each_with_its_own_name() -> None:
    timezone = SCHEMAS["CommunityCreate"]["properties"]["timezone"]["anyOf"][0]
    names = timezone["x-enum-varnames"]

    assert timezone["enum"] == sorted(available_timezones())
    assert len(names) == len(set(names)) == len(timezone["enum"])
    assert all(re.fullmatch(r"[A-Z][A-Z0-9_]*", name) for name in names)


def test_query_parameters_are_optional_not_nullable() -> None:
    for path, method, operation in _operations():
        for parameter in operation.get("parameters", []):
            assert NULL not in parameter["schema"].get("anyOf", []), (method, path, parameter)


def test_every_operation_declares_a_500_error_body() -> None:
    for path, method, operation in _operations():
        content = operation["responses"]["500"]["content"]["application/json"]
        assert content["schema"] == {"$ref": "#/components/schemas/ErrorBody"}, (method, path)


def test_rate_limit_headers_on_every_answer_but_the_health_check() -> None:
    for path, method, operation in _operations():
        for status, response in operation["responses"].items():
            headers = response.get("headers", {})
            limited = {name for name in headers if name.startswith("RateLimit-")}
            expected = set() if path in EXEMPT_PATHS else {"Limit", "Remaining", "Reset"}
            assert limited == {f"RateLimit-{name}" for name in expected}, (method, path, status)
            # Rate limits can be turned off: never promised.
            assert not any(_header(headers[name])["required"] for name in limited)


def test_headers_the_error_handlers_always_send_are_required() -> None:
    for path, method, operation in _operations():
        for status, name in [("401", "WWW-Authenticate"), ("429", "Retry-After")]:
            if status in operation["responses"]:
                header = _header(operation["responses"][status]["headers"][name])
                assert header["required"] is True, (method, path)
        retry = _header(operation["responses"]["503"]["headers"]["Retry-After"])
        assert retry["required"] is True, (method, path)


def test_the_health_check_is_typed_open_and_never_limited() -> None:
    operation = DOCUMENT["paths"]["/healthz"]["get"]
    health = {"$ref": "#/components/schemas/Health"}

    assert operation["responses"]["200"]["content"]["application/json"]["schema"] == health
    assert operation["responses"]["503"]["content"]["application/json"]["schema"] == health
    assert not {"401", "429"} & set(operation["responses"])
    assert operation["security"] == [{}]


def test_creating_posts_declare_the_replay_header_on_success_only() -> None:
    creating = 0
    for path, method, operation in _operations():
        takes_key = any(p["name"] == IDEMPOTENCY_HEADER for p in operation.get("parameters", []))
        creating += takes_key
        for status, response in operation["responses"].items():
            replay = "Idempotent-Replayed" in response.get("headers", {})
            assert replay == (takes_key and status.startswith("2")), (method, path, status)
    # needs, sign-ups, invitations, households, communities, coordinators, members, agencies,
    # teams and batches sent as invitations, and multiplications
    assert creating == 11


def test_the_geojson_list_declares_its_next_link() -> None:
    link = DOCUMENT["paths"]["/v1/needs.geojson"]["get"]["responses"]["200"]["headers"]["Link"]
    assert link["required"] is False and link["schema"]["maxLength"] >= 1024


def test_an_explicit_null_in_a_patch_is_refused_naming_the_field(
    client: TestClient, network: Network
) -> None:
    home = network.staffed_community()
    need = network.need(home.coordinator_key, community_id=home.id)

    answer = client.patch(
        f"/v1/needs/{need['id']}", json={"title": None}, headers=auth(home.coordinator_key)
    )

    assert answer.status_code == 422
    assert answer.json()["detail"][0]["loc"] == ["body", "title"]


def test_a_null_where_the_schema_allows_one_means_not_given(
    client: TestClient, network: Network
) -> None:
    community = network.community(address=None, parent_id=None, timezone=None)
    coordinator_key = network.coordinator(community["id"])["api_key"]
    need = network.need_body(community_id=community["id"], address=None)
    role = {"name": "helper", "skill": None, "count": 1}

    posted = client.post("/v1/needs", json=need | {"roles": [role]}, headers=auth(coordinator_key))
    issued = client.post(
        "/v1/keys",
        json={"name": "rota", "expires_at": None, "role": None, "principal_id": None},
        headers=auth(coordinator_key),
    )

    assert community["timezone"] == "Europe/London"  # found at the meeting point
    assert posted.status_code == 201, posted.text
    assert issued.status_code == 201, issued.text


def test_schema_names_are_plain_so_client_generators_keep_them() -> None:
    """Two models of one name make FastAPI publish module-qualified names
    (``api__errors__Violation``), and openapi-python-client drops what refers to them."""
    qualified = [name for name in SCHEMAS if "__" in name]
    assert qualified == []
