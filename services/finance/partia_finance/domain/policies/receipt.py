"""What a credit must be before it is recorded as a donation (Ch. 12.1, 12.6)."""

from __future__ import annotations

from partia_finance.domain.donors import Donor, DonorPersonalData, PersonDonor
from partia_finance.domain.money import PaymentChannel
from partia_kit.rules import RuleViolation


def check_bank_transfer(channel: PaymentChannel) -> None:
    """Ch. 12.6: donations are credited to the party's bank account; cash is refused."""
    if channel is not PaymentChannel.BANK_TRANSFER:
        raise RuleViolation(
            "cash-refused",
            "Ch. 12.6",
            "donations are credited to the party's bank account; cash is not accepted",
            field="channel",
        )


def check_bank_document(bank_document: str) -> None:
    """Ch. 12.1, 12.6: a donation is documented by the bank's credit, named by its reference."""
    if not bank_document.strip():
        raise RuleViolation(
            "bank-document-required",
            "Ch. 12.1",
            "a donation names the bank document that credited it",
            field="bank_document",
        )


def check_personal_data(donor: Donor, personal: DonorPersonalData | None) -> None:
    """A person donor comes with names and IIN; nobody else's record holds personal data."""
    if isinstance(donor, PersonDonor) and personal is None:
        raise RuleViolation(
            "person-identified",
            "Ch. 12.1",
            "a person donor is named with IIN and names (else record the donor as anonymous)",
            field="personal",
        )
    if not isinstance(donor, PersonDonor) and personal is not None:
        raise RuleViolation(
            "personal-data-person-only",
            "Constitution Art. 21",
            f"a {donor.kind.value} donor has no personal data to record",
            field="personal",
        )
