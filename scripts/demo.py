"""A small, realistic demo network around a real city, loaded through the same services the API
uses (so the demo obeys every rule the API enforces).

Three communities in Bristol (one multiplied from another), two coordinators, a food bank,
about fifty members with real-looking weeks and gifts, twenty needs over the coming fortnight,
a household that serves together, and a weekend of needs in Easton for a coordinator to fill
in one batch. Easton is ready to multiply: its seventeen members live in two parts of the
neighbourhood (west and east of the meeting point), each part with its own leader, so the
plan (``GET /v1/communities/{id}/multiplication``) is two compact groups that keep every rule.
"""

import random
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import delete, or_, select, update
from sqlalchemy.orm import Session

from api.agencies import service as agencies
from api.agencies.schemas import AgencyCreate
from api.auth.principal import Principal
from api.communities import service as communities
from api.communities.schemas import CommunityCreate, CoordinatorCreate
from api.db.models import (
    ApiKey,
    Base,
    Community,
    IdempotencyRecord,
    Member,
    Membership,
    StageChange,
)
from api.households import service as households
from api.households.schemas import HouseholdCreate
from api.keys import service as keys
from api.keys.schemas import KeyCreate
from api.members import service as members
from api.members.schemas import MemberCreate, MemberOut
from api.needs import service as needs
from api.needs.schemas import NeedCreate
from geo.cities import find_city
from geo.geocoding import Geocoder
from scripts.generate.guard import NETWORK_TABLES

CITY = ("Bristol", "GB")
# Neighbourhood offsets from the city centre (km north, km east), roughly Bristol's layout.
NEIGHBOURHOODS = (("Easton", 0.8, 2.2), ("Bedminster", -1.6, -0.4), ("Southville", -1.2, -1.3))
FIRST_NAMES = (
    "Amara",
    "Ben",
    "Chloe",
    "Dev",
    "Ellie",
    "Femi",
    "Grace",
    "Hamza",
    "Isla",
    "Jonah",
    "Kemi",
    "Liam",
    "Maya",
    "Noah",
    "Olu",
    "Priya",
    "Quinn",
    "Rosa",
    "Sami",
    "Tess",
    "Umar",
    "Vera",
    "Will",
    "Xena",
    "Yusuf",
    "Zara",
    "Abi",
    "Callum",
    "Dina",
    "Ezra",
    "Faith",
    "Gabe",
    "Hana",
    "Ivan",
    "Jade",
    "Kofi",
    "Lena",
    "Marek",
    "Nia",
    "Owen",
    "Pia",
    "Reuben",
    "Sofia",
    "Theo",
    "Una",
    "Viktor",
    "Wren",
    "Yara",
    "Zac",
    "Alba",
)
SURNAMES = (
    "Okafor",
    "Patel",
    "Hughes",
    "Evans",
    "Nowak",
    "Ahmed",
    "Clarke",
    "Mensah",
    "Price",
    "Rahman",
    "Walsh",
    "Bell",
)
SKILLS = (
    "cooking",
    "driving",
    "tutoring",
    "childcare",
    "first_aid",
    "gardening",
    "diy",
    "listening",
    "music",
    "admin",
)
INTERESTS = (
    "cooking for families, baking bread",
    "maths tutoring and homework clubs",
    "visiting older neighbours, good listener",
    "gardening and tidying parks",
    "fixing bikes and small repairs",
    "driving people to appointments",
    "music with children",
    "prayer and pastoral care",
    "food bank shifts and sorting",
)
WEEKLY_PATTERNS = (
    [("mon", "18:00", "21:00"), ("wed", "18:00", "21:00"), ("sat", "09:00", "13:00")],
    [("sat", "08:00", "17:00"), ("sun", "13:00", "18:00")],
    [("tue", "09:00", "15:00"), ("thu", "09:00", "15:00")],
    [("fri", "17:00", "22:00"), ("sat", "10:00", "16:00")],
    [(day, "19:00", "21:30") for day in ("mon", "tue", "wed", "thu")],
)
# (weekday, local hour) when needs start, chosen to fall inside the weekly patterns above.
NEED_TIMES = ((5, 9), (0, 18), (3, 10), (6, 14), (2, 18), (1, 10), (4, 18), (5, 13))
NEED_TEMPLATES = (
    (
        "Meals for the Hassan family after a new baby",
        "meals",
        [("cook", "cooking", 1, 2), ("driver", "driving", 1, 1)],
        3,
        True,
    ),
    ("Homework club at St Mark's", "tutoring", [("tutor", "tutoring", 2, 3)], 2, False),
    (
        "Visit Mrs Jenkins after her hip operation",
        "visiting",
        [("visitor", "listening", 1, 2)],
        2,
        True,
    ),
    ("Clean-up of Victoria Park", "cleanup", [("volunteer", None, 1, 6)], 3, False),
    ("Lifts to the hospital for dialysis", "transport", [("driver", "driving", 2, 1)], 3, True),
    ("Fix a leaking tap and a broken gate", "repair", [("handy", "diy", 2, 1)], 2, True),
    (
        "Sort donations at the food bank",
        "meals",
        [("sorter", None, 1, 4), ("lead", "admin", 2, 1)],
        3,
        False,
    ),
    ("Prayer walk around Easton", "prayer", [("walker", None, 1, 5)], 2, False),
)
# Easton's two parts (km east of its meeting point, west then east) and how far homes spread
# around each; the first EASTON_WEST members live in the west part (the household with them).
EASTON_PARTS_KM = (-1.2, 1.2)
EASTON_SPREAD_KM = 0.45
EASTON_WEST = 9
# Easton's two leaders, one per part (by the order members join it); nobody else leads there.
EASTON_LEADERS = (3, 12)
# The first community's weekend, for a coordinator to fill in one batch: (day of the weekend,
# local hour, title, category, roles as in NEED_TEMPLATES, hours).
WEEKEND = (
    (
        0,
        10,
        "Community breakfast at the hall",
        "meals",
        [("cook", "cooking", 1, 2), ("helper", None, 1, 2)],
        2,
    ),
    (0, 14, "Litter pick on Easton Way", "cleanup", [("volunteer", None, 1, 3)], 2),
    (1, 14, "Tea and songs at Greenway care home", "visiting", [("visitor", None, 1, 2)], 2),
)


