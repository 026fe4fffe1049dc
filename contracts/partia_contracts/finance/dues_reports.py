"""The dues reports of the finance API (issue 12 item 6; decisions 216 and 235): arrears on a
date per organisation and per member of a PPO, dues collected per regional branch (Ch. 12.4),
and the members who declared no category. Amounts in tiyn."""

from __future__ import annotations

from datetime import date
from uuid import UUID

from pydantic import BaseModel, Field


class ArrearsRow(BaseModel):
    organisation_id: UUID
    kind: str = Field(
        description="primary_organisation, territorial_branch, regional_branch, party"
    )
    parent_id: UUID | None
    members_in_arrears: int = Field(description="members with arrears arising in it")
    months_owed: int = Field(description="months not fully paid and due (a partly paid one too)")
    arrears_tiyn: int = Field(description="unpaid amount due, entrance fees included")


class ArrearsReport(BaseModel):
    """Arrears on `as_of` per organisation of one level of the tree: a month's arrears count
    where the month belongs (the PPO of its last day of membership), so a member transferred
    with arrears leaves them where they arose (decision 216)."""

    as_of: date
    level: str
    items: list[ArrearsRow]


class MemberArrearsRow(BaseModel):
    member_id: UUID
    card_number: str
    months_owed: int = Field(description="months owed that arose in this organisation")
    arrears_tiyn: int = Field(description="amount owed that arose in this organisation")
    total_months_owed: int = Field(description="months owed anywhere (arrears follow the member)")
    total_arrears_tiyn: int


class MemberArrearsReport(BaseModel):
    """The members with arrears on `as_of` who had a month in the organisation by then."""

    as_of: date
    organisation_id: UUID
    items: list[MemberArrearsRow]


class DuesCollectedRow(BaseModel):
    regional_branch_id: UUID | None = Field(
        description="the region of the organisation paid to; null: the central office"
    )
    period: date = Field(description="the month's (or year's) first day")
    payments: int
    paid_tiyn: int = Field(description="paid in the period")
    reversed: int
    reversed_tiyn: int = Field(description="of that, reversed since")
    collected_tiyn: int = Field(description="paid and not reversed")


class DuesCollectedReport(BaseModel):
    """Dues paid per regional branch and month or year (Ch. 12.4)."""

    first: date
    last: date
    per: str
    items: list[DuesCollectedRow]


class UndeclaredRow(BaseModel):
    member_id: UUID
    card_number: str
    organisation_id: UUID
    in_organisation_since: date


class UndeclaredReport(BaseModel):
    """Members on `as_of` with no dues category declared by then: they owe the working rate
    (Ch. 12.2), until they declare one."""

    as_of: date
    items: list[UndeclaredRow]
