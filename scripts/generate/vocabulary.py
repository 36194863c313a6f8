"""The words and weekly rhythms a synthetic network is drawn from.

Plain constants, kept apart from the sampling code so the shape of the data (which skills are
common, what a retiree's week looks like) can be read and tuned in one place. Order matters:
the synthesis indexes into these tuples, so reordering one changes every seed's output.
"""

from dataclasses import dataclass

SKILLS = (
    "cooking",
    "driving",
    "listening",
    "childcare",
    "gardening",
    "tutoring",
    "diy",
    "admin",
    "music",
    "hospitality",
    "cleaning",
    "first_aid",
    "prayer",
    "sports",
    "languages",
    "it_support",
    "crafts",
    "counselling",
    "carpentry",
    "mechanics",
)
"""Skill slugs, most popular first (popularity falls off as 1/rank, Zipf-like)."""

INTERESTS_BY_SKILL = (
    ("cooking for families", "baking bread", "community meals"),
    ("driving people to appointments", "lifts for older neighbours", "food parcel runs"),
    ("visiting older neighbours", "good listener", "befriending"),
    ("kids clubs", "toddler groups", "babysitting for busy parents"),
    ("gardening and tidying parks", "allotments", "planting with children"),
    ("maths tutoring", "homework clubs", "reading with children"),
    ("fixing bikes and small repairs", "decorating", "flat-pack furniture"),
    ("organising rotas", "spreadsheets and admin", "event planning"),
    ("music with children", "leading worship", "choir"),
    ("hosting dinners", "welcoming newcomers", "coffee mornings"),
    ("deep cleaning", "clearing out homes", "laundry help"),
    ("first aid at events", "health visits", "caring for the sick"),
    ("prayer and pastoral care", "prayer walks", "quiet days"),
    ("football with teenagers", "running club", "youth sports"),
    ("English conversation practice", "translating for refugees", "language cafes"),
    ("phone and laptop help", "digital skills for seniors", "websites for charities"),
    ("knitting for the shelter", "art with kids", "sewing repairs"),
    ("debt advice", "mentoring young people", "bereavement support"),
    ("woodwork", "building raised beds", "shelving and carpentry"),
    ("car repairs", "bike maintenance", "fixing appliances"),
)
"""Short interest phrases, three per skill (same order as ``SKILLS``)."""

FIRST_NAMES = (
    "Amara", "Ben", "Chloe", "Dev", "Ellie", "Femi", "Grace", "Hamza", "Isla", "Jonah",
    "Kemi", "Liam", "Maya", "Noah", "Olu", "Priya", "Quinn", "Rosa", "Sami", "Tess",
    "Umar", "Vera", "Will", "Xena", "Yusuf", "Zara", "Abi", "Callum", "Dina", "Ezra",
    "Faith", "Gabe", "Hana", "Ivan", "Jade", "Kofi", "Lena", "Marek", "Nia", "Owen",
    "Pia", "Reuben", "Sofia", "Theo", "Una", "Viktor", "Wren", "Yara", "Zac", "Alba",
    "Aisha", "Bethan", "Ciaran", "Daniel", "Emily", "Fraser", "Georgia", "Harry", "Imogen",
    "Jack", "Katie", "Lewis", "Megan", "Nathan", "Olivia", "Patrick", "Rhys", "Sarah",
    "Thomas", "Victoria", "Aled", "Bronwen", "Connor", "Deborah", "Eilidh", "Fatima",
    "Gareth", "Hollie", "Iqbal", "Joy", "Kieran", "Lucy", "Mohammed", "Niamh", "Oscar",
    "Poppy", "Ruth", "Simon", "Tomasz", "Ursula", "Anita", "Bola", "Chen", "Dorota",
    "Esther", "Francis", "Gemma", "Hugh", "Ifeoma", "James",
)  # fmt: skip
SURNAMES = (
    "Okafor", "Patel", "Hughes", "Evans", "Nowak", "Ahmed", "Clarke", "Mensah", "Price",
    "Rahman", "Walsh", "Bell", "Smith", "Jones", "Williams", "Taylor", "Brown", "Davies",
    "Wilson", "Roberts", "Thomas", "Johnson", "Lewis", "Walker", "Robinson", "Wood",
    "Thompson", "White", "Watson", "Jackson", "Wright", "Green", "Harris", "Cooper",
    "King", "Lee", "Martin", "Morris", "Baker", "Campbell", "Kaur", "Singh", "Khan",
    "Ali", "Adeyemi", "Owusu", "Kowalski", "Murphy", "Kelly", "Macdonald", "Stewart",
    "Reid", "Fraser", "Murray", "Doherty", "Chapman", "Ellis", "Fletcher", "Hussain",
    "Begum", "Nguyen", "Santos", "Silva", "Rossi", "Fraser", "Pearson", "Griffiths",
    "Lloyd", "Jenkins", "Morgan", "Bennett", "Shaw", "Holmes", "Ward", "Chambers",
    "Okoro", "Asante", "Bakr", "Novak", "Byrne",
)  # fmt: skip

