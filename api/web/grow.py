"""Growing communities: is one ready to multiply, the plan on a map, a coordinator's own split
worked out again, the multiplication itself, and the family tree (``api.multiplication``).

The plan advises and the coordinator decides: every member has a "Group for NAME" select, so
moving someone is choosing another group and pressing "Re-evaluate" (the service's
``evaluate_split``); "Multiply community" posts the same form to ``multiply``. Both are plain
POSTs; the figures, the broken rules and the service's refusals come back in words.
"""

from dataclasses import dataclass
from typing import Any

from fastapi import Request, Response
from starlette.datastructures import FormData

from api.auth.principal import Principal
from api.communities import service as communities
from api.communities.schemas import CommunityOut
from api.db.types import utcnow
from api.deps import AppGeocoder, AppSettings, DbSession
from api.households import service as households
from api.members import service as members
from api.multiplication import service as multiplication
from api.multiplication.schemas import (
    MAX_GROUPS,
    Comparison,
    Lineage,
    LineageNode,
    Multiplication,
    MultiplyRequest,
    SplitOut,
)
from api.settings import Settings
from api.web.forms import FormErrors, FormInvalid, by_form_field, shown_on
from api.web.pages import page_router, render
from api.web.session import CoordinatorPage, MemberPage
from api.web.times import zone_of

router = page_router()

TEMPLATE = "coordinator/grow.html"
MEMBERS_READ = 1_000
"""The most members the map draws (communities are 8–25 people)."""
HOUSEHOLDS_READ = 100
COLOURS = ("blue", "orange", "green", "pink", "vermilion")
"""Group colours by name, as the page's palette (Okabe–Ito, safe for colour-blind eyes)
paints them: ``--group-1`` … ``--group-5`` in app.css."""
RULES = {"members": "Members", "leaders": "Leaders", "group_size": "Group size"}
METHODS = {
    "plan": "ServeMatch's plan",
    "random": "Random balanced split",
    "kmeans": "Plain k-means",
    "yours": "Your split",
}
SPLIT_RULES = {
    "size": "size",
    "household": "households",
    "leader": "a leader",
    "mature_spread": "mature spread",
    "new_with_mature": "new beside mature",
    "skills": "skills",
}
CONFIRM = "confirm"
CONFIRM_MISSING = "talk with the members first, then tick this"


@dataclass(frozen=True)
class _Chosen:
    managed: list[CommunityOut]
    community: CommunityOut | None
    groups: int


def _choose(db: DbSession, principal: CoordinatorPage, community_id: str, groups: str) -> _Chosen:
    managed = communities.list_readable(db, principal=principal)
    chosen = next((c for c in managed if c.id == community_id), managed[0] if managed else None)
    count = int(groups) if groups.isdigit() and 2 <= int(groups) <= MAX_GROUPS else 2
    return _Chosen(managed=managed, community=chosen, groups=count)


def _homes(db: DbSession, principal: CoordinatorPage, community_id: str) -> dict[str, Any]:
    """The active members' exact homes (a coordinator's to see), by member id."""
    found = members.active_in_community(
        db, principal=principal, community_id=community_id, limit=MEMBERS_READ
    )
    return {member.id: members.to_out(member).home for member in found}


def _household_names(
    db: DbSession, principal: CoordinatorPage, community_id: str
) -> dict[str, str]:
    page = households.list_for_community(
        db, principal=principal, community_id=community_id, limit=HOUSEHOLDS_READ, cursor=None
    )
    return {household.id: household.name for household in page.items}


def _default_values(community: CommunityOut, split: SplitOut) -> dict[str, str]:
    """The form as the plan fills it: each member in their group, group 1 keeping the
    community's name, each group meeting at its suggested place, led by its leader."""
    values = {"names.0": community.name}
    for number, group in enumerate(split.groups):
        for member in group.members:
            values[f"group.{member.id}"] = str(number + 1)
        values[f"meeting_points.{number}.lat"] = f"{group.meeting_place.lat:.5f}"
        values[f"meeting_points.{number}.lon"] = f"{group.meeting_place.lon:.5f}"
        if number:
            values[f"leader_ids.{number}"] = group.leader_id or ""
    return values


