"""The finance service's integration events, version 1 (issue 11): a donation's life and the
return obligations it opens, published on Kafka by the finance relay. No personal data: a donor
appears by kind only (person, organisation, foreign entity, anonymous); a consumer that needs more
asks the finance service at the moment of use. Amounts are whole tiyn in KZT."""

from __future__ import annotations

from datetime import date
from typing import Any, Literal
from uuid import UUID

from pydantic import Field
from pydantic.config import JsonDict, JsonValue

from partia_contracts.event_id import derive_event_id
from partia_contracts.registry.v1 import IntegrationEvent

__all__ = [
    "FINANCE_EVENTS",
    "DonationAccepted",
    "DonationFoundImpermissible",
    "DonationHeld",
    "DonationReceived",
    "DonationRejected",
    "DuesArrearsThresholdReached",
    "DuesPaymentRecorded",
    "DuesPaymentReversed",
    "FinanceEvent",
    "ObligationBecameOverdue",
    "ObligationOpened",
    "ObligationSettled",
]

_DONATION = "3b0e6a52-8f64-4f1c-9d0a-2f3c6b1e7a10"
_OBLIGATION = "7c2d1e4f-5a6b-4c3d-8e9f-0a1b2c3d4e5f"
_ORGANISATION = "d3a2b0b4-6f5e-5c1a-9b8d-7e6f5a4b3c2d"
_MEMBER = "5f1c2d3e-4b5a-4c6d-9e8f-1a2b3c4d5e6f"
_PAYMENT = "9a8b7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d"
_TYPE = "What happened, as `finance.<aggregate>.<fact>`. Route on it with schema_version."


def _example(event_type: str, aggregate_id: str, version: int, **payload: JsonValue) -> JsonDict:
    envelope: JsonDict = {
        "event_id": str(derive_event_id(UUID(aggregate_id), version)),
        "event_type": event_type,
        "schema_version": 1,
        "aggregate_id": aggregate_id,
        "aggregate_version": version,
        "position": 812,
        "recorded_at": "2026-03-02T10:15:00Z",
        "recorded_by": "tolkyn",
        "effective_on": "2026-03-02",
    }
    return envelope | payload


def _event_type(name: str) -> Any:
    return Field(name, description=_TYPE)


class FinanceEvent(IntegrationEvent):
    """The envelope every finance event shares (the registry's: `aggregate_id` is the donation or
    the obligation; `effective_on` the business date: the credit's, the decision's)."""


_Tiyn = Field(ge=0, description="Whole tiyn (1 KZT = 100 tiyn).")


class DonationReceived(FinanceEvent):
    """A credit from the party's bank statement was recorded as a donation."""

    EXAMPLES = (
        _example(
            "finance.donation.received",
            _DONATION,
            1,
            organisation_id=_ORGANISATION,
            amount_tiyn=5_000_000,
            currency="KZT",
            fund="party_funds",
            donor_kind="person",
            bank_document="PP-4471",
        ),
    )

    event_type: Literal["finance.donation.received"] = _event_type("finance.donation.received")
    organisation_id: UUID = Field(description="The receiving organisation (the party or a branch).")
    amount_tiyn: int = _Tiyn
    currency: Literal["KZT"] = Field("KZT", description="Always KZT.")
    fund: str = Field(description='"party_funds" or "election_fund:<election>": kept apart.')
    donor_kind: Literal["person", "organisation", "foreign_entity", "anonymous"] = Field(
        description="Who gave it, by kind only (no name, no IIN)."
    )
    bank_document: str = Field(description="The bank's document reference of the credit.")


class DonationHeld(FinanceEvent):
    """Not accepted yet: a required declaration is missing."""

    EXAMPLES = (
        _example(
            "finance.donation.held",
            _DONATION,
            2,
            rule_set="law-2024",
            missing=["declaration-documented"],
        ),
    )

    event_type: Literal["finance.donation.held"] = _event_type("finance.donation.held")
    rule_set: str = Field(description="The version of the rules in force on the decision date.")
    missing: list[str] = Field(description="The rules waiting for a declaration.")


class DonationAccepted(FinanceEvent):
    """Accepted: every rule checked passed (up to a cap: the excess is owed back)."""

    EXAMPLES = (
        _example(
            "finance.donation.accepted",
            _DONATION,
            2,
            rule_set="law-2024",
            accepted_tiyn=5_000_000,
            excess_tiyn=0,
            obligation_id=None,
        ),
    )

    event_type: Literal["finance.donation.accepted"] = _event_type("finance.donation.accepted")
    rule_set: str = Field(description="The version of the rules in force on the decision date.")
    accepted_tiyn: int = _Tiyn
    excess_tiyn: int = _Tiyn
    obligation_id: UUID | None = Field(description="The return of the excess over a cap, if any.")


class DonationRejected(FinanceEvent):
    """Rejected by a rule: the money must go back (`obligation_id`)."""

    EXAMPLES = (
        _example(
            "finance.donation.rejected",
            _DONATION,
            2,
            rule_set="law-2024",
            rule="foreign-legal-entity",
            clause="Constitution Art. 6(4); Law On Political Parties Art. 18(2)",
            obligation_id=_OBLIGATION,
        ),
    )

    event_type: Literal["finance.donation.rejected"] = _event_type("finance.donation.rejected")
    rule_set: str
    rule: str = Field(description="The rule that refused it.")
    clause: str = Field(description="The Constitution's, the law's or the Charter's clause.")
    obligation_id: UUID


