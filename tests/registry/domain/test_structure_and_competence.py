"""Where organisations sit (Ch. 6.3, 6.7, 6.9, 6.10) and which body may decide what
(Ch. 3.4, 3.7, 8.2, 9.5, 9.8, 9.9)."""

from __future__ import annotations

import itertools
from uuid import uuid4

import pytest

from partia_registry.domain.decisions import BodyKind, DecidingBody
from partia_registry.domain.organisations import OrganisationKind
from partia_registry.domain.policies import competence, structure
from partia_registry.domain.policies.structure import OrganisationRef
from partia_registry.domain.rules import RuleViolation
from tests.registry.domain.support import Tree

B = BodyKind
K = OrganisationKind


def _ref(kind: OrganisationKind) -> OrganisationRef:
    return OrganisationRef(uuid4(), kind)


def _body(kind: BodyKind, ref: OrganisationRef) -> DecidingBody:
    return DecidingBody(kind, ref.organisation_id)


# --- the tree (Ch. 6) -----------------------------------------------------------------------------

# Written out from the Charter, independently of the code: the one parent kind each kind may have.
PARENT_OF = {
    K.REGIONAL_BRANCH: (K.PARTY, "Ch. 6.3"),
    K.TERRITORIAL_BRANCH: (K.REGIONAL_BRANCH, "Ch. 6.10"),
    K.PRIMARY_ORGANISATION: (K.TERRITORIAL_BRANCH, "Ch. 6.9"),
    K.PARTY_GROUP: (K.PRIMARY_ORGANISATION, "Ch. 6.7"),
}


@pytest.mark.parametrize(("kind", "parent"), [(k, p) for k, (p, _) in PARENT_OF.items()])
def test_ch_6_each_kind_may_sit_under_the_kind_above_it(kind, parent):
    structure.check_parent(kind, _ref(parent))
    assert structure.required_parent_kind(kind) is parent


@pytest.mark.parametrize(
    ("kind", "wrong_parent"),
    [
        (kind, parent)
        for kind, parent in itertools.product(PARENT_OF, K)
        if parent is not PARENT_OF[kind][0]
    ],
)
def test_ch_6_3_6_7_6_9_6_10_any_other_parent_kind_is_refused_with_the_clause(kind, wrong_parent):
    with pytest.raises(RuleViolation) as refused:
        structure.check_parent(kind, _ref(wrong_parent))
    assert refused.value.rule == "parent-kind"
    assert refused.value.clause == PARENT_OF[kind][1]
    assert refused.value.field == "parent_id"
    assert kind.value in refused.value.message
    assert wrong_parent.value in refused.value.message


def test_ch_6_9_a_ppo_directly_under_a_regional_branch_is_refused_with_advice():
    """PPOs are united into district or city branches (Ch. 6.9), which sit in the regional one."""
    with pytest.raises(RuleViolation) as refused:
        structure.check_parent(K.PRIMARY_ORGANISATION, _ref(K.REGIONAL_BRANCH))
    assert refused.value.clause == "Ch. 6.9"
    assert "create a district or city branch under the regional branch first" in (
        refused.value.message
    )


@pytest.mark.parametrize("parent", list(K))
def test_the_party_cannot_be_created_through_the_registry(parent):
    """There is one party, created by the bootstrap (Ch. 1.1); asking for another is refused."""
    with pytest.raises(RuleViolation) as refused:
        structure.check_parent(K.PARTY, _ref(parent))
    assert refused.value.rule == "one-party"
    assert refused.value.field == "kind"
    with pytest.raises(RuleViolation):
        structure.required_parent_kind(K.PARTY)


# --- bodies belong to organisations of a kind (Ch. 8.2) -------------------------------------------

BELONGS_TO = {
    B.PPO_MEETING: {K.PRIMARY_ORGANISATION},
    B.PPO_BUREAU: {K.PRIMARY_ORGANISATION},
    B.PPO_CHAIR: {K.PRIMARY_ORGANISATION},
    B.BRANCH_BUREAU: {K.REGIONAL_BRANCH, K.TERRITORIAL_BRANCH},
    B.BRANCH_POLITICAL_COUNCIL: {K.REGIONAL_BRANCH, K.TERRITORIAL_BRANCH},
    B.BRANCH_CONFERENCE: {K.REGIONAL_BRANCH, K.TERRITORIAL_BRANCH},
    B.PARTY_BUREAU: {K.PARTY},
    B.PARTY_POLITICAL_COUNCIL: {K.PARTY},
    B.PARTY_CONGRESS: {K.PARTY},
}


