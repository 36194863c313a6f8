"""Candidates walked in order of ceiling stop early yet equal the first k of ranking everyone.

Random networks around one agency request (so an admin's walk spans everyone), stored in the
real database on both backends; the walks take steps of one to three members so even small
networks take many. Co-located members and copies of the same member make ties in distance
and in score, which the walk must break exactly as the full ranking does (score, then id).
Each example walks three ways: from outlines read from the database, from a worker's member
snapshot, and from a snapshot some of whose members were edited after it was taken (moved,
retrained, made inactive) and so must be read fresh.
"""

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from fastapi import FastAPI
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from api.auth.principal import Principal
from api.db.models import Agency, Community, Member, Need, NeedRole, Signup
from api.db.types import utcnow
from api.matching import repository, service
from api.matching.member_snapshot import MemberSnapshots
from matcher import RESTED, Weights, build_pool, rank_candidates
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
weights = st.one_of(st.sampled_from([Weights(), NEARNESS_ONLY, RESTED]), any_weights())
CO_LOCATED = {
    "home": SHARED_HOMES[0],
    "radius": 60.0,
    "cooking": 2,
    "stage": "new",
    "free_all_day": True,
    "copies": 3,
    "served": 0,
    "busy": False,
}
member_spec = st.fixed_dictionaries(
    {
        "home": home,
        "radius": st.sampled_from([2.0, 8.0, 15.0, 30.0, 60.0]),
        "cooking": st.integers(min_value=0, max_value=3),
        "stage": st.sampled_from(["new", "growing", "mature", "leader"]),
        "free_all_day": st.booleans(),
        "copies": st.integers(min_value=1, max_value=3),
        # Services in the past weeks (fairness) and a clashing sign-up (overlap): what a
        # snapshot leaves out, so its bound is loose for these members.
        "served": st.integers(min_value=0, max_value=3),
        "busy": st.booleans(),
    }
)


@pytest.fixture
def sessions(app: FastAPI) -> Iterator[Session]:
    with app.state.sessionmaker() as session:
        yield session


