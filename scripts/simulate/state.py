"""What has happened so far in one simulated run, and the engine's view of it at a moment.

The state is the service's record (who was offered what, who holds which place, who left)
plus the members' inboxes. Policies read it and the engine view built from it; only the
day loop (`run`) changes it. The engine view counts pending invitations as commitments and
as taken places, so no policy can offer a member two overlapping places or more than their
monthly limit, or offer a place twice, while an answer is awaited.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Literal

import numpy as np
import numpy.typing as npt

from matcher import MemberPool, NeedSpec, NeedTable, RoleSpec, build_need_table
from matcher.inputs import STAGES, URGENCIES
from scripts.simulate.city import (
    CATEGORIES,
    CHECKS,
    EPOCH,
    HOURS_PER_DAY,
    SKILLS,
    TIMEZONE,
    City,
)
from scripts.simulate.people import Hidden

IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]

Kind = Literal["invitation", "sheet"]
Outcome = Literal["pending", "accepted", "declined", "ignored", "withdrawn", "superseded"]
"""``superseded``: the place went to someone else asked for it (standby, ``policies``)."""
EPOCH_S = int(EPOCH.timestamp())
SECONDS_PER_HOUR = 3600
HOURS_IN_90_DAYS = 90 * HOURS_PER_DAY
STILL = 0
BURNOUT = 1
NEGLECT = 2


def moment(hours: float) -> datetime:
    """Hours since the simulation's epoch as an aware datetime (what the engine takes)."""
    return EPOCH + timedelta(hours=hours)


def epoch_s(hours: FloatArray) -> IntArray:
    """Hours since the simulation's epoch as epoch seconds (the engine's columns)."""
    return (EPOCH_S + np.round(np.asarray(hours) * SECONDS_PER_HOUR)).astype(np.int64)


@dataclass(frozen=True, slots=True)
class Proposal:
    """A policy's offer of one place (role) of a need to one member, at a time."""

    member: int
    need: int
    role: int  # index into the city's role arrays
    at_h: float
    kind: Kind = "invitation"
    standby: bool = False  # asked besides the place's holder: the first to accept takes it


@dataclass(slots=True)
class Offer:
    """A proposal once made: its answer, when it comes, and what became of it."""

    member: int
    need: int
    role: int
    sent_h: float
    kind: Kind
    ignored: bool  # no answer in time: ignored, or answered after it expired
    due_h: float  # when it is answered, or expires
    outcome: Outcome = "pending"
    resolved_h: float = np.inf
    standby: bool = False


@dataclass(frozen=True, slots=True)
class View:
    """The engine's inputs at one moment for some needs: the pool and the need table."""

    pool: MemberPool
    table: NeedTable
    specs: list[NeedSpec]
    needs: IntArray  # the city's need index of each table row
    now: datetime


