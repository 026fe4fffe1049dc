"""Where an appeal may go (Ch. 5.1: "to higher party bodies"), and the deputies' exception: the Bureau
that ends a Mazhilis (Kurultai) or maslikhat deputy's membership also hears their appeal (Ch. 9.5,
9.8). `decider_chain` is the ancestry of the organisation whose body decided, as the application
layer passes it.
"""

from __future__ import annotations

import itertools

import pytest

from partia_registry.domain.decisions import BodyKind
from partia_registry.domain.organisations import OrganisationKind
from partia_registry.domain.policies.competence import body_rank, check_appeal_body
from partia_registry.domain.rules import RuleViolation
from tests.registry.domain.support import Tree, body

B = BodyKind
K = OrganisationKind

TREE = Tree()  # ids only: the checks are pure, so one tree serves every case


def _refused(decided_by, appeal_to, chain, **deputy) -> RuleViolation:
    with pytest.raises(RuleViolation) as refused:
        check_appeal_body(decided_by, appeal_to, chain, **deputy)
    return refused.value


def _assert_not_higher(decided_by, appeal_to, chain, **deputy) -> None:
    refusal = _refused(decided_by, appeal_to, chain, **deputy)
    assert refusal.rule == "appeal-body-not-higher"
    assert refusal.clause == "Ch. 5.1"
    assert refusal.field == "body"


# --- a PPO's decision -----------------------------------------------------------------------------

PPO_DECIDERS = [B.PPO_MEETING, B.PPO_BUREAU]

HIGHER_THAN_THE_PPO = [
    (B.BRANCH_BUREAU, "district"),  # its territorial branch
    (B.BRANCH_POLITICAL_COUNCIL, "district"),
    (B.BRANCH_CONFERENCE, "district"),
    (B.BRANCH_BUREAU, "region"),  # its regional branch
    (B.BRANCH_POLITICAL_COUNCIL, "region"),
    (B.BRANCH_CONFERENCE, "region"),
    (B.PARTY_BUREAU, "party"),
    (B.PARTY_POLITICAL_COUNCIL, "party"),
    (B.PARTY_CONGRESS, "party"),
]


@pytest.mark.parametrize("decider", PPO_DECIDERS)
@pytest.mark.parametrize(("kind", "owner"), HIGHER_THAN_THE_PPO)
def test_ch_5_1_a_ppo_decision_may_be_appealed_to_any_body_of_its_branches_or_the_party(
    decider, kind, owner
):
    check_appeal_body(body(decider, TREE.ppo), body(kind, getattr(TREE, owner)), TREE.ppo_line)


@pytest.mark.parametrize("decider", PPO_DECIDERS)
@pytest.mark.parametrize(
    ("kind", "owner"),
    [
        (B.BRANCH_BUREAU, "sibling_district"),  # another district of the same region
        (B.BRANCH_BUREAU, "other_district"),  # a district of another region
        (B.BRANCH_BUREAU, "other_region"),  # another region
        (B.BRANCH_CONFERENCE, "sibling_district"),
        (B.BRANCH_POLITICAL_COUNCIL, "other_region"),
    ],
)
def test_ch_5_1_a_ppo_decision_may_not_go_to_a_branch_outside_its_line(decider, kind, owner):
    _assert_not_higher(body(decider, TREE.ppo), body(kind, getattr(TREE, owner)), TREE.ppo_line)


@pytest.mark.parametrize("decider", PPO_DECIDERS)
@pytest.mark.parametrize("kind", [B.PPO_MEETING, B.PPO_BUREAU, B.PPO_CHAIR])
def test_ch_5_1_a_ppo_decision_may_not_be_appealed_within_the_ppo_itself(decider, kind):
    """Not to its own meeting, bureau or chair: none is a higher party body."""
    _assert_not_higher(body(decider, TREE.ppo), body(kind, TREE.ppo), TREE.ppo_line)


@pytest.mark.parametrize("kind", [B.PPO_MEETING, B.PPO_BUREAU])
def test_ch_5_1_a_ppo_decision_may_not_go_to_another_ppo(kind):
    _assert_not_higher(body(B.PPO_MEETING, TREE.ppo), body(kind, TREE.sibling_ppo), TREE.ppo_line)


def test_ch_5_1_a_body_of_an_organisation_the_tree_does_not_contain_is_refused():
    stranger = Tree()  # a whole other party's ids
    _assert_not_higher(
        body(B.PPO_MEETING, TREE.ppo), body(B.PARTY_BUREAU, stranger.party), TREE.ppo_line
    )


