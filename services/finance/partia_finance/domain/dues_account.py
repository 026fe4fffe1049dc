"""A member's dues account as events (issue 12): the categories declared, the payments recorded and
reversed, and each time arrears reached the party's threshold. Its id is the member's registry id.

What is owed is never stored: it follows from the registry's facts (membership spells), these
events and the MCI table (`partia_finance.domain.dues`). The declared category itself can reveal
health or employment (Ch. 12.2's exempt groups), so it and its evidence travel as
`DuesDeclaration`, sealed with the member's key; only the rate class stays readable.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any
from uuid import UUID

from eventsourcing.domain import Aggregate

from partia_finance.domain.dues import (
    Arrears,
    CategorySpell,
    DuesPayment,
    first_month_owed,
)
from partia_finance.domain.mci import MciTable
from partia_finance.domain.policies.dues import (
    COLLECTION_CLAUSE,
    DuesCategory,
    RateClass,
    check_evidence,
    check_payment,
    check_voluntary_amount,
    monthly_rate_tiyn,
    rate_class,
)
from partia_kit.rules import RuleViolation, StateConflict


@dataclass(frozen=True, slots=True)
class DuesDeclaration:
    """The category declared and the document it rests on: personal data, sealed when stored."""

    category: str
    evidence_reference: str | None


@dataclass(frozen=True, slots=True)
class RecordedPayment:
    payment_id: UUID
    organisation_id: UUID
    paid_on: date
    amount_tiyn: int
    channel: str
    reference: str
    reversed_on: date | None = None

    def as_dues_payment(self) -> DuesPayment:
        return DuesPayment(self.payment_id, self.paid_on, self.amount_tiyn, self.reversed_on)


class DuesAccount(Aggregate):
    class Opened(Aggregate.Created):
        recorded_by: str

    class CategoryDeclared(Aggregate.Event):
        effective_from: date
        rate_class: str
        monthly_tiyn: int | None  # a voluntary higher monthly amount (Ch. 12.2), if declared
        declaration: DuesDeclaration | None  # sealed; None once the member's key is destroyed
        declared_on: date
        recorded_by: str

        def apply(self, aggregate: Any) -> None:
            aggregate.categories[self.effective_from] = CategorySpell(
                self.effective_from, RateClass(self.rate_class), self.monthly_tiyn
            )
            aggregate.declared_on[self.effective_from] = self.declared_on

    class PaymentRecorded(Aggregate.Event):
        payment_id: UUID
        organisation_id: UUID
        paid_on: date
        amount_tiyn: int
        channel: str  # cash (the PPO bureau, with its receipt) or bank
        reference: str  # the receipt number or the bank document
        recorded_by: str

        def apply(self, aggregate: Any) -> None:
            aggregate.payments[self.payment_id] = RecordedPayment(
                self.payment_id,
                self.organisation_id,
                self.paid_on,
                self.amount_tiyn,
                self.channel,
                self.reference,
            )

    class PaymentReversed(Aggregate.Event):
        payment_id: UUID
        reason: str
        reversed_on: date
        recorded_by: str

        def apply(self, aggregate: Any) -> None:
            recorded = aggregate.payments[self.payment_id]
            aggregate.payments[self.payment_id] = RecordedPayment(
                recorded.payment_id,
                recorded.organisation_id,
                recorded.paid_on,
                recorded.amount_tiyn,
                recorded.channel,
                recorded.reference,
                self.reversed_on,
            )

    class ArrearsThresholdReached(Aggregate.Event):
        """For notifications only: never a sanction (issue 12 item 6)."""

        reached_on: date
        organisation_id: UUID
        months_owed: int
        amount_tiyn: int
        threshold_months: int
        recorded_by: str

        def apply(self, aggregate: Any) -> None:
            aggregate.threshold_reached_on = self.reached_on

    class ArrearsBelowThreshold(Aggregate.Event):
        """Arrears fell below the threshold again: a later crossing is a new one."""

        cleared_on: date
        months_owed: int
        recorded_by: str

        def apply(self, aggregate: Any) -> None:
            aggregate.threshold_reached_on = None

    def __init__(self, recorded_by: str) -> None:
        self.categories: dict[date, CategorySpell] = {}
        self.declared_on: dict[date, date] = {}  # when each category spell was declared
        self.payments: dict[UUID, RecordedPayment] = {}
        self.threshold_reached_on: date | None = None

    @staticmethod
    def create_id(**_: Any) -> UUID:
        raise TypeError("a dues account's id is the member's registry id")

    @classmethod
    def open(cls, member_id: UUID, recorded_by: str) -> DuesAccount:
        return cls._create(cls.Opened, id=member_id, recorded_by=recorded_by)

    @property
    def category_spells(self) -> list[CategorySpell]:
        return sorted(self.categories.values(), key=lambda c: c.effective_from)

    @property
    def dues_payments(self) -> list[DuesPayment]:
        return [p.as_dues_payment() for p in self.payments.values()]

    def declare_category(
        self,
        *,
        category: DuesCategory,
        effective_from: date,
        evidence_reference: str | None,
        monthly_tiyn: int | None,
        declared_on: date,
        mci: MciTable,
        recorded_by: str,
    ) -> None:
        """Ch. 12.2: a category from a date, with its evidence; a second declaration from the same
        date corrects the first (both stay in the history)."""
        check_evidence(category, evidence_reference)
        rate = rate_class(category)
        # a category from before finance's records begin is compared with their first MCI
        kzt = mci.rate_on(max(effective_from, first_month_owed(mci))).kzt
        check_voluntary_amount(monthly_tiyn, monthly_rate_tiyn(rate, kzt))
        self.trigger_event(
            self.CategoryDeclared,
            effective_from=effective_from,
            rate_class=rate.value,
            monthly_tiyn=monthly_tiyn,
            declaration=DuesDeclaration(category.value, evidence_reference),
            declared_on=declared_on,
            recorded_by=recorded_by,
        )

    def record_payment(
        self,
        *,
        payment_id: UUID,
        organisation_id: UUID,
        paid_on: date,
        amount_tiyn: int,
        channel: str,
        reference: str,
        recorded_by: str,
    ) -> None:
        check_payment(amount_tiyn, channel, reference)
        if payment_id in self.payments:
            raise StateConflict(
                "dues-payment-recorded",
                COLLECTION_CLAUSE,
                f"payment {payment_id} is recorded already",
                field="payment_id",
            )
        self.trigger_event(
            self.PaymentRecorded,
            payment_id=payment_id,
            organisation_id=organisation_id,
            paid_on=paid_on,
            amount_tiyn=amount_tiyn,
            channel=channel,
            reference=reference.strip(),
            recorded_by=recorded_by,
        )

    def reverse_payment(
        self, *, payment_id: UUID, reason: str, reversed_on: date, recorded_by: str
    ) -> None:
        """A payment entered in error or recalled by the bank: its own event, never an edit."""
        recorded = self.payments.get(payment_id)
        if recorded is None:
            raise RuleViolation(
                "dues-payment-unknown",
                COLLECTION_CLAUSE,
                f"payment {payment_id} is not one of this member's dues payments",
                field="payment_id",
            )
        if recorded.reversed_on is not None:
            raise StateConflict(
                "dues-payment-reversed",
                COLLECTION_CLAUSE,
                f"payment {payment_id} was reversed on {recorded.reversed_on.isoformat()}",
                field="payment_id",
            )
        if reversed_on < recorded.paid_on:
            raise RuleViolation(
                "dues-reversal-before-payment",
                COLLECTION_CLAUSE,
                f"the payment was made on {recorded.paid_on.isoformat()}; its reversal cannot be"
                " dated earlier",
                field="reversed_on",
            )
        if not reason.strip():
            raise RuleViolation(
                "dues-reversal-reason",
                COLLECTION_CLAUSE,
                "a reversal says why (entered twice, recalled by the bank, ...)",
                field="reason",
            )
        self.trigger_event(
            self.PaymentReversed,
            payment_id=payment_id,
            reason=reason.strip(),
            reversed_on=reversed_on,
            recorded_by=recorded_by,
        )

    def note_arrears(
        self,
        arrears: Arrears,
        *,
        organisation_id: UUID,
        threshold_months: int,
        recorded_by: str,
    ) -> bool:
        """Once per crossing: arrears reaching the threshold are recorded (for a notification,
        never a sanction); falling below it again is recorded too, so that a later crossing is a
        new one. Returns whether anything was recorded."""
        reached = arrears.months_owed >= threshold_months
        if reached and self.threshold_reached_on is None:
            self.trigger_event(
                self.ArrearsThresholdReached,
                reached_on=arrears.on,
                organisation_id=organisation_id,
                months_owed=arrears.months_owed,
                amount_tiyn=arrears.amount_tiyn,
                threshold_months=threshold_months,
                recorded_by=recorded_by,
            )
            return True
        if not reached and self.threshold_reached_on is not None:
            self.trigger_event(
                self.ArrearsBelowThreshold,
                cleared_on=arrears.on,
                months_owed=arrears.months_owed,
                recorded_by=recorded_by,
            )
            return True
        return False