COMMUNITY_WORDS = (
    "Grace", "Hope", "Harbour", "Open Door", "Jubilee", "Emmanuel", "Wellspring",
    "Lighthouse", "Vine", "Cornerstone", "Bread and Salt", "Oak Tree", "Shalom", "Bridge",
    "Good Neighbour", "Mustard Seed", "Living Water", "New Song", "Kindred", "Table",
)  # fmt: skip
COMMUNITY_KINDS = ("Community", "Missional Community", "Family", "House", "Collective")
DISTRICTS = (
    "North", "South", "East", "West", "Central", "Riverside", "Old Town", "Park", "Hill",
    "Green", "Docks", "Village", "Heath", "Fields", "Cross",
)  # fmt: skip

AGENCY_KINDS = (
    "Food Bank",
    "Night Shelter",
    "Primary School",
    "Refugee Welcome",
    "Hospice",
    "Youth Trust",
)
"""What partner agencies are; each posts the agency templates listed for its kind below."""

HONORIFICS = ("Mrs", "Mr", "Ms", "Miss", "Dr")
VENUES = (
    "St Mark's",
    "the library",
    "the community centre",
    "Oak Road school",
    "the church hall",
    "the leisure centre",
    "Holy Trinity",
    "the Salvation Army hall",
)
PARKS = (
    "Victoria Park",
    "the recreation ground",
    "the canal towpath",
    "Queen's Park",
    "the nature reserve",
    "Memorial Gardens",
)
STREETS = ("the High Street", "Station Road", "Church Lane", "Mill Street", "the estate")
HOSPITALS = ("the General Hospital", "the Royal Infirmary", "the eye clinic", "the GP surgery")

DESCRIPTIONS = {
    "meals": "Home-cooked meals dropped off warm; check the allergies list first.",
    "tutoring": "Patient helpers for children working on reading and maths.",
    "visiting": "A cup of tea and good company; a familiar face makes a difference.",
    "cleanup": "Gloves, bags and pickers provided. Wear sturdy shoes.",
    "transport": "Pick-up from home and back again; the address is shared once you sign up.",
    "repair": "Small jobs around the house; tools welcome, skill appreciated.",
    "prayer": "All welcome, whatever your experience.",
    "other": "Many hands make light work.",
}
CLOSINGS = (
    "Thank you for helping your neighbours!",
    "Bring a friend if you can.",
    "Tea and biscuits provided.",
    "Questions? Ask your coordinator.",
)

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")

Slot = tuple[str, str, str]
"""(day, start, end) in the community's local time."""


def _each(days: tuple[str, ...], start: str, end: str) -> tuple[Slot, ...]:
    return tuple((day, start, end) for day in days)


def _evenings() -> tuple[tuple[Slot, ...], ...]:
    day_sets = (
        ("mon", "wed"),
        ("tue", "thu"),
        ("mon", "tue", "wed", "thu"),
        ("wed",),
        ("tue", "wed", "thu"),
        ("mon", "thu"),
        ("wed", "fri"),
    )
    times = (("18:00", "21:00"), ("18:30", "21:30"), ("19:00", "21:30"), ("17:30", "20:30"))
    return tuple(_each(days, start, end) for days in day_sets for start, end in times)


WEEKDAYS = ("mon", "tue", "wed", "thu", "fri")
AVAILABILITY_FAMILIES: tuple[tuple[float, tuple[tuple[Slot, ...], ...]], ...] = (
    # Working people: weekday evenings.
    (0.34, _evenings()),
    # Saturday mornings.
    (
        0.18,
        (
            (("sat", "09:00", "13:00"),),
            (("sat", "08:30", "12:30"),),
            (("sat", "09:00", "12:00"),),
            (("sat", "10:00", "13:00"), ("sun", "14:00", "17:00")),
        ),
    ),
    # Weekend afternoons.
    (
        0.14,
        (
            (("sat", "13:00", "17:00"),),
            (("sun", "13:00", "18:00"),),
            (("sat", "12:00", "18:00"), ("sun", "14:00", "17:00")),
            (("sun", "14:00", "17:00"),),
        ),
    ),
    # Whole weekends.
    (0.06, ((("sat", "08:00", "17:00"), ("sun", "13:00", "18:00")),)),
    # Retirees: weekday daytime.
    (
        0.14,
        (
            _each(("tue", "thu"), "09:00", "15:00"),
            _each(WEEKDAYS, "10:00", "16:00"),
            _each(("mon", "wed", "fri"), "09:30", "12:30"),
            (("wed", "10:00", "15:00"),),
        ),
    ),
    # Parents: school hours.
    (0.08, (_each(WEEKDAYS, "09:30", "14:30"), _each(("tue", "wed", "thu"), "09:30", "14:30"))),
    # Friday nights and Saturdays.
    (0.04, ((("fri", "17:00", "22:00"), ("sat", "10:00", "16:00")),)),
    # Never free (yet): registered but not giving times.
    (0.02, ((),)),
)
"""(weight, variants) per weekly rhythm; a member draws one, sometimes a second."""