@pytest.mark.parametrize(
    ("kind", "owner"),
    [
        (B.PARTY_BUREAU, "region"),  # "the party Bureau of the Astana branch" does not exist
        (B.PARTY_CONGRESS, "district"),
        (B.BRANCH_BUREAU, "party"),  # "the branch Bureau of the party" does not either
    ],
)
def test_ch_8_2_an_appeal_body_naming_an_organisation_of_the_wrong_kind_is_refused(kind, owner):
    refusal = _refused(
        body(B.PPO_MEETING, TREE.ppo), body(kind, getattr(TREE, owner)), TREE.ppo_line
    )
    assert refusal.rule == "body-organisation-mismatch"


# --- a branch's decision --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kind", "owner"),
    [
        (B.BRANCH_BUREAU, "region"),
        (B.BRANCH_POLITICAL_COUNCIL, "region"),
        (B.BRANCH_CONFERENCE, "region"),
        (B.PARTY_BUREAU, "party"),
        (B.PARTY_POLITICAL_COUNCIL, "party"),
        (B.PARTY_CONGRESS, "party"),
    ],
)
def test_ch_5_1_a_territorial_bureau_decision_goes_to_the_regional_level_or_the_party(kind, owner):
    check_appeal_body(
        body(B.BRANCH_BUREAU, TREE.district), body(kind, getattr(TREE, owner)), TREE.district_line
    )


@pytest.mark.parametrize(
    ("kind", "owner"),
    [
        (B.BRANCH_BUREAU, "district"),  # itself
        (B.BRANCH_BUREAU, "sibling_district"),  # another territorial bureau, same region
        (B.BRANCH_BUREAU, "other_district"),  # another territorial bureau, other region
        (B.BRANCH_BUREAU, "other_region"),
        (B.PPO_MEETING, "ppo"),  # below it
        (B.PPO_BUREAU, "ppo"),
    ],
)
def test_ch_5_1_a_territorial_bureau_decision_may_not_go_sideways_down_or_to_itself(kind, owner):
    _assert_not_higher(
        body(B.BRANCH_BUREAU, TREE.district), body(kind, getattr(TREE, owner)), TREE.district_line
    )


@pytest.mark.parametrize("kind", [B.PARTY_BUREAU, B.PARTY_POLITICAL_COUNCIL, B.PARTY_CONGRESS])
def test_ch_5_1_a_regional_bureau_decision_goes_to_the_party(kind):
    check_appeal_body(body(B.BRANCH_BUREAU, TREE.region), body(kind, TREE.party), TREE.region_line)


@pytest.mark.parametrize(
    ("kind", "owner"),
    [
        (B.BRANCH_BUREAU, "region"),  # itself
        (B.BRANCH_BUREAU, "other_region"),
        (B.BRANCH_BUREAU, "district"),  # below it
        (B.BRANCH_CONFERENCE, "district"),
    ],
)
def test_ch_5_1_a_regional_bureau_decision_may_not_go_to_itself_another_region_or_below(
    kind, owner
):
    _assert_not_higher(
        body(B.BRANCH_BUREAU, TREE.region), body(kind, getattr(TREE, owner)), TREE.region_line
    )


# --- the party Bureau's decision ------------------------------------------------------------------


@pytest.mark.parametrize("kind", [B.PARTY_POLITICAL_COUNCIL, B.PARTY_CONGRESS])
def test_ch_5_1_a_party_bureau_decision_goes_to_the_political_council_or_the_congress(kind):
    check_appeal_body(body(B.PARTY_BUREAU, TREE.party), body(kind, TREE.party), TREE.party_line)


def test_ch_5_1_a_party_political_council_decision_goes_only_to_the_congress():
    decider = body(B.PARTY_POLITICAL_COUNCIL, TREE.party)
    check_appeal_body(decider, body(B.PARTY_CONGRESS, TREE.party), TREE.party_line)
    for kind in (B.PARTY_BUREAU, B.PARTY_POLITICAL_COUNCIL):
        _assert_not_higher(decider, body(kind, TREE.party), TREE.party_line)


def test_ch_5_1_a_party_bureau_decision_may_not_be_appealed_to_the_party_bureau_itself():
    _assert_not_higher(
        body(B.PARTY_BUREAU, TREE.party), body(B.PARTY_BUREAU, TREE.party), TREE.party_line
    )


@pytest.mark.parametrize(
    ("kind", "owner"), [(B.BRANCH_BUREAU, "region"), (B.BRANCH_CONFERENCE, "district")]
)
def test_ch_5_1_a_party_bureau_decision_may_not_go_down_to_a_branch(kind, owner):
    _assert_not_higher(
        body(B.PARTY_BUREAU, TREE.party), body(kind, getattr(TREE, owner)), TREE.party_line
    )


def test_ch_5_1_nothing_stands_above_the_congress():
    decider = body(B.PARTY_CONGRESS, TREE.party)
    for kind in (B.PARTY_BUREAU, B.PARTY_POLITICAL_COUNCIL, B.PARTY_CONGRESS):
        _assert_not_higher(decider, body(kind, TREE.party), TREE.party_line)


# --- deputies (Ch. 9.5, 9.8) ----------------------------------------------------------------------


