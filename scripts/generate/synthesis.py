"""A whole synthetic network as numpy columns, reproducible from a seed.

Pure: no database, no clock. Each part draws from its own child of the seed
(``SeedSequence.spawn``), so asking for more needs leaves the members unchanged. Two calls with
the same arguments give identical arrays, which ``digest`` makes easy to check.
"""

import hashlib
from dataclasses import dataclass, fields
from datetime import UTC, date, datetime

import numpy as np

from geo.cities import City, largest_cities
from scripts.generate.members import MemberTable, synthesize_members
from scripts.generate.needs import NeedTable, RoleTable, synthesize_needs
from scripts.generate.places import (
    AgencyTable,
    CommunityTable,
    CoordinatorTable,
    synthesize_agencies,
    synthesize_communities,
)

ALL_CITIES = 100_000
"""More than any country has, so ``largest_cities`` returns every city of the country."""


@dataclass(frozen=True)
class Network:
    """Every table of a synthetic network; rows refer to each other by index."""

    seed: int
    country: str
    start: date
    """The day the network is "as of": created before it, needs over the four weeks after."""
    cities: tuple[City, ...]
    communities: CommunityTable
    coordinators: CoordinatorTable
    agencies: AgencyTable
    members: MemberTable
    needs: NeedTable
    roles: RoleTable

    @property
    def now_s(self) -> int:
        """The start day's midnight UTC, in epoch seconds."""
        return epoch_day(self.start)


class UnknownCountry(ValueError):
    """No city of the requested country is known (``--country`` takes an ISO code: GB, US…)."""


def epoch_day(day: date) -> int:
    """Midnight UTC of ``day`` in epoch seconds."""
    return int(datetime(day.year, day.month, day.day, tzinfo=UTC).timestamp())


def stream(seed: int, index: int) -> np.random.SeedSequence:
    """The ``index``-th independent child of ``seed`` (one per part of the network)."""
    return np.random.SeedSequence(seed, spawn_key=(index,))


def synthesize(*, members: int, needs: int, seed: int, start: date, country: str = "GB") -> Network:
    """A national network of ``members`` members and ``needs`` open needs in ``country``."""
    if members < 1:
        raise ValueError("a network needs at least one member")
    if needs < 0:
        raise ValueError("needs must be zero or more")
    cities = tuple(largest_cities(ALL_CITIES, country_code=country))
    if not cities:
        raise UnknownCountry(f"no cities known for country {country!r} (use an ISO code, e.g. GB)")
    now_s = epoch_day(start)
    places, people, requests, agency_stream = (
        np.random.default_rng(stream(seed, index)) for index in range(4)
    )
    communities, coordinators = synthesize_communities(
        places, cities, member_count=members, now_s=now_s
    )
    agencies = synthesize_agencies(agency_stream, cities, communities, now_s=now_s)
    need_table, roles = synthesize_needs(
        requests, cities, communities, agencies, count=needs, start=start, now_s=now_s
    )
    return Network(
        seed=seed,
        country=country.upper(),
        start=start,
        cities=cities,
        communities=communities,
        coordinators=coordinators,
        agencies=agencies,
        members=synthesize_members(people, communities, now_s=now_s),
        needs=need_table,
        roles=roles,
    )


def digest(network: Network) -> str:
    """SHA-256 over every column of every table: equal digests mean identical networks."""
    hasher = hashlib.sha256(f"{network.seed}|{network.country}|{network.start}".encode())
    for table in (
        network.communities,
        network.coordinators,
        network.agencies,
        network.members,
        network.needs,
        network.roles,
    ):
        for field in fields(table):
            value = getattr(table, field.name)
            hasher.update(field.name.encode())
            if isinstance(value, np.ndarray) and value.dtype == object:
                hasher.update("\x1f".join(map(str, value.tolist())).encode())
            elif isinstance(value, np.ndarray):
                hasher.update(str(value.dtype).encode() + str(value.shape).encode())
                hasher.update(np.ascontiguousarray(value).tobytes())
            else:
                hasher.update(repr(value).encode())
    return hasher.hexdigest()
