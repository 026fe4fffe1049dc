"""One handler per command: load what the decision needs, let the aggregate decide, report back.

Handlers run inside a unit of work that the batch runner commits; they never save anything
themselves. What a handler returns is the receipt the client gets (and gets again on a retry).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any, TypeVar
from uuid import UUID, uuid4

from partia_registry.application import commands as c
from partia_registry.application.clock import Clock
from partia_registry.application.ports import UnitOfWork
from partia_registry.application.scope import check_within_scope
from partia_registry.domain.cards import card_number
from partia_registry.domain.decisions import Decision
from partia_registry.domain.mandates import Mandate
from partia_registry.domain.members import Member
from partia_registry.domain.organisations import Organisation, OrganisationKind
from partia_registry.domain.policies import chronology, competence, structure
from partia_registry.domain.policies.structure import Ancestry, OrganisationRef
from partia_registry.domain.rules import NotFound, StateConflict

Receipt = dict[str, Any]


def ancestry(uow: UnitOfWork, organisation_id: UUID) -> Ancestry:
    """The organisation and every organisation above it, up to the party."""
    chain: list[OrganisationRef] = []
    next_id: UUID | None = organisation_id
    while next_id is not None:
        organisation = uow.organisation(next_id)
        chain.append(OrganisationRef(organisation.id, organisation.kind))
        next_id = organisation.parent_id
    return tuple(chain)


def _organisation(uow: UnitOfWork, organisation_id: UUID, field: str) -> Organisation:
    """An organisation the request refers to; a missing one is reported against `field`."""
    try:
        return uow.organisation(organisation_id)
    except NotFound:
        raise NotFound("organisation", organisation_id, field=field) from None


def _check_body(uow: UnitOfWork, decision: Decision) -> None:
    body_organisation = _organisation(
        uow, decision.body.organisation_id, "decision.body.organisation_id"
    )
    competence.check_body_matches_organisation(decision.body, body_organisation.kind)


def _active(uow: UnitOfWork, organisation_id: UUID, field: str) -> Organisation:
    organisation = _organisation(uow, organisation_id, field)
    if not organisation.is_active:
        raise StateConflict(
            "organisation-dissolved",
            "Ch. 9.8",
            f"organisation {organisation_id} was dissolved on {organisation.dissolved_on}",
            field=field,
        )
    return organisation


def _ppo_of(uow: UnitOfWork, organisation_id: UUID, field: str, on: date | None = None) -> Ancestry:
    """The primary organisation a member is (to be) registered in, active and, on the business
    date `on`, already founded."""
    organisation = _active(uow, organisation_id, field)
    if on is not None:
        structure.check_founded_by(organisation_id, organisation.founded_on, on, field=field)
    structure.check_members_belong_to_ppos(
        OrganisationRef(organisation_id, organisation.kind), field=field
    )
    return ancestry(uow, organisation_id)


# --- organisations ------------------------------------------------------------------------------


def create_organisation(cmd: c.CreateOrganisation, uow: UnitOfWork) -> Receipt:
    parent = _active(uow, cmd.parent_id, "parent_id")
    structure.check_parent(cmd.kind, OrganisationRef(parent.id, parent.kind))
    _check_body(uow, cmd.decision)
    place = ancestry(uow, parent.id)
    competence.check_may_restructure(cmd.decision.body, place, what=f"creating a {cmd.kind.value}")
    organisation = Organisation.found(
        kind=cmd.kind,
        parent_id=parent.id,
        names=cmd.names,
        decision=cmd.decision,
        recorded_by=cmd.actor,
        code=cmd.code,
    )
    uow.add(organisation)
    return {"organisation_id": str(organisation.id), "kind": organisation.kind.value}


def rename_organisation(cmd: c.RenameOrganisation, uow: UnitOfWork) -> Receipt:
    organisation = uow.organisation(cmd.organisation_id)
    _check_body(uow, cmd.decision)
    place = ancestry(uow, cmd.organisation_id)
    if organisation.kind is not OrganisationKind.PARTY:
        place = place[1:]  # decided at the parent's level or above, never by the unit itself
        competence.check_may_restructure(cmd.decision.body, place, what="renaming it")
    else:
        competence.check_may_rename_party(cmd.decision.body)
    organisation.rename(cmd.names, cmd.decision, cmd.actor)
    return {"organisation_id": str(organisation.id)}


def move_organisation(cmd: c.MoveOrganisation, uow: UnitOfWork) -> Receipt:
    organisation = uow.organisation(cmd.organisation_id)
    new_parent = _active(uow, cmd.to_parent_id, "to_parent_id")
    structure.check_not_under_itself(cmd.organisation_id, ancestry(uow, new_parent.id))
    structure.check_parent(organisation.kind, OrganisationRef(new_parent.id, new_parent.kind))
    _check_body(uow, cmd.decision)
    if organisation.parent_id is not None:
        for parent_id in (organisation.parent_id, cmd.to_parent_id):
            competence.check_may_restructure(
                cmd.decision.body, ancestry(uow, parent_id), what="moving it from there to here"
            )
    organisation.move(cmd.to_parent_id, cmd.decision, cmd.actor)
    return {"organisation_id": str(organisation.id), "parent_id": str(cmd.to_parent_id)}


def dissolve_organisation(cmd: c.DissolveOrganisation, uow: UnitOfWork) -> Receipt:
    organisation = uow.organisation(cmd.organisation_id)
    parent_id = structure.check_may_dissolve(organisation.parent_id)
    _check_body(uow, cmd.decision)
    competence.check_may_restructure(
        cmd.decision.body, ancestry(uow, parent_id), what="dissolving it"
    )
    structure.check_empty(
        uow.members_on_roll(organisation.id), uow.active_children(organisation.id)
    )
    organisation.dissolve(cmd.decision, cmd.actor)
    return {"organisation_id": str(organisation.id), "dissolved_on": str(organisation.dissolved_on)}


# --- membership ---------------------------------------------------------------------------------


def submit_application(cmd: c.SubmitApplication, uow: UnitOfWork) -> Receipt:
    ppo = _ppo_of(uow, cmd.organisation_id, "organisation_id", cmd.application_document.signed_on)
    existing_id = uow.member_id_for_iin(cmd.person.iin)
    if existing_id is None:
        member = Member.apply_for_membership(
            ppo=ppo,
            personal=cmd.person,
            declarations=cmd.declarations,
            application_document=cmd.application_document,
            recorded_by=cmd.actor,
        )
        uow.add(member)
    else:
        member = uow.member(existing_id)
        member.apply_again(
            ppo=ppo,
            personal=cmd.person,
            declarations=cmd.declarations,
            application_document=cmd.application_document,
            recorded_by=cmd.actor,
        )
    return {"member_id": str(member.id), "status": member.status.value}


def admit_member(cmd: c.AdmitMember, uow: UnitOfWork, *, card_prefix: str) -> Receipt:
    member = uow.member(cmd.member_id)
    _check_body(uow, cmd.decision)
    ppo = _ppo_of(uow, member.organisation_id, "organisation_id", cmd.decision.decided_on)
    member.admit(
        decision=cmd.decision,
        issue_card=lambda: card_number(card_prefix, uow.next_card_serial()),
        ppo=ppo,
        recorded_by=cmd.actor,
    )
    return {
        "member_id": str(member.id),
        "status": member.status.value,
        "card_number": member.card_number,
        "admitted_on": str(member.admitted_on),
        "organisation_id": str(member.organisation_id),
    }


def reject_application(cmd: c.RejectApplication, uow: UnitOfWork) -> Receipt:
    member = uow.member(cmd.member_id)
    _check_body(uow, cmd.decision)
    ppo = ancestry(uow, member.organisation_id)
    member.reject_application(
        decision=cmd.decision, reason=cmd.reason, ppo=ppo, recorded_by=cmd.actor
    )
    return {"member_id": str(member.id), "status": member.status.value}


def withdraw_member(cmd: c.WithdrawMember, uow: UnitOfWork) -> Receipt:
    member = uow.member(cmd.member_id)
    _check_body(uow, cmd.decision)
    member.withdraw(
        application_document=cmd.application_document,
        effective_on=cmd.effective_on,
        decision=cmd.decision,
        ppo=ancestry(uow, member.organisation_id),
        recorded_by=cmd.actor,
    )
    return {
        "member_id": str(member.id),
        "status": member.status.value,
        "ended_on": str(member.ended_on),
        "end_reason": member.end_reason,
    }


def terminate_membership(cmd: c.TerminateMembership, uow: UnitOfWork) -> Receipt:
    member = uow.member(cmd.member_id)
    _check_body(uow, cmd.decision)
    ppo = ancestry(uow, member.organisation_id)
    member.terminate(ground=cmd.ground, decision=cmd.decision, ppo=ppo, recorded_by=cmd.actor)
    return {
        "member_id": str(member.id),
        "status": member.status.value,
        "ended_on": str(member.ended_on),
        "end_reason": member.end_reason,
    }


def erase_personal_data(cmd: c.ErasePersonalData, uow: UnitOfWork) -> Receipt:
    member = uow.member(cmd.member_id)
    member.erase_personal_data(
        legal_basis=cmd.legal_basis, request_reference=cmd.request_reference, recorded_by=cmd.actor
    )
    return {"member_id": str(member.id), "status": member.status.value, "erased": True}


def change_preferred_language(cmd: c.ChangePreferredLanguage, uow: UnitOfWork) -> Receipt:
    member = uow.member(cmd.member_id)
    member.change_preferred_language(language=cmd.language, recorded_by=cmd.actor)
    return {
        "member_id": str(member.id),
        "status": member.status.value,
        "preferred_language": cmd.language.value,
    }


# --- transfers ----------------------------------------------------------------------------------


def _member_receipt(member: Member, **extra: Any) -> Receipt:
    return {
        "member_id": str(member.id),
        "status": member.status.value,
        "organisation_id": str(member.organisation_id),
        **extra,
    }


def report_residence_change(cmd: c.ReportResidenceChange, uow: UnitOfWork) -> Receipt:
    member = uow.member(cmd.member_id)
    member.report_residence_change(moved_on=cmd.moved_on, recorded_by=cmd.actor)
    return _member_receipt(member, registration_deadline=str(member.residence_deadline))


def request_transfer(cmd: c.RequestTransfer, uow: UnitOfWork) -> Receipt:
    member = uow.member(cmd.member_id)
    to_ppo = _ppo_of(uow, cmd.to_organisation_id, "to_organisation_id")
    member.request_transfer(
        to_ppo=to_ppo, requested_on=cmd.requested_on, reason=cmd.reason, recorded_by=cmd.actor
    )
    return _member_receipt(member, transfer_to=str(cmd.to_organisation_id))


def register_transfer(cmd: c.RegisterTransfer, uow: UnitOfWork) -> Receipt:
    member = uow.member(cmd.member_id)
    if member.pending_transfer is None:
        raise StateConflict(
            "no-transfer-requested", "Ch. 5.2", "no transfer has been requested for this member"
        )
    _check_body(uow, cmd.decision)
    to_ppo = _ppo_of(
        uow,
        member.pending_transfer.to_organisation_id,
        "to_organisation_id",
        cmd.decision.decided_on,
    )
    from_organisation = member.organisation_id
    member.register_transfer(decision=cmd.decision, to_ppo=to_ppo, recorded_by=cmd.actor)
    return _member_receipt(
        member, from_organisation_id=str(from_organisation), card_number=member.card_number
    )


# --- deputies -------------------------------------------------------------------------------------


def record_mandate(cmd: c.RecordMandate, uow: UnitOfWork) -> Receipt:
    member = uow.member(cmd.member_id)
    mandate = Mandate(uuid4(), cmd.kind, cmd.territory, cmd.level, cmd.started_on, cmd.ended_on)
    member.record_mandate(mandate=mandate, recorded_by=cmd.actor)
    return _member_receipt(member, mandate_id=str(mandate.mandate_id))


def end_mandate(cmd: c.EndMandate, uow: UnitOfWork) -> Receipt:
    member = uow.member(cmd.member_id)
    member.end_mandate(mandate_id=cmd.mandate_id, ended_on=cmd.ended_on, recorded_by=cmd.actor)
    return _member_receipt(member, mandate_id=str(cmd.mandate_id))


# --- discipline -------------------------------------------------------------------------------------


def open_disciplinary_case(cmd: c.OpenDisciplinaryCase, uow: UnitOfWork) -> Receipt:
    member = uow.member(cmd.member_id)
    case_id = uuid4()
    member.open_disciplinary_case(
        case_id=case_id, opened_on=cmd.opened_on, reference=cmd.reference, recorded_by=cmd.actor
    )
    return _member_receipt(member, case_id=str(case_id))


def dismiss_disciplinary_case(cmd: c.DismissDisciplinaryCase, uow: UnitOfWork) -> Receipt:
    member = uow.member(cmd.member_id)
    _check_body(uow, cmd.decision)
    member.dismiss_disciplinary_case(
        case_id=cmd.case_id,
        decision=cmd.decision,
        ppo=ancestry(uow, member.organisation_id),
        recorded_by=cmd.actor,
    )
    return _member_receipt(member, case_id=str(cmd.case_id))


def impose_sanction(cmd: c.ImposeSanction, uow: UnitOfWork) -> Receipt:
    member = uow.member(cmd.member_id)
    _check_body(uow, cmd.decision)
    sanction_id = uuid4()
    member.impose_sanction(
        sanction_id=sanction_id,
        kind=cmd.kind,
        decision=cmd.decision,
        grounds=cmd.grounds,
        other_ground=cmd.other_ground,
        case_id=cmd.case_id,
        ppo=ancestry(uow, member.organisation_id),
        recorded_by=cmd.actor,
    )
    sanction = member.sanctions[sanction_id]
    return _member_receipt(
        member,
        sanction_id=str(sanction_id),
        kind=sanction.kind.value,
        appeal_deadline=str(sanction.appeal_deadline),
    )


def file_appeal(cmd: c.FileAppeal, uow: UnitOfWork) -> Receipt:
    member = uow.member(cmd.member_id)
    sanction = member.sanctions.get(cmd.sanction_id)
    if sanction is None:
        raise NotFound("sanction", cmd.sanction_id)
    _organisation(uow, cmd.body.organisation_id, "body.organisation_id")
    appeal_id = uuid4()
    member.file_appeal(
        appeal_id=appeal_id,
        sanction_id=cmd.sanction_id,
        filed_on=cmd.filed_on,
        body=cmd.body,
        document_reference=cmd.document_reference,
        decider_chain=ancestry(uow, sanction.decision.body.organisation_id),
        recorded_by=cmd.actor,
    )
    return _member_receipt(
        member,
        sanction_id=str(cmd.sanction_id),
        appeal_id=str(appeal_id),
        appeal_deadline=str(sanction.appeal_deadline),
    )


def decide_appeal(cmd: c.DecideAppeal, uow: UnitOfWork) -> Receipt:
    member = uow.member(cmd.member_id)
    _check_body(uow, cmd.decision)
    member.decide_appeal(
        sanction_id=cmd.sanction_id,
        outcome=cmd.outcome,
        replacement=cmd.replacement,
        decision=cmd.decision,
        recorded_by=cmd.actor,
    )
    return _member_receipt(
        member,
        sanction_id=str(cmd.sanction_id),
        outcome=cmd.outcome.value,
        card_number=member.card_number,
    )


C = TypeVar("C", bound=c.Command)
Handler = Callable[[Any, UnitOfWork], Receipt]


def handlers(*, card_prefix: str, clock: Clock) -> dict[type[c.Command], Handler]:
    """Which handler decides which command; none accepts a business date after today."""

    def admit(cmd: c.AdmitMember, uow: UnitOfWork) -> Receipt:
        return admit_member(cmd, uow, card_prefix=card_prefix)

    table: dict[type[c.Command], Handler] = {
        c.CreateOrganisation: create_organisation,
        c.RenameOrganisation: rename_organisation,
        c.MoveOrganisation: move_organisation,
        c.DissolveOrganisation: dissolve_organisation,
        c.SubmitApplication: submit_application,
        c.AdmitMember: admit,
        c.RejectApplication: reject_application,
        c.WithdrawMember: withdraw_member,
        c.TerminateMembership: terminate_membership,
        c.ErasePersonalData: erase_personal_data,
        c.ChangePreferredLanguage: change_preferred_language,
        c.ReportResidenceChange: report_residence_change,
        c.RequestTransfer: request_transfer,
        c.RegisterTransfer: register_transfer,
        c.RecordMandate: record_mandate,
        c.EndMandate: end_mandate,
        c.OpenDisciplinaryCase: open_disciplinary_case,
        c.DismissDisciplinaryCase: dismiss_disciplinary_case,
        c.ImposeSanction: impose_sanction,
        c.FileAppeal: file_appeal,
        c.DecideAppeal: decide_appeal,
    }
    return {kind: _checked(handler, clock) for kind, handler in table.items()}


def _checked(handler: Handler, clock: Clock) -> Handler:
    """The checks every command passes first: the actor acts within their scope (before anything
    else, so nothing is learnt about records outside it), and no business date lies after today."""

    def decide(cmd: c.Command, uow: UnitOfWork) -> Receipt:
        check_within_scope(cmd, uow)
        today = clock.today()
        for field, day in cmd.business_dates():
            chronology.check_not_in_future(day, today, field=field)
        return handler(cmd, uow)

    return decide
