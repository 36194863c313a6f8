"""Rate limits: per key, and per address for calls without a valid key; 429 with Retry-After."""

from collections.abc import Iterator
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from api.app import create_app
from api.auth.credentials import issue_key
from api.ratelimit import TokenBuckets
from api.settings import Settings
from tests.factories import auth


def _limited_app(database_url: str, **limits: int) -> FastAPI:
    return create_app(Settings(database_url=database_url, **limits))


@pytest.fixture
def limited(database_url: str) -> Iterator[TestClient]:
    """Two calls per key at once, then one a minute; one call a minute per address without one."""
    app = _limited_app(
        database_url,
        rate_limit_per_minute=1,
        rate_limit_burst=2,
        rate_limit_anonymous_per_minute=1,
    )
    with TestClient(app, raise_server_exceptions=False) as client:
        yield client
    app.state.engine.dispose()


def _admin_key(client: TestClient) -> str:
    app: FastAPI = client.app  # type: ignore[assignment]
    with app.state.sessionmaker.begin() as session:
        return issue_key(session, role="admin", principal_id=None, name="limited")


def _assert_refused(response: Any, *, within_s: int = 60) -> None:
    assert response.status_code == 429, response.text
    assert response.json()["code"] == "rate_limited"
    assert "retry" in response.json()["detail"]
    assert 1 <= int(response.headers["retry-after"]) <= within_s
    assert response.headers["ratelimit-remaining"] == "0"


def test_a_key_over_its_burst_gets_429_with_retry_after(limited: TestClient) -> None:
    key = _admin_key(limited)

    answers = [limited.get("/v1/me", headers=auth(key)) for _ in range(3)]

    assert [answer.status_code for answer in answers[:2]] == [200, 200]
    assert [answer.headers["ratelimit-remaining"] for answer in answers[:2]] == ["1", "0"]
    assert answers[0].headers["ratelimit-limit"] == "2"
    _assert_refused(answers[2])


def test_each_key_has_its_own_bucket(limited: TestClient) -> None:
    busy, quiet = _admin_key(limited), _admin_key(limited)
    for _ in range(3):
        limited.get("/v1/me", headers=auth(busy))

    assert limited.get("/v1/me", headers=auth(busy)).status_code == 429
    assert limited.get("/v1/me", headers=auth(quiet)).status_code == 200


def test_calls_without_a_key_are_limited_per_address(limited: TestClient) -> None:
    first = limited.get("/v1/me")
    second = limited.get("/v1/needs")
    docs = limited.get("/openapi.json")

    assert first.status_code == 401
    _assert_refused(second)
    _assert_refused(docs)


def test_key_guessing_is_throttled_without_telling_which_guess_was_right(
    limited: TestClient,
) -> None:
    known = _admin_key(limited)
    assert limited.get("/v1/me", headers=auth(known)).status_code == 200
    never_used = _admin_key(limited)

    guesses = [limited.get("/v1/me", headers=auth(f"sm_guess{n}")) for n in range(3)]

    assert guesses[0].status_code == 401
    for guess in guesses[1:]:
        _assert_refused(guess)
    # A right guess now looks like a wrong one…
    _assert_refused(limited.get("/v1/me", headers=auth(never_used)))
    # …while a key this process already verified keeps working.
    assert limited.get("/v1/me", headers=auth(known)).status_code == 200


def test_health_checks_are_never_limited(limited: TestClient) -> None:
    assert all(limited.get("/healthz").status_code == 200 for _ in range(5))


def test_zero_turns_the_limits_off(database_url: str) -> None:
    app = _limited_app(database_url, rate_limit_per_minute=0, rate_limit_anonymous_per_minute=0)
    with TestClient(app) as client:
        key = _admin_key(client)
        assert all(client.get("/v1/me", headers=auth(key)).status_code == 200 for _ in range(5))
        assert all(client.get("/v1/me").status_code == 401 for _ in range(5))
        assert "ratelimit-limit" not in client.get("/v1/me", headers=auth(key)).headers
    app.state.engine.dispose()


def test_defaults_are_generous_enough_for_a_busy_client(database_url: str) -> None:
    app = create_app(Settings(database_url=database_url))
    with TestClient(app) as client:
        key = _admin_key(client)
        answers = [client.get("/v1/me", headers=auth(key)) for _ in range(100)]
        assert {answer.status_code for answer in answers} == {200}
        assert answers[0].headers["ratelimit-limit"] == "100"
    app.state.engine.dispose()


# The token bucket itself


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_a_bucket_allows_the_burst_then_refills_at_the_rate() -> None:
    clock = FakeClock()
    buckets = TokenBuckets(per_minute=60, burst=3, clock=clock)

    assert [buckets.take("k").allowed for _ in range(4)] == [True, True, True, False]
    refused = buckets.take("k")
    assert refused.retry_after_s == 1 and refused.remaining == 0
    clock.now += 1
    assert buckets.take("k").allowed
    assert not buckets.take("k").allowed
    clock.now += 60
    quota = buckets.take("k")
    assert quota.allowed and quota.remaining == 2  # refilled to the burst, not beyond


def test_peek_does_not_spend_and_names_do_not_share() -> None:
    buckets = TokenBuckets(per_minute=1, burst=1, clock=FakeClock())

    assert buckets.peek("a").allowed and buckets.peek("a").allowed
    assert buckets.take("a").allowed
    assert not buckets.peek("a").allowed
    assert buckets.take("b").allowed


def test_idle_buckets_are_dropped_so_memory_follows_recent_callers() -> None:
    clock = FakeClock()
    buckets = TokenBuckets(per_minute=60, burst=1, clock=clock)
    for number in range(1024):
        buckets.take(f"address {number}")
    clock.now += 120
    buckets.take("fresh")  # one over the threshold: the sweep runs

    assert len(buckets._buckets) == 1
    assert buckets.take("address 7").allowed  # a dropped bucket starts full
