"""What a treasurer asks the finance service to do, each with the acting user (recorded on every
event), its Idempotency-Key and the actor's scope (decision 165)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from uuid import UUID

from partia_finance.domain.donors import Declarations, Donor, DonorPersonalData
from partia_finance.domain.evidence import Document, Evidence
from partia_finance.domain.funds import Purpose
from partia_finance.domain.money import Amount, PaymentChannel
from partia_finance.domain.policies.dues import DuesCategory
from partia_kit.batches import CommandBase


@dataclass(frozen=True, kw_only=True)
class Command(CommandBase):
    """The actor, key and scope (`partia_kit.batches.CommandBase`)."""


@dataclass(frozen=True, kw_only=True)
class ReceiveDonation(Command):
    """A credit from the bank statement, checked at once by the rules in force on `decided_on`
    (the business date of the decision; the credit's own date if not given): accepted, rejected
    or held, in the same transaction as its receipt (issue 11: "see each credit checked")."""

    donation_id: UUID
    amount: Amount
    credited_on: date
    bank_document: str
    organisation_id: UUID
    purpose: Purpose
    donor: Donor
    personal: DonorPersonalData | None
    evidence: Evidence
    channel: PaymentChannel = PaymentChannel.BANK_TRANSFER
    decided_on: date | None = None
    from_statement: bool = False
    """Imported from a bank statement: a donation with this id already recorded is the same
    credit imported again, and nothing is recorded twice."""

    def named_records(self) -> tuple[UUID, ...]:
        """The receiving organisation: a batch looks up all its donations' organisations at once."""
        return (self.organisation_id,)


@dataclass(frozen=True, kw_only=True)
class AddEvidence(Command):
    """Documents (the missing declaration) for an undecided donation; a held one is then decided
    again by the rules in force on `decided_on`."""

    donation_id: UUID
    documents: tuple[Document, ...]
    declarations: Declarations | None
    added_on: date

    def named_records(self) -> tuple[UUID, ...]:
        return (self.donation_id,)


@dataclass(frozen=True, kw_only=True)
class SettleObligation(Command):
    obligation_id: UUID
    payment_reference: str
    settled_on: date

    def named_records(self) -> tuple[UUID, ...]:
        return (self.obligation_id,)


@dataclass(frozen=True, kw_only=True)
class MarkObligationOverdue(Command):
    """The deadline passed unsettled: recorded once, for notifications (issue 11 item 4)."""

    obligation_id: UUID
    on: date

    def named_records(self) -> tuple[UUID, ...]:
        return (self.obligation_id,)


@dataclass(frozen=True, kw_only=True)
class FlagUndecided(Command):
    """A donation left undecided past its deadline: flagged, never silently accepted."""

    donation_id: UUID
    on: date

    def named_records(self) -> tuple[UUID, ...]:
        return (self.donation_id,)


@dataclass(frozen=True, kw_only=True)
class EraseDonorData(Command):
    """The donor's names and IIN erased once the retention period has ended (refused before,
    with the reason); amounts, dates and decisions stay (issue 11 item 6)."""

    donation_id: UUID
    erased_on: date

    def named_records(self) -> tuple[UUID, ...]:
        return (self.donation_id,)


@dataclass(frozen=True, kw_only=True)
class FindImpermissible(Command):
    """An accepted donation found to be from a prohibited source (a declaration was false): its
    own event, never an edit, opening the return of what was accepted (issue 11 item 2)."""

    donation_id: UUID
    rule: str
    reason: str
    documents: tuple[Document, ...]
    found_on: date

    def named_records(self) -> tuple[UUID, ...]:
        return (self.donation_id,)


# --- membership dues (issue 12): the account of a member, its id the member's registry id


@dataclass(frozen=True, kw_only=True)
class DeclareDuesCategory(Command):
    """A member's dues category from a date, with the document it rests on (Ch. 12.2)."""

    member_id: UUID
    category: DuesCategory
    effective_from: date
    evidence_reference: str | None
    monthly_tiyn: int | None
    declared_on: date


@dataclass(frozen=True, kw_only=True)
class RecordDuesPayment(Command):
    """Dues paid: cash collected by the PPO bureau with its receipt number (Ch. 10.4), or a bank
    credit. From a statement the member is named by `card_number` (their party card) and
    `member_id` is None, or by `member_id` (whose record holds the IIN the line names), or by
    both (which must agree); a payment with this id already recorded is the same credit imported
    again, and nothing is recorded twice."""

    member_id: UUID | None
    payment_id: UUID
    paid_on: date
    amount_tiyn: int
    channel: str
    reference: str
    card_number: str | None = None
    from_statement: bool = False


@dataclass(frozen=True, kw_only=True)
class ReverseDuesPayment(Command):
    member_id: UUID
    payment_id: UUID
    reason: str
    reversed_on: date


@dataclass(frozen=True, kw_only=True)
class CheckDuesArrears(Command):
    """The clock: arrears reaching `threshold_months` on `on` are recorded once per crossing (for
    notifications, never a sanction)."""

    member_id: UUID
    on: date
    threshold_months: int
