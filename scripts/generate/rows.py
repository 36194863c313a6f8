"""A synthetic network's columns as database rows, one slice at a time.

Rows are rendered per batch, never all at once, so loading a million members holds only one
batch of Python strings. Values are what the ORM would have stored: JSON text in SQLAlchemy's
``json.dumps`` style, UTC instants formatted per backend (SQLite compares them as text, so its
format must match SQLAlchemy's exactly).
"""

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import numpy as np
import numpy.typing as npt

from api.privacy import shown_place
from api.vocabulary import Category, values
from matcher.inputs import STAGES, URGENCIES
from scripts.generate import vocabulary as words
from scripts.generate.members import BLACKOUT_WINDOW_DAYS, CHECK_DOCUMENTS, INTEREST_PHRASES
from scripts.generate.needs import ROLE_TEMPLATES, TEMPLATES
from scripts.generate.sampling import IntArray
from scripts.generate.synthesis import Network

Row = tuple[Any, ...]
Timestamps = Callable[[IntArray], list[str]]


def postgres_timestamps(epoch_s: IntArray) -> list[str]:
    """``timestamptz`` input text, explicitly UTC."""
    text = np.datetime_as_string(epoch_s.astype("datetime64[s]"), unit="s")
    stamps: list[str] = np.strings.add(text, "+00:00").tolist()
    return stamps


def sqlite_timestamps(epoch_s: IntArray) -> list[str]:
    """The text SQLAlchemy's SQLite ``DateTime`` writes (and so compares against)."""
    text = np.datetime_as_string(epoch_s.astype("datetime64[s]"), unit="s")
    stamps: list[str] = np.strings.add(np.strings.replace(text, "T", " "), ".000000").tolist()
    return stamps


@dataclass(frozen=True)
class Table:
    """One table to load: its columns, its size, and how to render a slice of its rows."""

    name: str
    columns: tuple[str, ...]
    size: int
    render: Callable[[slice], list[Row]]

    def batches(self, batch_size: int) -> Iterator[list[Row]]:
        """The rows in order, ``batch_size`` at a time."""
        for start in range(0, self.size, batch_size):
            yield self.render(slice(start, min(start + batch_size, self.size)))


def _text(ids: npt.NDArray[np.bytes_]) -> list[str]:
    text: list[str] = ids.astype("U36").tolist()
    return text


def _optional_ids(ids: npt.NDArray[np.bytes_], index: IntArray) -> list[str | None]:
    found = np.full(index.size, None, dtype=object)
    present = index >= 0
    found[present] = ids[index[present]].astype("U36")
    return found.tolist()


def _join(
    parts: list[npt.NDArray[np.str_]], present: npt.NDArray[np.bool_], separator: str
) -> npt.NDArray[np.str_]:
    """Row-wise join of the present parts (a vectorised ``separator.join``)."""
    joined = np.where(present[:, 0], parts[0], "")
    for column in range(1, len(parts)):
        glue = np.where(present[:, :column].any(axis=1), separator, "")
        joined = np.where(
            present[:, column], np.strings.add(np.strings.add(joined, glue), parts[column]), joined
        )
    return joined


SKILL_ENTRIES = np.array([f'"{skill}": {level}' for skill in words.SKILLS for level in (1, 2, 3)])


def _skills_json(skill: IntArray, level: IntArray) -> list[str]:
    present = skill >= 0
    entries = SKILL_ENTRIES[np.where(present, skill * 3 + level - 1, 0)]
    body = _join([entries[:, i] for i in range(skill.shape[1])], present, ", ")
    documents: list[str] = np.strings.add(np.strings.add("{", body), "}").tolist()
    return documents


def _interests(interest: IntArray) -> list[str]:
    phrases = np.array(INTEREST_PHRASES)[np.maximum(interest, 0)]
    interests: list[str] = _join([phrases[:, 0], phrases[:, 1]], interest >= 0, ", ").tolist()
    return interests


def _blackouts(network: Network, rows: slice) -> list[str]:
    members = network.members
    start = members.blackout_start[rows]
    documents = np.full(start.size, "[]", dtype=object)
    days = [
        '"' + (network.start + timedelta(days=offset)).isoformat() + '"'
        for offset in range(BLACKOUT_WINDOW_DAYS + 11)
    ]
    extra = members.blackout_extra[rows]
    length = members.blackout_days[rows]
    for row in np.flatnonzero(start >= 0).tolist():
        first = int(start[row])
        chosen = set(range(first, first + int(length[row])))
        if extra[row] >= 0:
            chosen.add(int(extra[row]))
        documents[row] = "[" + ", ".join(days[offset] for offset in sorted(chosen)) + "]"
    return documents.tolist()