def _map(
    settings: Settings,
    community: CommunityOut,
    split: SplitOut,
    homes: dict[str, Any],
    names: dict[str, str],
) -> dict[str, Any]:
    """What the map script draws: each home a circle in its group's colour, each group's
    meeting place a numbered marker, and the community's current meeting point."""
    return {
        "tiles": {"url": settings.map_tile_url, "attribution": settings.map_attribution},
        "split": {
            "homes": [
                {"name": member.name, "group": number, **homes[member.id].model_dump()}
                for number, group in enumerate(split.groups, start=1)
                for member in group.members
                if member.id in homes
            ],
            "places": [
                {
                    "group": number,
                    "lat": group.meeting_place.lat,
                    "lon": group.meeting_place.lon,
                    "label": f"Group {number} meets {_where(group.meeting_place.member_id, names)}",
                }
                for number, group in enumerate(split.groups, start=1)
            ],
            "current": community.meeting_point.model_dump(),
        },
    }


def _where(member_id: str | None, names: dict[str, str]) -> str:
    if member_id is None:
        return "at the current meeting point"
    return f"at {names.get(member_id, 'a member')}'s home"


def _yours(split: SplitOut) -> Comparison:
    return Comparison.model_validate(
        {
            "method": "plan",
            "sizes": [group.size for group in split.groups],
            "travel_after": split.travel_after,
            "violations": len(split.violations),
            "rules_broken": sorted({violation.rule for violation in split.violations}),
        }
    )


def _context(
    request: Request,
    db: DbSession,
    principal: CoordinatorPage,
    settings: Settings,
    chosen: _Chosen,
    *,
    form: dict[str, str] | None = None,
    split: SplitOut | None = None,
) -> dict[str, Any]:
    """Everything the Grow page draws: readiness, and when ready the split shown (the plan,
    or ``split``, the coordinator's own) with its map, figures, comparison and the forms."""
    context: dict[str, Any] = {
        "communities": chosen.managed,
        "community_options": [(c.id, c.name) for c in chosen.managed],
        "community": chosen.community,
        "group_options": [(str(k), str(k)) for k in range(2, MAX_GROUPS + 1)],
        "values": {
            "community": chosen.community.id if chosen.community else "",
            "groups": str(chosen.groups),
        },
        "result": None,
        "split": None,
        "rule_names": RULES,
        "split_rules": SPLIT_RULES,
    }
    community = chosen.community
    if community is None:
        return context
    result: Multiplication = multiplication.plan(
        db,
        principal=principal,
        community_id=community.id,
        groups=chosen.groups,
        thresholds=multiplication.Thresholds.of(settings),
        now=utcnow(),
    )
    context["result"] = result
    if result.plan is None:
        return context
    shown = split or result.plan
    names = {member.id: member.name for group in shown.groups for member in group.members}
    comparison = [(METHODS[row.method], row) for row in result.plan.comparison]
    if split is not None:
        comparison.append((METHODS["yours"], _yours(split)))
    context.update(
        split=shown,
        edited=split is not None,
        plan=result.plan,
        comparison=comparison,
        households=_household_names(db, principal, community.id),
        names=names,
        where=lambda member_id: _where(member_id, names),
        colours=COLOURS,
        map=_map(settings, community, shown, _homes(db, principal, community.id), names),
        leader_options=[
            [(m.id, m.name) for m in group.members if m.stage == "leader" or m.apprentice]
            for group in shown.groups
        ],
        values={**context["values"], **_default_values(community, shown), **(form or {})},
    )
    return context


@router.get("/coordinator/grow")
def grow(
    request: Request,
    db: DbSession,
    principal: CoordinatorPage,
    settings: AppSettings,
    community: str = "",
    groups: str = "",
) -> Response:
    """Whether the community is ready to multiply, rule by rule; when it is, the plan: the
    groups on a map, their figures and members, beside a random split and k-means."""
    chosen = _choose(db, principal, community, groups)
    return render(request, TEMPLATE, _context(request, db, principal, settings, chosen))


