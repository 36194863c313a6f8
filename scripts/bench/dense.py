"""Candidates for the densest needs: the exact top-k against ranking everyone in reach.

Run on a generated network (``python -m scripts generate``), e.g.
``python -m scripts.bench.dense postgresql+psycopg://postgres@127.0.0.1/servematch_bench``.
For the densest three and two median-density open agency/network needs among the first
``--needs``, it prints how many members are in reach, how many the top-k loaded in full, the
median time of both ways over ``--repeat`` calls, and whether they agree. The bench
(``scripts/bench/cli.py``) picks its densest and median needs with the same ranking.
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable
from datetime import UTC, datetime
from functools import partial
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from api.auth.principal import Principal
from api.db.engine import make_engine, make_sessionmaker
from api.db.models import Member, Need
from api.matching import repository, service
from api.matching.member_snapshot import MemberSnapshots
from api.matching.text_model import TextModelCache
from matcher import NeedSpec, Weights, build_pool, rank_candidates

ADMIN = Principal(role="admin", id="bench", community_ids=frozenset())
LIMIT = 20
DENSITY_BOX_DEGREES = 0.15
"""Half-side of the box members are counted in to find the densest needs (about 15 km)."""


def _median_ms(call: Callable[[], Any], repeat: int) -> tuple[float, Any]:
    times, result = [], None
    for _ in range(repeat):
        started = time.perf_counter()
        result = call()
        times.append(time.perf_counter() - started)
    return statistics.median(times) * 1000, result


def top_k(
    session: Session,
    need: NeedSpec,
    models: TextModelCache,
    snapshots: MemberSnapshots,
    now: datetime,
) -> service.TopCandidates:
    """An admin's candidates for a need as the service finds them now (exact top-k)."""
    return service.best_candidates(
        session,
        principal=ADMIN,
        need=need,
        limit=LIMIT,
        now=now,
        weights=Weights(),
        text_models=models,
        snapshots=snapshots,
    )


def rank_everyone(
    session: Session, need: NeedSpec, models: TextModelCache, now: datetime
) -> tuple[list[str], int]:
    """Candidates as before issue 13: every member in reach loaded and ranked; their ids and
    how many were in reach."""
    rows = repository.candidate_rows(session, principal=ADMIN, need=need, now=now)
    profiles = service._member_profiles(session, rows, commitments_since=now, now=now)
    model = models.get(session)
    ranked = rank_candidates(
        need,
        build_pool(profiles, text_model=model),
        weights=Weights(),
        text_model=model,
        now=now,
        limit=LIMIT,
    )
    return [candidate.member_id for candidate in ranked], len(rows)


def wide_needs_by_density(session: Session, *, now: datetime, sample: int) -> list[tuple[int, str]]:
    """(members around it, need id) for the first ``sample`` open agency/network needs,
    least dense first.

    Members are counted in a box of ``DENSITY_BOX_DEGREES`` around the need's shown point: a
    cheap stand-in for "members in reach" that orders needs the same way.
    """
    wide = (Need.agency_id.is_not(None)) | Need.open_to_network.is_(True)
    needs = session.execute(
        select(Need.id, Need.shown_lat, Need.shown_lon)
        .where(wide, Need.status == "open", Need.starts_at > now)
        .limit(sample)
    ).all()
    return sorted(
        (
            session.scalar(
                select(func.count())
                .select_from(Member)
                .where(
                    Member.home_lat.between(
                        need.shown_lat - DENSITY_BOX_DEGREES,
                        need.shown_lat + DENSITY_BOX_DEGREES,
                    ),
                    Member.home_lon.between(
                        need.shown_lon - 2 * DENSITY_BOX_DEGREES,
                        need.shown_lon + 2 * DENSITY_BOX_DEGREES,
                    ),
                )
            )
            or 0,
            need.id,
        )
        for need in needs
    )


def densest_and_median(
    ranked: list[tuple[int, str]], *, densest: int = 1, median: int = 1
) -> tuple[list[tuple[int, str]], list[tuple[int, str]]]:
    """The ``densest`` densest needs (densest first) and ``median`` from the middle up."""
    middle = len(ranked) // 2
    return ranked[::-1][:densest], ranked[middle : middle + median]


def main() -> None:
    """Print one line per sampled need."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("database_url")
    parser.add_argument("--needs", type=int, default=400)
    parser.add_argument("--repeat", type=int, default=3)
    options = parser.parse_args()
    sessions = make_sessionmaker(make_engine(options.database_url))
    models = TextModelCache(max_age_s=3600)
    now = datetime.now(UTC)
    with sessions() as session:
        density = wide_needs_by_density(session, now=now, sample=options.needs)
        densest, median = densest_and_median(density, densest=3, median=2)
        sampled = [*densest, *median]
        snapshots, no_snapshot = MemberSnapshots(background=False), MemberSnapshots(enabled=False)
        started = time.perf_counter()
        snapshots.view(session, text_model=models.get(session))
        print(f"member snapshot taken in {time.perf_counter() - started:,.1f} s", flush=True)
        for _, need_id in sampled:
            found = repository.readable_need_row(session, principal=ADMIN, need_id=need_id)
            assert found is not None
            (need,) = service._need_specs(session, [found], now=now)

            resident_ms, resident = _median_ms(
                partial(top_k, session, need, models, snapshots, now), options.repeat
            )
            outline_ms, outline = _median_ms(
                partial(top_k, session, need, models, no_snapshot, now), options.repeat
            )
            slow_ms, (ids, reach) = _median_ms(
                partial(rank_everyone, session, need, models, now), options.repeat
            )
            same = all(
                [candidate.member_id for candidate in walk.candidates] == ids
                for walk in (resident, outline)
            )
            print(
                f"need {need_id}: {reach:,} in reach; read fresh: {resident.members_scored:,} "
                f"(snapshot), {outline.members_scored:,} (outlines); "
                f"snapshot {resident_ms:,.1f} ms, outlines {outline_ms:,.0f} ms, "
                f"everyone {slow_ms:,.0f} ms; same result: {same}",
                flush=True,
            )


if __name__ == "__main__":
    main()
