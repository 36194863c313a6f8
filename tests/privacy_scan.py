"""A privacy check on every JSON body the suite's traffic produces.

Hooked onto the shared test client (``tests/conftest.py``): after each response to a caller
who is not an admin, every number in the body is compared with the exact homes and private
need places in the database *at that moment* that the caller is not entitled to. A body
holding both coordinates of one (within ~11 m, i.e. finer than any cell) fails the request
that produced it, naming the caller, the route and the place. The cell centre itself is
what may be shown, so it is not counted. Entitled (``api.privacy``): a home to the member,
their community's coordinators and admins; a private place to its owners and to members
with a place on it.
"""

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import httpx2 as httpx
from sqlalchemy import Engine, text

from api.auth.credentials import hash_key
from geo.privacy import coarsen

TOLERANCE_DEG = 1e-4
"""About 11 m of latitude: far finer than any cell, far coarser than float noise."""


@dataclass(frozen=True)
class Secret:
    """An exact point, what it is, and who may see it."""

    what: str
    lat: float
    lon: float
    entitled: frozenset[str]  # "role:id" of entitled callers (admins always are)


def _numbers(document: Any) -> Iterator[float]:
    if isinstance(document, bool):
        return
    if isinstance(document, float):
        yield document
    elif isinstance(document, dict):
        for value in document.values():
            yield from _numbers(value)
    elif isinstance(document, list):
        for value in document:
            yield from _numbers(value)


class PrivacyScanner:
    """Fails any response that shows a caller an exact point they are not entitled to."""

    def __init__(self, engine: Engine, *, cell_km: float) -> None:
        self.engine = engine
        self.cell_km = cell_km
        self.scanned = 0

    def __call__(self, response: httpx.Response) -> None:
        """An httpx response hook."""
        if "json" not in response.headers.get("content-type", ""):
            return
        authorization = response.request.headers.get("authorization", "")
        if not authorization.startswith("Bearer "):
            return
        response.read()
        numbers = list(_numbers(response.json()))
        if len(numbers) < 2:
            return
        caller = self._caller(authorization.removeprefix("Bearer "))
        if caller is None or caller.startswith("admin:"):
            return
        self.scanned += 1
        leaks = self._leaks(caller, numbers)
        assert not leaks, (
            f"{response.request.method} {response.request.url.path} showed {caller} "
            f"the exact {', '.join(leaks)} (cell {self.cell_km} km)"
        )

    def _caller(self, key: str) -> str | None:
        with self.engine.connect() as connection:
            row = connection.execute(
                text("SELECT role, principal_id FROM api_keys WHERE key_hash = :hash"),
                {"hash": hash_key(key)},
            ).first()
        return None if row is None else f"{row.role}:{row.principal_id}"

    def _secrets(self) -> list[Secret]:
        with self.engine.connect() as connection:
            coordinators: dict[str, set[str]] = {}
            for coordinator_id, community_id in connection.execute(
                text("SELECT coordinator_id, community_id FROM coordinator_communities")
            ):
                coordinators.setdefault(community_id, set()).add(f"coordinator:{coordinator_id}")
            homes = [
                Secret(
                    f"home of member {row.id}",
                    row.home_lat,
                    row.home_lon,
                    frozenset({f"member:{row.id}", *coordinators.get(row.community_id, ())}),
                )
                for row in connection.execute(
                    text("SELECT id, community_id, home_lat, home_lon FROM members")
                )
            ]
            signed_up: dict[str, set[str]] = {}
            for need_id, member_id in connection.execute(
                text("SELECT need_id, member_id FROM signups")
            ):
                signed_up.setdefault(need_id, set()).add(f"member:{member_id}")
            places = [
                Secret(
                    f"private place of need {row.id}",
                    row.location_lat,
                    row.location_lon,
                    frozenset(
                        {
                            *coordinators.get(row.community_id, ()),
                            f"agency:{row.agency_id}",
                            *signed_up.get(row.id, ()),
                        }
                    ),
                )
                for row in connection.execute(
                    text(
                        "SELECT id, community_id, agency_id, location_lat, location_lon "
                        "FROM needs WHERE private_location"
                    )
                )
            ]
            public = [
                (row.location_lat, row.location_lon)
                for row in connection.execute(
                    text("SELECT location_lat, location_lon FROM needs WHERE NOT private_location")
                )
            ]
        # A point the caller may see anyway (a public need, their own home) says nothing new.
        return homes + places + [Secret("public", lat, lon, frozenset()) for lat, lon in public]

    def _leaks(self, caller: str, numbers: list[float]) -> list[str]:
        secrets = self._secrets()
        seen_anyway = {
            (round(secret.lat, 6), round(secret.lon, 6))
            for secret in secrets
            if secret.what == "public" or caller in secret.entitled
        }
        leaks = []
        for secret in secrets:
            if caller in secret.entitled or secret.what == "public":
                continue
            if (round(secret.lat, 6), round(secret.lon, 6)) in seen_anyway:
                continue
            cell = coarsen(secret.lat, secret.lon, cell_km=self.cell_km)
            near = [
                number
                for number in numbers
                if number not in (cell.lat, cell.lon)
                and min(abs(number - secret.lat), abs(number - secret.lon)) < TOLERANCE_DEG
            ]
            has_lat = any(abs(number - secret.lat) < TOLERANCE_DEG for number in near)
            has_lon = any(abs(number - secret.lon) < TOLERANCE_DEG for number in near)
            if has_lat and has_lon:
                leaks.append(f"{secret.what} ({secret.lat}, {secret.lon})")
        return leaks