class DonationFoundImpermissible(FinanceEvent):
    """An accepted donation was later found to come from a prohibited source."""

    EXAMPLES = (
        _example(
            "finance.donation.found_impermissible",
            _DONATION,
            3,
            rule="foreign-grants",
            clause="Law On Political Parties Art. 18(2)",
            returned_tiyn=5_000_000,
            obligation_id=_OBLIGATION,
        ),
    )

    event_type: Literal["finance.donation.found_impermissible"] = _event_type(
        "finance.donation.found_impermissible"
    )
    rule: str
    clause: str
    returned_tiyn: int = _Tiyn
    obligation_id: UUID | None


class ObligationOpened(FinanceEvent):
    """Money the party may not keep, to return to the donor or to the republican budget."""

    EXAMPLES = (
        _example(
            "finance.obligation.opened",
            _OBLIGATION,
            1,
            donation_id=_DONATION,
            organisation_id=_ORGANISATION,
            amount_tiyn=5_000_000,
            cause="rejected",
            rule="foreign-legal-entity",
            disposition="return_to_donor",
            deadline="2026-04-01",
        ),
    )

    event_type: Literal["finance.obligation.opened"] = _event_type("finance.obligation.opened")
    donation_id: UUID
    organisation_id: UUID
    amount_tiyn: int = _Tiyn
    cause: str = Field(description="rejected, found_impermissible or over_cap.")
    rule: str
    disposition: str = Field(description="return_to_donor or transfer_to_republican_budget.")
    deadline: date = Field(description="The last day to settle it (overdue from the day after).")


class ObligationBecameOverdue(FinanceEvent):
    """The deadline passed unsettled: notifications tell the treasurer."""

    EXAMPLES = (_example("finance.obligation.overdue", _OBLIGATION, 2, deadline="2026-04-01"),)

    event_type: Literal["finance.obligation.overdue"] = _event_type("finance.obligation.overdue")
    deadline: date


class ObligationSettled(FinanceEvent):
    """The money went back (or to the budget), proved by the bank's payment reference."""

    EXAMPLES = (
        _example(
            "finance.obligation.settled", _OBLIGATION, 2, payment_reference="PP-9001", late=False
        ),
    )

    event_type: Literal["finance.obligation.settled"] = _event_type("finance.obligation.settled")
    payment_reference: str
    late: bool = Field(description="Settled after the deadline.")


# --- Membership dues (issue 12): the aggregate is the member's dues account, its id the
# member's registry id. A member's dues category is not published: it can reveal health or
# employment (Ch. 12.2's exempt groups), so it stays sealed in finance.


class DuesPaymentRecorded(FinanceEvent):
    """A dues payment was recorded for a member: cash collected by the PPO bureau (Ch. 10.4)
    with its receipt number, or a bank credit matched from a statement."""

    EXAMPLES = (
        _example(
            "finance.dues.payment_recorded",
            _MEMBER,
            3,
            payment_id=_PAYMENT,
            organisation_id=_ORGANISATION,
            amount_tiyn=129_750,
            channel="cash",
            reference="Receipt 0042",
        ),
    )

    event_type: Literal["finance.dues.payment_recorded"] = _event_type(
        "finance.dues.payment_recorded"
    )
    payment_id: UUID
    organisation_id: UUID = Field(description="The primary organisation that collected it.")
    amount_tiyn: int = _Tiyn
    channel: Literal["cash", "bank"] = Field(description="Collected in cash or credited by bank.")
    reference: str = Field(description="The receipt number, or the bank's document reference.")


class DuesPaymentReversed(FinanceEvent):
    """A recorded dues payment was reversed (entered in error, or the bank recalled it); it no
    longer counts from effective_on."""

    EXAMPLES = (
        _example(
            "finance.dues.payment_reversed",
            _MEMBER,
            4,
            payment_id=_PAYMENT,
            reason="Entered twice",
        ),
    )

    event_type: Literal["finance.dues.payment_reversed"] = _event_type(
        "finance.dues.payment_reversed"
    )
    payment_id: UUID
    reason: str = Field(description="Why, in the treasurer's words; no personal data.")


class DuesArrearsThresholdReached(FinanceEvent):
    """A member's unpaid months reached the party's threshold on effective_on. For
    notifications only: arrears never lead to a sanction by themselves."""

    EXAMPLES = (
        _example(
            "finance.dues.arrears_threshold_reached",
            _MEMBER,
            5,
            organisation_id=_ORGANISATION,
            months_owed=3,
            amount_tiyn=129_750,
            threshold_months=3,
        ),
    )

    event_type: Literal["finance.dues.arrears_threshold_reached"] = _event_type(
        "finance.dues.arrears_threshold_reached"
    )
    organisation_id: UUID = Field(description="The member's primary organisation on that day.")
    months_owed: int = Field(ge=1, description="Months due and not fully paid.")
    amount_tiyn: int = _Tiyn
    threshold_months: int = Field(ge=1, description="The party's threshold in force.")


FINANCE_EVENTS: tuple[type[IntegrationEvent], ...] = (
    DonationReceived,
    DonationHeld,
    DonationAccepted,
    DonationRejected,
    DonationFoundImpermissible,
    ObligationOpened,
    ObligationBecameOverdue,
    ObligationSettled,
    DuesPaymentRecorded,
    DuesPaymentReversed,
    DuesArrearsThresholdReached,
)
