"""The finance service's dues API (issue 12): request and response bodies. Amounts are whole tiyn
in KZT; dates are business dates; a member is named by their registry id. The category a member
declares is never returned: only its rate class (working, student, exempt)."""

from __future__ import annotations

from datetime import date
from typing import Literal
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field
from pydantic.config import JsonDict

from partia_contracts.text import StorableText

_MEMBER = "5f1c2d3e-4b5a-4c6d-9e8f-1a2b3c4d5e6f"
_PAYMENT = "9a8b7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d"
_PPO = "0b7e3c5a-1f2d-5e6c-8a9b-1c2d3e4f5a6b"


def _examples(*examples: JsonDict) -> ConfigDict:
    return ConfigDict(extra="forbid", json_schema_extra={"examples": list(examples)})


class DeclareCategoryRequest(BaseModel):
    """A member's dues category from a date (Ch. 12.2), with the document it rests on; none
    declared means the working rate. A voluntary higher monthly amount may be declared with any
    category ("any member may choose to pay more")."""

    model_config = _examples(
        {
            "category": "student",
            "effective_from": "2026-09-01",
            "evidence_reference": "Student card 12-3456, KazNU",
            "declared_on": "2026-09-03",
        },
        {
            "category": "working",
            "effective_from": "2026-01-01",
            "monthly_tiyn": 100_000,
            "declared_on": "2026-01-10",
        },
    )

    category: Literal[
        "working", "student", "pensioner", "disabled", "unemployed", "parental_leave"
    ] = Field(description="Ch. 12.2; sealed in finance, never published")
    effective_from: date
    evidence_reference: StorableText | None = Field(
        default=None,
        max_length=200,
        description="the document's reference; required for student and the exempt groups",
    )
    monthly_tiyn: int | None = Field(
        default=None, gt=0, description="a voluntary monthly amount, higher than the rate"
    )
    declared_on: date


class CategoryDeclared(BaseModel):
    member_id: UUID
    effective_from: date
    rate_class: Literal["working", "student", "exempt"]
    monthly_tiyn: int | None


class RecordPaymentRequest(BaseModel):
    """Dues paid: cash collected by the PPO bureau against its receipt (Ch. 10.4), or a bank
    credit entered by hand (statements are imported with POST /statements)."""

    model_config = _examples(
        {
            "paid_on": "2026-03-10",
            "amount_tiyn": 129_750,
            "channel": "cash",
            "reference": "Receipt 0042",
        }
    )

    paid_on: date
    amount_tiyn: int = Field(gt=0, description="whole tiyn (1 KZT = 100 tiyn)")
    channel: Literal["cash", "bank"]
    reference: StorableText = Field(
        min_length=1, max_length=100, description="the bureau's receipt number or bank document"
    )
    payment_id: UUID | None = Field(
        default=None, description="the payment's id if the caller made one (else one is made)"
    )


class ReversePaymentRequest(BaseModel):
    model_config = _examples({"reason": "Entered twice", "reversed_on": "2026-03-12"})

    reason: StorableText = Field(min_length=1, max_length=300)
    reversed_on: date


class PaymentReceipt(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [{"member_id": _MEMBER, "payment_id": _PAYMENT, "status": "recorded"}]
        }
    )

    member_id: UUID
    payment_id: UUID
    status: Literal["recorded"]
    reversed_on: date | None = None


class ArrearsOut(BaseModel):
    """Charges due before `as_of` (a month's dues and the entrance fee fall due on the month's last
    day) and not fully paid by then (decision 216)."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "member_id": _MEMBER,
                    "as_of": "2026-04-01",
                    "months_owed": 3,
                    "amount_tiyn": 129_750,
                    "oldest_unpaid": "2026-01-01",
                }
            ]
        }
    )

    member_id: UUID | None = None
    as_of: date
    months_owed: int
    amount_tiyn: int
    oldest_unpaid: date | None = Field(description="the first day of the oldest month in arrears")


class ChargeOut(BaseModel):
    kind: Literal["entrance_fee", "month"]
    month: str = Field(description="YYYY-MM")
    due_on: date
    organisation_id: UUID = Field(description="the PPO where it arose (and stays visible)")
    rate_class: Literal["working", "student", "exempt"]
    mci_kzt: int
    amount_tiyn: int
    paid_tiyn: int
    owed_tiyn: int


class PaymentOut(BaseModel):
    payment_id: UUID
    paid_on: date
    amount_tiyn: int
    channel: str | None = None
    reference: str | None = None
    organisation_id: UUID | None = None


class AllocationOut(BaseModel):
    payment_id: UUID
    kind: Literal["entrance_fee", "month"]
    month: str
    tiyn: int


class StatementOfAccountOut(BaseModel):
    """A member's dues as of a date: every charge up to that month with what paid it (FIFO), the
    payments that count (reversed ones drop out from their reversal), credit and balance."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "member_id": _MEMBER,
                    "as_of": "2026-01-31",
                    "charges": [
                        {
                            "kind": "entrance_fee",
                            "month": "2026-01",
                            "due_on": "2026-01-31",
                            "organisation_id": _PPO,
                            "rate_class": "working",
                            "mci_kzt": 4325,
                            "amount_tiyn": 43_250,
                            "paid_tiyn": 43_250,
                            "owed_tiyn": 0,
                        },
                        {
                            "kind": "month",
                            "month": "2026-01",
                            "due_on": "2026-01-31",
                            "organisation_id": _PPO,
                            "rate_class": "working",
                            "mci_kzt": 4325,
                            "amount_tiyn": 43_250,
                            "paid_tiyn": 6_750,
                            "owed_tiyn": 36_500,
                        },
                    ],
                    "payments": [
                        {
                            "payment_id": _PAYMENT,
                            "paid_on": "2026-01-20",
                            "amount_tiyn": 50_000,
                            "channel": "cash",
                            "reference": "Receipt 0042",
                            "organisation_id": _PPO,
                        }
                    ],
                    "allocations": [
                        {
                            "payment_id": _PAYMENT,
                            "kind": "entrance_fee",
                            "month": "2026-01",
                            "tiyn": 43_250,
                        },
                        {
                            "payment_id": _PAYMENT,
                            "kind": "month",
                            "month": "2026-01",
                            "tiyn": 6_750,
                        },
                    ],
                    "charged_tiyn": 86_500,
                    "paid_tiyn": 50_000,
                    "credit_tiyn": 0,
                    "balance_tiyn": 36_500,
                    "arrears": {
                        "as_of": "2026-01-31",
                        "months_owed": 0,
                        "amount_tiyn": 0,
                        "oldest_unpaid": None,
                    },
                }
            ]
        }
    )

    member_id: UUID
    as_of: date
    charges: list[ChargeOut]
    payments: list[PaymentOut]
    allocations: list[AllocationOut]
    charged_tiyn: int
    paid_tiyn: int
    credit_tiyn: int
    balance_tiyn: int = Field(description="charged minus paid: negative is credit")
    arrears: ArrearsOut
    personal_data_erased_on: date | None = Field(
        default=None,
        description="the day the registry erased the member's personal data: finance destroyed"
        " the key their declared category and its evidence were sealed with (rate classes and"
        " amounts, not personal, stay); null while it is kept",
    )
