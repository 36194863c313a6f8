"""Timing without HTTP: the service and the engine on a dataset, then the baselines.

Every function here asks the same sampled needs and members, one call after another on one
thread, and stops at whichever comes first of a call budget and a time budget (never before a
minimum, so each query is asked at least once). What is fetched or built once (the engine's
pools, the naive loop's rows, the KD-trees) is prepared outside the timed calls.
"""

from __future__ import annotations

import asyncio
import cProfile
import heapq
import math
import pstats
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, replace
from datetime import UTC
from functools import partial
from typing import Any

import anyio.to_thread
import httpx2
import numpy as np
from geopy.distance import geodesic
from scipy.spatial import cKDTree
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from api.app import create_app
from api.auth.principal import Principal
from api.db.engine import make_engine, make_sessionmaker
from api.db.models import Member, Need, NeedRole
from api.db.types import utcnow
from api.matching import repository, service
from api.matching.member_snapshot import MemberSnapshots
from api.matching.need_cache import NeedCache
from api.matching.text_model import TextModelCache
from api.settings import Settings
from geo.bbox import radius_bounding_boxes
from geo.distance import MEAN_EARTH_RADIUS_KM

from . import dense
from .datasets import Dataset, MemberQuery, NeedQuery
from .results import Profile, Result, from_latencies

CANDIDATES_LIMIT = 20
SUGGESTIONS_LIMIT = 10
"""The routes' default page sizes, so in-process calls do what a default request does."""

URGENCY_ORDER = ("low", "normal", "high", "critical")


@dataclass(frozen=True)
class Budget:
    """How long to keep asking: stop at max_calls or max_seconds, but not before min_calls."""

    max_calls: int
    max_seconds: float
    min_calls: int = 1


def time_calls(calls: Sequence[Callable[[], object]], budget: Budget) -> tuple[list[float], float]:
    """Run ``calls`` round robin within ``budget``; per-call seconds and the wall time."""
    latencies: list[float] = []
    started = time.perf_counter()
    while len(latencies) < budget.min_calls or (
        len(latencies) < budget.max_calls and time.perf_counter() - started < budget.max_seconds
    ):
        call = calls[len(latencies) % len(calls)]
        before = time.perf_counter()
        call()
        latencies.append(time.perf_counter() - before)
    return latencies, time.perf_counter() - started


def principal_for(query: NeedQuery) -> Principal:
    """The coordinator asking for a need's candidates."""
    return Principal(
        role="coordinator", id=query.coordinator_id, community_ids=query.coordinator_communities
    )


def member_principal(query: MemberQuery) -> Principal:
    """A member asking for their own suggestions."""
    return Principal(
        role="member", id=query.member_id, community_ids=frozenset([query.community_id])
    )


