from dataclasses import replace

import pytest

from matcher import build_need_table
from matcher.local_time import epoch_seconds
from tests.matcher.factories import need, role


def test_build_need_table_flattens_roles_with_offsets():
    table = build_need_table(
        [
            need(id="n1"),
            need(id="n2", roles=(role(name="host", skill=None, signed_up_stages=("leader",)),)),
        ]
    )
    assert table.role_offsets.tolist() == [0, 2, 3]
    assert table.role_names.tolist() == ["cook", "driver", "host"]
    assert table.role_skills.tolist() == ["cooking", "", ""]
    assert table.role_has_experienced.tolist() == [False, False, True]


def test_build_need_table_keeps_times_requirements_and_ownership():
    agency = need(id="n2", community_id=None, agency_id="foodbank", requirements=frozenset())
    table = build_need_table([need(), agency])
    assert table.starts_s[0] == epoch_seconds(need().starts_at)
    assert table.requirement_names == ("background_check",)
    assert table.requires.tolist() == [[True], [False]]
    assert table.community_ids.tolist() == ["c1", ""]
    assert table.is_agency_request.tolist() == [False, True]
    assert table.urgency_ranks.tolist() == [1, 1]


def test_a_table_with_mismatched_roles_is_refused():
    table = build_need_table([need()])
    with pytest.raises(ValueError):
        replace(table, role_offsets=[0, 3])


def test_role_names_must_be_unique_within_a_need():
    with pytest.raises(ValueError):
        need(roles=(role(), role()))
