"""Small factories that build test data through the public API, as a client would."""

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from itertools import count
from typing import Any

from fastapi.testclient import TestClient

_serial = count(1)


def auth(key: str) -> dict[str, str]:
    """The header for a bearer key."""
    return {"Authorization": f"Bearer {key}"}


def signed_in(client: TestClient, key: str) -> TestClient:
    """``client`` signed in to the pages with ``key``, as the sign-in form does it."""
    form = client.get("/")
    token = re.search(r'name="csrf_token" value="([^"]+)"', form.text)
    assert token is not None, form.text
    signed = client.post("/", data={"key": key, "csrf_token": token.group(1)})
    assert signed.status_code in (200, 303), signed.text
    return client


def soon(days: int = 3, hour: int = 10) -> datetime:
    """A future instant at a round hour, so need windows are stable and in the future."""
    day = (datetime.now(UTC) + timedelta(days=days)).date()
    return datetime(day.year, day.month, day.day, hour, tzinfo=UTC)


def every_day(start: str, end: str) -> list[dict[str, str]]:
    """Weekly availability from ``start`` to ``end`` on all seven days."""
    days = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
    return [{"day": day, "start": start, "end": end} for day in days]


def _created(response: Any) -> dict[str, Any]:
    assert response.status_code in (200, 201), response.text
    body: dict[str, Any] = response.json()
    return body


@dataclass(frozen=True)
class Staffed:
    """A community with one coordinator and one member: the usual cast of an access test."""

    community: dict[str, Any]
    coordinator: dict[str, Any]
    member: dict[str, Any]

    @property
    def id(self) -> str:
        return str(self.community["id"])

    @property
    def coordinator_key(self) -> str:
        return str(self.coordinator["api_key"])

    @property
    def member_key(self) -> str:
        return str(self.member["api_key"])


class Network:
    """Builds communities, coordinators, agencies, members and needs over HTTP."""

    def __init__(self, client: TestClient, admin_key: str) -> None:
        self.client = client
        self.admin_key = admin_key

    def community(self, **overrides: Any) -> dict[str, Any]:
        body = {
            "name": f"Community {next(_serial)}",
            "meeting_point": {"lat": 51.4545, "lon": -2.5879},
            "timezone": "Europe/London",
            **overrides,
        }
        return _created(
            self.client.post("/v1/communities", json=body, headers=auth(self.admin_key))
        )

    def coordinator(self, community_id: str, **overrides: Any) -> dict[str, Any]:
        serial = next(_serial)
        body = {"name": f"Coordinator {serial}", "email": f"coord{serial}@example.org"}
        return _created(
            self.client.post(
                f"/v1/communities/{community_id}/coordinators",
                json={**body, **overrides},
                headers=auth(self.admin_key),
            )
        )

    def agency(self, **overrides: Any) -> dict[str, Any]:
        serial = next(_serial)
        body = {"name": f"Agency {serial}", "email": f"agency{serial}@example.org", **overrides}
        return _created(self.client.post("/v1/agencies", json=body, headers=auth(self.admin_key)))

    def member_body(self, **overrides: Any) -> dict[str, Any]:
        serial = next(_serial)
        return {
            "name": f"Member {serial}",
            "email": f"member{serial}@example.org",
            "home": {"lat": 51.46, "lon": -2.59},
            "max_travel_km": 10,
            "skills": {"cooking": 2},
            "availability": every_day("08:00", "20:00"),
            **overrides,
        }

    def member(self, community_id: str, key: str | None = None, **overrides: Any) -> dict[str, Any]:
        return _created(
            self.client.post(
                f"/v1/communities/{community_id}/members",
                json=self.member_body(**overrides),
                headers=auth(key or self.admin_key),
            )
        )

    def staffed_community(self, **overrides: Any) -> Staffed:
        community = self.community(**overrides)
        return Staffed(
            community=community,
            coordinator=self.coordinator(community["id"]),
            member=self.member(community["id"]),
        )

    def need_body(self, **overrides: Any) -> dict[str, Any]:
        starts_at = soon()
        return {
            "title": "Meals for a family",
            "description": "A new baby has arrived",
            "category": "meals",
            "location": {"lat": 51.455, "lon": -2.59},
            "starts_at": starts_at.isoformat(),
            "ends_at": (starts_at + timedelta(hours=2)).isoformat(),
            "roles": [{"name": "cook", "skill": "cooking", "count": 2}],
            **overrides,
        }

    def need(self, key: str, **overrides: Any) -> dict[str, Any]:
        return _created(
            self.client.post("/v1/needs", json=self.need_body(**overrides), headers=auth(key))
        )
