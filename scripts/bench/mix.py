"""The realistic mixed load (issue 13): who asks what and how often, and what wrk reports back.

A day on the service is not one cheap request repeated: coordinators look for candidates for
their community's needs and for agency requests near them, the network's admin reviews
candidates for agency and network-wide needs (the densest, costliest ones), members read their
suggestions, everyone reads and lists needs, and about one request in ten writes: a member
takes a place in a need from their suggestions and later gives it back. ``MIX`` states those
shares once; ``wrk.lua`` draws a kind per request with these weights and sends that kind's
next prepared request, and writes back each kind's latencies and status classes, which
``read_kinds`` turns into per-endpoint figures.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from .datasets import MemberQuery, NeedQuery


@dataclass(frozen=True)
class Share:
    """One kind of request in the mix: how often it is drawn and what it stands for."""

    kind: str
    percent: int
    what: str


MIX = (
    Share("candidates", 25, "candidates for a need, by a coordinator (their own members)"),
    Share("candidates_admin", 10, "candidates for an agency or network need, by the admin"),
    Share("suggestions", 25, "a member's suggestions, by the member"),
    Share("need_read", 20, "GET /v1/needs/{id}, by a coordinator"),
    Share("need_list", 10, "open needs within 10 km of a point, by a coordinator"),
    Share("write", 10, "a member's sign-up for a suggested need, then its withdrawal"),
)
"""The shares of the realistic mixed load, in percent of requests."""

WRITE_KINDS = ("signup", "withdraw")
"""What the ``write`` share is reported as: each connection alternates sign-up, withdrawal."""

REPORTED_KINDS = tuple(
    kind for share in MIX for kind in (WRITE_KINDS if share.kind == "write" else (share.kind,))
)
"""Every endpoint the mixed run reports a row for, in report order."""

WRITE_STATUSES_ALLOWED = ("4xx",)
"""A sign-up may be refused (409 full or overlapping, 422 not eligible any more): counted,
shown, not a failure. A 5xx is always a failure."""

LIST_RADIUS_KM = 10
LIST_LIMIT = 20
CANDIDATES_LIMIT = 20


@dataclass(frozen=True)
class Request:
    """One prepared request of a kind, as a line of the plan file wrk.lua reads."""

    kind: str
    path: str
    key: str
    method: str = "GET"
    body: str = ""

    def line(self) -> str:
        """``request <kind> <method> <path> <key> [<body>]``; the body has no spaces."""
        parts = ["request", self.kind, self.method, self.path, self.key]
        return " ".join([*parts, self.body] if self.body else parts)


@dataclass(frozen=True)
class Signup:
    """A member and a need (and role) from the member's own suggestions."""

    member_id: str
    key: str
    need_id: str
    role: str


@dataclass(frozen=True)
class KindFigures:
    """One endpoint's figures in a wrk run."""

    kind: str
    latencies_ms: tuple[float, ...]
    statuses: dict[str, int]  # "2xx" | "3xx" | "4xx" | "5xx" -> answers

    @property
    def requests(self) -> int:
        """Answers received."""
        return len(self.latencies_ms)

    @property
    def p50_ms(self) -> float:
        """Median latency."""
        return float(np.percentile(self.latencies_ms, 50)) if self.latencies_ms else 0.0

    @property
    def p95_ms(self) -> float:
        """95th percentile latency."""
        return float(np.percentile(self.latencies_ms, 95)) if self.latencies_ms else 0.0

    @property
    def server_errors(self) -> int:
        """5xx answers."""
        return self.statuses.get("5xx", 0)

    @property
    def unexpected(self) -> int:
        """Answers that mean the run measured something other than the service working.

        Every non-2xx for a read; only 5xx (and 1xx/3xx) for a write, which data may refuse.
        """
        allowed = ("2xx", *WRITE_STATUSES_ALLOWED) if self.kind in WRITE_KINDS else ("2xx",)
        return sum(count for status, count in self.statuses.items() if status not in allowed)


@dataclass(frozen=True)
class Held:
    """A place a run took and had not given back when it ended."""

    need_id: str
    signup_id: str


@dataclass(frozen=True)
class WrkKinds:
    """What wrk.lua's threads wrote: figures per kind, and places still held."""

    kinds: dict[str, KindFigures]
    held: list[Held]


def plan_lines(shares: Iterable[Share], requests: Sequence[Request]) -> list[str]:
    """The plan file: the shares (only of kinds with requests), then every request."""
    present = {request.kind for request in requests}
    lines = [
        f"share {share.kind} {share.percent}"
        for share in shares
        if (present & set(WRITE_KINDS) if share.kind == "write" else share.kind in present)
    ]
    return lines + [request.line() for request in requests]


def single(kind: str, requests: Sequence[Request]) -> list[str]:
    """A plan of one kind only: the per-operation runs."""
    return plan_lines([Share(kind, 100, kind)], requests)


