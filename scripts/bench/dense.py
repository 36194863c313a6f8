"""Candidates for the densest needs: the exact top-k against ranking everyone in reach.

Run on a generated network (``python -m scripts generate``), e.g.
``python -m scripts.bench.dense postgresql+psycopg://postgres@127.0.0.1/servematch_bench``.
For the densest three and two median-density open agency/network needs among the first
``--needs``, it prints how many members are in reach, how many the top-k loaded in full, the
median time of both ways over ``--repeat`` calls, and whether they agree.
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


def _top_k(
    session: Session, need: NeedSpec, models: TextModelCache, now: datetime
) -> service.TopCandidates:
    return service.best_candidates(
        session,
        principal=ADMIN,
        need=need,
        limit=LIMIT,
        now=now,
        weights=Weights(),
        text_models=models,
    )


def _everyone(
    session: Session, need: NeedSpec, models: TextModelCache, now: datetime
) -> tuple[list[str], int]:
    """What candidates cost before issue 13: every member in reach loaded and ranked."""
    rows = repository.candidate_rows(session, principal=ADMIN, need=need, now=now)
    profiles = service._member_profiles(session, rows, commitments_since=now)
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
        wide = (Need.agency_id.is_not(None)) | Need.open_to_network.is_(True)
        needs = session.execute(
            select(Need.id, Need.shown_lat, Need.shown_lon)
            .where(wide, Need.status == "open", Need.starts_at > now)
            .limit(options.needs)
        ).all()
        density = sorted(
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
        middle = len(density) // 2
        sampled = [*density[-3:][::-1], *density[middle : middle + 2]]
        models.get(session)
        for _, need_id in sampled:
            found = repository.readable_need_row(session, principal=ADMIN, need_id=need_id)
            assert found is not None
            (need,) = service._need_specs(session, [found])

            fast_ms, fast = _median_ms(partial(_top_k, session, need, models, now), options.repeat)
            slow_ms, (ids, reach) = _median_ms(
                partial(_everyone, session, need, models, now), options.repeat
            )
            same = [candidate.member_id for candidate in fast.candidates] == ids
            print(
                f"need {need_id}: {reach:,} in reach, {fast.members_scored:,} loaded in full; "
                f"top-k {fast_ms:,.0f} ms, everyone {slow_ms:,.0f} ms, same result: {same}",
                flush=True,
            )


if __name__ == "__main__":
    main()