@pytest.mark.parametrize(
    ("body", "kind"), [(b, k) for b, kinds in BELONGS_TO.items() for k in kinds]
)
def test_ch_8_2_a_body_of_the_right_kind_of_organisation_is_accepted(body, kind):
    competence.check_body_matches_organisation(DecidingBody(body, uuid4()), kind)


@pytest.mark.parametrize(
    ("body", "kind"),
    [(b, k) for b, k in itertools.product(B, K) if k not in BELONGS_TO[b]],
)
def test_ch_8_2_a_body_naming_an_organisation_of_the_wrong_kind_is_refused(body, kind):
    """E.g. "the PPO meeting of the Astana regional branch" does not exist; a party group has no
    bodies of its own."""
    with pytest.raises(RuleViolation) as refused:
        competence.check_body_matches_organisation(DecidingBody(body, uuid4()), kind)
    assert refused.value.rule == "body-organisation-mismatch"
    assert refused.value.clause == "Ch. 8.2"
    assert refused.value.field == "decision.body"


# --- admission and termination (Ch. 3.4, 3.7, 9.9) ------------------------------------------------


def _competent_for_membership(tree: Tree) -> list[DecidingBody]:
    return [
        _body(B.PPO_MEETING, tree.ppo),  # Ch. 3.4, 9.9
        _body(B.PPO_BUREAU, tree.ppo),  # Ch. 3.4
        _body(B.BRANCH_BUREAU, tree.district),  # Ch. 3.4, 3.7: the bureau of its branch
        _body(B.BRANCH_BUREAU, tree.region),
        _body(B.PARTY_BUREAU, tree.party),  # Ch. 3.4, 3.7
    ]


@pytest.mark.parametrize("what", ["admission", "termination of membership"])
@pytest.mark.parametrize("index", range(5))
def test_ch_3_4_3_7_the_ppo_its_branches_bureaus_and_the_party_bureau_decide_membership(
    what, index
):
    tree = Tree()
    body = _competent_for_membership(tree)[index]
    competence.check_may_decide_membership(body, tree.ppo_line, what=what)


@pytest.mark.parametrize(
    "kind",
    [
        B.PPO_CHAIR,
        B.BRANCH_POLITICAL_COUNCIL,
        B.BRANCH_CONFERENCE,
        B.PARTY_POLITICAL_COUNCIL,
        B.PARTY_CONGRESS,
    ],
)
def test_ch_3_4_3_7_bodies_the_clauses_do_not_name_may_not_decide_membership(kind):
    """Ch. 3.4 and 3.7 name the PPO meeting or bureau and the Bureaus of the party and its branches;
    the congress, political councils, conferences and the PPO chair are not among them."""
    tree = Tree()
    owner = {
        B.PPO_CHAIR: tree.ppo,
        B.BRANCH_POLITICAL_COUNCIL: tree.region,
        B.BRANCH_CONFERENCE: tree.district,
        B.PARTY_POLITICAL_COUNCIL: tree.party,
        B.PARTY_CONGRESS: tree.party,
    }[kind]
    with pytest.raises(RuleViolation) as refused:
        competence.check_may_decide_membership(_body(kind, owner), tree.ppo_line, what="admission")
    assert refused.value.rule == "body-not-competent"
    assert "3.4" in refused.value.clause
    assert "3.7" in refused.value.clause
    assert refused.value.field == "decision.body.kind"


@pytest.mark.parametrize(
    ("kind", "where"),
    [
        (B.PPO_MEETING, "sibling_ppo"),
        (B.PPO_BUREAU, "sibling_ppo"),
        (B.PPO_MEETING, "far_ppo"),
        (B.BRANCH_BUREAU, "sibling_district"),
        (B.BRANCH_BUREAU, "other_district"),
        (B.BRANCH_BUREAU, "other_region"),
    ],
)
def test_ch_3_4_3_7_a_body_of_an_organisation_not_above_the_members_ppo_may_not_decide(kind, where):
    tree = Tree()
    body = _body(kind, getattr(tree, where))
    with pytest.raises(RuleViolation) as refused:
        competence.check_may_decide_membership(body, tree.ppo_line, what="admission")
    assert refused.value.rule == "body-not-competent"
    assert refused.value.field == "decision.body.organisation_id"


