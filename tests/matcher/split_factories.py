"""Builders and strategies for the multiplication engine's tests.

`mirrored_communities` makes communities that can keep every rule by construction: one
neighbourhood's people (stages, skills, households) repeated in each neighbourhood, a few km
apart, so splitting by neighbourhood is a witness that a split keeping every rule exists.
"""

from collections.abc import Sequence
from typing import Any

from hypothesis import strategies as st

from matcher.inputs import STAGES, Stage
from matcher.multiplication import MeetingPlace, SkillNeed, SplitMember, SplitProblem, SplitRules

CENTRE_LAT, CENTRE_LON = 51.4545, -2.5879  # Bristol
# About 5 km east of each other, then south: neighbourhoods of one town.
NEIGHBOURHOODS = ((0.0, 0.0), (0.0, 0.072), (-0.045, 0.036))
SKILLS = ("cooking", "driving", "childcare")
NEEDS = (SkillNeed("cooking", 2, 2), SkillNeed("driving", 1, 1), SkillNeed("childcare", 3, 1))
HERE = MeetingPlace(CENTRE_LAT, CENTRE_LON + 0.036, None)


def member(index: int, stage: Stage = "growing", **changes: Any) -> SplitMember:
    """A member at the centre with no household, skills or apprenticeship unless given."""
    fields: dict[str, Any] = {
        "id": f"m{index}",
        "lat": CENTRE_LAT,
        "lon": CENTRE_LON,
        "stage": stage,
        "apprentice": False,
        "household": None,
        "skills": {},
    }
    fields.update(changes)
    return SplitMember(**fields)


def crowd(stages: Sequence[Stage], **changes: Any) -> tuple[SplitMember, ...]:
    """One member per stage given, numbered from 0."""
    return tuple(member(index, stage, **changes) for index, stage in enumerate(stages))


def problem_of(
    members: Sequence[SplitMember],
    rules: SplitRules | None = None,
    needs: Sequence[SkillNeed] = (),
) -> SplitProblem:
    """A problem meeting at `HERE` with the default rules unless given."""
    return SplitProblem(tuple(members), HERE, tuple(needs), rules or SplitRules())


@st.composite
def people(draw: st.DrawFn, *, count: int) -> list[tuple[Stage, bool, int | None, dict[str, int]]]:
    """`count` people of one neighbourhood: stage, apprentice, household (local number) and
    skills; the first leads, and a third are mature or leaders so new members have company."""
    couples = draw(st.lists(st.booleans(), min_size=count, max_size=count))
    drawn = []
    for index in range(count):
        if index == 0:
            stage: Stage = "leader"
        elif index < count // 3:
            stage = draw(st.sampled_from(("mature", "leader")))
        else:
            stage = draw(st.sampled_from(STAGES))
        apprentice = stage != "leader" and draw(st.integers(0, 9)) == 0
        household = index // 2 if couples[index // 2] else None
        skills = draw(st.dictionaries(st.sampled_from(SKILLS), st.integers(1, 3), max_size=2))
        drawn.append((stage, apprentice, household, skills))
    return drawn


@st.composite
def mirrored_communities(
    draw: st.DrawFn, *, groups: int = 2, min_size: int = 8, max_size: int = 12
) -> SplitProblem:
    """`groups` neighbourhoods with the same people in each, scattered within ~1 km."""
    size = draw(st.integers(min_value=min_size, max_value=max_size))
    local = draw(people(count=size))
    members = []
    for hood, (north, east) in enumerate(NEIGHBOURHOODS[:groups]):
        homes: dict[int, tuple[float, float]] = {}
        for index, (stage, apprentice, household, skills) in enumerate(local):
            spot = (
                CENTRE_LAT + north + draw(st.floats(-0.009, 0.009)),
                CENTRE_LON + east + draw(st.floats(-0.014, 0.014)),
            )
            lat, lon = homes.setdefault(household, spot) if household is not None else spot
            members.append(
                SplitMember(
                    id=f"n{hood}m{index}",
                    lat=lat,
                    lon=lon,
                    stage=stage,
                    apprentice=apprentice,
                    household=None if household is None else f"n{hood}h{household}",
                    skills=skills,
                )
            )
    order = draw(st.permutations(range(len(members))))
    rules = SplitRules(groups=groups, min_members=0, min_group_size=min_size, max_size_gap=2)
    return SplitProblem(tuple(members[i] for i in order), HERE, NEEDS, rules)


@st.composite
def tiny_communities(draw: st.DrawFn) -> SplitProblem:
    """6-10 members anywhere in town, any stages and households: for brute force."""
    count = draw(st.integers(min_value=6, max_value=10))
    local = draw(people(count=count))
    members = [
        SplitMember(
            id=f"m{index}",
            lat=CENTRE_LAT + draw(st.floats(-0.05, 0.05)),
            lon=CENTRE_LON + draw(st.floats(-0.08, 0.08)),
            stage=draw(st.sampled_from(STAGES)) if index else stage,
            apprentice=apprentice,
            household=None if household is None else f"h{household}",
            skills=skills,
        )
        for index, (stage, apprentice, household, skills) in enumerate(local)
    ]
    rules = SplitRules(groups=2, min_members=0, min_group_size=3, max_size_gap=2)
    return SplitProblem(tuple(members), HERE, NEEDS, rules)
