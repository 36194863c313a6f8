"""The soak's clients: a thread pool of HTTP clients doing what volunteers and coordinators do.

Mixed operations, chosen at random with fixed weights: members read their suggestions and sign
up for one, withdraw places they hold; coordinators read their needs and the candidates for
them and edit them (the description, or one more place in a role). Every request is bounded:
the run stops at its request budget or its deadline, whichever comes first.

The ledger records what the server *confirmed* (a 201 sign-up, a 204 withdrawal), so the
invariants can check afterwards that nothing a client was told is lost.
"""

from __future__ import annotations

import random
import threading
import time
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

import httpx2 as httpx

WEIGHTS = {
    "suggestions": 25,
    "need_read": 20,
    "candidates": 15,
    "sign_up": 20,
    "withdraw": 5,
    "need_edit": 10,
}


@dataclass(frozen=True)
class Member:
    """A member's id and key."""

    id: str
    key: str


@dataclass(frozen=True)
class Coordinator:
    """A coordinator's key and the open needs of their communities."""

    key: str
    need_ids: tuple[str, ...]


@dataclass
class Ledger:
    """What the server confirmed, and every answer it gave, shared by the client threads."""

    confirmed: dict[str, tuple[str, Member]] = field(default_factory=dict)
    """sign-up id -> (need id, member): told 201, not withdrawn since."""
    withdrawn: set[str] = field(default_factory=set)
    """sign-up ids told 204."""
    uncertain: set[str] = field(default_factory=set)
    """sign-ups whose withdrawal got no answer: either outcome is correct."""
    statuses: Counter[tuple[str, int]] = field(default_factory=Counter)
    """(operation, status) -> count; status 0 is a transport error (no answer)."""
    errors: list[str] = field(default_factory=list)
    """The first few 5xx and transport errors, for the report."""
    lock: threading.Lock = field(default_factory=threading.Lock)

    def answered(self, operation: str, status: int, detail: str = "") -> None:
        """Count an answer; keep the first few failures for the report."""
        with self.lock:
            self.statuses[(operation, status)] += 1
            if (status == 0 or status >= 500) and len(self.errors) < 20:
                self.errors.append(f"{operation}: {status} {detail[:200]}")

    def take_for_withdrawal(self, rng: random.Random) -> tuple[str, str, Member] | None:
        """A confirmed sign-up no other thread is withdrawing."""
        with self.lock:
            if not self.confirmed:
                return None
            signup_id = rng.choice(list(self.confirmed))
            need_id, member = self.confirmed.pop(signup_id)
            return signup_id, need_id, member

    @property
    def requests(self) -> int:
        """Answers and transport errors counted so far."""
        return sum(self.statuses.values())


class Budget:
    """Requests left and a deadline, shared by every client thread."""

    def __init__(self, *, max_requests: int, seconds: float) -> None:
        self.left = max_requests
        self.deadline = time.monotonic() + seconds
        self.lock = threading.Lock()

    def take(self) -> bool:
        """One more request, if the budget and the clock allow it."""
        if time.monotonic() >= self.deadline:
            return False
        with self.lock:
            if self.left <= 0:
                return False
            self.left -= 1
            return True


