"""Database rows to the engine's plain inputs, in bulk; no SQL here (see ``repository``).

The engine knows nothing of the database; this module is the one place that translates what
``api.matching.repository`` reads (rows read by name) into the engine's frozen inputs.
"""

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import replace
from datetime import date
from functools import cache

from api.db.models import Need
from api.matching.repository import EngineRow
from matcher import Commitment, MemberProfile, NeedSpec, RoleSpec, WeeklyWindow

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


DAY_NUMBERS = {day: number for number, day in enumerate(DAYS)}


@cache
def _minute(clock: str) -> int:
    # Remembered: a network's windows use a few dozen clock times, read a million times over
    # when a worker takes its member snapshot.
    hours, minutes = clock.split(":")
    return int(hours) * 60 + int(minutes)


def weekly_windows(availability: list[dict[str, str]]) -> tuple[WeeklyWindow, ...]:
    """Stored availability ({day, start, end} each) as the engine's weekly windows."""
    return tuple(
        WeeklyWindow(
            day=DAY_NUMBERS[slot["day"]],
            start_minute=_minute(slot["start"]),
            end_minute=_minute(slot["end"]),
        )
        for slot in availability
    )


def commitments_by_member(rows: Iterable[EngineRow]) -> dict[str, list[Commitment]]:
    """``repository.commitment_rows`` grouped by member."""
    found: dict[str, list[Commitment]] = defaultdict(list)
    for row in rows:
        commitment = Commitment(need_id=row.need_id, starts_at=row.starts_at, ends_at=row.ends_at)
        found[row.member_id].append(commitment)
    return found


def member_profiles(
    rows: Sequence[EngineRow], commitments: dict[str, list[Commitment]]
) -> list[MemberProfile]:
    """Engine profiles for ``repository`` member rows, with their ``commitments`` by member."""
    return [
        MemberProfile(
            id=row.id,
            community_id=row.community_id,
            name=row.name,
            lat=row.home_lat,
            lon=row.home_lon,
            max_travel_km=row.max_travel_km,
            skills=row.skills,
            interests=row.interests,
            availability=weekly_windows(row.availability),
            blackout_dates=frozenset(date.fromisoformat(day) for day in row.blackout_dates),
            timezone=row.timezone,
            stage=row.stage,
            checks=frozenset(row.checks),
            max_commitments_per_month=row.max_commitments_per_month,
            active=row.active,
            commitments=tuple(commitments.get(row.id, ())),
            services_last_90_days=row.services_last_90_days,
            last_served_at=row.last_served_at,
        )
        for row in rows
    ]


def roles_by_need(rows: Iterable[EngineRow]) -> dict[str, list[RoleSpec]]:
    """``repository.role_rows`` as each need's roles, with the stages of who signed up.

    The engine's ``filled`` is every place taken: confirmed, or held by a pending invitation,
    so no candidate or suggestion is offered a place someone has been asked to take.
    """
    roles: dict[str, list[RoleSpec]] = defaultdict(list)
    for row in rows:
        role = row._mapping  # by key: a Row's own ``count`` is tuple.count, not the column
        stage = role["stage"]
        current = roles[role["need_id"]]
        if current and current[-1].name == role["name"]:
            if stage is not None:  # one more signed-up member on the same role
                last = current[-1]
                current[-1] = replace(last, signed_up_stages=(*last.signed_up_stages, stage))
            continue
        current.append(
            RoleSpec(
                name=role["name"],
                skill=role["skill"],
                min_level=role["min_level"],
                count=role["count"],
                filled=role["filled"] + role["invited"],
                signed_up_stages=(stage,) if stage is not None else (),
            )
        )
    return roles


def need_specs(
    rows: Sequence[EngineRow | Need], roles: dict[str, list[RoleSpec]]
) -> list[NeedSpec]:
    """Engine specs for ``repository.NEED_COLUMNS`` rows (or the ``Need`` objects themselves:
    the columns are read by their attribute names), with their ``roles`` by need."""
    return [
        NeedSpec(
            id=row.id,
            community_id=row.community_id,
            agency_id=row.agency_id,
            title=row.title,
            description=row.description,
            category=row.category,
            lat=row.shown_lat,
            lon=row.shown_lon,
            location_precision_km=row.shown_precision_km,
            starts_at=row.starts_at,
            ends_at=row.ends_at,
            roles=tuple(roles[row.id]),
            requirements=frozenset(row.requirements),
            urgency=row.urgency,
            open_to_network=row.open_to_network,
        )
        for row in rows
    ]
