"""Contract fuzzing: schemathesis drives every operation of the OpenAPI schema, per role.

Each operation is run with positive (schema-valid) and negative (schema-violating) data, once
for each role's key, on a seeded network so that path ids mostly name real objects (not only
404s). The checks are schemathesis' defaults: no 5xx, status codes and bodies as declared,
invalid input refused with a 4xx, authentication not ignored. Bounded and derandomised so a
CI run is repeatable and takes a couple of minutes.
"""

import re
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

import pytest
import schemathesis
from fastapi import FastAPI
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from schemathesis.config import SchemathesisConfig

from api.app import create_app
from api.settings import Settings
from tests.factories import Network, auth
from tests.figures import FIGURES

MAX_EXAMPLES = 25
FUZZ_CASES = "contract fuzzing: schemathesis cases run"
ROLES = ("admin", "coordinator", "member", "agency")
RESOURCE_ID = re.compile(r"^[A-Za-z0-9-]{1,36}$")

CONFIG = SchemathesisConfig.from_dict(
    {
        "generation": {
            "max-examples": MAX_EXAMPLES,
            "deterministic": True,
            "database": "none",
        },
        # Schema-valid is not always valid: a time zone must exist, a window must end after it
        # starts. The service names the field in a documented 422 for those, and that is fine.
        "checks": {
            "positive_data_acceptance": {
                "expected-statuses": ["2xx", "401", "403", "404", "409", "422"],
            },
            # Its replay without the key goes over the network, not through the ASGI app;
            # missing, unknown and revoked keys are the authorization matrix's rows instead.
            "ignored_auth": {"enabled": False},
        },
    }
)

# Every date and instant the fuzz sends leans on the edges: the service's years (2000–2100),
# the calendar's (year 1, year 9999 with offsets that overflow UTC) and the engine's day
# arithmetic (2871-11-26 once broke matching for everyone near one member), mixed with
# ordinary values.
EDGE_DATES = [
    "0001-01-01", "1999-12-31", "2000-01-01", "2100-12-31", "2101-01-01",
    "2871-11-25", "2871-11-26", "9999-12-31",
]  # fmt: skip
EDGE_OFFSETS = ["Z", "+14:00", "-12:00", "+01:00", "-05:00"]
schemathesis.openapi.format(
    "date", st.one_of(st.sampled_from(EDGE_DATES), st.dates().map(date.isoformat))
)
schemathesis.openapi.format(
    "date-time",
    st.one_of(
        st.builds(
            "{}T{}{}".format,
            st.sampled_from(EDGE_DATES),
            st.sampled_from(["00:00:00", "20:00:00", "23:59:59"]),
            st.sampled_from(EDGE_OFFSETS),
        ),
        st.datetimes(timezones=st.timezones()).map(datetime.isoformat),
    ),
)

# The schema does not depend on the database, so an app that never connects serves it.
schema = schemathesis.openapi.from_dict(
    create_app(Settings(database_url="sqlite://")).openapi(), config=CONFIG
)


@dataclass
class World:
    """The seeded network of the running test: real ids to aim path parameters at."""

    ids: dict[str, list[str]] = field(default_factory=dict)
    keys: dict[str, str] = field(default_factory=dict)


WORLD = World()


@schema.hook
def map_path_parameters(_context: Any, path_parameters: dict[str, Any] | None) -> dict[str, Any]:
    """Point most well-formed ids at real objects; keep one in four as generated (a 404)."""
    mapped = dict(path_parameters or {})
    for name, value in mapped.items():
        real = WORLD.ids.get(name)
        if not real or not isinstance(value, str) or not RESOURCE_ID.match(value):
            continue
        pick = zlib.crc32(value.encode())
        if pick % 4:
            mapped[name] = real[pick % len(real)]
    return mapped


def _seed(network: Network) -> World:
    home = network.staffed_community()
    other = network.staffed_community()
    neighbour = network.member(home.id)
    agency = network.agency()
    need = network.need(home.coordinator_key, community_id=home.id)
    other_need = network.need(other.coordinator_key, community_id=other.id)
    agency_need = network.need(agency["api_key"], open_to_network=True)
    signup = network.client.post(
        f"/v1/needs/{need['id']}/signups",
        json={"member_id": home.member["id"], "role": "cook"},
        headers=auth(home.member_key),
    )
    assert signup.status_code == 201, signup.text
    household = network.client.post(
        f"/v1/communities/{home.id}/households",
        json={"name": "Household", "member_ids": [home.member["id"], neighbour["id"]]},
        headers=auth(home.coordinator_key),
    )
    assert household.status_code == 201, household.text
    invitation = network.client.post(
        f"/v1/needs/{need['id']}/invitations",
        json={"member_id": neighbour["id"], "role": "cook"},
        headers=auth(home.coordinator_key),
    )
    assert invitation.status_code == 201, invitation.text
    spare_keys = [
        network.client.post("/v1/keys", json={"name": "spare"}, headers=auth(key)).json()["id"]
        for key in (home.member_key, home.coordinator_key)
    ]
    return World(
        ids={
            "key_id": spare_keys,
            "community_id": [home.id, other.id],
            "member_id": [home.member["id"], neighbour["id"], other.member["id"]],
            "need_id": [need["id"], agency_need["id"], other_need["id"]],
            "signup_id": [signup.json()["id"], invitation.json()["id"]],
            "household_id": [household.json()["id"]],
        },
        keys={
            "admin": network.admin_key,
            "coordinator": home.coordinator_key,
            "member": home.member_key,
            "agency": agency["api_key"],
        },
    )


@pytest.fixture(params=ROLES)
def role(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def world(network: Network) -> Iterator[World]:
    seeded = _seed(network)
    WORLD.ids, WORLD.keys = seeded.ids, seeded.keys  # read by the hook while generating
    yield WORLD
    WORLD.ids, WORLD.keys = {}, {}


# The world is per operation (fresh database and network), not per example: examples of one
# operation share it on purpose. Requests through the app are slow for Hypothesis's taste.
@schema.parametrize()
@settings(
    max_examples=MAX_EXAMPLES,
    derandomize=True,
    database=None,
    deadline=None,
    suppress_health_check=list(HealthCheck),
)
def test_operation_keeps_its_contract(case: Any, app: FastAPI, world: World, role: str) -> None:
    FIGURES[FUZZ_CASES] += 1
    case.call_and_validate(app=app, headers=auth(world.keys[role]))