def _members(network: Network, timestamps: Timestamps) -> Table:
    members = network.members
    first_names = np.array(words.FIRST_NAMES)
    surnames = np.array(words.SURNAMES)
    first_lower = np.strings.lower(first_names)
    surname_lower = np.strings.lower(surnames)
    availability = np.array(members.availability_documents, dtype=object)
    checks = np.array(CHECK_DOCUMENTS, dtype=object)
    stages = np.array(STAGES, dtype=object)

    def render(rows: slice) -> list[Row]:
        first = members.first_name[rows]
        last = members.surname[rows]
        index = np.arange(rows.start, rows.stop).astype(str)
        email = np.strings.add(np.strings.add(first_lower[first], "."), surname_lower[last])
        email = np.strings.add(np.strings.add(np.strings.add(email, "."), index), "@example.org")
        created = timestamps(members.created_at[rows])
        return list(
            zip(
                _text(members.id[rows]),
                _text(network.communities.id[members.community[rows]]),
                np.strings.add(np.strings.add(first_names[first], " "), surnames[last]).tolist(),
                email.tolist(),
                members.lat[rows].tolist(),
                members.lon[rows].tolist(),
                members.max_travel_km[rows].tolist(),
                _skills_json(members.skill[rows], members.level[rows]),
                _interests(members.interest[rows]),
                availability[members.availability[rows]].tolist(),
                _blackouts(network, rows),
                stages[members.stage[rows]].tolist(),
                checks[members.checks[rows]].tolist(),
                members.max_commitments_per_month[rows].tolist(),
                members.active[rows].tolist(),
                created,
                timestamps(members.updated_at[rows]),
                strict=True,
            )
        )

    columns = (
        "id", "community_id", "name", "email", "home_lat", "home_lon", "max_travel_km",
        "skills", "interests", "availability", "blackout_dates", "stage", "checks",
        "max_commitments_per_month", "active", "created_at", "updated_at",
    )  # fmt: skip
    return Table("members", columns, len(members), render)


def _derived_ids(prefix: str, member_ids: list[str]) -> list[str]:
    """Ids of a member's one membership and one stage change: the member's, first letter
    replaced (as migration 0008's backfill makes them), unique without a generator of their own."""
    return [prefix + member_id[1:] for member_id in member_ids]


def _memberships(network: Network, timestamps: Timestamps) -> Table:
    """One membership per member, of their community, from when they joined (``created_at``)."""
    members = network.members

    def render(rows: slice) -> list[Row]:
        member_ids = _text(members.id[rows])
        return list(
            zip(
                _derived_ids("m", member_ids),
                member_ids,
                _text(network.communities.id[members.community[rows]]),
                timestamps(members.created_at[rows]),
                strict=True,
            )
        )

    columns = ("id", "member_id", "community_id", "joined_at")
    return Table("memberships", columns, len(members), render)


def _stage_changes(network: Network, timestamps: Timestamps) -> Table:
    """One stage change per member: the stage they joined with, when they joined."""
    members = network.members
    stages = np.array(STAGES, dtype=object)

    def render(rows: slice) -> list[Row]:
        member_ids = _text(members.id[rows])
        return list(
            zip(
                _derived_ids("s", member_ids),
                member_ids,
                stages[members.stage[rows]].tolist(),
                timestamps(members.created_at[rows]),
                strict=True,
            )
        )

    columns = ("id", "member_id", "stage", "changed_at")
    return Table("stage_changes", columns, len(members), render)


def _shown_points(
    lat: list[float], lon: list[float], private: list[bool], cell_km: float
) -> tuple[list[float], list[float], list[float]]:
    """Where outsiders see each need, as columns (the rule ``place_need`` applies to one)."""
    shown = [
        shown_place(y, x, private=hidden, cell_km=cell_km)
        for y, x, hidden in zip(lat, lon, private, strict=True)
    ]
    return (
        [point.lat for point, _ in shown],
        [point.lon for point, _ in shown],
        [precision for _, precision in shown],
    )


