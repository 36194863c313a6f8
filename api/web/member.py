"""Members' pages: what to do (suggestions, invitations), what they said yes to, and who they
are (the profile matching reads).

Each list page answers for one of its items (sign up, accept, withdraw): a refusal (the role
is full, they are not free then, the invitation expired) is shown next to *that* item, in the
service's words, and nothing is written.
"""

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, Any
from zoneinfo import ZoneInfo

from fastapi import Depends, Form, Request, Response
from pydantic import ValidationError

from api.auth.principal import Principal
from api.communities import service as communities
from api.db.types import utcnow
from api.deps import AppGeocoder, AppSettings, DbSession
from api.errors import FieldError, NotFound
from api.feedback import service as feedback
from api.feedback.dependencies import RankingModels
from api.matching import service as matching
from api.matching.dependencies import NeedCaches, TextModels
from api.members import service as members
from api.members.schemas import Day, MemberManagerUpdate, MemberOut
from api.schemas import ResourceId
from api.signups import service as signups
from api.signups.schemas import Decline, MemberSignupOut, SignupCreate
from api.vocabulary import FeedbackVerdict, SignupStatus
from api.web.forms import (
    INPUT_ERRORS,
    FormErrors,
    FormInvalid,
    by_form_field,
    errors_of,
    shown_on,
)
from api.web.pages import page_router, redirect, render
from api.web.session import MemberPage
from api.web.times import zone_of

router = page_router()

SUGGESTIONS_SHOWN = 10
SIGNUPS_SHOWN = 100
DAYS: dict[Day, str] = {
    "mon": "Monday",
    "tue": "Tuesday",
    "wed": "Wednesday",
    "thu": "Thursday",
    "fri": "Friday",
    "sat": "Saturday",
    "sun": "Sunday",
}
WINDOWS_PER_DAY = 2
"""Time windows offered per day (more if the member already has more that day)."""
SPARE_SKILL_ROWS = 2
SKILL_LEVELS = (("1", "1 · learning"), ("2", "2 · able"), ("3", "3 · can lead"))
DECLINE_REASONS = (("busy", "I am busy then"), ("not_for_me", "Not for me"), ("other", "Other"))


def member_id(principal: MemberPage) -> str:
    """The signed-in member's id (a member key always names its member)."""
    assert principal.id is not None
    return principal.id


def community_zone(db: DbSession, principal: MemberPage) -> ZoneInfo:
    """The member's community's time zone: needs and availability are shown in it."""
    (community_id,) = principal.community_ids
    community = communities.get(db, principal=principal, community_id=community_id)
    return zone_of(community.timezone)


MemberId = Annotated[str, Depends(member_id)]
Zone = Annotated[ZoneInfo, Depends(community_zone)]


def _in_words(error: Exception) -> str:
    problems = errors_of(error)
    return "; ".join([*problems.form, *problems.fields.values()])


@contextmanager
def shown_next_to(
    item: str, template: str, context: Callable[[], dict[str, Any]]
) -> Iterator[None]:
    """Run a use case on one item of a list page; if it is refused, show the page again
    (``context()`` draws it, after the refusal) with the reason next to ``item``."""
    try:
        yield
    except (ValidationError, *INPUT_ERRORS) as error:
        status_code = 422 if isinstance(error, ValidationError) else error.status_code
        errors = FormErrors(fields={item: _in_words(error)})
        raise FormInvalid(template, context(), errors, status_code=status_code) from error


def _signups(
    db: DbSession, principal: Principal, member: str, status: SignupStatus, now: datetime
) -> list[MemberSignupOut]:
    """The member's sign-ups in ``status`` whose need is not over, soonest first."""
    page = signups.list_for_member(
        db,
        principal=principal,
        member_id=member,
        statuses=[status],
        now=now,
        limit=SIGNUPS_SHOWN,
        cursor=None,
    )
    return sorted((s for s in page.items if s.ends_at > now), key=lambda s: s.starts_at)