@dataclass(frozen=True)
class DemoKeys:
    """The keys to try the demo with (shown once; the CLI saves them to a local file)."""

    admin: str
    coordinator: str
    agency: str
    member: str
    member_id: str
    community_id: str


def is_loaded(session: Session) -> bool:
    """Whether any community exists (the demo only loads into an empty database)."""
    return session.scalar(select(Community.id).limit(1)) is not None


DEMO_ADMIN_KEY = "demo admin"


def reset(session: Session) -> None:
    """Erase the network (every table :data:`NETWORK_TABLES` names), its people's keys, the
    demo's admin keys and the replayable answers that name them, so the demo loads again.

    Other admin keys (an operator's) and the audit log (ids only) are kept.
    """
    for table in reversed(Base.metadata.sorted_tables):  # children before their parents
        if table.name in NETWORK_TABLES:
            session.execute(table.delete())
    session.execute(
        delete(ApiKey).where(or_(ApiKey.role != "admin", ApiKey.name == DEMO_ADMIN_KEY))
    )
    session.execute(delete(IdempotencyRecord))


def _offset(lat: float, lon: float, north_km: float, east_km: float) -> tuple[float, float]:
    # Small offsets only: a flat approximation is plenty for placing demo homes.
    return lat + north_km / 111.2, lon + east_km / (111.2 * 0.62)


