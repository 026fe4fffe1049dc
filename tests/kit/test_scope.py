"""Where a principal may act (`partia_kit.auth.Scope`, decision 165): the subtrees of the
organisations their grants name, or the whole party."""

from __future__ import annotations

import uuid

import pytest

from partia_kit.auth import WHOLE_PARTY, Grant, Permission, Principal, Role, authorise
from partia_kit.http.problems import ApiProblem

PARTY, ALMATY, ASTANA, ALMATY_PPO = (uuid.uuid4() for _ in range(4))
READ = Permission("read", frozenset({Role.CLERK, Role.AUDITOR}))
REPORT = Permission("report", frozenset({Role.CLERK}), whole_party=True)


def test_a_grant_in_a_region_covers_its_subtree_and_nothing_beside_it() -> None:
    scope = Principal("aigerim", frozenset({Grant(Role.CLERK, ALMATY)})).scope(
        frozenset({Role.CLERK}), PARTY
    )
    assert scope.covers([ALMATY_PPO, ALMATY, PARTY])
    assert scope.covers([ALMATY, PARTY])
    assert not scope.covers([ASTANA, PARTY])
    assert not scope.covers([PARTY])  # the party's own records are above the region


def test_a_grant_in_the_party_itself_or_in_no_organisation_covers_the_whole_party() -> None:
    for organisation in (PARTY, None):
        principal = Principal("central", frozenset({Grant(Role.CLERK, organisation)}))
        assert principal.scope(frozenset({Role.CLERK}), PARTY) is WHOLE_PARTY


def test_grants_of_other_roles_do_not_widen_the_scope_of_a_permission() -> None:
    """An auditor of the whole party who is also the clerk of a PPO records only in that PPO."""
    principal = Principal(
        "ainur", frozenset({Grant(Role.AUDITOR, None), Grant(Role.CLERK, ALMATY_PPO)})
    )
    assert principal.scope(frozenset({Role.CLERK}), PARTY).organisations == frozenset({ALMATY_PPO})
    assert principal.scope(frozenset({Role.AUDITOR}), PARTY) is WHOLE_PARTY


def test_a_party_wide_permission_is_refused_to_a_regional_grant_naming_the_rule() -> None:
    regional = Principal("aigerim", frozenset({Grant(Role.CLERK, ALMATY)}))
    with pytest.raises(ApiProblem) as refused:
        authorise(regional, REPORT, {}, PARTY)
    assert (refused.value.status, refused.value.rule) == (403, "whole-party-scope-required")
    central = Principal("central", frozenset({Grant(Role.CLERK, PARTY)}))
    assert authorise(central, REPORT, {}, PARTY) is WHOLE_PARTY
    assert authorise(regional, READ, {}, PARTY).organisations == frozenset({ALMATY})
