"""Candidates walked nearest-first stop early yet equal the first k of ranking everyone.

Random networks around one agency request (so an admin's walk spans everyone), stored in the
real database on both backends; the walk starts with a batch of two so even small networks
take many steps. Co-located members and copies of the same member make ties in distance and
in score, which the walk must break exactly as the full ranking does (score, then id).
"""

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from fastapi import FastAPI
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from sqlalchemy import delete
from sqlalchemy.orm import Session

from api.auth.principal import Principal
from api.db.models import Agency, Community, Member, Need, NeedRole
from api.matching import repository, service
from matcher import Weights, build_pool, rank_candidates
from tests.matcher.strategies import weights as any_weights

NOW = datetime(2030, 6, 3, 9, tzinfo=UTC)  # a Monday
CENTRE = (51.4545, -2.5879)
ADMIN = Principal(role="admin", id="admin", community_ids=frozenset())
# A few fixed homes so that many members share a distance; the rest are anywhere nearby.
SHARED_HOMES = [(51.46, -2.59), (51.50, -2.60), (51.40, -2.50)]

home = st.one_of(
    st.sampled_from(SHARED_HOMES),
    st.tuples(
        st.floats(min_value=51.10, max_value=51.80), st.floats(min_value=-3.10, max_value=-2.05)
    ),
)
NEARNESS_ONLY = Weights(
    distance=1, skill=0, availability=0, fairness=0, urgency=0, affinity=0, mentoring=0
)
"""Scores are then the distance part alone and the ceiling is tight: a walk that stops a
step early, or loses a tie at a batch's edge, shows."""
weights = st.one_of(st.sampled_from([Weights(), NEARNESS_ONLY]), any_weights())
CO_LOCATED = {
    "home": SHARED_HOMES[0],
    "radius": 60.0,
    "cooking": 2,
    "stage": "new",
    "free_all_day": True,
    "copies": 3,
}
member_spec = st.fixed_dictionaries(
    {
        "home": home,
        "radius": st.sampled_from([2.0, 8.0, 15.0, 30.0, 60.0]),
        "cooking": st.integers(min_value=0, max_value=3),
        "stage": st.sampled_from(["new", "growing", "mature", "leader"]),
        "free_all_day": st.booleans(),
        "copies": st.integers(min_value=1, max_value=3),
    }
)


@pytest.fixture
def sessions(app: FastAPI) -> Iterator[Session]:
    with app.state.sessionmaker() as session:
        yield session


def _store(session: Session, members: list[dict[str, object]], *, urgency: str) -> Need:
    """Replace whatever the last example stored with this network and its one request."""
    for table in (NeedRole, Need, Member, Community, Agency):
        session.execute(delete(table))
    community = Community(
        name="Bristol", meeting_lat=CENTRE[0], meeting_lon=CENTRE[1], timezone="Europe/London"
    )
    agency = Agency(name="Food bank", email="bank@example.org")
    session.add_all([community, agency])
    session.flush()
    for number, spec in enumerate(members):
        lat, lon = spec["home"]  # type: ignore[misc]
        window = (
            {"start": "00:00", "end": "23:59"}
            if spec["free_all_day"]
            else {"start": "09:00", "end": "12:00"}
        )
        for copy in range(int(spec["copies"])):  # type: ignore[call-overload]
            session.add(
                Member(
                    community_id=community.id,
                    name=f"Member {number}.{copy}",
                    email=f"m{number}.{copy}@example.org",
                    home_lat=lat,
                    home_lon=lon,
                    max_travel_km=spec["radius"],
                    skills={"cooking": spec["cooking"]} if spec["cooking"] else {},
                    availability=[{"day": "mon", **window}],
                    stage=spec["stage"],
                )
            )
    need = Need(
        agency_id=agency.id,
        title="Cook for the pantry",
        category="meals",
        location_lat=CENTRE[0],
        location_lon=CENTRE[1],
        shown_lat=CENTRE[0],
        shown_lon=CENTRE[1],
        starts_at=NOW + timedelta(hours=1),
        ends_at=NOW + timedelta(hours=2),
        urgency=urgency,
    )
    session.add(need)
    session.flush()
    session.add_all(
        [
            NeedRole(
                need_id=need.id, position=0, name="cook", skill="cooking", min_level=1, count=2
            ),
            NeedRole(need_id=need.id, position=1, name="helper", skill=None, count=3),
        ]
    )
    session.commit()
    return need


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@example(  # six neighbours tie on everything; the walk's first batch holds two of them
    members=[CO_LOCATED, CO_LOCATED],
    k=2,
    urgency="normal",
    weights=NEARNESS_ONLY,
)
@given(
    members=st.lists(member_spec, min_size=0, max_size=25),
    k=st.integers(min_value=1, max_value=8),
    urgency=st.sampled_from(["low", "normal", "critical"]),
    weights=weights,
)
def test_the_walk_returns_exactly_the_first_k_of_the_full_ranking(
    sessions: Session,
    app: FastAPI,
    members: list[dict[str, object]],
    k: int,
    urgency: str,
    weights: Weights,
) -> None:
    stored = _store(sessions, members, urgency=urgency)
    found = repository.readable_need_row(sessions, principal=ADMIN, need_id=stored.id)
    assert found is not None
    (need,) = service._need_specs(sessions, [found])
    text_models = app.state.text_models
    walked = service.best_candidates(
        sessions,
        principal=ADMIN,
        need=need,
        limit=k,
        now=NOW,
        weights=weights,
        text_models=text_models,
        first_batch=2,
    ).candidates

    everyone = repository.candidate_rows(sessions, principal=ADMIN, need=need, now=NOW)
    profiles = service._member_profiles(sessions, everyone, commitments_since=NOW - timedelta(40))
    text_model = text_models.get(sessions)
    full = rank_candidates(
        need,
        build_pool(profiles, text_model=text_model),
        weights=weights,
        text_model=text_model,
        now=NOW,
        limit=len(everyone),
    )
    assert [(c.member_id, c.role, c.score) for c in walked] == [
        (c.member_id, c.role, c.score) for c in full[:k]
    ]
    sessions.rollback()


def test_the_walk_stops_before_the_far_members_when_the_near_ones_are_best(
    sessions: Session, app: FastAPI
) -> None:
    """Eight excellent members next door and forty mediocre ones far out: the walk needs
    only the first steps, and the far members are never loaded."""
    near = {
        "home": (51.455, -2.588),
        "radius": 60.0,
        "cooking": 3,
        "stage": "mature",
        "free_all_day": True,
        "copies": 8,
    }
    far = {
        "home": (51.75, -2.95),
        "radius": 60.0,
        "cooking": 1,
        "stage": "new",
        "free_all_day": False,
        "copies": 40,
    }
    stored = _store(sessions, [near, far], urgency="normal")
    found = repository.readable_need_row(sessions, principal=ADMIN, need_id=stored.id)
    assert found is not None
    (need,) = service._need_specs(sessions, [found])
    best = service.best_candidates(
        sessions,
        principal=ADMIN,
        need=need,
        limit=3,
        now=NOW,
        weights=Weights(),
        text_models=app.state.text_models,
        first_batch=8,
    )
    assert [c.name.split(".")[0] for c in best.candidates] == ["Member 0"] * 3
    assert 8 <= best.members_scored < 48