class InProcess:
    """The service and engine of one dataset, called directly with a session per call."""

    def __init__(self, dataset: Dataset) -> None:
        self.dataset = dataset
        self.engine = make_engine(dataset.url, pool_size=2)
        self.sessions: sessionmaker[Session] = make_sessionmaker(self.engine)
        self.settings = Settings(database_url=dataset.url)
        self.weights = self.settings.weight
        # Refits are a start-up cost the server pays once per worker, not per request.
        self.text_models = TextModelCache(max_age_s=24 * 3600)
        self.snapshots = MemberSnapshots(background=False)
        self.need_cache = NeedCache(max_needs=self.settings.suggestion_cache_needs)

    @property
    def backend(self) -> str:
        """``postgis`` or ``sqlite``."""
        return self.dataset.spec.backend

    def close(self) -> None:
        """Release the database connections."""
        self.engine.dispose()

    def candidates(self, query: NeedQuery) -> int:
        """One candidates call as the route makes it, in its own transaction."""
        with self.sessions.begin() as session:
            found = service.candidates(
                session,
                principal=principal_for(query),
                need_id=query.need_id,
                limit=CANDIDATES_LIMIT,
                now=utcnow(),
                weights=self.weights,
                text_models=self.text_models,
                snapshots=self.snapshots,
            )
            return len(found.candidates)

    def suggestions(self, query: MemberQuery) -> int:
        """One suggestions call as the route makes it, in its own transaction."""
        with self.sessions.begin() as session:
            found = service.suggestions(
                session,
                principal=member_principal(query),
                member_id=query.member_id,
                limit=SUGGESTIONS_LIMIT,
                now=utcnow(),
                weights=self.weights,
                text_models=self.text_models,
                need_cache=self.need_cache,
            )
            return len(found.suggestions)

    def measure_service(
        self, needs: Sequence[NeedQuery], members: Sequence[MemberQuery], budget: Budget
    ) -> list[Result]:
        """Service (SQL + engine) latency for candidates and suggestions."""
        self.candidates(needs[0])  # fits the text model, warms the connection pool
        with self.sessions() as session:  # what a worker builds at start-up, before traffic
            self.snapshots.view(session, text_model=self.text_models.get(session))
        results = []
        for query_name, calls in (
            ("candidates", [_bind(self.candidates, query) for query in needs]),
            ("suggestions", [_bind(self.suggestions, query) for query in members]),
        ):
            latencies, elapsed = time_calls(calls, budget)
            results.append(
                from_latencies(
                    latencies,
                    elapsed_s=elapsed,
                    dataset=self.dataset.name,
                    backend=self.backend,
                    query=query_name,
                    layer="service",
                )
            )
        return results

    def measure_dense(self, needs: dict[str, str], *, repeat: int) -> list[Result]:
        """Before and after issue 13 for single needs (``part`` → need id): an admin's
        candidates ranking every member in reach, and the exact top-k the service uses now
        (from this process's member snapshot, as a warmed-up worker serves them)."""
        results = []
        now = utcnow()
        with self.sessions() as session:
            models = self.text_models
            for part, need_id in needs.items():
                found = repository.readable_need_row(
                    session, principal=dense.ADMIN, need_id=need_id
                )
                if found is None:
                    continue
                (need,) = service._need_specs(session, [found], now=now)
                for layer, call in (
                    ("service", partial(dense.top_k, session, need, models, self.snapshots, now)),
                    ("everyone", partial(dense.rank_everyone, session, need, models, now)),
                ):
                    latencies, elapsed = time_calls(
                        [call], Budget(max_calls=repeat, max_seconds=0, min_calls=repeat)
                    )
                    result = from_latencies(
                        latencies,
                        elapsed_s=elapsed,
                        dataset=self.dataset.name,
                        backend=self.backend,
                        query="candidates",
                        layer=layer,
                    )
                    results.append(replace(result, part=part))
        return results

    def measure_engine(
        self, needs: Sequence[NeedQuery], members: Sequence[MemberQuery], budget: Budget
    ) -> list[Result]:
        """Engine-only latency: the service's own ranking calls replayed on their inputs.

        Each query goes through the service once while its call into the engine is recorded
        (the pool or need table it built, the weights, the text model, ``now``); the timed
        calls then repeat exactly those engine calls, with no SQL. Recording rather than
        rebuilding the inputs here keeps this in step with the service as it changes.
        """
        results = []
        for query_name, ask, queries, what in (
            ("candidates", self.candidates, needs, "members in reach"),
            ("suggestions", self.suggestions, members, "needs in reach"),
        ):
            with _recording(f"rank_{query_name}") as recorded:
                for query in queries:
                    ask(query)
            if not recorded:
                raise RuntimeError(
                    f"api.matching.service no longer calls rank_{query_name}: update"
                    " scripts/bench/inprocess.py to time the engine where it is now called"
                )
            calls = [_replay(*call) for call in recorded]
            # The pool (candidates) or the need table (suggestions) is the second argument.
            sizes = [len(arguments[1]) for _, arguments, _ in recorded]
            latencies, elapsed = time_calls(calls, budget)
            note = f"median {int(np.median(sizes))} {what} (max {max(sizes)})"
            if len(recorded) < len(queries):
                left_out = len(queries) - len(recorded)
                note += f"; {left_out} of {len(queries)} with none in reach never reach the engine"
            results.append(
                from_latencies(
                    latencies,
                    elapsed_s=elapsed,
                    dataset=self.dataset.name,
                    backend="memory",
                    query=query_name,
                    layer="engine",
                    note=note,
                )
            )
        return results


Call = tuple[Callable[..., object], tuple[Any, ...], dict[str, Any]]


@contextmanager
def _recording(name: str) -> Iterator[list[Call]]:
    """Record every call the service makes to its engine function ``name``, with arguments."""
    original = getattr(service, name)
    recorded: list[Call] = []

    def recorder(*arguments: Any, **options: Any) -> Any:
        recorded.append((original, arguments, options))
        return original(*arguments, **options)

    setattr(service, name, recorder)
    try:
        yield recorded
    finally:
        setattr(service, name, original)


def _replay(
    function: Callable[..., object], arguments: tuple[Any, ...], options: dict[str, Any]
) -> Callable[[], object]:
    return lambda: function(*arguments, **options)


