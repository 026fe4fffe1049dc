"""From the registry's private domain events to the integration events in `partia_contracts`.

This is the one place where the two meet: domain events can be refactored freely as long as this
translation still produces valid contract events (tested), and consumers only ever see contracts.
No personal data crosses: the contracts have no field for it.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

from partia_contracts.registry import v1
from partia_kit.messages import envelope_of
from partia_registry.domain.dates import effective_on
from partia_registry.domain.decisions import ApplicationDocument, DecidingBody, Decision
from partia_registry.domain.members import WITHDRAWAL, Member
from partia_registry.domain.organisations import Organisation, OrganisationNames

NOT_PUBLISHED: tuple[type[Any], ...] = (Member.PreferredLanguageChanged,)
"""Facts that stay inside the registry: a changed language is personal data, and no other
service acts on it (notifications ask for it at send time; decision 266)."""


def is_published(event: Any) -> bool:
    return not isinstance(event, NOT_PUBLISHED)


def to_integration_event(event: Any, position: int | None = None) -> v1.IntegrationEvent:
    """The contract event for a stored domain event (every published one, `is_published`)."""
    envelope = envelope_of(event, position=position, effective_on=effective_on(event))
    return _translate(event, envelope)


def to_integration_events(
    stored: Iterable[tuple[Any, int | None]],
) -> Iterator[v1.IntegrationEvent]:
    """The contract events for stored domain events, each with its log position."""
    for event, position in stored:
        if is_published(event):
            yield to_integration_event(event, position)


def _translate(e: Any, envelope: dict[str, Any]) -> v1.IntegrationEvent:
    match e:
        case Organisation.Created():
            return v1.OrganisationCreated(
                **envelope,
                organisation_id=e.originator_id,
                kind=e.kind,
                parent_id=e.parent_id,
                names=_names(e.names),
                decision=_decision(e.decision),
            )
        case Organisation.Renamed():
            return v1.OrganisationRenamed(
                **envelope,
                organisation_id=e.originator_id,
                names=_names(e.names),
                decision=_decision(e.decision),
            )
        case Organisation.Moved():
            return v1.OrganisationMoved(
                **envelope,
                organisation_id=e.originator_id,
                from_parent_id=e.from_parent_id,
                to_parent_id=e.to_parent_id,
                decision=_decision(e.decision),
            )
        case Organisation.Dissolved():
            return v1.OrganisationDissolved(
                **envelope, organisation_id=e.originator_id, decision=_decision(e.decision)
            )
        case Member.ApplicationSubmitted() | Member.NewApplicationSubmitted():
            return v1.MembershipApplicationSubmitted(
                **envelope,
                member_id=e.originator_id,
                organisation_id=e.organisation_id,
                application_document=_document(e.application_document),
            )
        case Member.ApplicationRejected():
            return v1.MembershipApplicationRejected(
                **envelope,
                member_id=e.originator_id,
                organisation_id=e.organisation_id,
                decision=_decision(e.decision),
                reason=e.reason,
            )
        case Member.Admitted():
            return v1.MemberAdmitted(
                **envelope,
                member_id=e.originator_id,
                organisation_id=e.organisation_id,
                card_number=e.card_number,
                decision=_decision(e.decision),
            )
        case Member.Withdrew():
            return v1.MembershipEnded(
                **envelope,
                member_id=e.originator_id,
                organisation_id=e.organisation_id,
                card_number=e.card_number,
                reason=WITHDRAWAL,
                decision=None,
                application_document=_document(e.application_document),
                formalised_by=None if e.decision is None else _decision(e.decision),
            )
        case Member.MembershipTerminated():
            return v1.MembershipEnded(
                **envelope,
                member_id=e.originator_id,
                organisation_id=e.organisation_id,
                card_number=e.card_number,
                reason=e.ground,
                decision=_decision(e.decision),
                application_document=None,
            )
        case Member.PersonalDataErased():
            return v1.PersonalDataErased(
                **envelope, member_id=e.originator_id, legal_basis=e.legal_basis
            )
    return _translate_member_record(e, envelope)


def _translate_member_record(e: Any, envelope: dict[str, Any]) -> v1.IntegrationEvent:
    """Residence, transfers, mandates and discipline (Ch. 3.6-3.8, 5.1-5.2)."""
    match e:
        case Member.ResidenceChangeReported():
            return v1.ResidenceChangeReported(
                **envelope,
                member_id=e.originator_id,
                moved_on=e.moved_on,
                registration_deadline=e.registration_deadline,
            )
        case Member.TransferRequested():
            return v1.TransferRequested(
                **envelope,
                member_id=e.originator_id,
                to_organisation_id=e.to_organisation_id,
                requested_on=e.requested_on,
                reason=v1.TransferReason(e.reason),
            )
        case Member.Transferred():
            return v1.MemberTransferred(
                **envelope,
                member_id=e.originator_id,
                from_organisation_id=e.from_organisation_id,
                to_organisation_id=e.to_organisation_id,
                decision=_decision(e.decision),
                closes_residence_clock=e.closes_residence_clock,
            )
        case Member.MandateRecorded():
            mandate = e.mandate
            return v1.MandateRecorded(
                **envelope,
                member_id=e.originator_id,
                mandate_id=mandate.mandate_id,
                kind=v1.MandateKind(mandate.kind),
                territory=mandate.territory,
                level=None if mandate.level is None else v1.MandateLevel(mandate.level),
                started_on=mandate.started_on,
                ended_on=mandate.ended_on,
            )
        case Member.MandateEnded():
            return v1.MandateEnded(
                **envelope, member_id=e.originator_id, mandate_id=e.mandate_id, ended_on=e.ended_on
            )
        case Member.NationalMandateAtStake():
            return v1.NationalMandateAtStake(
                **envelope,
                member_id=e.originator_id,
                mandate_id=e.mandate_id,
                reason=v1.MandateAtStakeReason(e.reason),
            )
        case Member.DisciplinaryCaseOpened():
            return v1.DisciplinaryCaseOpened(
                **envelope,
                member_id=e.originator_id,
                case_id=e.case_id,
                organisation_id=e.organisation_id,
                opened_on=e.opened_on,
                reference=e.reference,
            )
        case Member.DisciplinaryCaseDismissed():
            return v1.DisciplinaryCaseDismissed(
                **envelope,
                member_id=e.originator_id,
                case_id=e.case_id,
                decision=_decision(e.decision),
            )
        case Member.SanctionImposed():
            return v1.SanctionImposed(
                **envelope,
                member_id=e.originator_id,
                sanction_id=e.sanction_id,
                case_id=e.case_id,
                kind=v1.SanctionKind(e.kind),
                decision=_decision(e.decision),
                grounds=[v1.ExclusionGround(g) for g in e.grounds],
                other_ground=e.other_ground,
                appeal_deadline=e.appeal_deadline,
                organisation_id=e.organisation_id,
                card_number=e.card_number,
            )
        case Member.AppealFiled():
            return v1.AppealFiled(
                **envelope,
                member_id=e.originator_id,
                sanction_id=e.sanction_id,
                appeal_id=e.appeal_id,
                filed_on=e.filed_on,
                body=_body(e.body),
                document_reference=e.document_reference,
            )
        case Member.AppealDecided():
            return v1.AppealDecided(
                **envelope,
                member_id=e.originator_id,
                sanction_id=e.sanction_id,
                appeal_id=e.appeal_id,
                outcome=v1.AppealOutcome(e.outcome),
                replacement=None if e.replacement is None else v1.SanctionKind(e.replacement),
                decision=_decision(e.decision),
            )
        case Member.MembershipRestored():
            return v1.MembershipRestored(
                **envelope, member_id=e.originator_id, sanction_id=e.sanction_id
            )
    raise TypeError(f"no integration event for {type(e).__qualname__}")


def _body(b: DecidingBody) -> v1.DecidingBody:
    return v1.DecidingBody(kind=v1.BodyKind(b.kind), organisation_id=b.organisation_id)


def _decision(d: Decision) -> v1.Decision:
    return v1.Decision(body=_body(d.body), decided_on=d.decided_on, reference=d.reference)


def _document(d: ApplicationDocument) -> v1.ApplicationDocument:
    return v1.ApplicationDocument(form=d.form.value, reference=d.reference, signed_on=d.signed_on)


def _names(n: OrganisationNames) -> v1.OrganisationNames:
    return v1.OrganisationNames(kk=n.kk, ru=n.ru, en=n.en)
