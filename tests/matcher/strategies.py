"""Hypothesis strategies for members and needs, biased towards the awkward cases.

Need windows cluster around DST transitions and midnight; members come from zones with
different rules (Lord Howe shifts by 30 minutes; Kolkata never shifts), so constraint
properties are exercised where hand-written cases are most likely to miss something.
"""

from datetime import UTC, datetime, timedelta

from hypothesis import strategies as st

from matcher import Commitment, MemberProfile, NeedSpec, RoleSpec, WeeklyWindow, Weights
from matcher.inputs import STAGES, URGENCIES
from tests.matcher.factories import NEED_LAT, NEED_LON

ZONES = ("Europe/London", "America/New_York", "Asia/Kolkata", "Australia/Lord_Howe")
SKILLS = ("cooking", "driving", "childcare")
CHECKS = ("background_check", "food_hygiene")
# UTC instants of 2025 transitions: London spring/autumn, New York spring/autumn, Lord Howe.
PIVOTS = (
    datetime(2025, 3, 30, 1, tzinfo=UTC),
    datetime(2025, 10, 26, 1, tzinfo=UTC),
    datetime(2025, 3, 9, 7, tzinfo=UTC),
    datetime(2025, 11, 2, 6, tzinfo=UTC),
    datetime(2025, 4, 5, 15, tzinfo=UTC),
    datetime(2025, 6, 14, 23, tzinfo=UTC),
)
NOW = datetime(2025, 3, 1, tzinfo=UTC)
ALWAYS_FREE = tuple(WeeklyWindow(day, 0, 1440) for day in range(7))
HALF_HOURS = st.integers(min_value=0, max_value=47).map(lambda n: n * 30)