NEED_SLOTS = {
    # kind: (weekdays allowed, local start minutes, durations in minutes)
    "evening": ((0, 1, 2, 3, 4), (18 * 60, 18 * 60 + 30, 19 * 60), (90, 120)),
    "saturday_morning": ((5,), (9 * 60, 9 * 60 + 30, 10 * 60), (120, 150, 180)),
    "saturday_long": ((5,), (9 * 60,), (240,)),
    "weekend_afternoon": ((5, 6), (13 * 60, 14 * 60), (120, 180)),
    "daytime": ((0, 1, 2, 3, 4), (9 * 60 + 30, 10 * 60, 13 * 60), (60, 90, 120)),
}
"""When needs happen, local time; chosen to fall inside the common rhythms above."""
SLOT_KINDS = tuple(NEED_SLOTS)


@dataclass(frozen=True)
class RoleTemplate:
    """A role a need of this kind asks for; ``count`` is an inclusive range."""

    name: str
    skill: str | None
    count: tuple[int, int]


@dataclass(frozen=True)
class NeedTemplate:
    """A kind of need: title pattern, roles (the first always asked for), place and time."""

    title: str
    category: str
    roles: tuple[RoleTemplate, ...]
    private_location: bool
    background_check: float
    slots: tuple[tuple[str, float], ...]
    weight: float = 1.0


def _role(name: str, skill: str | None, low: int, high: int) -> RoleTemplate:
    return RoleTemplate(name, skill, (low, high))


EVENINGS_AND_SATURDAYS = (("evening", 0.5), ("saturday_morning", 0.3), ("daytime", 0.2))
COMMUNITY_TEMPLATES = (
    NeedTemplate(
        "Meals for the {surname} family after a new baby",
        "meals",
        (_role("cook", "cooking", 1, 3), _role("driver", "driving", 1, 1)),
        True,
        0.0,
        EVENINGS_AND_SATURDAYS,
        2.0,
    ),
    NeedTemplate(
        "Meals for {first} while recovering from surgery",
        "meals",
        (_role("cook", "cooking", 1, 2), _role("shopper", None, 1, 1)),
        True,
        0.0,
        EVENINGS_AND_SATURDAYS,
        1.5,
    ),
    NeedTemplate(
        "Homework club at {venue}",
        "tutoring",
        (_role("tutor", "tutoring", 1, 4), _role("helper", "childcare", 1, 2)),
        False,
        0.8,
        (("evening", 0.6), ("saturday_morning", 0.4)),
        1.5,
    ),
    NeedTemplate(
        "Reading help for {first} (year {year})",
        "tutoring",
        (_role("tutor", "tutoring", 1, 1),),
        True,
        0.9,
        (("evening", 0.7), ("saturday_morning", 0.3)),
    ),
    NeedTemplate(
        "Visit {honorific} {surname} after a hospital stay",
        "visiting",
        (_role("visitor", "listening", 1, 2), _role("musician", "music", 1, 1)),
        True,
        0.7,
        (("daytime", 0.5), ("weekend_afternoon", 0.3), ("evening", 0.2)),
        1.5,
    ),
    NeedTemplate(
        "Tea and company for {first}, newly bereaved",
        "visiting",
        (_role("visitor", "listening", 1, 2),),
        True,
        0.6,
        (("daytime", 0.5), ("weekend_afternoon", 0.5)),
    ),
    NeedTemplate(
        "Clean-up of {park}",
        "cleanup",
        (
            _role("volunteer", None, 3, 6),
            _role("gardener", "gardening", 1, 3),
            _role("lead", "admin", 1, 1),
        ),
        False,
        0.0,
        (("saturday_long", 0.5), ("saturday_morning", 0.5)),
        1.5,
    ),
    NeedTemplate(
        "Litter pick along {street}",
        "cleanup",
        (_role("picker", None, 2, 6),),
        False,
        0.0,
        (("saturday_morning", 0.6), ("weekend_afternoon", 0.4)),
    ),
    NeedTemplate(
        "Lifts to {hospital} for {first}",
        "transport",
        (_role("driver", "driving", 1, 2),),
        True,
        0.0,
        (("daytime", 0.8), ("saturday_morning", 0.2)),
        1.5,
    ),
    NeedTemplate(
        "Fix a leaking tap and a broken gate for {honorific} {surname}",
        "repair",
        (_role("handy", "diy", 1, 1), _role("helper", None, 1, 1)),
        True,
        0.0,
        (("saturday_morning", 0.6), ("evening", 0.4)),
    ),
    NeedTemplate(
        "Put up shelves and a bed for the {surname} family",
        "repair",
        (_role("carpenter", "carpentry", 1, 1), _role("handy", "diy", 1, 2)),
        True,
        0.0,
        (("saturday_morning", 0.5), ("weekend_afternoon", 0.5)),
        0.7,
    ),
    NeedTemplate(
        "Prayer walk around {district}",
        "prayer",
        (_role("walker", None, 2, 6), _role("lead", "prayer", 1, 1)),
        False,
        0.0,
        (("saturday_morning", 0.5), ("evening", 0.5)),
    ),
    NeedTemplate(
        "Set up for the {district} fun day",
        "other",
        (
            _role("volunteer", None, 2, 6),
            _role("host", "hospitality", 1, 2),
            _role("first_aider", "first_aid", 1, 1),
        ),
        False,
        0.0,
        (("saturday_long", 0.6), ("weekend_afternoon", 0.4)),
        0.7,
    ),
    NeedTemplate(
        "Welcome lunch for new neighbours at {venue}",
        "other",
        (_role("host", "hospitality", 1, 3), _role("cook", "cooking", 1, 2)),
        False,
        0.0,
        (("weekend_afternoon", 1.0),),
        0.7,
    ),
)
"""Needs a community posts; ``weight`` is how common each kind is."""

