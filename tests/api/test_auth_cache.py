"""The principal cache: hits cost no SQL, yet revocation, expiry and changes of who a caller is
take effect at once in the process that made them, and within the TTL everywhere else."""

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, event, text

from api.app import create_app
from api.auth import cache as principal_cache
from api.auth import principal as principal_module
from api.auth.cache import CachedKey, PrincipalCache
from api.auth.credentials import issue_key
from api.auth.principal import Principal
from api.settings import Settings
from tests.factories import Network, auth

LONG_TTL_S = 300


def _app(database_url: str, *, ttl_s: float) -> FastAPI:
    unlimited = {"rate_limit_per_minute": 0, "rate_limit_anonymous_per_minute": 0}
    return create_app(Settings(database_url=database_url, auth_cache_ttl_s=ttl_s, **unlimited))


@pytest.fixture
def cached(database_url: str) -> Iterator[tuple[FastAPI, TestClient]]:
    """An app whose cache outlives any test, so every effect seen is not the TTL's doing."""
    app = _app(database_url, ttl_s=LONG_TTL_S)
    with TestClient(app, raise_server_exceptions=False) as client:
        yield app, client
    app.state.engine.dispose()


@pytest.fixture
def admin(cached: tuple[FastAPI, TestClient]) -> str:
    app, _client = cached
    with app.state.sessionmaker.begin() as session:
        return issue_key(session, role="admin", principal_id=None, name="admin")


@pytest.fixture
def network(cached: tuple[FastAPI, TestClient], admin: str) -> Network:
    return Network(cached[1], admin)


class StatementCounter:
    """Counts the SQL statements an engine sends, to see whether a request reached the database."""

    def __init__(self, app: FastAPI) -> None:
        self.count = 0
        event.listen(app.state.engine, "before_cursor_execute", self._seen)

    def _seen(self, *_args: Any) -> None:
        self.count += 1


def _me(client: TestClient, key: str) -> Any:
    return client.get("/v1/me", headers=auth(key))


def test_a_cached_key_is_resolved_without_sql(
    cached: tuple[FastAPI, TestClient], network: Network
) -> None:
    app, client = cached
    member_key = network.staffed_community().member_key
    assert _me(client, member_key).status_code == 200
    counter = StatementCounter(app)

    for _ in range(3):
        assert _me(client, member_key).json()["role"] == "member"

    assert counter.count == 0


def test_a_revoked_key_is_refused_at_once_by_the_process_that_revoked_it(
    cached: tuple[FastAPI, TestClient], network: Network
) -> None:
    client = cached[1]
    home = network.staffed_community()
    [key] = client.get("/v1/keys", headers=auth(home.member_key)).json()["items"]
    assert _me(client, home.member_key).status_code == 200

    revoked = client.post(f"/v1/keys/{key['id']}/revoke", headers=auth(home.coordinator_key))
    assert revoked.status_code == 404  # not the coordinator's key to revoke…
    assert _me(client, home.member_key).status_code == 200
    client.post(f"/v1/keys/{key['id']}/revoke", headers=auth(home.member_key))

    assert _me(client, home.member_key).status_code == 401


def test_a_rotated_key_is_refused_at_once_and_its_replacement_works(
    cached: tuple[FastAPI, TestClient], network: Network
) -> None:
    client = cached[1]
    home = network.staffed_community()
    [key] = client.get("/v1/keys", headers=auth(home.coordinator_key)).json()["items"]
    assert _me(client, home.coordinator_key).status_code == 200

    rotated = client.post(f"/v1/keys/{key['id']}/rotate", headers=auth(home.coordinator_key))

    assert _me(client, home.coordinator_key).status_code == 401
    assert _me(client, rotated.json()["api_key"]).json()["id"] == home.coordinator["id"]