@st.composite
def slots(draw: st.DrawFn) -> WeeklyWindow:
    day = draw(st.integers(min_value=0, max_value=6))
    start = draw(st.integers(min_value=0, max_value=46)) * 30
    length = draw(st.integers(min_value=1, max_value=48 - start // 30)) * 30
    return WeeklyWindow(day, start, start + length)


@st.composite
def needs(draw: st.DrawFn, *, need_id: str = "n1", welcoming: bool = False) -> NeedSpec:
    """A need near a DST change; `welcoming` keeps every role open to a capable member."""
    pivot = draw(st.sampled_from(PIVOTS))
    starts = pivot + timedelta(minutes=30 * draw(st.integers(min_value=-8, max_value=8)))
    minutes = draw(st.integers(min_value=1, max_value=12)) * 30
    role_count = draw(st.integers(min_value=1, max_value=3))
    roles = tuple(
        RoleSpec(
            name=f"role{index}",
            skill=draw(st.none() | st.sampled_from(SKILLS)),
            min_level=draw(st.integers(min_value=0, max_value=1 if welcoming else 3)),
            count=draw(st.integers(min_value=1, max_value=3)),
            filled=0 if welcoming else draw(st.integers(min_value=0, max_value=2)),
            signed_up_stages=tuple(draw(st.lists(st.sampled_from(STAGES), max_size=2))),
        )
        for index in range(role_count)
    )
    return NeedSpec(
        id=need_id,
        community_id=draw(st.sampled_from(["c1", "c2", None])),
        agency_id=draw(st.sampled_from([None, "a1"])),
        title="Meals for a family",
        description=draw(st.sampled_from(["hot dinner", "school run", "garden tidy"])),
        category="meals",
        lat=NEED_LAT,
        lon=NEED_LON,
        starts_at=starts,
        ends_at=starts + timedelta(minutes=minutes),
        roles=roles,
        requirements=frozenset(draw(st.sets(st.sampled_from(CHECKS), max_size=1))),
        urgency=draw(st.sampled_from(URGENCIES)),
        open_to_network=draw(st.booleans()),
    )


@st.composite
def members(
    draw: st.DrawFn,
    *,
    member_id: str = "m1",
    near: datetime | None = None,
    welcoming: bool = False,
) -> MemberProfile:
    """A member whose commitments and blackouts fall near `near`.

    `welcoming` makes a member who passes every rule a welcoming need can set, except
    possibly the network one, so score properties are not vacuous.
    """
    around = near or draw(st.sampled_from(PIVOTS))
    if welcoming:
        availability = ALWAYS_FREE
    else:
        availability = draw(
            st.one_of(st.just(ALWAYS_FREE), st.lists(slots(), max_size=5).map(tuple))
        )
    commitment_starts = draw(st.lists(st.integers(min_value=-100, max_value=100), max_size=3))
    need_ids = ["other"] if welcoming else ["n1", "n2", "other"]
    commitments = tuple(
        Commitment(
            draw(st.sampled_from(need_ids)),
            around + timedelta(minutes=30 * offset),
            around + timedelta(minutes=30 * offset + 30 * draw(st.integers(1, 8))),
        )
        for offset in commitment_starts
        if not welcoming or abs(offset) > 30  # keep clear of any welcoming need's window
    )
    blackout_dates = draw(
        st.sets(
            st.integers(min_value=-2, max_value=2).map(
                lambda days: around.date() + timedelta(days=days)
            ),
            max_size=0 if welcoming else 2,
        )
    )
    last_served_days = draw(st.none() | st.integers(min_value=0, max_value=200))
    if welcoming:
        skills = {skill: draw(st.integers(1, 3)) for skill in SKILLS}
    else:
        skills = draw(st.dictionaries(st.sampled_from(SKILLS), st.integers(1, 3), max_size=3))
    return MemberProfile(
        id=member_id,
        community_id=draw(st.sampled_from(["c1", "c2"])),
        name=f"Member {member_id}",
        lat=NEED_LAT + draw(st.floats(min_value=-0.2, max_value=0.2)),
        lon=NEED_LON + draw(st.floats(min_value=-0.3, max_value=0.3)),
        max_travel_km=draw(st.floats(min_value=30.0 if welcoming else 0.0, max_value=60.0)),
        skills=skills,
        interests=draw(st.sampled_from(["cooking meals", "driving", "gardening kids", ""])),
        availability=availability,
        blackout_dates=frozenset(blackout_dates),
        timezone=draw(st.sampled_from(ZONES)),
        stage=draw(st.sampled_from(STAGES)),
        checks=frozenset(CHECKS)
        if welcoming
        else frozenset(draw(st.sets(st.sampled_from(CHECKS)))),
        max_commitments_per_month=draw(st.integers(min_value=4 if welcoming else 0, max_value=5)),
        active=welcoming or draw(st.booleans() | st.just(True)),
        commitments=commitments,
        services_last_90_days=draw(st.integers(min_value=0, max_value=20)),
        last_served_at=None if last_served_days is None else NOW - timedelta(days=last_served_days),
    )


@st.composite
def scenarios(
    draw: st.DrawFn, *, max_members: int = 6, welcoming: bool = False
) -> tuple[NeedSpec, list[MemberProfile]]:
    """A need and a few members whose commitments and blackouts fall around it."""
    need = draw(needs(welcoming=welcoming))
    count = draw(st.integers(min_value=1, max_value=max_members))
    crowd = [
        draw(members(member_id=f"m{index}", near=need.starts_at, welcoming=welcoming))
        for index in range(count)
    ]
    return need, crowd


def weights() -> st.SearchStrategy[Weights]:
    """Any valid weights: each component in [0, 1], distance always counting a little."""
    return st.builds(
        Weights,
        distance=st.floats(min_value=0.01, max_value=1),
        skill=st.floats(min_value=0, max_value=1),
        availability=st.floats(min_value=0, max_value=1),
        fairness=st.floats(min_value=0, max_value=1),
        urgency=st.floats(min_value=0, max_value=1),
        affinity=st.floats(min_value=0, max_value=1),
        mentoring=st.floats(min_value=0, max_value=1),
    )