@dataclass(slots=True)
class State:
    """One run's record; `run` changes it, policies read it."""

    city: City
    hidden: Hidden
    active: BoolArray
    left_h: FloatArray
    left_reason: IntArray
    last_engaged_h: FloatArray
    overloaded_checks: IntArray
    role_accepted: IntArray
    role_pending: IntArray
    need_filled_h: FloatArray
    mentor_in_reach: BoolArray
    need_in_reach: BoolArray
    offers: list[Offer] = field(default_factory=list)
    invited: set[tuple[int, int]] = field(default_factory=set)  # (need, member), ever offered
    inbox_h: list[list[float]] = field(default_factory=list)  # per member: invitation times

    @classmethod
    def start(cls, city: City, hidden: Hidden) -> State:
        """Nobody has served or been asked; members joined up to two weeks before."""
        members, needs = len(city.members), len(city.needs)
        roles = int(city.needs.role_offsets[-1])
        return cls(
            city=city,
            hidden=hidden,
            active=np.ones(members, dtype=np.bool_),
            left_h=np.full(members, np.inf),
            left_reason=np.zeros(members, dtype=np.int64),
            last_engaged_h=np.full(members, city.first_day * HOURS_PER_DAY, dtype=np.float64),
            overloaded_checks=np.zeros(members, dtype=np.int64),
            role_accepted=np.zeros(roles, dtype=np.int64),
            role_pending=np.zeros(roles, dtype=np.int64),
            need_filled_h=np.full(needs, np.inf),
            mentor_in_reach=np.zeros(needs, dtype=np.bool_),
            need_in_reach=np.zeros(needs, dtype=np.bool_),
            inbox_h=[[] for _ in range(members)],
        )

    def held(self, *, pending: bool = True) -> list[Offer]:
        """Places members hold (accepted), and those awaiting an answer when `pending`."""
        wanted = ("accepted", "pending") if pending else ("accepted",)
        return [offer for offer in self.offers if offer.outcome in wanted]

    def open_places(self, role: int) -> int:
        """Places of a role neither held nor awaiting an answer."""
        count = int(self.city.needs.role_count[role])
        return count - int(self.role_accepted[role]) - int(self.role_pending[role])

    def held_near(self, member: int, starts_h: float, window_h: float) -> int:
        """Places the member holds starting within `window_h` either side of `starts_h`."""
        starts = self.city.needs.starts_h
        return sum(
            1
            for offer in self.offers
            if offer.member == member
            and offer.outcome == "accepted"
            and abs(float(starts[offer.need]) - starts_h) <= window_h
        )

    def messages_since(self, member: int, since_h: float) -> int:
        """Invitations the member received from `since_h` on."""
        return sum(1 for sent in self.inbox_h[member] if sent >= since_h)

    def view(self, now_h: float, needs: Sequence[int], tentative: Sequence[Proposal] = ()) -> View:
        """The engine's pool and table at `now_h` for `needs`, with `tentative` proposals
        (made earlier in the same round) counted as if already sent."""
        held: list[tuple[int, int, int, str]] = [
            (
                o.member,
                o.need,
                o.role,
                "standby" if o.standby and o.outcome == "pending" else o.outcome,
            )
            for o in self.held()
        ]
        held += [(p.member, p.need, p.role, "pending") for p in tentative]
        return View(
            pool=self._pool(now_h, held),
            table=build_need_table(specs := self._specs(needs, held)),
            specs=specs,
            needs=np.asarray(needs, dtype=np.int64),
            now=moment(now_h),
        )

    def _pool(self, now_h: float, held: list[tuple[int, int, int, str]]) -> MemberPool:
        members, needs = self.city.members, self.city.needs
        count = len(members)
        ids = np.array([member_id(index) for index in range(count)], dtype=np.str_)
        held.sort(key=lambda row: row[0])  # the pool wants commitments grouped by member
        holder = np.array([row[0] for row in held], dtype=np.int64)
        need = np.array([row[1] for row in held], dtype=np.int64)
        served = np.array([row[3] == "accepted" for row in held], dtype=np.bool_)
        starts_h = needs.starts_h[need] if held else np.zeros(0)
        past = served & (starts_h < now_h)
        recent = past & (starts_h >= now_h - HOURS_IN_90_DAYS)
        last_served_h = np.full(count, -np.inf)
        np.maximum.at(last_served_h, holder[past], starts_h[past])
        return MemberPool(
            ids=ids,
            names=ids.astype(object),
            community_ids=np.array([community_id(c) for c in members.community], dtype=np.str_),
            lat=members.lat,
            lon=members.lon,
            max_travel_km=members.max_travel_km,
            timezones=np.array([TIMEZONE] * count, dtype=np.str_),
            stages=np.array(STAGES, dtype=np.str_)[members.stage],
            active=self.active.copy(),
            max_commitments_per_month=members.stated_limit,
            services_last_90_days=np.bincount(holder[recent], minlength=count).astype(np.int64),
            last_served_s=np.where(
                np.isfinite(last_served_h),
                EPOCH_S + last_served_h * SECONDS_PER_HOUR,
                np.nan,
            ),
            interests=np.full(count, "", dtype=object),
            skill_names=SKILLS,
            skill_levels=members.skill_levels,
            check_names=CHECKS,
            has_check=members.has_check,
            slot_member=members.slot_member,
            slot_day=members.slot_day,
            slot_start_minute=members.slot_start_minute,
            slot_end_minute=members.slot_end_minute,
            blackout_member=members.blackout_member,
            blackout_ordinal=members.blackout_ordinal,
            commitment_member=holder,
            commitment_need_ids=np.array([need_id(n) for n in need.tolist()], dtype=np.str_),
            commitment_starts_s=epoch_s(starts_h),
            commitment_ends_s=epoch_s(needs.ends_h[need] if held else np.zeros(0)),
        )

    def _specs(
        self, wanted: Sequence[int], held: list[tuple[int, int, int, str]]
    ) -> list[NeedSpec]:
        needs, stages = self.city.needs, self.city.members.stage
        taken = np.zeros(int(needs.role_offsets[-1]), dtype=np.int64)
        on_role: dict[int, list[str]] = {}
        for member, _, role, outcome in held:
            if outcome == "standby":  # holds no place: its member is busy, the role is not
                continue
            taken[role] += 1
            on_role.setdefault(role, []).append(STAGES[stages[member]])
        specs = []
        for index in wanted:
            roles = range(int(needs.role_offsets[index]), int(needs.role_offsets[index + 1]))
            community, agency = int(needs.community[index]), int(needs.agency[index])
            specs.append(
                NeedSpec(
                    id=need_id(index),
                    community_id=community_id(community) if community >= 0 else None,
                    agency_id=f"a{agency:02d}" if agency >= 0 else None,
                    title=CATEGORIES[needs.category[index]],
                    description="",
                    category=CATEGORIES[needs.category[index]],
                    lat=float(needs.lat[index]),
                    lon=float(needs.lon[index]),
                    starts_at=moment(float(needs.starts_h[index])),
                    ends_at=moment(float(needs.ends_h[index])),
                    roles=tuple(
                        RoleSpec(
                            name=str(needs.role_name[role]),
                            skill=SKILLS[needs.role_skill[role]]
                            if needs.role_skill[role] >= 0
                            else None,
                            min_level=int(needs.role_min_level[role]),
                            count=int(needs.role_count[role]),
                            filled=int(taken[role]),
                            signed_up_stages=tuple(on_role.get(role, ())),
                        )
                        for role in roles
                    ),
                    requirements=frozenset(CHECKS) if needs.needs_check[index] else frozenset(),
                    urgency=URGENCIES[needs.urgency[index]],
                    open_to_network=bool(needs.open_to_network[index]),
                )
            )
        return specs


def _held_as(offer: Offer) -> str:
    """An offer's outcome for the view; a standby awaiting an answer holds no place."""
    return "standby" if offer.standby and offer.outcome == "pending" else offer.outcome


def member_id(index: int) -> str:
    """Zero-padded, so the engine's id tie-breaks follow member order."""
    return f"m{index:05d}"


def need_id(index: int) -> str:
    """Zero-padded, so the engine's id tie-breaks follow posting order."""
    return f"n{index:06d}"


def community_id(index: int) -> str:
    """A community's id as the engine sees it."""
    return f"c{index:03d}"


def member_index(identifier: str) -> int:
    """The member behind an engine id (`member_id`'s inverse)."""
    return int(identifier[1:])


def need_role(city: City, need: int, role_name: str) -> int:
    """The city's role index of a need's role named `role_name`."""
    first, last = int(city.needs.role_offsets[need]), int(city.needs.role_offsets[need + 1])
    for role in range(first, last):
        if city.needs.role_name[role] == role_name:
            return role
    raise KeyError(role_name)
