"""HTTP routes for sign-ups and invitations, and a member's inbox of them."""

from typing import Annotated

from fastapi import APIRouter, Query, Response, status
from pydantic import Field

from api.db.types import utcnow
from api.deps import AppSettings, CommunityPerson, CurrentPrincipal, DbSession, Manager
from api.errors import (
    Conflict,
    FieldError,
    Forbidden,
    NotEligible,
    NotFound,
    Unauthorized,
    responses,
)
from api.idempotency import IdempotencyKey
from api.needs.schemas import MAX_PLACES
from api.schemas import Cursor, Limit, Page, ResourceId
from api.signups import service
from api.signups.schemas import (
    Decline,
    InvitationCreate,
    MemberSignupOut,
    SignupCreate,
    SignupOut,
)
from api.vocabulary import SignupStatus, values

router = APIRouter(tags=["signups"])

SIGNUPS = "/v1/needs/{need_id}/signups"
ANSWER_ERRORS = (Unauthorized, Forbidden, NotFound, Conflict, NotEligible)
"""A sign-up, an invitation and its acceptance are refused for the same reasons."""


@router.post(SIGNUPS, status_code=status.HTTP_201_CREATED, responses=responses(*ANSWER_ERRORS))
def sign_up(
    need_id: ResourceId,
    body: SignupCreate,
    session: DbSession,
    principal: CommunityPerson,
    idempotency: IdempotencyKey,
) -> SignupOut:
    """Take a place: the member themselves, or their coordinator for them.

    409 when the role is full (places held by pending invitations count), the member is
    already signed up or invited, overlaps another sign-up or invitation or reached their
    monthly limit; 422 when they lack a required check or skill level, live beyond their
    radius, or are not free then.
    """
    signup = service.sign_up(session, principal=principal, need_id=need_id, data=body, now=utcnow())
    idempotency.save(status.HTTP_201_CREATED, signup)
    return signup


@router.get(SIGNUPS, responses=responses(Unauthorized))
def list_signups(
    need_id: ResourceId, session: DbSession, principal: CurrentPrincipal
) -> Annotated[list[SignupOut], Field(max_length=MAX_PLACES)]:
    """Who is coming: all of them for the need's coordinators, your own for a member.
    Coordinators and admins also see the need's `waiting` invitations (`waits_for`)."""
    return service.list_for_need(session, principal=principal, need_id=need_id)


@router.delete(
    SIGNUPS + "/{signup_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    responses=responses(Unauthorized, Forbidden, NotFound, Conflict),
)
def withdraw(
    need_id: ResourceId, signup_id: ResourceId, session: DbSession, principal: CommunityPerson
) -> Response:
    """Give the place back, or take an invitation back (invitations waiting for it are
    withdrawn with it); a filled need reopens."""
    service.withdraw(
        session, principal=principal, need_id=need_id, signup_id=signup_id, now=utcnow()
    )
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post(
    "/v1/needs/{need_id}/invitations",
    status_code=status.HTTP_201_CREATED,
    responses=responses(*ANSWER_ERRORS),
)
def invite(
    need_id: ResourceId,
    body: InvitationCreate,
    session: DbSession,
    principal: Manager,
    settings: AppSettings,
    idempotency: IdempotencyKey,
) -> SignupOut:
    """Ask a member to take a place: it is held for them until they answer or it expires
    (``invitation_ttl_hours``, never past the need's start). Coordinators and admins, for
    members they see; refused for the same reasons as a sign-up."""
    invitation = service.invite(
        session,
        principal=principal,
        need_id=need_id,
        data=body,
        now=utcnow(),
        ttl_hours=settings.invitation_ttl_hours,
    )
    idempotency.save(status.HTTP_201_CREATED, invitation)
    return invitation


@router.post(SIGNUPS + "/{signup_id}/accept", responses=responses(*ANSWER_ERRORS))
def accept(
    need_id: ResourceId,
    signup_id: ResourceId,
    session: DbSession,
    principal: CommunityPerson,
    settings: AppSettings,
) -> SignupOut:
    """Accept an invitation (the member, or their coordinator for them): every hard
    constraint is checked again now, with the same 409 and 422 as a sign-up; 409 if it
    expired, was already answered or is still waiting for its mentor's. Invitations waiting
    for this one are sent now (``invitation_ttl_hours`` from now)."""
    return service.accept(
        session,
        principal=principal,
        need_id=need_id,
        signup_id=signup_id,
        now=utcnow(),
        ttl_hours=settings.invitation_ttl_hours,
    )


@router.post(
    SIGNUPS + "/{signup_id}/decline",
    responses=responses(Unauthorized, Forbidden, NotFound, Conflict),
)
def decline(
    need_id: ResourceId,
    signup_id: ResourceId,
    body: Decline,
    session: DbSession,
    principal: CommunityPerson,
) -> SignupOut:
    """Turn an invitation down, saying why; its place is given back, and so are those of the
    invitations waiting for it (withdrawn). 409 if it expired, was already answered or is
    still waiting."""
    return service.decline(
        session,
        principal=principal,
        need_id=need_id,
        signup_id=signup_id,
        data=body,
        now=utcnow(),
    )


@router.get(
    "/v1/members/{member_id}/signups",
    responses=responses(Unauthorized, Forbidden, NotFound, FieldError),
)
def member_signups(
    member_id: ResourceId,
    session: DbSession,
    principal: CommunityPerson,
    status: Annotated[
        list[SignupStatus] | None,
        Query(
            max_length=len(values(SignupStatus)),
            description="Only these statuses (repeat for several); an invitation past its "
            "expiry is `expired`.",
        ),
    ] = None,
    limit: Limit = 50,
    cursor: Cursor = None,
) -> Page[MemberSignupOut]:
    """A member's inbox and commitments, newest first: the member, their coordinators,
    admins. A member's `waiting` invitations (not sent yet) are listed to their managers
    only."""
    return service.list_for_member(
        session,
        principal=principal,
        member_id=member_id,
        statuses=status or [],
        now=utcnow(),
        limit=limit,
        cursor=cursor,
    )
