"""Scopes as parameters: a statement built once for a role serves every caller of that role."""

import pytest
from sqlalchemy import select

from api.auth.principal import Principal
from api.db.models import Member, Need
from api.scopes import (
    member_readable,
    need_owned_by,
    need_seen_exactly_by,
    need_visible_to,
    role_template,
    scope_parameters,
)

CALLERS = (
    Principal(role="member", id="m-1", community_ids=frozenset({"c-1"})),
    Principal(role="coordinator", id="k-1", community_ids=frozenset({"c-2", "c-1"})),
    Principal(role="agency", id="a-1"),
)


def _statement(principal: Principal):
    return select(Member.id, Need.id).where(
        member_readable(principal),
        need_visible_to(principal),
        need_owned_by(principal) | need_seen_exactly_by(principal),
    )


@pytest.mark.parametrize("principal", CALLERS, ids=lambda principal: principal.role)
def test_a_statement_built_per_caller_binds_what_scope_parameters_pass(principal):
    bound = _statement(principal).compile().params
    shared = [name for name in scope_parameters(principal) if name in bound]
    assert shared
    for name in shared:
        assert bound[name] == scope_parameters(principal)[name]


@pytest.mark.parametrize("role", ["member", "coordinator", "agency"])
def test_a_statement_built_for_a_role_template_binds_no_caller(role):
    bound = _statement(role_template(role)).compile().params
    assert bound.get("scope_principal_id") is None
    assert bound.get("scope_communities", []) == []
