"""A return obligation: money the party may not keep, tracked on a clock until it has gone back
(DOMAIN §6). One per rejected donation, per donation later found impermissible, and per excess
over a cap; its own record (decision 180), opened in the same unit of work as the decision."""

from __future__ import annotations

from datetime import date
from enum import StrEnum
from typing import Any
from uuid import UUID, uuid5

from eventsourcing.domain import Aggregate

from partia_finance.domain.funds import Purpose
from partia_finance.domain.money import Amount
from partia_finance.domain.policies.deadlines import is_overdue, return_deadline
from partia_finance.domain.policies.returns import Disposition
from partia_kit.rules import RuleViolation, StateConflict

_OBLIGATIONS = UUID("0b1c6a2e-4f0d-4d55-9a3e-2f7c1e5b8d10")  # namespace of obligation ids


class ObligationCause(StrEnum):
    REJECTED = "rejected"  # a prohibited source, refused on its decision
    FOUND_IMPERMISSIBLE = "found_impermissible"  # accepted, later found prohibited
    OVER_CAP = "over_cap"  # the excess over a cap


class ObligationStatus(StrEnum):
    OPEN = "open"
    OVERDUE = "overdue"
    SETTLED = "settled"


def obligation_id(donation_id: UUID, cause: ObligationCause) -> UUID:
    """At most one obligation per donation and cause: opening it twice finds the first."""
    return uuid5(_OBLIGATIONS, f"{donation_id}/{cause.value}")


class ReturnObligation(Aggregate):
    """Money to return to the donor, or to transfer to the republican budget, by a deadline."""

    class Opened(Aggregate.Created):
        donation_id: UUID
        organisation_id: UUID
        purpose: Purpose
        amount: Amount
        cause: str
        rule: str
        clause: str
        disposition: str
        opened_on: date
        deadline: date
        recorded_by: str

    class BecameOverdue(Aggregate.Event):
        """For notifications: the deadline has passed and the money has not gone back."""

        overdue_on: date
        deadline: date
        recorded_by: str

        def apply(self, aggregate: Any) -> None:
            aggregate.overdue_on = self.overdue_on

    class Settled(Aggregate.Event):
        payment_reference: str
        settled_on: date
        late: bool
        recorded_by: str

        def apply(self, aggregate: Any) -> None:
            aggregate.settled_on = self.settled_on
            aggregate.payment_reference = self.payment_reference

    def __init__(
        self,
        donation_id: UUID,
        organisation_id: UUID,
        purpose: Purpose,
        amount: Amount,
        cause: str,
        rule: str,
        clause: str,
        disposition: str,
        opened_on: date,
        deadline: date,
        recorded_by: str,
    ) -> None:
        self.donation_id = donation_id
        self.organisation_id = organisation_id
        self.purpose = purpose
        self.amount = amount
        self.cause = ObligationCause(cause)
        self.rule = rule
        self.clause = clause
        self.disposition = Disposition(disposition)
        self.opened_on = opened_on
        self.deadline = deadline
        self.overdue_on: date | None = None
        self.settled_on: date | None = None
        self.payment_reference: str | None = None

    @staticmethod
    def create_id(donation_id: UUID, cause: str, **_: Any) -> UUID:
        return obligation_id(donation_id, ObligationCause(cause))

    @classmethod
    def open(
        cls,
        *,
        donation_id: UUID,
        organisation_id: UUID,
        purpose: Purpose,
        amount: Amount,
        cause: ObligationCause,
        rule: str,
        clause: str,
        disposition: Disposition,
        opened_on: date,
        return_within_days: int,
        recorded_by: str,
    ) -> ReturnObligation:
        return cls._create(
            cls.Opened,
            donation_id=donation_id,
            organisation_id=organisation_id,
            purpose=purpose,
            amount=amount,
            cause=cause.value,
            rule=rule,
            clause=clause,
            disposition=disposition.value,
            opened_on=opened_on,
            deadline=return_deadline(opened_on, return_within_days),
            recorded_by=recorded_by,
        )

    def status_on(self, day: date) -> ObligationStatus:
        """Settled once the payment is recorded (on or before `day`); overdue from the day after
        the deadline; open before."""
        if self.settled_on is not None and self.settled_on <= day:
            return ObligationStatus.SETTLED
        if is_overdue(self.deadline, day):
            return ObligationStatus.OVERDUE
        return ObligationStatus.OPEN

    def mark_overdue(self, on: date, recorded_by: str) -> None:
        """Records, once, that the deadline has passed unsettled (notifications read it)."""
        if self.settled_on is not None:
            raise StateConflict(
                "obligation-settled",
                self.clause,
                f"the obligation was settled on {self.settled_on.isoformat()}",
            )
        if self.overdue_on is not None:
            raise StateConflict(
                "obligation-already-overdue",
                self.clause,
                f"the obligation has been overdue since {self.overdue_on.isoformat()}",
            )
        if not is_overdue(self.deadline, on):
            raise StateConflict(
                "obligation-not-yet-overdue",
                self.clause,
                f"the deadline is {self.deadline.isoformat()} inclusive; the obligation is overdue "
                "from the day after",
                field="on",
            )
        self.trigger_event(
            self.BecameOverdue, overdue_on=on, deadline=self.deadline, recorded_by=recorded_by
        )

    def settle(self, payment_reference: str, settled_on: date, recorded_by: str) -> None:
        """The money has gone back (or to the budget): the bank's payment reference proves it."""
        if self.settled_on is not None:
            raise StateConflict(
                "obligation-settled",
                self.clause,
                f"the obligation was settled on {self.settled_on.isoformat()} by payment "
                f"{self.payment_reference}",
            )
        if not payment_reference.strip():
            raise RuleViolation(
                "payment-reference-required",
                self.clause,
                "a settlement names the bank's payment reference",
                field="payment_reference",
            )
        if settled_on < self.opened_on:
            raise RuleViolation(
                "settled-before-opened",
                self.clause,
                f"the obligation opened on {self.opened_on.isoformat()}; it cannot be settled earlier",
                field="settled_on",
            )
        self.trigger_event(
            self.Settled,
            payment_reference=payment_reference,
            settled_on=settled_on,
            late=is_overdue(self.deadline, settled_on),
            recorded_by=recorded_by,
        )