def profile_candidates_request(
    dataset: Dataset, needs: Sequence[NeedQuery], *, calls: int
) -> Profile:
    """Where a whole candidates request spends its time, from cProfile over ``calls`` requests.

    The real ASGI app (auth, routing, service, serialisation) is called in this process
    through httpx2's ASGI transport. FastAPI runs sync routes and dependencies on worker
    threads, which cProfile cannot follow, so while profiling they run inline on this thread:
    the same code, less the thread hand-off.
    """
    app = create_app(Settings(database_url=dataset.url))
    profiler = cProfile.Profile()

    async def run_inline(function: Callable[..., Any], *arguments: Any, **_: Any) -> Any:
        return function(*arguments)

    async def ask(client: httpx2.AsyncClient, index: int) -> None:
        query = needs[index % len(needs)]
        answer = await client.get(
            f"/v1/needs/{query.need_id}/candidates",
            headers={"Authorization": f"Bearer {query.key}"},
        )
        answer.raise_for_status()

    async def requests() -> float:
        transport = httpx2.ASGITransport(app=app)
        async with httpx2.AsyncClient(transport=transport, base_url="http://bench") as client:
            await ask(client, 0)  # fits the text model, opens the pool
            started = time.perf_counter()
            profiler.enable()
            for index in range(calls):
                await ask(client, index)
            profiler.disable()
            return (time.perf_counter() - started) * 1000.0 / calls

    threaded = anyio.to_thread.run_sync
    anyio.to_thread.run_sync = run_inline  # type: ignore[assignment]
    try:
        wall_ms = asyncio.run(requests())
    finally:
        anyio.to_thread.run_sync = threaded
        app.state.engine.dispose()
    return Profile.from_stats(pstats.Stats(profiler), calls=calls, wall_ms=wall_ms)


def _bind(function: Callable[[Any], object], argument: Any) -> Callable[[], object]:
    return lambda: function(argument)


# --- baselines ------------------------------------------------------------------------------


