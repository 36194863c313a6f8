"""A client generated from the published OpenAPI schema runs the README walk-through.

The schema is what users build clients from, so it has to describe the API that is served.
Every call here goes through the functions and models openapi-python-client generates from
``app.openapi()``, over real HTTP, on both backends: a request the typed client builds that
the server refuses, a status the schema does not declare, or a body the generated parser
cannot read fails the walk-through.
"""

import json
from collections.abc import Iterator
from datetime import timedelta
from http import HTTPStatus
from typing import Any

import attrs
import httpx
import pytest

from api.app import create_app
from api.settings import Settings
from tests.factories import Network, every_day, soon
from tests.generated_client import GeneratedClient, generated_client

REPLAYED = "Idempotent-Replayed"


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> Iterator[GeneratedClient]:
    # The schema does not depend on the database, so one generation serves both backends.
    app = create_app(Settings(database_url="sqlite://"))
    schema = app.openapi()
    app.state.engine.dispose()
    with generated_client(schema, tmp_path_factory.mktemp("generated")) as client:
        yield client


def expect(response: Any, status: HTTPStatus, model: Any) -> Any:
    """The parsed body of ``response``, which must have ``status`` and parse as ``model``."""
    assert response.status_code == status, response.content
    assert isinstance(response.parsed, model), response.parsed
    return response.parsed


def window(days: int) -> dict[str, str]:
    """Two hours from 10:00 UTC, inside the member's every-day 08:00–20:00 in London."""
    starts_at = soon(days=days)
    return {
        "starts_at": starts_at.isoformat(),
        "ends_at": (starts_at + timedelta(hours=2)).isoformat(),
    }