def test_an_expired_key_is_refused_even_from_the_cache(
    cached: tuple[FastAPI, TestClient],
    network: Network,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    app, client = cached
    home = network.staffed_community()
    tomorrow = (datetime.now(UTC) + timedelta(days=1)).isoformat()
    expiring = client.post(
        "/v1/keys", json={"name": "day pass", "expires_at": tomorrow}, headers=auth(home.member_key)
    ).json()["api_key"]
    assert _me(client, expiring).status_code == 200
    assert _me(client, home.member_key).status_code == 200
    counter = StatementCounter(app)

    later = datetime.now(UTC) + timedelta(days=2)
    monkeypatch.setattr(principal_module, "utcnow", lambda: later)

    assert _me(client, expiring).status_code == 401
    assert _me(client, home.member_key).status_code == 200
    assert counter.count == 0  # both answered from the cache: expiry is checked on a hit


def test_a_new_community_for_a_coordinator_shows_at_once(
    cached: tuple[FastAPI, TestClient], network: Network
) -> None:
    client = cached[1]
    first, second = network.community(), network.community()
    coordinator = network.coordinator(first["id"], email="ruth@example.org")
    assert _me(client, coordinator["api_key"]).json()["community_ids"] == [first["id"]]

    network.coordinator(second["id"], email="ruth@example.org")

    me = _me(client, coordinator["api_key"]).json()
    assert sorted(me["community_ids"]) == sorted([first["id"], second["id"]])


def test_a_removed_member_is_refused_at_once(
    cached: tuple[FastAPI, TestClient], network: Network, admin: str
) -> None:
    client = cached[1]
    home = network.staffed_community()
    assert _me(client, home.member_key).status_code == 200

    client.delete(f"/v1/members/{home.member['id']}", headers=auth(admin))

    assert _me(client, home.member_key).status_code == 401


def test_forget_drops_what_a_change_made_elsewhere_left_stale(
    cached: tuple[FastAPI, TestClient], network: Network, database_url: str
) -> None:
    app, client = cached
    first, second = network.community(), network.community()
    coordinator = network.coordinator(first["id"])
    assert _me(client, coordinator["api_key"]).json()["community_ids"] == [first["id"]]
    _move_coordinator(database_url, coordinator["id"], second["id"])  # behind the app's back
    assert _me(client, coordinator["api_key"]).json()["community_ids"] == [first["id"]]

    principal_cache.forget(app.state, principal_id=coordinator["id"])

    assert _me(client, coordinator["api_key"]).json()["community_ids"] == [second["id"]]


def _move_coordinator(database_url: str, coordinator_id: str, community_id: str) -> None:
    engine = create_engine(database_url)
    with engine.begin() as connection:
        connection.execute(
            text("UPDATE coordinator_communities SET community_id = :c WHERE coordinator_id = :p"),
            {"c": community_id, "p": coordinator_id},
        )
    engine.dispose()


def test_another_worker_accepts_a_revoked_key_only_within_its_ttl(
    cached: tuple[FastAPI, TestClient], network: Network, database_url: str
) -> None:
    client = cached[1]
    home = network.staffed_community()
    [key] = client.get("/v1/keys", headers=auth(home.member_key)).json()["items"]
    uncached_app = _app(database_url, ttl_s=0)
    with TestClient(uncached_app) as uncached:
        assert _me(client, home.member_key).status_code == 200
        assert _me(uncached, home.member_key).status_code == 200

        revoked = uncached.post(f"/v1/keys/{key['id']}/revoke", headers=auth(home.member_key))
        assert revoked.status_code == 200

        # The worker that cached the key still trusts it (for at most auth_cache_ttl_s)…
        assert _me(client, home.member_key).status_code == 200
        # …one that does not cache refuses it at once.
        assert _me(uncached, home.member_key).status_code == 401
    uncached_app.state.engine.dispose()


def test_a_principal_removed_by_another_worker_cannot_mint_a_lasting_key(
    cached: tuple[FastAPI, TestClient], network: Network, admin: str, database_url: str
) -> None:
    client = cached[1]
    home = network.staffed_community()
    assert _me(client, home.member_key).status_code == 200
    other_app = _app(database_url, ttl_s=0)
    with TestClient(other_app) as other:
        removed = other.delete(f"/v1/members/{home.member['id']}", headers=auth(admin))
        assert removed.status_code == 204

    minted = client.post("/v1/keys", json={"name": "backdoor"}, headers=auth(home.member_key))

    assert minted.status_code == 404
    other_app.state.engine.dispose()


# The cache itself


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def _entry(key_id: str = "k1", principal_id: str = "p1") -> CachedKey:
    return CachedKey(
        key_id=key_id, principal=Principal(role="member", id=principal_id), ends_at=None
    )


def test_entries_last_for_the_ttl_only() -> None:
    clock = FakeClock()
    cache = PrincipalCache(ttl_s=5, clock=clock)
    cache.put("digest", _entry(), generation=cache.generation)

    clock.now += 4.9
    assert cache.get("digest") == _entry()
    clock.now += 0.2
    assert cache.get("digest") is None


def test_a_lookup_that_raced_a_revocation_is_not_cached() -> None:
    cache = PrincipalCache(ttl_s=5)
    generation = cache.generation  # a request starts looking the key up…
    cache.forget(key_ids=frozenset(["k1"]))  # …the key is revoked meanwhile…

    cache.put("digest", _entry(), generation=generation)

    assert cache.get("digest") is None


def test_forget_drops_only_the_named_principal_or_key() -> None:
    cache = PrincipalCache(ttl_s=5)
    for number in range(3):
        cache.put(f"d{number}", _entry(f"k{number}", f"p{number}"), generation=cache.generation)

    cache.forget(principal_ids=frozenset(["p0"]), key_ids=frozenset(["k1"]))

    assert [cache.get(f"d{n}") is not None for n in range(3)] == [False, False, True]


def test_a_ttl_of_zero_caches_nothing() -> None:
    cache = PrincipalCache(ttl_s=0)
    cache.put("digest", _entry(), generation=cache.generation)
    assert cache.get("digest") is None


def test_a_full_cache_makes_room_from_stale_entries_only() -> None:
    clock = FakeClock()
    cache = PrincipalCache(ttl_s=5, max_entries=2, clock=clock)
    cache.put("a", _entry("ka"), generation=cache.generation)
    cache.put("b", _entry("kb"), generation=cache.generation)
    cache.put("c", _entry("kc"), generation=cache.generation)
    assert cache.get("c") is None and cache.get("a") is not None

    clock.now += 10
    cache.put("c", _entry("kc"), generation=cache.generation)
    assert cache.get("c") is not None