@dataclass(frozen=True)
class Suggester:
    """What ranks a member's suggestions on a page, as the API ranks them (the worker's
    caches, the weights and the learned re-ranker when one is switched on)."""

    settings: AppSettings
    text_models: TextModels
    need_cache: NeedCaches
    ranking_models: RankingModels

    def page(
        self, db: DbSession, principal: Principal, member: str, zone: ZoneInfo
    ) -> dict[str, Any]:
        """The suggestions page's context."""
        suggested = matching.suggestions(
            db,
            principal=principal,
            member_id=member,
            limit=SUGGESTIONS_SHOWN,
            now=utcnow(),
            weights=self.settings.weight,
            text_models=self.text_models,
            need_cache=self.need_cache,
            ranking_models=self.ranking_models,
        )
        return {"suggestions": suggested.suggestions, "zone": zone}


Suggestions = Annotated[Suggester, Depends()]


@router.get("/member")
def home(
    request: Request,
    db: DbSession,
    principal: MemberPage,
    member: MemberId,
    zone: Zone,
    suggester: Suggestions,
) -> Response:
    """The member's suggestions, best first, with their reasons."""
    return render(request, "member/home.html", suggester.page(db, principal, member, zone))


@router.post("/member/suggestions/{need_id}/sign-up")
def sign_up(
    request: Request,
    need_id: ResourceId,
    role: Annotated[str, Form()],
    db: DbSession,
    principal: MemberPage,
    member: MemberId,
    zone: Zone,
    suggester: Suggestions,
) -> Response:
    """One tap: take the suggested role's place, or say next to the suggestion why not."""
    with shown_next_to(
        need_id, "member/home.html", lambda: suggester.page(db, principal, member, zone)
    ):
        signups.sign_up(
            db,
            principal=principal,
            need_id=need_id,
            data=SignupCreate(member_id=member, role=role),
            now=utcnow(),
        )
    return redirect(request, "/member/commitments", flash="You are signed up. Thank you!")


VERDICT_WORDS: dict[FeedbackVerdict, str] = {
    "not_for_me": "Hidden: you will not see that need again.",
    "maybe_later": "Snoozed: it comes back in a few days if it still fits.",
}


@router.post("/member/suggestions/{need_id}/feedback")
def give_feedback(
    request: Request,
    need_id: ResourceId,
    verdict: Annotated[FeedbackVerdict, Form()],
    db: DbSession,
    principal: MemberPage,
    member: MemberId,
    zone: Zone,
    settings: AppSettings,
    suggester: Suggestions,
) -> Response:
    """ "Not for me" hides a suggestion for good, "Maybe later" snoozes it: the member's word
    also teaches the ranking (the same use case as the API's feedback)."""
    with shown_next_to(
        need_id, "member/home.html", lambda: suggester.page(db, principal, member, zone)
    ):
        feedback.give_verdict(
            db,
            principal=principal,
            member_id=member,
            need_id=need_id,
            verdict=verdict,
            now=utcnow(),
            snooze_days=settings.feedback_snooze_days,
        )
    return redirect(request, "/member", flash=VERDICT_WORDS[verdict])


@router.get("/member/invitations")
def invitations(
    request: Request, db: DbSession, principal: MemberPage, member: MemberId, zone: Zone
) -> Response:
    """Invitations waiting for the member's answer, and those whose place went to someone else."""
    return render(request, "member/invitations.html", _invitations(db, principal, member, zone))


def _invitations(
    db: DbSession, principal: Principal, member: str, zone: ZoneInfo
) -> dict[str, Any]:
    now = utcnow()
    return {
        "invitations": _signups(db, principal, member, "invited", now),
        "superseded": _signups(db, principal, member, "superseded", now),
        "zone": zone,
    }