def _needs(network: Network, timestamps: Timestamps, cell_km: float) -> Table:
    needs = network.needs
    categories = np.array([template.category for template in TEMPLATES], dtype=object)
    private = np.array([template.private_location for template in TEMPLATES])
    urgencies = np.array(URGENCIES, dtype=object)
    assert set(categories.tolist()) <= set(values(Category))

    def render(rows: slice) -> list[Row]:
        template = needs.template[rows]
        count = template.size
        created = timestamps(needs.created_at[rows])
        requirements = np.where(needs.background_check[rows], '["background_check"]', "[]")
        lat, lon, hidden = needs.lat[rows].tolist(), needs.lon[rows].tolist(), private[template]
        shown_lat, shown_lon, precision = _shown_points(lat, lon, hidden.tolist(), cell_km)
        return list(
            zip(
                _text(needs.id[rows]),
                _optional_ids(network.communities.id, needs.community[rows]),
                _optional_ids(network.agencies.id, needs.agency[rows]),
                needs.title[rows].tolist(),
                needs.description[rows].tolist(),
                categories[template].tolist(),
                lat,
                lon,
                hidden.tolist(),
                shown_lat,
                shown_lon,
                precision,
                timestamps(needs.starts_at[rows]),
                timestamps(needs.ends_at[rows]),
                requirements.tolist(),
                urgencies[needs.urgency[rows]].tolist(),
                needs.open_to_network[rows].tolist(),
                ["open"] * count,
                created,
                created,
                strict=True,
            )
        )

    columns = (
        "id", "community_id", "agency_id", "title", "description", "category", "location_lat",
        "location_lon", "private_location", "shown_lat", "shown_lon", "shown_precision_km",
        "starts_at", "ends_at", "requirements", "urgency",
        "open_to_network", "status", "created_at", "updated_at",
    )  # fmt: skip
    return Table("needs", columns, int(needs.id.size), render)


def _roles(network: Network) -> Table:
    roles = network.roles
    names = np.array([role.name for role in ROLE_TEMPLATES], dtype=object)
    skills = np.array([role.skill for role in ROLE_TEMPLATES], dtype=object)

    def render(rows: slice) -> list[Row]:
        template = roles.template[rows]
        return list(
            zip(
                _text(roles.id[rows]),
                _text(network.needs.id[roles.need[rows]]),
                roles.position[rows].tolist(),
                names[template].tolist(),
                skills[template].tolist(),
                roles.min_level[rows].tolist(),
                roles.count[rows].tolist(),
                [0] * template.size,
                strict=True,
            )
        )

    columns = ("id", "need_id", "position", "name", "skill", "min_level", "count", "filled")
    return Table("need_roles", columns, int(roles.id.size), render)


def _communities(network: Network, timestamps: Timestamps) -> Table:
    communities = network.communities
    zones = np.array([city.timezone for city in network.cities], dtype=object)

    def render(rows: slice) -> list[Row]:
        return list(
            zip(
                _text(communities.id[rows]),
                communities.name[rows].tolist(),
                communities.lat[rows].tolist(),
                communities.lon[rows].tolist(),
                zones[communities.city[rows]].tolist(),
                _optional_ids(communities.id, communities.parent[rows]),
                timestamps(communities.created_at[rows]),
                strict=True,
            )
        )

    columns = ("id", "name", "meeting_lat", "meeting_lon", "timezone", "parent_id", "created_at")
    return Table("communities", columns, int(communities.id.size), render)


def _people(
    name: str, table: Any, timestamps: Timestamps
) -> Table:  # coordinators and agencies share a shape
    def render(rows: slice) -> list[Row]:
        return list(
            zip(
                _text(table.id[rows]),
                table.name[rows].tolist(),
                table.email[rows].tolist(),
                timestamps(table.created_at[rows]),
                strict=True,
            )
        )

    return Table(name, ("id", "name", "email", "created_at"), int(table.id.size), render)


def _leadership(network: Network) -> Table:
    communities = network.communities

    def render(rows: slice) -> list[Row]:
        return list(
            zip(
                _text(network.coordinators.id[communities.coordinator[rows]]),
                _text(communities.id[rows]),
                strict=True,
            )
        )

    columns = ("coordinator_id", "community_id")
    return Table("coordinator_communities", columns, int(communities.id.size), render)


def network_tables(network: Network, *, timestamps: Timestamps, cell_km: float) -> list[Table]:
    """Every table of the network, parents before children (foreign-key order)."""
    return [
        _people("agencies", network.agencies, timestamps),
        _communities(network, timestamps),
        _people("coordinators", network.coordinators, timestamps),
        _leadership(network),
        _members(network, timestamps),
        _memberships(network, timestamps),
        _stage_changes(network, timestamps),
        _needs(network, timestamps, cell_km),
        _roles(network),
    ]