def test_ch_3_4_a_ppo_meeting_decides_only_for_its_own_ppo():
    tree = Tree()
    meeting = _body(B.PPO_MEETING, tree.ppo)
    competence.check_may_decide_membership(meeting, tree.ppo_line, what="admission")
    with pytest.raises(RuleViolation):
        competence.check_may_decide_membership(meeting, tree.sibling_ppo_line, what="admission")


# --- creating, restructuring and ending organisations (Ch. 6.7, 9.5, 9.8) -------------------------
#
# `place` is the ancestry of the organisation's parent: where it is created, or where it sits when
# it is renamed, moved or dissolved.


@pytest.mark.parametrize("decider", ["district", "region"])
def test_ch_9_8_a_branch_bureau_above_may_create_restructure_and_end_ppos(decider):
    tree = Tree()
    body = _body(B.BRANCH_BUREAU, getattr(tree, decider))
    competence.check_may_restructure(body, tree.district_line, what="creating a PPO")


def test_ch_9_5_the_party_bureau_may_restructure_at_every_level():
    tree = Tree()
    bureau = _body(B.PARTY_BUREAU, tree.party)
    for place in (tree.party_line, tree.region_line, tree.district_line, tree.ppo_line):
        competence.check_may_restructure(bureau, place, what="restructuring")


@pytest.mark.parametrize("kind", [B.PPO_MEETING, B.PPO_BUREAU, B.PPO_CHAIR])
def test_ch_9_8_a_ppo_cannot_decide_about_itself(kind):
    """Renaming, moving or dissolving a PPO is decided at its branch (Ch. 9.8), not by the PPO."""
    tree = Tree()
    with pytest.raises(RuleViolation) as refused:
        competence.check_may_restructure(_body(kind, tree.ppo), tree.district_line, what="renaming")
    assert refused.value.rule == "body-not-competent"
    assert "9.8" in refused.value.clause


def test_ch_9_8_a_branch_bureau_cannot_restructure_its_own_branch():
    """A territorial branch is renamed or dissolved by the bureau above it, not by itself."""
    tree = Tree()
    own = _body(B.BRANCH_BUREAU, tree.district)
    with pytest.raises(RuleViolation) as refused:
        competence.check_may_restructure(own, tree.region_line, what="dissolving it")
    assert refused.value.field == "decision.body.organisation_id"
    competence.check_may_restructure(
        _body(B.BRANCH_BUREAU, tree.region), tree.region_line, what="dissolving it"
    )


def test_ch_9_5_a_regional_branch_is_restructured_by_the_party_bureau_not_by_its_own_bureau():
    tree = Tree()
    with pytest.raises(RuleViolation):
        competence.check_may_restructure(
            _body(B.BRANCH_BUREAU, tree.region), tree.party_line, what="renaming it"
        )
    competence.check_may_restructure(
        _body(B.PARTY_BUREAU, tree.party), tree.party_line, what="renaming it"
    )


@pytest.mark.parametrize("where", ["sibling_district", "other_region", "other_district"])
def test_ch_9_8_the_bureau_of_an_unrelated_branch_may_not_restructure_a_ppo(where):
    tree = Tree()
    with pytest.raises(RuleViolation) as refused:
        competence.check_may_restructure(
            _body(B.BRANCH_BUREAU, getattr(tree, where)), tree.district_line, what="dissolving it"
        )
    assert refused.value.field == "decision.body.organisation_id"


@pytest.mark.parametrize("kind", [B.PPO_MEETING, B.PPO_BUREAU])
def test_ch_6_7_a_ppo_may_decide_about_a_party_group_inside_it(kind):
    tree = Tree()
    competence.check_may_restructure(_body(kind, tree.ppo), tree.ppo_line, what="creating a group")


@pytest.mark.parametrize("kind", [B.BRANCH_BUREAU, B.PARTY_BUREAU])
def test_ch_6_7_a_bureau_above_may_also_decide_about_a_party_group(kind):
    tree = Tree()
    owner = tree.district if kind is B.BRANCH_BUREAU else tree.party
    competence.check_may_restructure(_body(kind, owner), tree.ppo_line, what="creating a group")


def test_ch_6_7_a_ppo_may_not_decide_about_a_party_group_inside_another_ppo():
    tree = Tree()
    with pytest.raises(RuleViolation) as refused:
        competence.check_may_restructure(
            _body(B.PPO_MEETING, tree.sibling_ppo), tree.ppo_line, what="creating a group"
        )
    assert refused.value.field == "decision.body.organisation_id"
