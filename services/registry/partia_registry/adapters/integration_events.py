"""From the registry's private domain events to the integration events in `partia_contracts`.

This is the one place where the two meet: domain events can be refactored freely as long as this
translation still produces valid contract events (tested), and consumers only ever see contracts.
No personal data crosses: the contracts have no field for it.
"""

from __future__ import annotations

from typing import Any

from partia_contracts.event_id import derive_event_id
from partia_contracts.registry import v1
from partia_registry.adapters.postgres.queries import effective_on
from partia_registry.domain.decisions import ApplicationDocument, Decision
from partia_registry.domain.members import WITHDRAWAL, Member
from partia_registry.domain.organisations import Organisation, OrganisationNames


def to_integration_event(event: Any, position: int | None = None) -> v1.IntegrationEvent:
    """The contract event for a stored domain event (every registry event has one)."""
    envelope = {
        "event_id": derive_event_id(event.originator_id, event.originator_version),
        "aggregate_id": event.originator_id,
        "aggregate_version": event.originator_version,
        "position": position,
        "recorded_at": event.timestamp,
        "recorded_by": event.recorded_by,
        "effective_on": effective_on(event),
    }
    return _translate(event, envelope)


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
    raise TypeError(f"no integration event for {type(e).__qualname__}")


def _decision(d: Decision) -> v1.Decision:
    return v1.Decision(
        body=v1.DecidingBody(kind=v1.BodyKind(d.body.kind), organisation_id=d.body.organisation_id),
        decided_on=d.decided_on,
        reference=d.reference,
    )


def _document(d: ApplicationDocument) -> v1.ApplicationDocument:
    return v1.ApplicationDocument(form=d.form.value, reference=d.reference, signed_on=d.signed_on)


def _names(n: OrganisationNames) -> v1.OrganisationNames:
    return v1.OrganisationNames(kk=n.kk, ru=n.ru, en=n.en)