@router.post("/member/invitations/{need_id}/{signup_id}/accept")
def accept(
    request: Request,
    need_id: ResourceId,
    signup_id: ResourceId,
    db: DbSession,
    principal: MemberPage,
    member: MemberId,
    zone: Zone,
    settings: AppSettings,
) -> Response:
    """Say yes: the held place becomes the member's (every rule checked again, now)."""
    with shown_next_to(
        signup_id, "member/invitations.html", lambda: _invitations(db, principal, member, zone)
    ):
        signups.accept(
            db,
            principal=principal,
            need_id=need_id,
            signup_id=signup_id,
            now=utcnow(),
            ttl_hours=settings.invitation_ttl_hours,
        )
    return redirect(request, "/member/commitments", flash="Invitation accepted. Thank you!")


def _invitation(
    db: DbSession, principal: Principal, member: str, signup_id: str
) -> MemberSignupOut:
    """One of the member's pending invitations; 404 if it is not (or no longer) pending."""
    for invitation in _signups(db, principal, member, "invited", utcnow()):
        if invitation.id == signup_id:
            return invitation
    raise NotFound(f"invitation {signup_id} not found: it may have been answered or expired")


@router.get("/member/invitations/{need_id}/{signup_id}/decline")
def decline_form(
    request: Request,
    signup_id: ResourceId,
    db: DbSession,
    principal: MemberPage,
    member: MemberId,
    zone: Zone,
) -> Response:
    """Why not? A reason, and a note if they like."""
    invitation = _invitation(db, principal, member, signup_id)
    return render(
        request,
        "member/decline.html",
        {"invitation": invitation, "zone": zone, "reasons": DECLINE_REASONS},
    )


@router.post("/member/invitations/{need_id}/{signup_id}/decline")
async def decline(
    request: Request,
    need_id: ResourceId,
    signup_id: ResourceId,
    db: DbSession,
    principal: MemberPage,
    member: MemberId,
    zone: Zone,
) -> Response:
    """Turn the invitation down; its place goes back to the need."""
    typed = {name: str(value) for name, value in (await request.form()).items()}
    invitation = _invitation(db, principal, member, signup_id)
    with shown_on(
        "member/decline.html",
        values=typed,
        invitation=invitation,
        zone=zone,
        reasons=DECLINE_REASONS,
    ):
        data = Decline.model_validate(
            {"reason": typed.get("reason"), "note": typed.get("note") or None}
        )
        signups.decline(
            db, principal=principal, need_id=need_id, signup_id=signup_id, data=data, now=utcnow()
        )
    return redirect(request, "/member/invitations", flash="Invitation declined.")


@router.get("/member/commitments")
def commitments(
    request: Request, db: DbSession, principal: MemberPage, member: MemberId, zone: Zone
) -> Response:
    """The places the member holds in needs not over yet, soonest first."""
    return render(request, "member/commitments.html", _commitments(db, principal, member, zone))


def _commitments(
    db: DbSession, principal: Principal, member: str, zone: ZoneInfo
) -> dict[str, Any]:
    return {"commitments": _signups(db, principal, member, "confirmed", utcnow()), "zone": zone}


@router.post("/member/commitments/{need_id}/{signup_id}/withdraw")
def withdraw(
    request: Request,
    need_id: ResourceId,
    signup_id: ResourceId,
    db: DbSession,
    principal: MemberPage,
    member: MemberId,
    zone: Zone,
) -> Response:
    """Give the place back (the need reopens for others)."""
    with shown_next_to(
        signup_id, "member/commitments.html", lambda: _commitments(db, principal, member, zone)
    ):
        signups.withdraw(
            db, principal=principal, need_id=need_id, signup_id=signup_id, now=utcnow()
        )
    return redirect(request, "/member/commitments", flash="You withdrew. Your place is free.")


def _profile_form(profile: MemberOut) -> dict[str, Any]:
    """The profile as the form's rows: skills with spare rows, windows per day."""
    windows = {day: [slot for slot in profile.availability if slot.day == day] for day in DAYS}
    return {
        "skill_rows": len(profile.skills) + SPARE_SKILL_ROWS,
        "windows": {day: max(WINDOWS_PER_DAY, len(slots)) for day, slots in windows.items()},
        "days": DAYS,
        "levels": SKILL_LEVELS,
    }


