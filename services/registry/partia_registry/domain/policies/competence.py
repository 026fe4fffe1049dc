"""Which body may decide what (Ch. 3.4, 3.7, 9.5, 9.8, 9.9).

A body is competent for a decision about an organisation when it is of a kind the clause names and it
belongs to that organisation or to one above it.
"""

from __future__ import annotations

from partia_registry.domain.decisions import BodyKind, DecidingBody
from partia_registry.domain.organisations import OrganisationKind
from partia_registry.domain.policies.structure import Ancestry
from partia_registry.domain.rules import RuleViolation

B = BodyKind
K = OrganisationKind

# Which kind of organisation each kind of body belongs to.
_BODY_BELONGS_TO: dict[BodyKind, frozenset[OrganisationKind]] = {
    B.PPO_MEETING: frozenset({K.PRIMARY_ORGANISATION}),
    B.PPO_BUREAU: frozenset({K.PRIMARY_ORGANISATION}),
    B.PPO_CHAIR: frozenset({K.PRIMARY_ORGANISATION}),
    B.BRANCH_BUREAU: frozenset({K.REGIONAL_BRANCH, K.TERRITORIAL_BRANCH}),
    B.BRANCH_POLITICAL_COUNCIL: frozenset({K.REGIONAL_BRANCH, K.TERRITORIAL_BRANCH}),
    B.BRANCH_CONFERENCE: frozenset({K.REGIONAL_BRANCH, K.TERRITORIAL_BRANCH}),
    B.PARTY_BUREAU: frozenset({K.PARTY}),
    B.PARTY_POLITICAL_COUNCIL: frozenset({K.PARTY}),
    B.PARTY_CONGRESS: frozenset({K.PARTY}),
}

MEMBERSHIP_BODIES = frozenset({B.PPO_MEETING, B.PPO_BUREAU, B.BRANCH_BUREAU, B.PARTY_BUREAU})
"""Admission (Ch. 3.4, 9.9) and termination (Ch. 3.7): the PPO meeting or bureau, or the Bureau of
the Political Council of the party or of a branch."""

STRUCTURE_BODIES = frozenset({B.BRANCH_BUREAU, B.PARTY_BUREAU})
"""Creating, restructuring and ending organisations: a branch Bureau (Ch. 9.8) or the party Bureau
(Ch. 9.5)."""

GROUP_BODIES = frozenset({B.PPO_MEETING, B.PPO_BUREAU, B.BRANCH_BUREAU, B.PARTY_BUREAU})
"""Party groups inside a PPO (Ch. 6.7): the PPO's own meeting or bureau, or a Bureau above it."""


def check_body_matches_organisation(
    body: DecidingBody, organisation_kind: OrganisationKind
) -> None:
    """A PPO meeting belongs to a PPO, a branch Bureau to a branch, the party Bureau to the party."""
    if organisation_kind not in _BODY_BELONGS_TO[body.kind]:
        raise RuleViolation(
            "body-organisation-mismatch",
            "Ch. 8.2",
            f"a {body.kind.value} is a body of a "
            + " or ".join(sorted(k.value for k in _BODY_BELONGS_TO[body.kind]))
            + f", but organisation {body.organisation_id} is a {organisation_kind.value}",
            field="decision.body",
        )


def check_competent(
    body: DecidingBody,
    subject: Ancestry,
    allowed: frozenset[BodyKind],
    *,
    what: str,
    clause: str,
) -> None:
    """The body must be of an allowed kind and belong to the subject organisation or one above it."""
    if body.kind not in allowed:
        raise RuleViolation(
            "body-not-competent",
            clause,
            f"a {body.kind.value} may not decide {what}; competent bodies are: "
            + ", ".join(sorted(k.value for k in allowed)),
            field="decision.body.kind",
        )
    body_organisation = next(
        (r for r in subject if r.organisation_id == body.organisation_id), None
    )
    if body_organisation is None:
        raise RuleViolation(
            "body-not-competent",
            clause,
            f"the {body.kind.value} of organisation {body.organisation_id} is not a body of "
            f"organisation {subject[0].organisation_id} or of one above it, so it may not decide {what}",
            field="decision.body.organisation_id",
        )
    check_body_matches_organisation(body, body_organisation.kind)


