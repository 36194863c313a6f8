"""The realistic mixed load: what it asks, who asks it, how often, and how its answers count.

The last tests drive the real wrk.lua with wrk against a small stub server on loopback (skipped
where wrk is not installed): the kinds drawn follow the plan's shares, each sign-up is withdrawn
by the next write of its connection, and every answer is counted by endpoint and status class.
"""

import json
import shutil
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import ClassVar

import pytest

from scripts.bench import dense, load, mix
from scripts.bench.datasets import MemberQuery, NeedQuery

ADMIN_KEY = "sm_admin"


def need(index: int) -> NeedQuery:
    return NeedQuery(
        need_id=f"need-{index}",
        key=f"sm_coordinator-{index}",
        coordinator_id=f"coordinator-{index}",
        coordinator_communities=frozenset({f"community-{index}"}),
        candidate_communities=frozenset({f"community-{index}"}),
        lat=51.45 + index / 100,
        lon=-2.59,
    )


def member(index: int) -> MemberQuery:
    return MemberQuery(
        member_id=f"member-{index}",
        key=f"sm_member-{index}",
        community_id=f"community-{index}",
        lat=51.45,
        lon=-2.59,
        max_travel_km=5.0,
    )


def signups(count: int) -> list[mix.Signup]:
    return [
        mix.Signup(f"member-{i}", f"sm_member-{i}", f"suggested-{i}", "helper")
        for i in range(count)
    ]


def mixed(signup_count: int = 8) -> list[mix.Request]:
    return mix.mixed_requests(
        [need(i) for i in range(5)],
        ["wide-1", "wide-2"],
        [member(i) for i in range(5)],
        signups(signup_count),
        admin_key=ADMIN_KEY,
    )


def test_the_mix_is_every_request_with_a_tenth_writes_and_a_tenth_admin_candidates() -> None:
    shares = {share.kind: share.percent for share in mix.MIX}
    assert sum(shares.values()) == 100
    assert shares == {
        "candidates": 25,
        "candidates_admin": 10,
        "suggestions": 25,
        "need_read": 20,
        "need_list": 10,
        "write": 10,
    }
    assert set(mix.REPORTED_KINDS) == (set(shares) - {"write"}) | {"signup", "withdraw"}


def test_each_kind_is_asked_by_the_role_that_asks_it_in_real_use() -> None:
    requests = mixed()
    by_kind: dict[str, list[mix.Request]] = {}
    for request in requests:
        by_kind.setdefault(request.kind, []).append(request)

    assert {r.key for r in by_kind["candidates"]} == {f"sm_coordinator-{i}" for i in range(5)}
    assert {r.key for r in by_kind["candidates_admin"]} == {ADMIN_KEY}
    assert {r.path for r in by_kind["candidates_admin"]} == {
        "/v1/needs/wide-1/candidates?limit=20",
        "/v1/needs/wide-2/candidates?limit=20",
    }
    assert {r.key for r in by_kind["suggestions"]} == {f"sm_member-{i}" for i in range(5)}
    assert all(r.path.startswith("/v1/needs/need-") for r in by_kind["need_read"])
    assert all("near=" in r.path and "status=open" in r.path for r in by_kind["need_list"])
    assert all(
        r.method == "GET" for kind, found in by_kind.items() if kind != "signup" for r in found
    )

    first = by_kind["signup"][0]
    assert (first.method, first.path, first.key) == (
        "POST",
        "/v1/needs/suggested-0/signups",
        "sm_member-0",
    )
    assert json.loads(first.body) == {"member_id": "member-0", "role": "helper"}
    assert " " not in first.body  # one field of a plan line


def test_the_plan_states_the_shares_then_the_requests_and_drops_kinds_it_cannot_ask() -> None:
    lines = mix.plan_lines(mix.MIX, mixed(signup_count=0))
    shares = [line.split() for line in lines if line.startswith("share ")]
    assert [kind for _, kind, _ in shares] == [
        "candidates",
        "candidates_admin",
        "suggestions",
        "need_read",
        "need_list",
    ]  # no sign-ups found: no write share rather than a write that cannot be sent
    assert all(line.startswith("request ") for line in lines[len(shares) :])