def _store(session: Session, members: list[dict[str, object]], *, urgency: str) -> Need:
    """Replace whatever the last example stored with this network and its one request."""
    for table in (Signup, NeedRole, Need, Member, Community, Agency):
        session.execute(delete(table))
    community = Community(
        name="Bristol", meeting_lat=CENTRE[0], meeting_lon=CENTRE[1], timezone="Europe/London"
    )
    agency = Agency(name="Food bank", email="bank@example.org")
    session.add_all([community, agency])
    session.flush()
    past = [_need(agency, NOW - timedelta(days=10 * (1 + n)), "low") for n in range(3)]
    clash = _need(agency, NOW + timedelta(hours=1), "low")
    session.add_all([*past, clash])
    session.flush()
    roles = {
        need.id: NeedRole(need_id=need.id, position=0, name="helper", count=1000)
        for need in [*past, clash]
    }
    session.add_all(roles.values())
    session.flush()
    for number, spec in enumerate(members):
        lat, lon = spec["home"]  # type: ignore[misc]
        window = (
            {"start": "00:00", "end": "23:59"}
            if spec["free_all_day"]
            else {"start": "09:00", "end": "12:00"}
        )
        for copy in range(int(spec["copies"])):  # type: ignore[call-overload]
            member = Member(
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
            session.add(member)
            session.flush()
            served = int(spec.get("served", 0))  # type: ignore[call-overload]
            signed_up = past[:served] + ([clash] if spec.get("busy") else [])
            session.add_all(
                Signup(need_id=other.id, role_id=roles[other.id].id, member_id=member.id)
                for other in signed_up
            )
    need = _need(agency, NOW + timedelta(hours=1), urgency)
    need.title = "Cook for the pantry"
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
    session.flush()
    # Written well before any snapshot the example takes: only its own edits count as changes.
    session.execute(update(Member).values(updated_at=utcnow() - timedelta(hours=1)))
    session.commit()
    return need


def _need(agency: Agency, starts_at: datetime, urgency: str) -> Need:
    return Need(
        agency_id=agency.id,
        title="Help at the pantry",
        category="meals",
        location_lat=CENTRE[0],
        location_lon=CENTRE[1],
        shown_lat=CENTRE[0],
        shown_lon=CENTRE[1],
        starts_at=starts_at,
        ends_at=starts_at + timedelta(hours=1),
        urgency=urgency,
    )


def _edit(session: Session, edits: list[tuple[int, str]]) -> None:
    """Edit members after the snapshot: each (index, change) moves, retrains or retires one."""
    members = session.scalars(select(Member).order_by(Member.name)).all()
    for index, change in edits:
        if not members:
            break
        member = members[index % len(members)]
        if change == "move":
            member.home_lat, member.home_lon = CENTRE
        elif change == "retrain":
            member.skills = {"cooking": 3}
        else:
            member.active = False
    session.commit()


def _snapshots(sessions: Session, app: FastAPI, walk: str) -> MemberSnapshots:
    snapshots = MemberSnapshots(enabled=walk != "outlines", background=False)
    snapshots.view(sessions, text_model=app.state.text_models.get(sessions))
    return snapshots


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
    walk="outlines",
    edits=[(0, "move")],
)
@example(  # the same ties, walked from the snapshot three members at a time
    members=[CO_LOCATED, CO_LOCATED],
    k=2,
    urgency="normal",
    weights=NEARNESS_ONLY,
    walk="snapshot",
    edits=[(0, "move")],
)
@given(
    members=st.lists(member_spec, min_size=0, max_size=25),
    k=st.integers(min_value=1, max_value=8),
    urgency=st.sampled_from(["low", "normal", "critical"]),
    weights=weights,
    walk=st.sampled_from(["outlines", "snapshot", "edited snapshot"]),
    edits=st.lists(
        st.tuples(st.integers(min_value=0), st.sampled_from(["move", "retrain", "retire"])),
        min_size=1,
        max_size=4,
    ),
)
def test_the_walk_returns_exactly_the_first_k_of_the_full_ranking(
    sessions: Session,
    app: FastAPI,
    members: list[dict[str, object]],
    k: int,
    urgency: str,
    weights: Weights,
    walk: str,
    edits: list[tuple[int, str]],
) -> None:
    stored = _store(sessions, members, urgency=urgency)
    snapshots = _snapshots(sessions, app, walk)
    if walk == "edited snapshot":
        _edit(sessions, edits)
    found = repository.readable_need_row(sessions, principal=ADMIN, need_id=stored.id)
    assert found is not None
    (need,) = service._need_specs(sessions, [found], now=NOW)
    text_models = app.state.text_models
    walked = service.best_candidates(
        sessions,
        principal=ADMIN,
        need=need,
        limit=k,
        now=NOW,
        weights=weights,
        text_models=text_models,
        snapshots=snapshots,
        first_batch=1,
        resident_batch=3,
    ).candidates

    everyone = repository.candidate_rows(sessions, principal=ADMIN, need=need, now=NOW)
    profiles = service._member_profiles(
        sessions, everyone, commitments_since=NOW - timedelta(40), now=NOW
    )
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


@pytest.mark.parametrize("walk", ["outlines", "snapshot"])
def test_the_walk_stops_before_the_far_members_when_the_near_ones_are_best(
    sessions: Session, app: FastAPI, walk: str
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
    (need,) = service._need_specs(sessions, [found], now=NOW)
    best = service.best_candidates(
        sessions,
        principal=ADMIN,
        need=need,
        limit=3,
        now=NOW,
        weights=Weights(),
        text_models=app.state.text_models,
        snapshots=_snapshots(sessions, app, walk),
        first_batch=8,
    )
    assert [c.name.split(".")[0] for c in best.candidates] == ["Member 0"] * 3
    assert 3 <= best.members_scored < 48
