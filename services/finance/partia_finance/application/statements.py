"""A bank statement, as the treasurer downloads it, becomes received donations (issue 11 item 8).

The CSV layout (UTF-8, comma-separated, a header row naming these columns, in any order):

| column | what |
| --- | --- |
| `credited_on` | the business date of the credit, `YYYY-MM-DD` |
| `amount` | tenge with two decimals (`50000.00`); a debit (negative) is not a donation |
| `currency` | `KZT` |
| `document` | the bank's document reference of the credit (unique per account and day) |
| `payer_kind` | `person`, `organisation`, `foreign_entity` or `anonymous` |
| `payer_id` | the payer's IIN or BIN (empty for anonymous and foreign payers) |
| `payer_name` | a person's "Surname Given-name [Patronymic]", an organisation's name |
| `purpose` | `party_funds` or `election_fund:<election>` (empty: party funds) |

Each credit is recorded and checked at once like any other (a statement carries no declaration,
so an identified donor's donation is held until the declaration is added).

A credit whose purpose says it is membership dues and names one party card number ("членские
взносы билет 0012345", "мүшелік жарна BQ-0012345-6", "dues card 0012345") is a dues payment of
the member holding that card (issue 12 item 5), not a donation; a dues credit naming no card, or
several, or a card nobody (or more than one member) holds, stays unmatched for a person. Its donation id is
derived from the receiving organisation, the date and the document reference, so importing the
same statement twice records nothing twice. A line that cannot be read stays listed as unmatched,
with the reason, and nothing is recorded for it.

A dues credit may name the member by their IIN instead ("членские взносы ИИН 900101350122"), or
as well (decision 297). Finance keeps no IINs: `match_members` asks the registry whose record holds
it (`MemberDirectory`, decision 296) before anything is recorded, and only the member's id goes
on. An IIN whose check digit or birth date is wrong, one no member holds, two IINs, or a card and
an IIN naming different members stay unmatched for a person, with the reason.
"""

from __future__ import annotations

import csv
import hashlib
import io
import re
from dataclasses import dataclass, replace
from datetime import date
from decimal import Decimal, InvalidOperation
from uuid import NAMESPACE_URL, UUID, uuid5

from partia_finance.application import commands as c
from partia_finance.application.ports import MemberDirectory, RegistryUnavailable
from partia_finance.domain.donors import (
    AnonymousDonor,
    Donor,
    DonorPersonalData,
    ForeignEntityDonor,
    ForeignEntityKind,
    OrganisationDonor,
    PersonDonor,
)
from partia_finance.domain.evidence import Document, DocumentKind, Evidence
from partia_finance.domain.funds import FundKind, Purpose
from partia_finance.domain.money import Amount
from partia_kit.iin import IIN, InvalidIIN

COLUMNS = (
    "credited_on",
    "amount",
    "currency",
    "document",
    "payer_kind",
    "payer_id",
    "payer_name",
    "purpose",
)


_DUES = re.compile(r"взнос|жарна|\bdues\b", re.IGNORECASE)
_CARD = re.compile(
    r"(?:билет\w*|card|№|no\.?)\s*[:№#]?\s*((?:[A-Za-z]{1,4}-)?[0-9]{7}(?:-[0-9])?)(?![0-9])",
    re.IGNORECASE,
)
_IIN = re.compile(r"(?<![0-9])[0-9]{12}(?![0-9])")
"""Twelve digits standing alone: an IIN (a party card has seven, an IBAN starts with KZ)."""


class UnreadableLine(ValueError):
    def __init__(self, reason: str, rule: str | None = None) -> None:
        super().__init__(reason)
        self.rule = rule


@dataclass(frozen=True)
class StatementLine:
    line: int
    command: c.ReceiveDonation | c.RecordDuesPayment | None
    reason: str | None = None
    rule: str | None = None
    iin: str | None = None
    """The IIN a dues credit names, until `match_members` has asked whose it is: it is never
    put in a command, so it is never stored."""


def donation_id(organisation_id: UUID, credited_on: date, document: str) -> UUID:
    return uuid5(
        NAMESPACE_URL, f"partia:finance/statement/{organisation_id}/{credited_on}/{document}"
    )


def dues_payment_id(organisation_id: UUID, credited_on: date, document: str) -> UUID:
    return uuid5(
        NAMESPACE_URL, f"partia:finance/statement/dues/{organisation_id}/{credited_on}/{document}"
    )


def read_statement(text: str, organisation_id: UUID, actor: str) -> list[StatementLine]:
    """Every data row of the statement: the command that records it, or why it cannot be read."""
    reader = csv.DictReader(io.StringIO(text))
    missing = [name for name in COLUMNS if name not in (reader.fieldnames or ())]
    if missing:
        raise UnreadableLine(f"the header lacks the column(s) {', '.join(missing)}")
    lines = []
    for row in reader:
        number = reader.line_num
        try:
            command, iin = _command(row, organisation_id, actor)
            lines.append(StatementLine(number, command, iin=iin))
        except UnreadableLine as unreadable:
            lines.append(StatementLine(number, None, str(unreadable), unreadable.rule))
        except ValueError as unreadable:
            lines.append(StatementLine(number, None, str(unreadable)))
    return lines