def test_a_refused_sign_up_is_counted_but_only_a_5xx_or_a_failed_read_is_a_failure() -> None:
    signup = mix.KindFigures("signup", (1.0, 2.0, 3.0), {"2xx": 1, "4xx": 2})
    read = mix.KindFigures("need_read", (1.0, 2.0), {"2xx": 1, "4xx": 1})
    broken = mix.KindFigures("withdraw", (1.0,), {"5xx": 1})
    assert (signup.unexpected, read.unexpected, broken.unexpected) == (0, 1, 1)
    assert broken.server_errors == 1


def test_answers_are_read_per_endpoint_with_places_still_held(tmp_path: Path) -> None:
    (tmp_path / "answers.0").write_text(
        "signup 201 1500.0\nhold need-1 signup-1\nwithdraw 204 900.0\nrelease signup-1\n"
        "signup 409 700.0\nsuggestions 200 4000.0\n"
    )
    (tmp_path / "answers.1").write_text(
        "signup 201 1000.0\nhold need-2 signup-2\nsuggestions 500 8000.0\n"
    )
    found = mix.read_kinds(sorted(tmp_path.glob("answers.*")))
    assert found.kinds["signup"].statuses == {"2xx": 2, "4xx": 1}
    assert found.kinds["signup"].p50_ms == pytest.approx(1.0)
    assert found.kinds["suggestions"].server_errors == 1
    assert found.held == [mix.Held(need_id="need-2", signup_id="signup-2")]


def test_any_5xx_makes_a_run_invalid_while_refused_sign_ups_do_not(tmp_path: Path) -> None:
    def run(statuses: dict[str, int]) -> load.WrkRun:
        kinds = {"signup": mix.KindFigures("signup", (1.0,) * sum(statuses.values()), statuses)}
        return load.WrkRun(
            requests=sum(statuses.values()),
            duration_s=1.0,
            p50_ms=1.0,
            p95_ms=1.0,
            p99_ms=1.0,
            socket_errors=0,
            peak_rss_mb=1.0,
            kinds=mix.WrkKinds(kinds=kinds, held=[]),
        )

    assert load._flagged("note", run({"2xx": 90, "4xx": 10}), "x", lambda _: None) == "note"
    flagged = load._flagged("note", run({"2xx": 999, "5xx": 1}), "x", lambda _: None)
    assert flagged.startswith("INVALID: 1 answers 5xx")


def test_the_densest_and_median_needs_come_from_one_density_ranking() -> None:
    ranked = [(count, f"need-{count}") for count in (1, 5, 10, 40, 90)]
    assert dense.densest_and_median(ranked) == ([(90, "need-90")], [(10, "need-10")])
    densest, median = dense.densest_and_median(ranked, densest=3, median=2)
    assert [count for count, _ in densest] == [90, 40, 10]
    assert [count for count, _ in median] == [10, 40]


# --- wrk.lua, end to end against a stub ---------------------------------------------------


class _Stub(BaseHTTPRequestHandler):
    """Answers like the API would: 201 with an id for a sign-up, 204 for a withdrawal."""

    protocol_version = "HTTP/1.1"
    seen: ClassVar[list[tuple[str, str, str]]] = []
    lock = threading.Lock()
    next_id = 0

    def log_message(self, *_: object) -> None:
        pass

    def _answer(self, status: int, body: bytes = b"") -> None:
        # One write per answer: a separate body segment would wait for a delayed ACK.
        head = f"HTTP/1.1 {status} X\r\nContent-Length: {len(body)}\r\n\r\n".encode()
        self.wfile.write(head + body)

    def _see(self) -> str:
        length = int(self.headers.get("Content-Length") or 0)
        with self.lock:
            self.seen.append((self.command, self.path, self.headers["Authorization"]))
        return self.rfile.read(length).decode() if length else ""

    def do_GET(self) -> None:
        self._see()
        self._answer(500 if "broken" in self.path else 200, b'{"ok": true}')

    def do_POST(self) -> None:
        self._see()
        with self.lock:
            type(self).next_id += 1
            signup_id = f"signup-{self.next_id}"
        self._answer(201, json.dumps({"id": signup_id, "need_id": "n"}).encode())

    def do_DELETE(self) -> None:
        self._see()
        self._answer(204)


