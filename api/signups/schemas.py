"""Request and response bodies for sign-ups and invitations."""

from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, Field, StringConstraints

from api.needs.schemas import Title
from api.schemas import Id, Input, Name, Slug
from api.vocabulary import DeclineReason, SignupStatus

DeclineNote = Annotated[str, StringConstraints(strip_whitespace=True, max_length=500)]


class SignupCreate(Input):
    """Sign a member up for one role of a need."""

    member_id: Id
    role: Slug


class InvitationCreate(SignupCreate):
    """Invite a member to one role of a need: the place is held for them until they answer."""


class Decline(Input):
    """Why an invitation is declined; the note is for the coordinator who asked."""

    reason: DeclineReason
    note: DeclineNote | None = None


class SignupOut(BaseModel):
    """A member's place in a role, or an invitation to one (``expires_at`` set). A new
    member's invitation from a team or a batch may be ``waiting``: its place is held, but it
    is sent only once the invitation of the mentor it is paired with (``waits_for``) is
    accepted. Status ``superseded``: the place went to someone else who was asked for it
    (see ``standby``)."""

    id: Id
    need_id: Id
    member_id: Id
    member_name: Name
    role: Slug
    status: SignupStatus
    created_at: datetime
    expires_at: datetime | None = Field(
        default=None, description="Until when an invitation holds its place unanswered."
    )
    answered_at: datetime | None = Field(
        default=None, description="When an invitation was accepted, declined or expired."
    )
    decline_reason: DeclineReason | None = None
    decline_note: DeclineNote | None = None
    waits_for: Id | None = Field(
        default=None,
        description="The mentor's invitation (its id, on the same need) that this new "
        "member's invitation waits or waited for: while it is `waiting`, it is sent when that "
        "one is accepted and withdrawn when that one is declined, expires or is withdrawn. "
        "Null for a sign-up or invitation that never waited.",
    )
    standby: bool = Field(
        default=False,
        description="An invitation on standby (a team or batch sent with `standby: true`): one "
        "more member asked besides the invitation holding the place; it holds no place of its "
        "own (`roles[].invited` does not count it) and the first to say yes takes the place. "
        "The one who did not get it becomes `superseded` (accepting then answers 409).",
    )


class MemberSignupOut(SignupOut):
    """A sign-up or invitation in a member's inbox, with when and what its need is."""

    need_title: Title
    starts_at: datetime
    ends_at: datetime