def measure_postgis_floor(
    dataset: Dataset, needs: Sequence[NeedQuery], members: Sequence[MemberQuery], budget: Budget
) -> list[Result]:
    """The raw ST_DWithin queries behind candidates and suggestions, returning ids only.

    The same predicates the repository builds (index radius, then each member's own radius;
    the asking coordinator's communities; the member's visible needs), written as plain SQL:
    the cost of finding the rows with nothing else done. Each is timed two ways and the
    faster is the floor, the other noted: planned per call, and as a server-side prepared
    statement. They can differ a lot: after five executions PostgreSQL may switch a prepared
    statement to its generic plan, which cannot see that one community holds a handful of
    members and walks the GiST index over the network's largest radius instead; and psycopg
    prepares any statement run five times, so the service meets that plan.
    """
    engine = make_engine(dataset.url, pool_size=1)
    raw = engine.raw_connection()
    try:
        connection = raw.driver_connection
        assert connection is not None
        connection.autocommit = True
        largest_m = _largest_radius_km(engine) * 1000.0
        now = utcnow()
        point = "ST_SetSRID(ST_MakePoint(%(lon)s, %(lat)s), 4326)::geography"
        candidates_sql = (
            "SELECT id FROM members WHERE active AND community_id = ANY(%(communities)s)"
            f" AND ST_DWithin(home_geog, {point}, %(largest_m)s)"
            f" AND ST_DWithin(home_geog, {point}, max_travel_km * 1000.0)"
        )
        suggestions_sql = (
            "SELECT id FROM needs WHERE status = 'open' AND starts_at > %(now)s"
            " AND (community_id = %(community)s OR agency_id IS NOT NULL OR open_to_network)"
            f" AND ST_DWithin(location_geog, {point}, %(radius_m)s)"
        )

        def find_candidates(query: NeedQuery, *, prepare: bool = False) -> int:
            parameters = {
                "lat": query.lat,
                "lon": query.lon,
                "largest_m": largest_m,
                "communities": sorted(query.candidate_communities),
            }
            with connection.cursor() as cursor:
                cursor.execute(candidates_sql, parameters, prepare=prepare)
                return len(cursor.fetchall())

        def find_needs(query: MemberQuery, *, prepare: bool = False) -> int:
            parameters = {
                "lat": query.lat,
                "lon": query.lon,
                "radius_m": query.max_travel_km * 1000.0,
                "community": query.community_id,
                "now": now,
            }
            with connection.cursor() as cursor:
                cursor.execute(suggestions_sql, parameters, prepare=prepare)
                return len(cursor.fetchall())

        half = replace(budget, max_calls=budget.max_calls // 2, max_seconds=budget.max_seconds / 2)
        planned = _measure_pair(
            dataset, "postgis", "postgis_floor", find_candidates, find_needs, needs, members, half
        )
        prepared = _measure_pair(
            dataset,
            "postgis",
            "postgis_floor",
            lambda query: find_candidates(query, prepare=True),
            lambda query: find_needs(query, prepare=True),
            needs,
            members,
            half,
        )
        # The floor is the cheaper way of asking; the note keeps the other one's median.
        floors = []
        for one_by_one, statement in zip(planned, prepared, strict=True):
            faster, slower, how, other = (
                (one_by_one, statement, "planned per call", "prepared statement")
                if one_by_one.p50_ms <= statement.p50_ms
                else (statement, one_by_one, "prepared statement", "planned per call")
            )
            note = f"{faster.note}; {how}; {other}: p50 {slower.p50_ms:.2f} ms"
            floors.append(replace(faster, note=note))
        return floors
    finally:
        raw.close()
        engine.dispose()


def measure_sqlite_floor(
    dataset: Dataset, needs: Sequence[NeedQuery], members: Sequence[MemberQuery], budget: Budget
) -> list[Result]:
    """SQLite's equivalent floor: the indexed bounding boxes and exact geodesic, ids only."""
    engine = make_engine(dataset.url)
    raw = engine.raw_connection()
    try:
        connection = raw.driver_connection
        assert connection is not None
        largest_km = _largest_radius_km(engine)
        now_text = utcnow().astimezone(UTC).replace(tzinfo=None).isoformat(sep=" ")

        def boxes(lat: float, lon: float, radius_km: float, prefix: str) -> tuple[str, list[float]]:
            found = radius_bounding_boxes(lat, lon, radius_km)
            clause = " OR ".join(
                f"({prefix}_lat BETWEEN ? AND ? AND {prefix}_lon BETWEEN ? AND ?)" for _ in found
            )
            values = [
                v for box in found for v in (box.min_lat, box.max_lat, box.min_lon, box.max_lon)
            ]
            return f"({clause})", values

        def find_candidates(query: NeedQuery) -> int:
            clause, values = boxes(query.lat, query.lon, largest_km, "home")
            communities = sorted(query.candidate_communities)
            statement = (
                "SELECT id FROM members WHERE active = 1"
                f" AND community_id IN ({', '.join('?' for _ in communities)}) AND {clause}"
                " AND geodesic_km(home_lat, home_lon, ?, ?) <= max_travel_km"
            )
            parameters = [*communities, *values, query.lat, query.lon]
            return len(connection.execute(statement, parameters).fetchall())

        def find_needs(query: MemberQuery) -> int:
            clause, values = boxes(query.lat, query.lon, query.max_travel_km, "location")
            statement = (
                "SELECT id FROM needs WHERE status = 'open' AND starts_at > ?"
                " AND (community_id = ? OR agency_id IS NOT NULL OR open_to_network = 1)"
                f" AND {clause} AND geodesic_km(location_lat, location_lon, ?, ?) <= ?"
            )
            parameters = [
                now_text,
                query.community_id,
                *values,
                query.lat,
                query.lon,
                query.max_travel_km,
            ]
            return len(connection.execute(statement, parameters).fetchall())

        return _measure_pair(
            dataset, "sqlite", "sqlite_floor", find_candidates, find_needs, needs, members, budget
        )
    finally:
        raw.close()
        engine.dispose()


def measure_kdtree_floor(
    dataset: Dataset, needs: Sequence[NeedQuery], members: Sequence[MemberQuery], budget: Budget
) -> list[Result]:
    """In-memory floor: scipy cKDTree radius queries on 3-D unit vectors (a spherical Earth).

    A ball query with the network's largest radius, then each member's own radius (and the
    need's community, when only it may be asked): the candidates found, nothing else done.
    Trees are built once, outside the timing; their build time is in the note.
    """
    engine = make_engine(dataset.url, pool_size=1)
    try:
        with engine.connect() as connection:
            member_rows = connection.execute(
                select(
                    Member.id,
                    Member.home_lat,
                    Member.home_lon,
                    Member.max_travel_km,
                    Member.community_id,
                ).where(Member.active.is_(True))
            ).all()
            need_rows = connection.execute(
                select(
                    Need.id,
                    Need.location_lat,
                    Need.location_lon,
                    Need.community_id,
                    Need.agency_id.is_not(None),
                    Need.open_to_network,
                ).where(Need.status == "open", Need.starts_at > utcnow())
            ).all()
    finally:
        engine.dispose()

    started = time.perf_counter()
    member_ids = [row[0] for row in member_rows]
    member_points = unit_vectors([row[1] for row in member_rows], [row[2] for row in member_rows])
    member_radius = np.fromiter((row[3] for row in member_rows), np.float64, len(member_rows))
    community_codes: dict[str | None, int] = {}
    member_community = np.fromiter(
        (community_codes.setdefault(row[4], len(community_codes)) for row in member_rows),
        np.int64,
        len(member_rows),
    )
    member_tree = cKDTree(member_points)
    largest_chord = chord(float(member_radius.max()))
    member_chords = chord(member_radius)

    need_ids = [row[0] for row in need_rows]
    need_points = unit_vectors([row[1] for row in need_rows], [row[2] for row in need_rows])
    need_community = np.fromiter(
        (community_codes.get(row[3], -1) for row in need_rows), np.int64, len(need_rows)
    )
    need_open_to_all = np.fromiter(
        (bool(row[4] or row[5]) for row in need_rows), np.bool_, len(need_rows)
    )
    need_tree = cKDTree(need_points)
    build_s = time.perf_counter() - started
    del member_rows, need_rows

    def find_candidates(query: NeedQuery) -> int:
        centre = unit_vectors([query.lat], [query.lon])[0]
        hits = np.asarray(member_tree.query_ball_point(centre, largest_chord), dtype=np.int64)
        if hits.size == 0:
            return 0
        keep = np.linalg.norm(member_points[hits] - centre, axis=1) <= member_chords[hits]
        asked = [community_codes.get(c, -2) for c in query.candidate_communities]
        keep &= np.isin(member_community[hits], asked)
        return len([member_ids[i] for i in hits[keep]])

    def find_needs(query: MemberQuery) -> int:
        centre = unit_vectors([query.lat], [query.lon])[0]
        hits = np.asarray(
            need_tree.query_ball_point(centre, chord(query.max_travel_km)), dtype=np.int64
        )
        if hits.size == 0:
            return 0
        own = community_codes.get(query.community_id, -2)
        keep = need_open_to_all[hits] | (need_community[hits] == own)
        return len([need_ids[i] for i in hits[keep]])

    note = (
        f"trees over {len(member_ids):,} members and {len(need_ids):,} open needs"
        f" built in {build_s:.1f} s (untimed)"
    )
    return _measure_pair(
        dataset,
        "memory",
        "kdtree_floor",
        find_candidates,
        find_needs,
        needs,
        members,
        budget,
        note=note,
    )


def unit_vectors(
    lat: Sequence[float], lon: Sequence[float]
) -> np.ndarray[Any, np.dtype[np.float64]]:
    """Points on the unit sphere for latitudes and longitudes in degrees, one row each."""
    phi = np.radians(np.asarray(lat, dtype=np.float64))
    lam = np.radians(np.asarray(lon, dtype=np.float64))
    return np.column_stack((np.cos(phi) * np.cos(lam), np.cos(phi) * np.sin(lam), np.sin(phi)))


def chord(distance_km: Any) -> Any:
    """The straight-line gap on the unit sphere for a great-circle distance in km."""
    return 2.0 * np.sin(np.asarray(distance_km) / (2.0 * MEAN_EARTH_RADIUS_KM))


def measure_naive(
    dataset: Dataset,
    needs: Sequence[NeedQuery],
    members: Sequence[MemberQuery],
    budget: Budget,
    *,
    max_rows: int,
) -> list[Result]:
    """The naive way: a Python loop over every member (or open need) with geopy's geodesic.

    Each pair gets a distance, the radius check and a simple score (nearness and skill level,
    or nearness and urgency), then the best few are kept. Rows are fetched once, untimed. Above
    ``max_rows`` the loop runs on the first ``max_rows`` rows by id (a random sample, as ids
    are random) and the latencies are scaled up linearly, which the note says.
    """
    engine = make_engine(dataset.url, pool_size=1)
    now = utcnow()
    try:
        with engine.connect() as connection:
            total_members = int(connection.scalar(select(func.count()).select_from(Member)) or 0)
            total_needs = int(
                connection.scalar(
                    select(func.count()).where(Need.status == "open", Need.starts_at > now)
                )
                or 0
            )
            member_rows = connection.execute(
                select(
                    Member.id,
                    Member.home_lat,
                    Member.home_lon,
                    Member.max_travel_km,
                    Member.skills,
                    Member.active,
                    Member.community_id,
                )
                .order_by(Member.id)
                .limit(max_rows)
            ).all()
            need_rows = connection.execute(
                select(
                    Need.id,
                    Need.location_lat,
                    Need.location_lon,
                    Need.urgency,
                    Need.community_id,
                    Need.agency_id.is_not(None) | Need.open_to_network,
                )
                .where(Need.status == "open", Need.starts_at > now)
                .order_by(Need.id)
                .limit(max_rows)
            ).all()
            roles: dict[str, list[tuple[str | None, int]]] = {query.need_id: [] for query in needs}
            for need_id, skill, min_level in connection.execute(
                select(NeedRole.need_id, NeedRole.skill, NeedRole.min_level).where(
                    NeedRole.need_id.in_(list(roles))
                )
            ):
                roles[need_id].append((skill, min_level))
    finally:
        engine.dispose()

    def candidates(query: NeedQuery) -> list[tuple[float, str]]:
        here = (query.lat, query.lon)
        need_roles = roles[query.need_id]
        scored = []
        for member_id, lat, lon, radius_km, skills, active, community_id in member_rows:
            distance_km = geodesic(here, (lat, lon)).km
            if not active or distance_km > radius_km:
                continue
            if community_id not in query.candidate_communities:
                continue
            fits = [
                0.5 if skill is None else (1 + skills.get(skill, 0) - level) / (4 - level)
                for skill, level in need_roles
                if skill is None or skills.get(skill, 0) >= level
            ]
            if fits:
                scored.append((0.5 * (1 - distance_km / radius_km) + 0.5 * max(fits), member_id))
        return heapq.nlargest(CANDIDATES_LIMIT, scored)

    def suggestions(query: MemberQuery) -> list[tuple[float, str]]:
        here = (query.lat, query.lon)
        scored = []
        for need_id, lat, lon, urgency, community_id, open_to_all in need_rows:
            distance_km = geodesic(here, (lat, lon)).km
            if distance_km > query.max_travel_km:
                continue
            if not open_to_all and community_id != query.community_id:
                continue
            urgency_fit = URGENCY_ORDER.index(urgency) / (len(URGENCY_ORDER) - 1)
            scored.append(
                (0.7 * (1 - distance_km / query.max_travel_km) + 0.3 * urgency_fit, need_id)
            )
        return heapq.nlargest(SUGGESTIONS_LIMIT, scored)

    results = []
    for query_name, function, queries, rows, total, what in (
        ("candidates", candidates, needs, member_rows, total_members, "members"),
        ("suggestions", suggestions, members, need_rows, total_needs, "open needs"),
    ):
        if not rows:
            continue
        scale = total / len(rows)
        latencies, elapsed = time_calls([_bind(function, query) for query in queries], budget)
        note = f"loops over all {total:,} {what}"
        if scale > 1:
            note = f"timed on {len(rows):,} of {total:,} {what}, scaled x{scale:.3g} (linear)"
        results.append(
            from_latencies(
                latencies,
                elapsed_s=elapsed,
                dataset=dataset.name,
                backend="memory",
                query=query_name,
                layer="naive",
                scale=scale,
                note=note,
            )
        )
    return results


def _measure_pair(
    dataset: Dataset,
    backend: str,
    layer: str,
    find_candidates: Callable[[NeedQuery], int],
    find_needs: Callable[[MemberQuery], int],
    needs: Sequence[NeedQuery],
    members: Sequence[MemberQuery],
    budget: Budget,
    *,
    note: str = "",
) -> list[Result]:
    results = []
    for query_name, function, queries, what in (
        ("candidates", find_candidates, needs, "ids"),
        ("suggestions", find_needs, members, "ids"),
    ):
        sizes = [function(query) for query in queries]  # warms caches
        latencies, elapsed = time_calls([_bind(function, query) for query in queries], budget)
        found = f"median {int(np.median(sizes))} {what} (max {max(sizes)})"
        results.append(
            from_latencies(
                latencies,
                elapsed_s=elapsed,
                dataset=dataset.name,
                backend=backend,
                query=query_name,
                layer=layer,
                note=f"{found}; {note}" if note else found,
            )
        )
    return results


def _largest_radius_km(engine: Any) -> float:
    with engine.connect() as connection:
        largest = connection.scalar(select(func.max(Member.max_travel_km)))
    return float(largest or 0.0) or math.inf