def check_may_decide_membership(body: DecidingBody, ppo: Ancestry, *, what: str) -> None:
    """Admission (Ch. 3.4, 9.9) and termination (Ch. 3.7) of a member of this PPO."""
    check_competent(body, ppo, MEMBERSHIP_BODIES, what=what, clause="Ch. 3.4, 3.7")


def check_may_restructure(body: DecidingBody, place: Ancestry, *, what: str) -> None:
    """Creating, renaming, moving or dissolving an organisation at `place` (its parent's ancestry
    for a new one). A group may also be decided by its PPO's meeting or bureau (Ch. 6.7)."""
    allowed = (
        GROUP_BODIES if place[0].kind is OrganisationKind.PRIMARY_ORGANISATION else STRUCTURE_BODIES
    )
    structural = [ref for ref in place if ref.kind is not OrganisationKind.PARTY_GROUP]
    check_competent(body, tuple(structural), allowed, what=what, clause="Ch. 9.5, 9.8")


SANCTION_BODIES = MEMBERSHIP_BODIES
"""Ch. 3.8: the meeting or Bureau of the PPO, the Bureau of the Political Council of the party or of
a branch."""


def check_may_sanction(body: DecidingBody, ppo: Ancestry) -> None:
    """Ch. 3.8: a disciplinary measure is decided by a competent body of the member's PPO or above."""
    check_competent(body, ppo, SANCTION_BODIES, what="a party sanction", clause="Ch. 3.8")


def check_may_end_deputy_membership(
    body: DecidingBody, ppo: Ancestry, *, national_deputy: bool, maslikhat_deputy: bool
) -> None:
    """Ch. 3.7, 9.5, 9.8: the membership of a Mazhilis (Kurultai) deputy is ended only by the party
    Bureau, and that of a maslikhat deputy only by the Bureau of a branch."""
    if national_deputy and body.kind is not B.PARTY_BUREAU:
        raise RuleViolation(
            "deputy-needs-party-bureau",
            "Ch. 3.7, 9.5",
            "the member holds a Mazhilis (Kurultai) mandate: only the Bureau of the Political "
            "Council of the party may end their membership",
            field="decision.body.kind",
        )
    if maslikhat_deputy and not national_deputy and body.kind is not B.BRANCH_BUREAU:
        raise RuleViolation(
            "deputy-needs-branch-bureau",
            "Ch. 3.7, 9.8",
            "the member holds a maslikhat mandate: only the Bureau of the Political Council of a "
            "branch may end their membership",
            field="decision.body.kind",
        )
    allowed = frozenset({body.kind})
    check_competent(body, ppo, allowed, what="ending a deputy's membership", clause="Ch. 3.7")


def check_may_formalise_withdrawal(
    body: DecidingBody | None, ppo: Ancestry, *, national_deputy: bool, maslikhat_deputy: bool
) -> None:
    """Ch. 3.6, 3.7, 5.1: leaving is the member's right, so the body that formalises a withdrawal
    cannot refuse it, but every termination is formalised by a body competent to end membership
    (Ch. 3.7): the PPO's meeting or bureau, or the Bureau of a branch or of the party. A deputy's
    membership is ended only by the party Bureau (Mazhilis, Kurultai: Ch. 9.5) or a branch Bureau
    (maslikhat: Ch. 9.8). Only a missing or incompetent body is refused, never the withdrawal."""
    if body is None:
        _refuse_withdrawal_without_a_body(national_deputy, maslikhat_deputy)
        return
    check_competent(body, ppo, MEMBERSHIP_BODIES, what="formalising a withdrawal", clause="Ch. 3.7")
    if national_deputy or maslikhat_deputy:
        check_may_end_deputy_membership(
            body, ppo, national_deputy=national_deputy, maslikhat_deputy=maslikhat_deputy
        )


