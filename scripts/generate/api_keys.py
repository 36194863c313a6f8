"""API keys for benchmarking a generated network, and the keys file that hands them over.

Only SHA-256 digests go into ``api_keys`` (``api.auth.credentials.hash_key``), exactly as keys
the API issues; the keys themselves come from ``secrets`` — never from the seed, or anyone who
knows the seed could rebuild them — and are written once to a 0600 JSON file shaped like this
(``scripts/bench.py`` reads it; keep the shape stable):

    {
      "admin": "sm_…",
      "coordinators": [{"key": "sm_…", "id": "<coordinator id>", "community_ids": ["…"]}],
      "members": [{"key": "sm_…", "id": "<member id>", "community_id": "…"}],
      "agencies": [{"key": "sm_…", "id": "<agency id>"}],
      "needs": ["<need id>", …]
    }

Samples (chosen with the seed, so the same principals and needs each run): up to 200
coordinators, 1000 active members and 100 agencies; ``needs`` holds up to 2000 open needs —
first the community needs of the sampled coordinators' communities, then agency needs to fill.
"""

import json
import os
import secrets
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from api.auth.credentials import KEY_PREFIX, KEY_RANDOM_BYTES, SHOWN_PREFIX_CHARS, hash_key
from scripts.generate.rows import Row, Table, Timestamps
from scripts.generate.synthesis import Network, stream
from scripts.generate.vocabulary import FIRST_NAMES, SURNAMES

COORDINATOR_SAMPLE = 200
MEMBER_SAMPLE = 1000
AGENCY_SAMPLE = 100
NEED_SAMPLE = 2000
UNUSED = (None, None, None)
"""A new key's last_used_at, expires_at and revoked_at."""
KEYS_STREAM = 4
"""Which child of the seed draws the samples (0-3 are the network's own)."""


@dataclass(frozen=True)
class BenchKeys:
    """The keys file's document and the ``api_keys`` rows holding their digests."""

    document: dict[str, Any]
    rows: list[tuple[str, str | None, str, str]]
    """(key, principal id, role, name) per key."""

    def table(self, *, now_s: int, timestamps: Timestamps) -> Table:
        """The ``api_keys`` rows, ready for a loader."""
        created = timestamps(np.full(len(self.rows), now_s, dtype=np.int64))
        rendered: list[Row] = [
            (
                str(uuid.uuid4()),
                hash_key(key),
                key[:SHOWN_PREFIX_CHARS],
                role,
                principal,
                name,
                stamp,
                *UNUSED,
            )
            for (key, principal, role, name), stamp in zip(self.rows, created, strict=True)
        ]
        columns = (
            "id", "key_hash", "prefix", "role", "principal_id", "name", "created_at",
            "last_used_at", "expires_at", "revoked_at",
        )  # fmt: skip
        return Table("api_keys", columns, len(rendered), lambda rows: rendered[rows])


def _new_key() -> str:
    return KEY_PREFIX + secrets.token_urlsafe(KEY_RANDOM_BYTES)


def _sample(rng: np.random.Generator, candidates: np.ndarray, size: int) -> np.ndarray:
    return rng.choice(candidates, size=min(size, candidates.size), replace=False)


def _text(value: bytes) -> str:
    return value.decode()


def bench_keys(network: Network) -> BenchKeys:
    """Fresh keys for an admin and samples of coordinators, members and agencies."""
    rng = np.random.default_rng(stream(network.seed, KEYS_STREAM))
    communities, members, agencies = network.communities, network.members, network.agencies
    rows: list[tuple[str, str | None, str, str]] = []

    def issue(principal: str | None, role: str, name: str) -> str:
        key = _new_key()
        rows.append((key, principal, role, name))
        return key

    admin = issue(None, "admin", "generated network admin")
    coordinators = _sample(rng, np.arange(network.coordinators.id.size), COORDINATOR_SAMPLE)
    led_by: dict[int, list[str]] = {int(c): [] for c in coordinators}
    for community, coordinator in enumerate(communities.coordinator.tolist()):
        if coordinator in led_by:
            led_by[coordinator].append(_text(communities.id[community]))
    coordinator_entries = []
    for index in coordinators.tolist():
        ident = _text(network.coordinators.id[index])
        key = issue(ident, "coordinator", str(network.coordinators.name[index]))
        coordinator_entries.append({"key": key, "id": ident, "community_ids": led_by[index]})
    member_entries = []
    for index in _sample(rng, np.flatnonzero(members.active), MEMBER_SAMPLE).tolist():
        ident = _text(members.id[index])
        name = f"{FIRST_NAMES[members.first_name[index]]} {SURNAMES[members.surname[index]]}"
        key = issue(ident, "member", name)
        community_id = _text(communities.id[members.community[index]])
        member_entries.append({"key": key, "id": ident, "community_id": community_id})
    agency_entries = []
    for index in _sample(rng, np.arange(agencies.id.size), AGENCY_SAMPLE).tolist():
        ident = _text(agencies.id[index])
        agency_entries.append(
            {"key": issue(ident, "agency", str(agencies.name[index])), "id": ident}
        )
    return BenchKeys(
        document={
            "admin": admin,
            "coordinators": coordinator_entries,
            "members": member_entries,
            "agencies": agency_entries,
            "needs": _sample_needs(rng, network, coordinators),
        },
        rows=rows,
    )


def _sample_needs(
    rng: np.random.Generator, network: Network, coordinators: np.ndarray
) -> list[str]:
    needs = network.needs
    sampled = np.zeros(network.coordinators.id.size, dtype=bool)
    sampled[coordinators] = True
    community = needs.community
    led = np.zeros(community.size, dtype=bool)
    has_community = community >= 0
    led[has_community] = sampled[network.communities.coordinator[community[has_community]]]
    chosen = _sample(rng, np.flatnonzero(led), NEED_SAMPLE)
    from_agencies = _sample(rng, np.flatnonzero(needs.agency >= 0), NEED_SAMPLE - chosen.size)
    return [_text(needs.id[index]) for index in np.concatenate([chosen, from_agencies]).tolist()]


def write_keys_file(path: Path, document: dict[str, Any]) -> None:
    """Write the keys file readable by its owner only (it holds live credentials)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    os.fchmod(descriptor, 0o600)  # O_CREAT's mode does not apply to an existing file
    with os.fdopen(descriptor, "w") as file:
        json.dump(document, file, indent=1)
        file.write("\n")