def _form(form: FormData) -> dict[str, str]:
    values = {name: str(value) for name, value in form.items()}
    values.pop("csrf_token", None)
    return values


def _groups(values: dict[str, str], count: int) -> tuple[list[list[str]], list[str]]:
    """The groups the selects chose (member ids by group) and what is wrong with them."""
    groups: list[list[str]] = [[] for _ in range(count)]
    for name, value in values.items():
        if name.startswith("group.") and value.isdigit() and 1 <= int(value) <= count:
            groups[int(value) - 1].append(name.removeprefix("group."))
    problems = [
        f"Group {number} has nobody in it: choose it for at least one member."
        for number, group in enumerate(groups, start=1)
        if not group
    ]
    return groups, problems


async def _posted(
    request: Request, db: DbSession, principal: CoordinatorPage, settings: Settings
) -> tuple[_Chosen, dict[str, str], list[list[str]]]:
    """The posted form: the community, the values and the groups the selects chose; the page
    again with the problem when a group is left empty."""
    values = _form(await request.form())
    chosen = _choose(db, principal, values.get("community", ""), values.get("groups", ""))
    groups, problems = _groups(values, chosen.groups)
    if problems or chosen.community is None:
        context = _context(request, db, principal, settings, chosen, form=values)
        raise FormInvalid(TEMPLATE, context, FormErrors(form=problems), status_code=422)
    return chosen, values, groups


def _evaluated(
    request: Request,
    db: DbSession,
    principal: CoordinatorPage,
    settings: Settings,
    chosen: _Chosen,
    values: dict[str, str],
    groups: list[list[str]],
) -> dict[str, Any]:
    """The page with the coordinator's split worked out (``evaluate_split``): its figures,
    meeting places and broken rules; the service's refusal by the field it names."""
    assert chosen.community is not None  # _posted refuses a form without one
    try:
        with shown_on(TEMPLATE):
            split = multiplication.evaluate_split(
                db,
                principal=principal,
                community_id=chosen.community.id,
                groups=groups,
                thresholds=multiplication.Thresholds.of(settings),
                now=utcnow(),
            )
    except FormInvalid as invalid:
        context = _context(request, db, principal, settings, chosen, form=values)
        status = invalid.status_code
        raise FormInvalid(TEMPLATE, context, invalid.errors, status_code=status) from None
    # The suggested meeting places follow the groups; names and coordinators stay as typed.
    kept = {name: value for name, value in values.items() if not name.startswith("meeting_points.")}
    return _context(request, db, principal, settings, chosen, form=kept, split=split)


@router.post("/coordinator/grow/evaluate")
async def evaluate(
    request: Request, db: DbSession, principal: CoordinatorPage, settings: AppSettings
) -> Response:
    """The coordinator's split (the "Group for" selects) worked out again: each group's
    figures, meeting place and travel, and every rule it breaks. Changes nothing."""
    chosen, values, groups = await _posted(request, db, principal, settings)
    return render(
        request, TEMPLATE, _evaluated(request, db, principal, settings, chosen, values, groups)
    )


def _multiply_data(values: dict[str, str], groups: list[list[str]]) -> dict[str, Any]:
    count = len(groups)
    return {
        "groups": groups,
        "names": [values.get(f"names.{n}", "") for n in range(count)],
        "meeting_points": [
            {
                "lat": values.get(f"meeting_points.{n}.lat", ""),
                "lon": values.get(f"meeting_points.{n}.lon", ""),
            }
            for n in range(count)
        ],
        "leader_ids": [None, *(values.get(f"leader_ids.{n}") or None for n in range(1, count))],
    }


def _multiply_fields(count: int) -> set[str]:
    fields = {CONFIRM}
    for n in range(count):
        fields |= {f"names.{n}", f"meeting_points.{n}.lat", f"meeting_points.{n}.lon"}
        if n:
            fields.add(f"leader_ids.{n}")
    return fields