AGENCY_TEMPLATES = (
    NeedTemplate(
        "Sort donations at the {agency}",
        "meals",
        (
            _role("sorter", None, 2, 6),
            _role("lead", "admin", 1, 1),
            _role("driver", "driving", 1, 2),
        ),
        False,
        0.0,
        (("saturday_morning", 0.5), ("daytime", 0.3), ("evening", 0.2)),
    ),
    NeedTemplate(
        "Serve breakfast at the {agency}",
        "meals",
        (_role("cook", "cooking", 1, 3), _role("server", "hospitality", 1, 3)),
        False,
        0.3,
        (("saturday_morning", 0.5), ("daytime", 0.5)),
    ),
    NeedTemplate(
        "Reading volunteers at {agency}",
        "tutoring",
        (_role("reader", "tutoring", 1, 4),),
        False,
        1.0,
        (("daytime", 1.0),),
    ),
    NeedTemplate(
        "English conversation cafe with {agency}",
        "tutoring",
        (_role("host", "languages", 1, 3), _role("helper", None, 1, 2)),
        False,
        0.5,
        (("evening", 0.6), ("daytime", 0.4)),
    ),
    NeedTemplate(
        "Companions for patients at the {agency}",
        "visiting",
        (_role("companion", "listening", 1, 3),),
        False,
        1.0,
        (("daytime", 0.6), ("weekend_afternoon", 0.4)),
    ),
    NeedTemplate(
        "Sports evening with the {agency}",
        "other",
        (_role("coach", "sports", 1, 2), _role("helper", None, 1, 3)),
        False,
        1.0,
        (("evening", 1.0),),
    ),
    NeedTemplate(
        "Deliver food parcels for the {agency}",
        "transport",
        (_role("driver", "driving", 1, 4),),
        False,
        0.0,
        (("daytime", 0.5), ("saturday_morning", 0.5)),
    ),
)
"""Needs partner agencies post, open to the whole network."""

AGENCY_TEMPLATES_BY_KIND = (
    (0, 6),  # Food Bank: sort donations, deliver parcels
    (1, 0),  # Night Shelter: serve breakfast, sort donations
    (2,),  # Primary School: reading volunteers
    (3, 0),  # Refugee Welcome: conversation cafe, sort donations
    (4,),  # Hospice: companions
    (5, 1),  # Youth Trust: sports evening, breakfast
)
"""Indexes into ``AGENCY_TEMPLATES`` that each agency kind posts (same order as the kinds)."""
