"""The right to erasure (GDPR): wipe a member's personal data, give their future places back
and revoke their keys.

The member's row stays, as an anonymous stub, rather than being deleted: their past confirmed
sign-ups are the community's service hours, and they must still add up after the person is
gone. Erasing spans domains, which is why it is a use case of its own: members (the stub),
sign-ups (the places and their lock), feedback (what they were shown and how they answered:
deleted), households (the member leaves theirs), communities (the meeting point the home
moves to), keys and the principal cache, and the audit log.
"""

from datetime import datetime

from sqlalchemy.orm import Session

from api.audit.service import record
from api.auth.cache import forget_after_commit
from api.auth.principal import Principal
from api.communities import service as communities
from api.feedback import service as feedback
from api.households import service as households
from api.keys import service as keys
from api.members import service as members
from api.schemas import Point
from api.signups import service as signups


def erase(session: Session, *, principal: Principal, member_id: str, now: datetime) -> None:
    """Erase a member's personal data and revoke their keys; a second erasure does nothing.

    Places in needs not yet over are given back; confirmed sign-ups of past needs stay, tied
    to the anonymous stub, so the community's service hours are unchanged. The home moves to
    the community's meeting point (public). The member's apprentices, if they led, are
    released, and their own apprenticeship ends (``apprentice_of`` only names living leaders).
    """
    member = members.get_erasable(session, principal=principal, member_id=member_id)
    # The sign-up lock: no sign-up can slip in for the member while they are being erased.
    signups.lock_member(session, member=member)
    if member.erased_at is not None:
        return
    released = signups.release_member(session, member_id=member.id, now=now)
    # A household names who lives with whom: the erased member leaves theirs (and a
    # household left with one member is dissolved).
    households.leave(session, member_id=member.id, actor=principal)
    community = communities.get(session, principal=principal, community_id=member.community_id)
    meeting_point = Point(lat=community.meeting_lat, lon=community.meeting_lon)
    apprentices = members.release_apprentices(session, principal=principal, leader_id=member.id)
    members.erase_personal_data(member, home=meeting_point, now=now)
    # Keys were named after the member: revoke them and drop the name too.
    keys.revoke_member_keys(session, member_id=member.id, name=members.ERASED_NAME, now=now)
    # What they were shown and how they answered is behaviour data about them: it goes.
    forgotten = feedback.erase_member(session, member_id=member.id)
    session.flush()
    forget_after_commit(session, principal_id=member.id)
    record(
        session,
        actor=principal,
        action="member.erase",
        object_type="member",
        object_id=member.id,
        fields=members.ERASED_FIELDS,
        counts={
            "released_signups": released,
            "released_apprentices": apprentices,
            "forgotten_match_events": forgotten,
        },
    )