@router.post("/coordinator/grow/multiply")
async def multiply(
    request: Request,
    db: DbSession,
    principal: CoordinatorPage,
    settings: AppSettings,
    geocoder: AppGeocoder,
) -> Response:
    """Multiply the community by the form's split: the first group stays, each further one
    becomes a new community with its coordinator, whose key is shown on the answer, once."""
    chosen, values, groups = await _posted(request, db, principal, settings)
    assert chosen.community is not None  # _posted refuses a form without one

    def again(errors: FormErrors, status_code: int) -> FormInvalid:
        """The form again, as typed, with the split's figures and ``errors`` by field."""
        context = _evaluated(request, db, principal, settings, chosen, values, groups)
        context["values"] = {**context["values"], **values}
        named = by_form_field(errors, {"leader_ids": "leader_ids.1"}, _multiply_fields(len(groups)))
        return FormInvalid(TEMPLATE, context, named, status_code=status_code)

    if CONFIRM not in values:
        raise again(FormErrors(fields={CONFIRM: CONFIRM_MISSING}), 422)
    try:
        with shown_on(TEMPLATE):
            done = multiplication.multiply(
                db,
                principal=principal,
                community_id=chosen.community.id,
                data=MultiplyRequest.model_validate(_multiply_data(values, groups)),
                thresholds=multiplication.Thresholds.of(settings),
                geocoder=geocoder,
                now=utcnow(),
            )
    except FormInvalid as invalid:
        # The service names `leader_ids` as a whole: about the first new community's (the
        # usual two groups), shown by its Coordinator field.
        raise again(invalid.errors, invalid.status_code) from None
    # The new coordinators' keys are on this answer only: no cache keeps a copy.
    return render(
        request,
        "coordinator/multiplied.html",
        {"done": done},
        status_code=201,
        headers={"Cache-Control": "no-store"},
    )


def _tree(lineage: Lineage) -> list[dict[str, Any]]:
    """The lineage as nested items: the oldest ancestor, down to this community, and its
    descendants under their parents."""
    children: dict[str | None, list[LineageNode]] = {}
    for node in lineage.descendants:
        children.setdefault(node.parent_id, []).append(node)

    def below(node: LineageNode) -> list[dict[str, Any]]:
        return [
            {"node": child, "current": False, "children": below(child)}
            for child in children.get(node.id, [])
        ]

    item: dict[str, Any] = {
        "node": lineage.community,
        "current": True,
        "children": below(lineage.community),
    }
    for ancestor in reversed(lineage.ancestors):
        item = {"node": ancestor, "current": False, "children": [item]}
    return [item]


def _lineage_page(
    request: Request, db: DbSession, principal: Principal, community_id: str, **extra: Any
) -> Response:
    lineage = multiplication.lineage(db, principal=principal, community_id=community_id)
    community = communities.to_out(
        communities.get(db, principal=principal, community_id=community_id)
    )
    return render(
        request,
        "lineage.html",
        {"lineage": lineage, "tree": _tree(lineage), "zone": zone_of(community.timezone), **extra},
    )


@router.get("/coordinator/lineage")
def lineage(
    request: Request, db: DbSession, principal: CoordinatorPage, community: str = ""
) -> Response:
    """The community's family tree: where it came from and the communities born of it."""
    chosen = _choose(db, principal, community, "")
    if chosen.community is None:
        return render(request, "lineage.html", {"lineage": None, "communities": []})
    return _lineage_page(
        request,
        db,
        principal,
        chosen.community.id,
        communities=chosen.managed,
        community_options=[(c.id, c.name) for c in chosen.managed],
        community=chosen.community,
        values={"community": chosen.community.id},
    )


@router.get("/member/community")
def my_community(request: Request, db: DbSession, principal: MemberPage) -> Response:
    """The member's community's family tree."""
    (community_id,) = principal.community_ids
    return _lineage_page(
        request, db, principal, community_id, communities=[], heading="My community"
    )