def mixed_requests(
    needs: Sequence[NeedQuery],
    wide_needs: Sequence[str],
    members: Sequence[MemberQuery],
    signups: Sequence[Signup],
    *,
    admin_key: str,
) -> list[Request]:
    """Every request the realistic mix draws from, by kind."""
    requests = [candidates_request(query.need_id, query.key) for query in needs]
    requests += [
        candidates_request(need_id, admin_key, kind="candidates_admin") for need_id in wide_needs
    ]
    requests += [suggestions_request(query) for query in members]
    requests += [Request("need_read", f"/v1/needs/{query.need_id}", query.key) for query in needs]
    requests += [
        Request(
            "need_list",
            f"/v1/needs?status=open&near={query.lat:.5f},{query.lon:.5f}"
            f"&radius_km={LIST_RADIUS_KM}&limit={LIST_LIMIT}",
            query.key,
        )
        for query in needs
    ]
    requests += [
        Request(
            "signup",
            f"/v1/needs/{signup.need_id}/signups",
            signup.key,
            method="POST",
            body=json.dumps(
                {"member_id": signup.member_id, "role": signup.role}, separators=(",", ":")
            ),
        )
        for signup in signups
    ]
    return requests


def candidates_request(need_id: str, key: str, *, kind: str = "candidates") -> Request:
    """Candidates for a need, as many as a screen shows."""
    return Request(kind, f"/v1/needs/{need_id}/candidates?limit={CANDIDATES_LIMIT}", key)


def suggestions_request(query: MemberQuery) -> Request:
    """A member's suggestions, asked by the member."""
    return Request("suggestions", f"/v1/members/{query.member_id}/suggestions", query.key)


def choose_signups(
    base_url: str, members: Iterable[tuple[str, str]], *, wanted: int
) -> list[Signup]:
    """Up to ``wanted`` sign-ups: for each (member id, key), the best suggestion whose need no
    other chosen member takes.

    Asked of the running server before the load, so each sign-up is one the service itself
    says fits (radius, skills, free time): writes then succeed unless the data changed. One
    member per need, so two connections never race for the last place in a role.
    """
    chosen: list[Signup] = []
    taken: set[str] = set()
    for member_id, key in members:
        if len(chosen) >= wanted:
            break
        found = _get_json(f"{base_url}/v1/members/{member_id}/suggestions", key)
        for suggestion in (found or {}).get("suggestions", []):
            if suggestion["need_id"] not in taken:
                taken.add(suggestion["need_id"])
                chosen.append(Signup(member_id, key, suggestion["need_id"], suggestion["role"]))
                break
    return chosen


def release(base_url: str, held: Iterable[Held], signups: Iterable[Signup]) -> int:
    """Withdraw the sign-ups a run left in place, so a reused dataset stays as generated."""
    key_of = {signup.need_id: signup.key for signup in signups}
    released = 0
    for place in held:
        request = urllib.request.Request(
            f"{base_url}/v1/needs/{place.need_id}/signups/{place.signup_id}",
            headers={"Authorization": f"Bearer {key_of[place.need_id]}"},
            method="DELETE",
        )
        try:
            with urllib.request.urlopen(request, timeout=30):
                released += 1
        except (urllib.error.URLError, OSError):
            pass
    return released


def read_kinds(paths: Iterable[Path]) -> WrkKinds:
    """The per-kind figures and the places still held, from what each wrk thread wrote."""
    latencies: dict[str, list[float]] = {}
    statuses: dict[str, Counter[str]] = {}
    held: dict[str, Held] = {}
    for path in paths:
        for line in path.read_text().splitlines():
            fields = line.split()
            if fields[0] == "hold":
                held[fields[2]] = Held(need_id=fields[1], signup_id=fields[2])
            elif fields[0] == "release":
                held.pop(fields[1], None)
            else:
                kind, status, microseconds = fields
                latencies.setdefault(kind, []).append(float(microseconds) / 1000.0)
                statuses.setdefault(kind, Counter())[f"{status[0]}xx"] += 1
    kinds = {
        kind: KindFigures(kind, tuple(latencies[kind]), dict(statuses[kind])) for kind in latencies
    }
    return WrkKinds(kinds=kinds, held=list(held.values()))


def describe(shares: Iterable[Share] = MIX) -> str:
    """The mix in words, for the report."""
    return "; ".join(f"{share.percent} % {share.what}" for share in shares)


def _get_json(url: str, key: str) -> Any:
    request = urllib.request.Request(url, headers={"Authorization": f"Bearer {key}"})
    try:
        with urllib.request.urlopen(request, timeout=60) as answer:
            return json.loads(answer.read())
    except (urllib.error.URLError, OSError, ValueError):
        return None