def match_members(lines: list[StatementLine], directory: MemberDirectory) -> list[StatementLine]:
    """Each dues line naming an IIN, with the member whose record holds it (the registry is
    asked once per IIN); unmatched, with the reason, when nobody holds it or the registry cannot
    be asked now (importing the statement again later records nothing twice)."""
    asked: dict[str, UUID | RegistryUnavailable | None] = {}
    matched = []
    for line in lines:
        if line.iin is None or not isinstance(line.command, c.RecordDuesPayment):
            matched.append(line)
            continue
        if line.iin not in asked:
            try:
                asked[line.iin] = directory.member_with_iin(line.iin)
            except RegistryUnavailable as unavailable:
                asked[line.iin] = unavailable
        found = asked[line.iin]
        if isinstance(found, RegistryUnavailable):
            reason = (
                f"purpose: the registry could not be asked whose the IIN is ({found}); import"
                " the statement again later (nothing is recorded twice)"
            )
            matched.append(_unmatched(line, "registry-unavailable", reason))
        elif found is None:
            reason = "purpose: no member holds the IIN the dues credit names; left for a person"
            matched.append(_unmatched(line, "dues-iin-unknown", reason))
        else:
            matched.append(replace(line, command=replace(line.command, member_id=found), iin=None))
    return matched


def _unmatched(line: StatementLine, rule: str, reason: str) -> StatementLine:
    return StatementLine(line.line, None, reason, rule)


def _command(
    row: dict[str, str], organisation_id: UUID, actor: str
) -> tuple[c.ReceiveDonation | c.RecordDuesPayment, str | None]:
    """The line's command, and the IIN a dues credit names (None: none)."""
    credited_on = date.fromisoformat(row["credited_on"].strip())
    document = row["document"].strip()
    if not document:
        raise UnreadableLine("document: the bank's reference is missing")
    if _DUES.search(row["purpose"] or ""):
        return _dues(row, organisation_id, credited_on, document, actor)
    donor, personal = _payer(row)
    raw = ",".join(row.get(name) or "" for name in COLUMNS)
    payment = Document(DocumentKind.PAYMENT, document, hashlib.sha256(raw.encode()).hexdigest())
    donation = c.ReceiveDonation(
        actor=actor,
        donation_id=donation_id(organisation_id, credited_on, document),
        amount=Amount(_tiyn(row["amount"]), row["currency"].strip() or "KZT"),
        credited_on=credited_on,
        bank_document=document,
        organisation_id=organisation_id,
        purpose=_purpose(row["purpose"]),
        donor=donor,
        personal=personal,
        evidence=Evidence((payment,)),
        from_statement=True,
    )
    return donation, None


def _dues(
    row: dict[str, str], organisation_id: UUID, credited_on: date, document: str, actor: str
) -> tuple[c.RecordDuesPayment, str | None]:
    """A dues credit: the member is the holder of the one card number or the one IIN its purpose
    names (both: they must name the same member, which the command's handler checks)."""
    cards = {card.upper() for card in _CARD.findall(row["purpose"])}
    iin = _iin(row["purpose"])
    if len(cards) > 1 or (not cards and iin is None):
        what = "no party card number or IIN" if not cards else f"{len(cards)} card numbers"
        raise UnreadableLine(f"purpose: a dues credit naming {what}; left for a person to match")
    payment = c.RecordDuesPayment(
        actor=actor,
        member_id=None,
        card_number=cards.pop() if cards else None,
        payment_id=dues_payment_id(organisation_id, credited_on, document),
        paid_on=credited_on,
        amount_tiyn=_tiyn(row["amount"]),
        channel="bank",
        reference=document,
        from_statement=True,
    )
    return payment, iin


def _iin(purpose: str) -> str | None:
    """The one IIN a dues credit's purpose names, checked (DOMAIN §9: its check digit and birth
    date); None when it names none."""
    found = set(_IIN.findall(purpose))
    if len(found) > 1:
        raise UnreadableLine(
            f"purpose: a dues credit naming {len(found)} IINs; left for a person to match",
            "dues-iin-ambiguous",
        )
    if not found:
        return None
    try:
        return IIN.parse(found.pop()).value
    except InvalidIIN as invalid:
        raise UnreadableLine(
            f"purpose: the IIN the dues credit names is not valid ({invalid.reason}); left for a"
            " person to match",
            "iin-invalid",
        ) from None


def _tiyn(text: str) -> int:
    try:
        amount = Decimal(text.strip())
    except InvalidOperation:
        raise UnreadableLine(f"amount: {text!r} is not a number of tenge") from None
    if amount <= 0:
        raise UnreadableLine("amount: a debit or zero is not a donation")
    tiyn = amount * 100
    if tiyn != tiyn.to_integral_value():
        raise UnreadableLine(f"amount: {text!r} has fractions of a tiyn")
    return int(tiyn)


def _payer(row: dict[str, str]) -> tuple[Donor, DonorPersonalData | None]:
    kind = row["payer_kind"].strip()
    number, name = row["payer_id"].strip(), row["payer_name"].strip()
    if kind == "anonymous":
        return AnonymousDonor(), None
    if kind == "foreign_entity":
        return ForeignEntityDonor(name, ForeignEntityKind.FOREIGN_LEGAL_ENTITY), None
    if kind == "organisation":
        return OrganisationDonor(number, name), None
    if kind == "person":
        parts = name.split()
        if len(parts) < 2:
            raise UnreadableLine("payer_name: a person is named by surname and given name")
        patronymic = " ".join(parts[2:]) or None
        return PersonDonor(), DonorPersonalData(number, parts[0], parts[1], patronymic)
    raise UnreadableLine(f"payer_kind: {kind!r} is none of person, organisation, anonymous")


def _purpose(text: str) -> Purpose:
    value = text.strip()
    if not value or value == FundKind.PARTY_FUNDS.value:
        return Purpose.party_funds()
    kind, _, election = value.partition(":")
    if kind != FundKind.ELECTION_FUND.value or not election:
        raise UnreadableLine(f"purpose: {value!r} is neither party_funds nor election_fund:<name>")
    return Purpose.election_fund(election)