def _history(session: Session, joined: list[MemberOut], *, now: datetime, seed: int) -> None:
    """A year of history for the health series: members joined over the last eleven months
    (inside the series' default window), and those past ``new`` who joined over two months ago
    came in as ``new`` and were moved on halfway since. Written to the rows directly (no
    service writes the past), from its own random stream so the rest of the demo is unchanged."""
    rng = random.Random(seed + 1)
    for member in joined:
        joined_at = now - timedelta(days=rng.randint(0, 330))
        moved_on = member.stage != "new" and now - joined_at > timedelta(days=60)
        session.execute(update(Member).where(Member.id == member.id).values(created_at=joined_at))
        session.execute(
            update(Membership).where(Membership.member_id == member.id).values(joined_at=joined_at)
        )
        session.execute(
            update(StageChange)
            .where(StageChange.member_id == member.id)
            .values(stage="new" if moved_on else member.stage, changed_at=joined_at)
        )
        if moved_on:
            halfway = joined_at + (now - joined_at) / 2
            session.add(StageChange(member_id=member.id, stage=member.stage, changed_at=halfway))


def load(
    session: Session, *, now: datetime, cell_km: float, geocoder: Geocoder, seed: int = 7
) -> DemoKeys:
    """Load the demo network and return keys for each role."""
    rng = random.Random(seed)
    city = find_city(*CITY)
    admin = Principal(role="admin", id=None)
    admin_key = keys.create(
        session, principal=None, data=KeyCreate(name=DEMO_ADMIN_KEY, role="admin")
    ).api_key
    created: list[Community] = []
    for name, north, east in NEIGHBOURHOODS:
        lat, lon = _offset(city.lat, city.lon, north, east)
        parent = created[0].id if created and name == "Southville" else None
        created.append(
            communities.create(
                session,
                data=CommunityCreate.model_validate(
                    {
                        "name": f"{name} Community",
                        "meeting_point": {"lat": lat, "lon": lon},
                        "timezone": city.timezone,
                        "parent_id": parent,
                    }
                ),
                geocoder=geocoder,
            )
        )
    ruth = CoordinatorCreate(name="Ruth Adeyemi", email="ruth@easton.example")
    first, _ = communities.add_coordinator(session, community_id=created[0].id, data=ruth)
    coordinator, _ = communities.add_coordinator(session, community_id=created[1].id, data=ruth)
    communities.add_coordinator(
        session,
        community_id=created[2].id,
        data=CoordinatorCreate(name="Tom Fraser", email="tom@southville.example"),
    )
    agency = agencies.create(
        session,
        data=AgencyCreate(name="Bristol North Food Bank", email="hello@foodbank.example"),
    )
    first_member = None
    everyone: list[MemberOut] = []
    easton: list[MemberOut] = []
    for index, first_name in enumerate(FIRST_NAMES):
        community = created[index % len(created)]
        north_km, east_km = rng.gauss(0, 1.2), rng.gauss(0, 1.2)
        skills = {
            skill: rng.choice((1, 1, 2, 3)) for skill in rng.sample(SKILLS, rng.randint(1, 4))
        }
        stage = rng.choices(("new", "growing", "mature", "leader"), weights=(4, 4, 3, 1))[0]
        if community is created[0]:
            # The same draws as elsewhere (the other communities stay as they were), placed
            # and led so that Easton is ready to multiply into its two parts.
            part = EASTON_PARTS_KM[len(easton) >= EASTON_WEST]
            scale = EASTON_SPREAD_KM / 1.2
            north_km, east_km = north_km * scale, part + east_km * scale
            if len(easton) in EASTON_LEADERS:
                stage = "leader"
            elif stage == "leader":
                stage = "mature"
        lat, lon = _offset(community.meeting_lat, community.meeting_lon, north_km, east_km)
        # The first member is the one whose key the demo hands out: give them a full week.
        pattern = (
            WEEKLY_PATTERNS[0] + WEEKLY_PATTERNS[1] if index == 0 else rng.choice(WEEKLY_PATTERNS)
        )
        member = members.create(
            session,
            principal=admin,
            community_id=community.id,
            geocoder=geocoder,
            data=MemberCreate.model_validate(
                {
                    "name": f"{first_name} {rng.choice(SURNAMES)}",
                    "email": f"{first_name.lower()}{index}@example.org",
                    "home": {"lat": lat, "lon": lon},
                    "max_travel_km": rng.choice((3, 5, 5, 8, 12)),
                    "skills": skills,
                    "interests": rng.choice(INTERESTS),
                    "availability": [
                        {"day": day, "start": start, "end": end} for day, start, end in pattern
                    ],
                    "stage": stage,
                    "checks": ["background_check"] if stage in ("mature", "leader") else [],
                    "max_commitments_per_month": rng.choice((2, 4, 6)),
                }
            ),
        )
        first_member = first_member or member
        everyone.append(member)
        if community is created[0]:
            easton.append(member)
    _history(session, everyone, now=now, seed=seed)
    coordinator_principal = Principal(
        role="coordinator", id=coordinator.id, community_ids=frozenset(coordinator.community_ids)
    )
    # A couple who like to serve side by side (the demo member, easton[0], stays single).
    couple = easton[1:3]
    households.create(
        session,
        principal=coordinator_principal,
        community_id=created[0].id,
        data=HouseholdCreate(
            name=f"The {couple[0].name.split()[-1]} household",
            member_ids=[member.id for member in couple],
            serve="together",
        ),
    )
    agency_principal = Principal(role="agency", id=agency.id)
    zone = ZoneInfo(city.timezone)
    for index in range(20):
        title, category, roles, hours, private = NEED_TEMPLATES[index % len(NEED_TEMPLATES)]
        weekday, hour = NEED_TIMES[index % len(NEED_TIMES)]
        day = (now + timedelta(days=1 + index // len(NEED_TIMES) * 7)).date()
        day += timedelta(days=(weekday - day.weekday()) % 7)
        start = datetime.combine(day, time(hour), tzinfo=zone)
        by_agency = category == "meals" and not private
        community = created[index % 2]
        lat, lon = _offset(community.meeting_lat, community.meeting_lon, rng.gauss(0, 1), 0.5)
        needs.create(
            session,
            principal=agency_principal if by_agency else coordinator_principal,
            now=now,
            cell_km=cell_km,
            geocoder=geocoder,
            data=NeedCreate.model_validate(
                {
                    "community_id": None if by_agency else community.id,
                    "title": title,
                    "description": f"{title}. Thank you for helping your neighbours!",
                    "category": category,
                    "location": {"lat": lat, "lon": lon},
                    "private_location": private,
                    "starts_at": start.isoformat(),
                    "ends_at": (start + timedelta(hours=hours)).isoformat(),
                    "roles": [
                        {"name": name, "skill": skill, "min_level": level, "count": count}
                        for name, skill, level, count in roles
                    ],
                    "requirements": ["background_check"] if category == "tutoring" else [],
                    "urgency": rng.choice(("low", "normal", "normal", "high", "critical")),
                    "open_to_network": by_agency or index % 5 == 0,
                }
            ),
        )
    saturday = (now + timedelta(days=2)).date()
    saturday += timedelta(days=(5 - saturday.weekday()) % 7)
    for days_in, hour, title, category, roles, hours in WEEKEND:
        start = datetime.combine(saturday + timedelta(days=days_in), time(hour), tzinfo=zone)
        needs.create(
            session,
            principal=coordinator_principal,
            now=now,
            cell_km=cell_km,
            geocoder=geocoder,
            data=NeedCreate.model_validate(
                {
                    "community_id": created[0].id,
                    "title": title,
                    "description": f"{title}: the weekend's serving, together.",
                    "category": category,
                    "location": {"lat": created[0].meeting_lat, "lon": created[0].meeting_lon},
                    "starts_at": start.isoformat(),
                    "ends_at": (start + timedelta(hours=hours)).isoformat(),
                    "roles": [
                        {"name": name, "skill": skill, "min_level": level, "count": count}
                        for name, skill, level, count in roles
                    ],
                }
            ),
        )
    assert first_member is not None and first_member.api_key is not None
    assert first.api_key is not None and agency.api_key
    return DemoKeys(
        admin=admin_key,
        coordinator=first.api_key,
        agency=agency.api_key,
        member=first_member.api_key,
        member_id=first_member.id,
        community_id=created[0].id,
    )
