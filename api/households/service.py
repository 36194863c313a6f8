"""Household use cases: form, read, change and dissolve a household; take a member out.

A household is at least two members of one community. Who belongs where is checked here,
naming the members at fault; the database keeps the rule that matters under concurrency (a
member is the key of ``household_members``), so two requests racing to place one member in
two households end with one of them refused, never with both.
"""

from collections.abc import Sequence

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from api.audit.service import record
from api.auth.principal import Principal
from api.communities import service as communities
from api.db.models import Household
from api.db.types import utcnow
from api.errors import Conflict, FieldError, NotFound
from api.households import repository
from api.households.schemas import (
    MIN_MEMBERS,
    HouseholdCreate,
    HouseholdLink,
    HouseholdMember,
    HouseholdOut,
    HouseholdUpdate,
)
from api.schemas import Page


def _outs(session: Session, households: Sequence[Household]) -> list[HouseholdOut]:
    """The public shape of each household, their members read in one query."""
    members: dict[str, list[HouseholdMember]] = {household.id: [] for household in households}
    for row in repository.members_of(session, list(members)):
        members[row.household_id].append(HouseholdMember(id=row.id, name=row.name, stage=row.stage))
    return [
        HouseholdOut(
            id=household.id,
            community_id=household.community_id,
            name=household.name,
            serve=household.serve,
            members=members[household.id],
            created_at=household.created_at,
            updated_at=household.updated_at,
        )
        for household in households
    ]


def _not_found(household_id: str) -> NotFound:
    return NotFound(f"household {household_id} not found")


def _place_members(session: Session, household: Household, member_ids: Sequence[str]) -> None:
    """Make ``member_ids`` the household's members: each a current member of its community
    (else 422 naming ``member_ids``) and in no other household (else 409 naming them)."""
    known = repository.current_members(
        session, community_id=household.community_id, member_ids=member_ids
    )
    strangers = [member_id for member_id in member_ids if member_id not in known]
    if strangers:
        raise FieldError(
            ("body", "member_ids"),
            f"not members of this community: {', '.join(strangers)}",
        )
    _refuse_taken(session, household, member_ids)
    try:
        with session.begin_nested():  # a savepoint: on a lost race, name who was taken
            repository.set_members(session, household_id=household.id, member_ids=member_ids)
    except IntegrityError:
        _refuse_taken(session, household, member_ids)
        raise


def _refuse_taken(session: Session, household: Household, member_ids: Sequence[str]) -> None:
    taken = repository.households_holding(session, member_ids=member_ids, other_than=household.id)
    if taken:
        named = ", ".join(f"{row.member_id} (household {row.household_id})" for row in taken)
        raise Conflict(f"already in another household: {named}")


def create(
    session: Session, *, principal: Principal, community_id: str, data: HouseholdCreate
) -> HouseholdOut:
    """Form a household in a community the caller manages."""
    communities.get_managed(session, principal=principal, community_id=community_id)
    now = utcnow()
    household = Household(
        community_id=community_id,
        name=data.name,
        serve=data.serve,
        created_at=now,
        updated_at=now,
    )
    session.add(household)
    session.flush()
    _place_members(session, household, data.member_ids)
    record(
        session,
        actor=principal,
        action="household.create",
        object_type="household",
        object_id=household.id,
        fields=data.model_fields_set,
    )
    return _outs(session, [household])[0]


def get(session: Session, *, principal: Principal, household_id: str) -> HouseholdOut:
    """A household the caller may read (a member: their own); 404 otherwise."""
    household = repository.get_readable(session, principal=principal, household_id=household_id)
    if household is None:
        raise _not_found(household_id)
    return _outs(session, [household])[0]


def list_for_community(
    session: Session, *, principal: Principal, community_id: str, limit: int, cursor: str | None
) -> Page[HouseholdOut]:
    """A community's households by name: all for its managers, a member's own for a member."""
    communities.get(session, principal=principal, community_id=community_id)
    households, next_cursor = repository.page_in_community(
        session, principal=principal, community_id=community_id, limit=limit, cursor=cursor
    )
    return Page[HouseholdOut](items=_outs(session, households), next_cursor=next_cursor)


def update(
    session: Session, *, principal: Principal, household_id: str, data: HouseholdUpdate
) -> HouseholdOut:
    """Rename a household, change how it serves, or replace its members (same rules)."""
    household = repository.get_managed(session, principal=principal, household_id=household_id)
    if household is None:
        raise _not_found(household_id)
    if data.name is not None:
        household.name = data.name
    if data.serve is not None:
        household.serve = data.serve
    if data.member_ids is not None:
        _place_members(session, household, data.member_ids)
    household.updated_at = utcnow()  # also when only the members changed (another table)
    session.flush()
    record(
        session,
        actor=principal,
        action="household.update",
        object_type="household",
        object_id=household.id,
        fields=data.model_fields_set,
    )
    return _outs(session, [household])[0]


def delete(session: Session, *, principal: Principal, household_id: str) -> None:
    """Dissolve a household; its members stay members."""
    household = repository.get_managed(session, principal=principal, household_id=household_id)
    if household is None:
        raise _not_found(household_id)
    _dissolve(session, household, actor=principal)


def _dissolve(session: Session, household: Household, *, actor: Principal) -> None:
    repository.remove(session, household)
    session.flush()
    record(
        session,
        actor=actor,
        action="household.delete",
        object_type="household",
        object_id=household.id,
    )


def leave(session: Session, *, member_id: str, actor: Principal) -> None:
    """Take a member out of their household, if any, dissolving it when fewer than two are
    left. For erasure: the caller has authorised the member."""
    household = repository.household_of(session, member_id=member_id)
    if household is None:
        return
    repository.leave(session, member_id=member_id)
    if repository.count_members(session, household_id=household.id) < MIN_MEMBERS:
        _dissolve(session, household, actor=actor)
        return
    household.updated_at = utcnow()
    session.flush()
    record(
        session,
        actor=actor,
        action="household.update",
        object_type="household",
        object_id=household.id,
        fields=["member_ids"],
    )


def households_of(session: Session, member_ids: Sequence[str]) -> list[HouseholdLink]:
    """For matching: the households of any of ``member_ids`` (see the repository's function).

    Unscoped: the caller has already authorised these members."""
    return repository.households_of(session, member_ids)