class Client:
    """One simulated user session per thread: an HTTP client and a random stream."""

    def __init__(
        self,
        base_url: str,
        *,
        members: list[Member],
        coordinators: list[Coordinator],
        ledger: Ledger,
        budget: Budget,
        seed: int,
    ) -> None:
        self.http = httpx.Client(base_url=base_url, timeout=60)
        self.members = members
        self.coordinators = coordinators
        self.ledger = ledger
        self.budget = budget
        self.rng = random.Random(seed)
        self.operations: dict[str, Callable[[], None]] = {
            "suggestions": self.suggestions,
            "need_read": self.need_read,
            "candidates": self.candidates,
            "sign_up": self.sign_up,
            "withdraw": self.withdraw,
            "need_edit": self.need_edit,
        }

    def run(self) -> None:
        """Operations until the budget or the deadline runs out."""
        names = list(WEIGHTS)
        weights = list(WEIGHTS.values())
        with self.http:
            while self.budget.take():
                self.operations[self.rng.choices(names, weights)[0]]()

    def _call(
        self, operation: str, method: str, path: str, key: str, body: Any = None
    ) -> httpx.Response | None:
        try:
            response = self.http.request(
                method, path, json=body, headers={"Authorization": f"Bearer {key}"}
            )
        except httpx.TransportError as error:
            self.ledger.answered(operation, 0, repr(error))
            return None
        self.ledger.answered(operation, response.status_code, response.text)
        return response

    def _member(self) -> Member:
        return self.rng.choice(self.members)

    def _coordinator_need(self) -> tuple[Coordinator, str]:
        coordinator = self.rng.choice(self.coordinators)
        return coordinator, self.rng.choice(coordinator.need_ids)

    def suggestions(self) -> None:
        """A member looks at what fits their week."""
        member = self._member()
        self._call("suggestions", "GET", f"/v1/members/{member.id}/suggestions", member.key)

    def need_read(self) -> None:
        """A coordinator opens one of their needs."""
        coordinator, need_id = self._coordinator_need()
        self._call("need_read", "GET", f"/v1/needs/{need_id}", coordinator.key)

    def candidates(self) -> None:
        """A coordinator asks who could help."""
        coordinator, need_id = self._coordinator_need()
        self._call("candidates", "GET", f"/v1/needs/{need_id}/candidates", coordinator.key)

    def sign_up(self) -> None:
        """A member takes one of their top suggestions (often contended: others want it too)."""
        member = self._member()
        path = f"/v1/members/{member.id}/suggestions?limit=3"
        response = self._call("sign_up", "GET", path, member.key)
        if response is None or response.status_code != 200 or not self.budget.take():
            return
        suggestions = response.json()["suggestions"]
        if not suggestions:
            return
        chosen = self.rng.choice(suggestions)
        need_id = chosen["need_id"]
        body = {"member_id": member.id, "role": chosen["role"]}
        answer = self._call("sign_up", "POST", f"/v1/needs/{need_id}/signups", member.key, body)
        if answer is not None and answer.status_code == 201:
            with self.ledger.lock:
                self.ledger.confirmed[answer.json()["id"]] = (need_id, member)

    def withdraw(self) -> None:
        """A member gives back a place the server confirmed earlier."""
        taken = self.ledger.take_for_withdrawal(self.rng)
        if taken is None:
            self.suggestions()
            return
        signup_id, need_id, member = taken
        path = f"/v1/needs/{need_id}/signups/{signup_id}"
        answer = self._call("withdraw", "DELETE", path, member.key)
        with self.ledger.lock:
            if answer is None:
                self.ledger.uncertain.add(signup_id)
            elif answer.status_code == 204:
                self.ledger.withdrawn.add(signup_id)
            else:  # refused: the place is still the member's
                self.ledger.confirmed[signup_id] = (need_id, member)

    def need_edit(self) -> None:
        """A coordinator rewords a need, or adds a place to one of its roles."""
        coordinator, need_id = self._coordinator_need()
        read = self._call("need_edit", "GET", f"/v1/needs/{need_id}", coordinator.key)
        if read is None or read.status_code != 200 or not self.budget.take():
            return
        need = read.json()
        body: dict[str, Any]
        if self.rng.random() < 0.5:
            body = {"description": f"edited by the soak at {time.time():.3f}"}
        else:
            roles = [
                {key: role[key] for key in ("name", "skill", "min_level", "count")}
                for role in need["roles"]
            ]
            grown = self.rng.choice(roles)
            grown["count"] = min(grown["count"] + 1, 100)
            body = {"roles": roles}
        self._call("need_edit", "PATCH", f"/v1/needs/{need_id}", coordinator.key, body)


def run_load(
    base_url: str,
    *,
    members: list[Member],
    coordinators: list[Coordinator],
    concurrency: int,
    max_requests: int,
    seconds: float,
    seed: int,
) -> Ledger:
    """Drive the server with ``concurrency`` clients until the budget or the time is spent."""
    ledger = Ledger()
    budget = Budget(max_requests=max_requests, seconds=seconds)
    clients = [
        Client(
            base_url,
            members=members,
            coordinators=coordinators,
            ledger=ledger,
            budget=budget,
            seed=seed * 1000 + index,
        )
        for index in range(concurrency)
    ]
    with ThreadPoolExecutor(max_workers=concurrency, thread_name_prefix="soak") as pool:
        for done in [pool.submit(client.run) for client in clients]:
            done.result()
    return ledger
