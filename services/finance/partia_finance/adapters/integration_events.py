"""From the finance service's domain events to its integration events (`partia_contracts.finance`):
the one place where the two meet. No personal data crosses (the contracts have no field for it).

`PUBLISHED` and `UNPUBLISHED` name every domain event type once (a test checks they cover all):
evidence, a flag for an undecided donation and an erasure stay inside the service."""

from __future__ import annotations

from typing import Any

from partia_contracts.finance import v1
from partia_contracts.registry.v1 import IntegrationEvent
from partia_finance.domain.donations import Donation
from partia_finance.domain.dues_account import DuesAccount
from partia_finance.domain.obligations import ReturnObligation
from partia_finance.domain.policies.permissibility import Outcome
from partia_kit.messages import envelope_of

PUBLISHED: dict[type[Any], type[IntegrationEvent]] = {
    Donation.Received: v1.DonationReceived,
    Donation.Held: v1.DonationHeld,
    Donation.Accepted: v1.DonationAccepted,
    Donation.Rejected: v1.DonationRejected,
    Donation.FoundImpermissible: v1.DonationFoundImpermissible,
    ReturnObligation.Opened: v1.ObligationOpened,
    ReturnObligation.BecameOverdue: v1.ObligationBecameOverdue,
    ReturnObligation.Settled: v1.ObligationSettled,
    DuesAccount.PaymentRecorded: v1.DuesPaymentRecorded,
    DuesAccount.PaymentReversed: v1.DuesPaymentReversed,
    DuesAccount.ArrearsThresholdReached: v1.DuesArrearsThresholdReached,
}
UNPUBLISHED: frozenset[type[Any]] = frozenset(
    {Donation.EvidenceAdded, Donation.LeftUndecided, Donation.PersonalDataErased}
    # a member's category stays inside: it can reveal health or employment (Ch. 12.2)
    | {DuesAccount.Opened, DuesAccount.CategoryDeclared, DuesAccount.ArrearsBelowThreshold}
)


def to_integration_event(event: Any, position: int | None = None) -> IntegrationEvent | None:
    """The contract event for a stored domain event, or None for one that is not published."""
    model = PUBLISHED.get(type(event))
    if model is None:
        return None
    envelope = envelope_of(event, position=position, effective_on=_business_date(event))
    return model(**envelope, **_payload(event))


def _business_date(e: Any) -> Any:
    for name in (
        "credited_on",
        "decided_on",
        "found_on",
        "opened_on",
        "overdue_on",
        "settled_on",
        "paid_on",
        "reversed_on",
        "reached_on",
    ):
        value = getattr(e, name, None)
        if value is not None:
            return value
    raise ValueError(f"{type(e).__name__} has no business date")


def _payload(e: Any) -> dict[str, Any]:
    match e:
        case Donation.Received():
            return {
                "organisation_id": e.organisation_id,
                "amount_tiyn": e.amount.tiyn,
                "fund": e.purpose.key,
                "donor_kind": e.donor.kind.value,
                "bank_document": e.bank_document,
            }
        case Donation.Held():
            missing = [c.rule for c in e.checks if c.outcome is Outcome.DECLARATION_MISSING]
            return {"rule_set": e.rule_set, "missing": missing}
        case Donation.Accepted():
            return {
                "rule_set": e.rule_set,
                "accepted_tiyn": e.accepted_tiyn,
                "excess_tiyn": e.excess_tiyn,
                "obligation_id": e.obligation_id,
            }
        case Donation.Rejected():
            return {
                "rule_set": e.rule_set,
                "rule": e.rule,
                "clause": e.clause,
                "obligation_id": e.obligation_id,
            }
        case Donation.FoundImpermissible():
            return {
                "rule": e.rule,
                "clause": e.clause,
                "returned_tiyn": e.returned_tiyn,
                "obligation_id": e.obligation_id,
            }
        case ReturnObligation.Opened():
            return {
                "donation_id": e.donation_id,
                "organisation_id": e.organisation_id,
                "amount_tiyn": e.amount.tiyn,
                "cause": e.cause,
                "rule": e.rule,
                "disposition": e.disposition,
                "deadline": e.deadline,
            }
        case ReturnObligation.BecameOverdue():
            return {"deadline": e.deadline}
        case ReturnObligation.Settled():
            return {"payment_reference": e.payment_reference, "late": e.late}
        case DuesAccount.PaymentRecorded():
            return {
                "payment_id": e.payment_id,
                "organisation_id": e.organisation_id,
                "amount_tiyn": e.amount_tiyn,
                "channel": e.channel,
                "reference": e.reference,
            }
        case DuesAccount.PaymentReversed():
            return {"payment_id": e.payment_id, "reason": e.reason}
        case DuesAccount.ArrearsThresholdReached():
            return {
                "organisation_id": e.organisation_id,
                "months_owed": e.months_owed,
                "amount_tiyn": e.amount_tiyn,
                "threshold_months": e.threshold_months,
            }
    raise TypeError(f"{type(e).__name__} is not published")