def _refuse_withdrawal_without_a_body(national_deputy: bool, maslikhat_deputy: bool) -> None:
    """A deputy is told which Bureau ends their mandate-bearing membership; anyone else which
    bodies may formalise it."""
    if national_deputy or maslikhat_deputy:
        raise RuleViolation(
            "deputy-withdrawal-needs-bureau",
            "Ch. 3.7, 9.5" if national_deputy else "Ch. 3.7, 9.8",
            "the member holds a deputy's mandate: their withdrawal is formalised by the Bureau "
            f"of the Political Council {'of the party' if national_deputy else 'of a branch'}; "
            "give that Bureau's decision",
            field="decision",
        )
    raise RuleViolation(
        "withdrawal-needs-formalising-body",
        "Ch. 3.7",
        "a withdrawal is formalised by the PPO's meeting or bureau, or the Bureau of a branch or "
        "of the party; give that body's decision (it cannot refuse the withdrawal, Ch. 5.1)",
        field="decision",
    )


APPEAL_BODIES = frozenset(
    {
        B.BRANCH_BUREAU,
        B.BRANCH_POLITICAL_COUNCIL,
        B.BRANCH_CONFERENCE,
        B.PARTY_BUREAU,
        B.PARTY_POLITICAL_COUNCIL,
        B.PARTY_CONGRESS,
    }
)

_LEVEL = {K.PRIMARY_ORGANISATION: 0, K.TERRITORIAL_BRANCH: 10, K.REGIONAL_BRANCH: 20, K.PARTY: 30}
_WITHIN_ORGANISATION = {
    B.PARTY_BUREAU: 0,
    B.PARTY_POLITICAL_COUNCIL: 1,
    B.PARTY_CONGRESS: 2,  # Ch. 8.3.1, 8.4.1, 8.5.1
    B.BRANCH_BUREAU: 0,
    B.BRANCH_POLITICAL_COUNCIL: 1,
    B.BRANCH_CONFERENCE: 2,  # Ch. 8.3.2-8.5.2
}


def body_rank(kind: BodyKind, organisation_kind: OrganisationKind) -> int:
    """How high a body stands: by its organisation's level; within the party or a branch, Bureau <
    Political Council < Congress or Conference (Ch. 8)."""
    return _LEVEL[organisation_kind] + _WITHIN_ORGANISATION.get(kind, 0)


def check_appeal_body(
    decided_by: DecidingBody,
    appeal_to: DecidingBody,
    decider_chain: Ancestry,
    *,
    national_deputy: bool = False,
    maslikhat_deputy: bool = False,
) -> None:
    """Ch. 5.1: an appeal goes to a higher party body: one above the deciding body, in the same
    line of organisations. Deputies' appeals are also heard by the Bureau that ends their
    membership (Ch. 9.5 for Mazhilis deputies, Ch. 9.8 for maslikhat deputies)."""
    chain = {ref.organisation_id: ref.kind for ref in decider_chain}
    if appeal_to.kind not in APPEAL_BODIES or appeal_to.organisation_id not in chain:
        raise RuleViolation(
            "appeal-body-not-higher",
            "Ch. 5.1",
            f"an appeal goes to a higher party body of organisation {decider_chain[0].organisation_id}"
            " or an organisation above it (a branch's bodies or the party's Bureau, Political Council"
            " or Congress)",
            field="body",
        )
    check_body_matches_organisation(appeal_to, chain[appeal_to.organisation_id])
    decider_rank = body_rank(decided_by.kind, chain[decided_by.organisation_id])
    appeal_rank = body_rank(appeal_to.kind, chain[appeal_to.organisation_id])
    hears_deputies = (national_deputy and appeal_to.kind is B.PARTY_BUREAU) or (
        maslikhat_deputy and appeal_to.kind is B.BRANCH_BUREAU
    )
    if appeal_rank <= decider_rank and not hears_deputies:
        raise RuleViolation(
            "appeal-body-not-higher",
            "Ch. 5.1",
            f"the {appeal_to.kind.value} of organisation {appeal_to.organisation_id} is not higher "
            f"than the {decided_by.kind.value} that decided",
            field="body",
        )


def check_may_rename_party(body: DecidingBody) -> None:
    """Ch. 9.1: the party's own name is in its Charter, which only the Congress changes."""
    if body.kind is not BodyKind.PARTY_CONGRESS:
        raise RuleViolation(
            "body-not-competent",
            "Ch. 9.1",
            "only the party Congress changes the party's own name (its Charter)",
            field="decision.body.kind",
        )