def _profile_values(profile: MemberOut) -> dict[str, str]:
    """The form's fields filled from the profile."""
    typed: dict[str, str] = {
        "max_travel_km": f"{profile.max_travel_km:g}",
        "interests": profile.interests,
    }
    for row, (slug, level) in enumerate(profile.skills.items()):
        typed[f"skills.{row}.slug"], typed[f"skills.{row}.level"] = slug, str(level)
    for day in DAYS:
        for window, slot in enumerate(s for s in profile.availability if s.day == day):
            typed[f"availability.{day}.{window}.start"] = slot.start
            typed[f"availability.{day}.{window}.end"] = slot.end
    return typed


@router.get("/member/profile")
def profile(request: Request, db: DbSession, principal: MemberPage, member: MemberId) -> Response:
    """What matching reads about the member, to change."""
    found = members.to_out(members.get(db, principal=principal, member_id=member))
    return render(
        request,
        "member/profile.html",
        {**_profile_form(found), "values": _profile_values(found)},
    )


def _patch(
    typed: dict[str, str], form: dict[str, Any]
) -> tuple[dict[str, Any], dict[str, str], list[str]]:
    """The update the form asks for; which form field each of its paths came from
    (``availability.3`` → ``availability.sat.0``, ``skills.cooking`` → ``skills.1.level``);
    and the skill rows that repeat an earlier row (refused). Empty rows are left out.
    """
    skills: dict[str, str] = {}
    names: dict[str, str] = {}
    repeated: list[str] = []
    for row in range(form["skill_rows"]):
        slug = typed.get(f"skills.{row}.slug", "").strip()
        if not slug:
            continue
        if slug in skills:
            repeated.append(f"skills.{row}.slug")
        skills[slug] = typed.get(f"skills.{row}.level", "1")
        names[f"skills.{slug}.[key]"] = f"skills.{row}.slug"
        names[f"skills.{slug}"] = f"skills.{row}.level"
    availability: list[dict[str, str]] = []
    for day, windows in form["windows"].items():
        for window in range(windows):
            field = f"availability.{day}.{window}"
            start, end = typed.get(f"{field}.start", ""), typed.get(f"{field}.end", "")
            if start or end:
                names[f"availability.{len(availability)}"] = field
                availability.append({"day": day, "start": start, "end": end})
    patch: dict[str, Any] = {
        "skills": skills,
        "interests": typed.get("interests", ""),
        "availability": availability,
    }
    if typed.get("max_travel_km", "").strip():
        patch["max_travel_km"] = typed["max_travel_km"]
    return patch, names, repeated


def _fields_shown(form: dict[str, Any]) -> set[str]:
    skills = {
        f"skills.{row}.{part}" for row in range(form["skill_rows"]) for part in ("slug", "level")
    }
    windows = {
        f"availability.{day}.{window}.{part}"
        for day, count in form["windows"].items()
        for window in range(count)
        for part in ("start", "end")
    }
    return {"max_travel_km", "interests", *skills, *windows}


@router.post("/member/profile")
async def update_profile(
    request: Request,
    db: DbSession,
    principal: MemberPage,
    member: MemberId,
    geocoder: AppGeocoder,
) -> Response:
    """Save the profile (PATCH: what the form holds), or show it again with each error next
    to its field."""
    typed = {name: str(value) for name, value in (await request.form()).items()}
    found = members.to_out(members.get(db, principal=principal, member_id=member))
    form = _profile_form(found)
    patch, names, repeated = _patch(typed, form)
    try:
        with shown_on("member/profile.html", values=typed, **form):
            if repeated:
                raise FieldError((repeated[0],), "this skill is already listed above")
            members.update(
                db,
                principal=principal,
                member_id=member,
                data=MemberManagerUpdate.model_validate(patch),
                geocoder=geocoder,
            )
    except FormInvalid as invalid:
        errors = by_form_field(invalid.errors, names, _fields_shown(form))
        raise FormInvalid(
            invalid.template, invalid.context, errors, status_code=invalid.status_code
        ) from invalid
    return redirect(request, "/member/profile", flash="Your profile is saved.")