def test_generated_client_runs_the_readme_walk_through(
    generated: GeneratedClient, live_server: str, admin_key: str
) -> None:
    call, model = generated.operation, generated.model
    admin = generated.authenticated(live_server, admin_key)
    # Bodies are built by the generated models' own parsers from the README's JSON, so nested
    # models and enums are the generated ones without naming their generated classes.
    community = expect(
        call("create_community").sync_detailed(
            client=admin,
            body=model("CommunityCreate").from_dict(
                {
                    "name": "Clifton Community",
                    "meeting_point": {"lat": 51.4545, "lon": -2.6201},
                    "timezone": "Europe/London",
                }
            ),
        ),
        HTTPStatus.CREATED,
        model("CommunityOut"),
    )
    assert community.timezone == "Europe/London"

    coordinator = expect(
        call("add_coordinator").sync_detailed(
            community.id,
            client=admin,
            body=model("CoordinatorCreate").from_dict(
                {"name": "Ana", "email": "ana@clifton.example"}
            ),
        ),
        HTTPStatus.CREATED,
        model("CoordinatorOut"),
    )
    assert isinstance(coordinator.api_key, str), "the coordinator's key is shown once"
    sent_by_coordinator: list[httpx.Request] = []
    coordinating = generated.authenticated(
        live_server, coordinator.api_key, on_request=sent_by_coordinator.append
    )

    member = expect(
        call("create_member").sync_detailed(
            community.id,
            client=coordinating,
            body=model("MemberCreate").from_dict(
                {
                    "name": "Sam Okafor",
                    "email": "sam@example.org",
                    "home": {"lat": 51.457, "lon": -2.61},
                    "max_travel_km": 5,
                    "skills": {"cooking": 2, "driving": 1},
                    "interests": "baking, kids clubs",
                    "availability": every_day("08:00", "20:00"),
                    "stage": "growing",
                }
            ),
        ),
        HTTPStatus.CREATED,
        model("MemberCreated"),
    )
    assert member.stage == "growing"
    assert isinstance(member.api_key, str)
    as_member = generated.authenticated(live_server, member.api_key)

    meals = model("NeedCreate").from_dict(
        {
            "community_id": community.id,
            "title": "Meals for a new family",
            "category": "meals",
            "location": {"lat": 51.456, "lon": -2.615},
            "private_location": True,
            **window(days=3),
            "roles": [
                {"name": "cook", "skill": "cooking", "min_level": 1, "count": 2},
                {"name": "driver", "skill": "driving", "count": 1},
            ],
        }
    )
    need = expect(
        call("create_need").sync_detailed(client=coordinating, body=meals),
        HTTPStatus.CREATED,
        model("NeedOut"),
    )
    assert need.private_location is True
    assert [(role.name, role.filled) for role in need.roles] == [("cook", 0), ("driver", 0)]

    agency = expect(
        call("create_agency").sync_detailed(
            client=admin,
            body=model("AgencyCreate").from_dict(
                {"name": "Bristol Food Bank", "email": "hello@foodbank.example"}
            ),
        ),
        HTTPStatus.CREATED,
        model("AgencyCreated"),
    )
    as_agency = generated.authenticated(live_server, agency.api_key)
    request = expect(
        call("create_need").sync_detailed(
            client=as_agency,
            body=model("NeedCreate").from_dict(
                {
                    "title": "Sort donations",
                    "category": "meals",
                    "location": {"lat": 51.47, "lon": -2.58},
                    **window(days=4),
                    "roles": [{"name": "sorter", "count": 4}],
                    "open_to_network": True,
                }
            ),
        ),
        HTTPStatus.CREATED,
        model("NeedOut"),
    )
    assert request.status == "open"
    assert request.agency_id == agency.id

    nearby = expect(
        call("list_needs").sync_detailed(
            client=coordinating, near="51.455,-2.59", radius_km=5, limit=5
        ),
        HTTPStatus.OK,
        model("PageNeedOut"),
    )
    assert need.id in [item.id for item in nearby.items]

    candidates = expect(
        call("need_candidates").sync_detailed(need.id, client=coordinating, limit=5),
        HTTPStatus.OK,
        model("Candidates"),
    )
    assert member.id in [candidate.member_id for candidate in candidates.candidates]

    suggestions = expect(
        call("member_suggestions").sync_detailed(member.id, client=as_member),
        HTTPStatus.OK,
        model("Suggestions"),
    )
    assert suggestions.suggestions, "the member has open needs nearby that fit their week"
    best = suggestions.suggestions[0]
    assert best.reasons

    signup = expect(
        call("sign_up").sync_detailed(
            best.need_id,
            client=as_member,
            body=model("SignupCreate")(member_id=member.id, role=best.role),
        ),
        HTTPStatus.CREATED,
        model("SignupOut"),
    )
    assert (signup.member_id, signup.role) == (member.id, best.role)

    def places_taken() -> int:
        chosen = expect(
            call("get_need").sync_detailed(best.need_id, client=admin),
            HTTPStatus.OK,
            model("NeedOut"),
        )
        return sum(role.filled for role in chosen.roles if role.name == best.role)

    assert places_taken() == 1
    withdrawn = call("withdraw").sync_detailed(best.need_id, signup.id, client=as_member)
    assert withdrawn.status_code == HTTPStatus.NO_CONTENT, withdrawn.content
    assert places_taken() == 0

    fence = model("NeedCreate").from_dict(
        {
            "community_id": community.id,
            "title": "Paint a fence",
            "category": "repair",
            "location": {"lat": 51.456, "lon": -2.615},
            **window(days=5),
            "roles": [{"name": "painter", "count": 2}],
        }
    )
    first, retry = (
        call("create_need").sync_detailed(
            client=coordinating, body=fence, idempotency_key="paint-the-fence-1"
        )
        for _ in range(2)
    )
    created = expect(first, HTTPStatus.CREATED, model("NeedOut"))
    assert REPLAYED not in first.headers
    replayed = expect(retry, HTTPStatus.CREATED, model("NeedOut"))
    assert retry.headers[REPLAYED] == "true"
    assert replayed.id == created.id

    sent_by_coordinator.clear()
    updated = expect(
        call("update_member").sync_detailed(
            member.id, client=coordinating, body=model("MemberManagerUpdate")(max_travel_km=3)
        ),
        HTTPStatus.OK,
        model("MemberOut"),
    )
    (patch,) = sent_by_coordinator
    assert json.loads(patch.content) == {"max_travel_km": 3}, "unset fields are left out"
    assert updated.max_travel_km == 3
    assert updated.skills.to_dict() == {"cooking": 2, "driving": 1}


def test_every_null_the_generated_patch_models_allow_is_accepted(
    generated: GeneratedClient, network: Network, live_server: str
) -> None:
    # A field typed "T | None" tells a user of the typed client that null is a value to send;
    # a server that then refuses null was described wrongly (omit the field to keep it).
    staffed = network.staffed_community()
    need = network.need(staffed.coordinator_key, community_id=staffed.id)
    coordinating = generated.authenticated(live_server, staffed.coordinator_key)
    patches = {
        "update_member": (staffed.member["id"], "MemberManagerUpdate"),
        "update_need": (need["id"], "NeedUpdate"),
    }
    refused: dict[str, str] = {}
    for operation_id, (object_id, model_name) in patches.items():
        model = generated.model(model_name)
        for field in attrs.fields(model):
            if not field.init or "None" not in str(field.type).replace(" ", "").split("|"):
                continue
            response = generated.operation(operation_id).sync_detailed(
                object_id, client=coordinating, body=model(**{field.name: None})
            )
            if response.status_code != HTTPStatus.OK:
                said = getattr(response.parsed, "message", response.content)
                refused[f"{model_name}.{field.name}"] = f"{response.status_code} {said}"
    assert not refused, "\n".join(f"{field}: {said}" for field, said in refused.items())