def test_ch_9_5_the_party_bureau_hears_a_national_deputys_appeal_against_its_own_decision():
    """The party Bureau "considers the issue of termination of membership in the party of deputies
    of the Majilis ..., as well as their appeal against the decision" (Ch. 9.5)."""
    decider = body(B.PARTY_BUREAU, TREE.party)
    check_appeal_body(decider, decider, TREE.party_line, national_deputy=True)


def test_ch_9_5_a_national_deputy_may_still_go_on_to_the_political_council_or_congress():
    decider = body(B.PARTY_BUREAU, TREE.party)
    for kind in (B.PARTY_POLITICAL_COUNCIL, B.PARTY_CONGRESS):
        check_appeal_body(decider, body(kind, TREE.party), TREE.party_line, national_deputy=True)


@pytest.mark.parametrize("owner", ["district", "region"])
def test_ch_9_8_a_branch_bureau_hears_a_maslikhat_deputys_appeal_against_its_own_decision(owner):
    """The branch Bureau "considers the issue of termination of membership in the party of
    maslikhat deputies, as well as their appeal against the decision" (Ch. 9.8)."""
    where = getattr(TREE, owner)
    chain = TREE.district_line if owner == "district" else TREE.region_line
    decider = body(B.BRANCH_BUREAU, where)
    check_appeal_body(decider, decider, chain, maslikhat_deputy=True)


def test_ch_9_5_9_8_the_exception_belongs_to_the_bureau_the_clause_names_not_to_the_other():
    """A maslikhat deputy's appeal is not heard by the party Bureau that decided, nor a national
    deputy's by the branch Bureau that decided: each exception is for its own Bureau."""
    party_bureau = body(B.PARTY_BUREAU, TREE.party)
    _assert_not_higher(party_bureau, party_bureau, TREE.party_line, maslikhat_deputy=True)
    region_bureau = body(B.BRANCH_BUREAU, TREE.region)
    _assert_not_higher(region_bureau, region_bureau, TREE.region_line, national_deputy=True)


def test_ch_5_1_without_a_mandate_a_bureau_never_hears_an_appeal_against_its_own_decision():
    for decider, chain in (
        (body(B.PARTY_BUREAU, TREE.party), TREE.party_line),
        (body(B.BRANCH_BUREAU, TREE.region), TREE.region_line),
        (body(B.BRANCH_BUREAU, TREE.district), TREE.district_line),
    ):
        _assert_not_higher(decider, decider, chain)


def test_ch_9_8_a_maslikhat_deputys_appeal_still_stays_in_the_line():
    decider = body(B.BRANCH_BUREAU, TREE.district)
    for stranger in (TREE.sibling_district, TREE.other_region):
        _assert_not_higher(
            decider, body(B.BRANCH_BUREAU, stranger), TREE.district_line, maslikhat_deputy=True
        )


def test_ch_9_5_a_national_deputys_appeal_does_not_go_down_to_a_branch():
    _assert_not_higher(
        body(B.PARTY_BUREAU, TREE.party),
        body(B.BRANCH_BUREAU, TREE.region),
        TREE.party_line,
        national_deputy=True,
        maslikhat_deputy=True,
    )


# --- body_rank (Ch. 8) ----------------------------------------------------------------------------

PPO_BODIES = [B.PPO_MEETING, B.PPO_BUREAU, B.PPO_CHAIR]
BRANCH_BODIES = [B.BRANCH_BUREAU, B.BRANCH_POLITICAL_COUNCIL, B.BRANCH_CONFERENCE]


def test_ch_8_bodies_rank_by_level_ppo_territorial_regional_then_the_party():
    ppo = {body_rank(b, K.PRIMARY_ORGANISATION) for b in PPO_BODIES}
    territorial = {body_rank(b, K.TERRITORIAL_BRANCH) for b in BRANCH_BODIES}
    regional = {body_rank(b, K.REGIONAL_BRANCH) for b in BRANCH_BODIES}
    party = {
        body_rank(b, K.PARTY) for b in (B.PARTY_BUREAU, B.PARTY_POLITICAL_COUNCIL, B.PARTY_CONGRESS)
    }
    for lower, higher in itertools.pairwise([ppo, territorial, regional, party]):
        assert max(lower) < min(higher)


def test_ch_8_within_the_party_the_bureau_ranks_below_the_political_council_below_the_congress():
    assert (
        body_rank(B.PARTY_BUREAU, K.PARTY)
        < body_rank(B.PARTY_POLITICAL_COUNCIL, K.PARTY)
        < body_rank(B.PARTY_CONGRESS, K.PARTY)
    )


def test_ch_8_the_bodies_of_one_ppo_share_a_rank_so_none_is_higher_than_another():
    assert len({body_rank(b, K.PRIMARY_ORGANISATION) for b in PPO_BODIES}) == 1