class _FakeServer:
    def __init__(self, base_url: str) -> None:
        self.base_url = base_url

    def rss_mb(self) -> float:
        return 0.0


@pytest.fixture
def stub() -> Iterator[_FakeServer]:
    if shutil.which("wrk") is None:
        pytest.skip("wrk is not installed (make bench installs it)")
    _Stub.seen = []
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Stub)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield _FakeServer(f"http://127.0.0.1:{server.server_address[1]}")
    finally:
        server.shutdown()
        server.server_close()


def test_wrk_draws_kinds_in_the_planned_shares_and_withdraws_each_sign_up(
    stub: _FakeServer, tmp_path: Path
) -> None:
    requests = mixed(signup_count=8)
    run = load.run_wrk(
        stub,  # type: ignore[arg-type]
        mix.plan_lines(mix.MIX, requests),
        work_dir=tmp_path,
        connections=4,
        duration_s=20,
        max_requests=4000,
    )
    counts = {kind: figures.requests for kind, figures in run.kinds.kinds.items()}
    total = sum(counts.values())
    assert 1000 <= total <= 4000  # the run ends when a thread has had its budget (1,000)
    for share in mix.MIX:
        kinds = mix.WRITE_KINDS if share.kind == "write" else (share.kind,)
        measured = sum(counts.get(kind, 0) for kind in kinds) / total
        assert measured == pytest.approx(share.percent / 100, abs=0.03), share.kind
    assert abs(counts["signup"] - counts["withdraw"]) <= 4  # alternating, per connection
    assert run.statuses == {"2xx": total}
    assert run.failed == 0

    # Each withdrawal gives back a place its own connection took, with the member's own key.
    writes = [(method, path, key) for method, path, key in _Stub.seen if method != "GET"]
    members_by_need = {f"/v1/needs/{s.need_id}/signups": f"Bearer {s.key}" for s in signups(8)}
    for method, path, key in writes:
        if method == "POST":
            assert members_by_need[path] == key
        else:
            assert method == "DELETE"
            assert members_by_need[path.rsplit("/", 1)[0]] == key
    withdrawn = {path.rsplit("/", 1)[1] for method, path, _ in writes if method == "DELETE"}
    assert len(withdrawn) == counts["withdraw"]  # each place given back once
    assert {place.signup_id for place in run.kinds.held}.isdisjoint(withdrawn)
    admin_asks = [path for _, path, key in _Stub.seen if key == f"Bearer {ADMIN_KEY}"]
    assert admin_asks and all("/candidates?limit=20" in path for path in admin_asks)


def test_wrk_counts_5xx_per_endpoint(stub: _FakeServer, tmp_path: Path) -> None:
    lines = mix.plan_lines(
        [mix.Share("need_read", 50, ""), mix.Share("need_list", 50, "")],
        [
            mix.Request("need_read", "/v1/needs/fine", "sm_a"),
            mix.Request("need_list", "/v1/needs?broken=1", "sm_a"),
        ],
    )
    run = load.run_wrk(
        stub,  # type: ignore[arg-type]
        lines,
        work_dir=tmp_path,
        connections=2,
        duration_s=20,
        max_requests=400,
    )
    assert run.kinds.kinds["need_read"].statuses == {"2xx": run.kinds.kinds["need_read"].requests}
    assert run.kinds.kinds["need_list"].server_errors == run.kinds.kinds["need_list"].requests > 0
    assert run.server_errors == run.kinds.kinds["need_list"].requests
    assert load._flagged("n", run, "x", lambda _: None).startswith("INVALID")
