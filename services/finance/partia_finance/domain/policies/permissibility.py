"""Who may not give a party money: Constitution Art. 6(4), Law "On Political Parties" Art. 18(2),
Charter Ch. 12.1 (the three give the same list).

One small pure function per prohibited category. Each looks at the donor and the evidence and
returns a `RuleCheck` (passed, refused, or declaration missing), or None when the category cannot
apply to this kind of donor. Evidence beats numbers: an IIN does not prove citizenship and a BIN
does not prove ownership, so a category the donor has not declared on holds the donation; what the
numbers do prove is used (an invalid IIN or BIN is refused, a non-resident BIN is a foreign legal
entity whatever is declared).

The rules are versioned (`RuleSet`, `RuleBook`): a decision is judged by the version in force on
its business date, so a later amendment never re-judges an earlier decision.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date
from enum import StrEnum

from partia_finance.domain.donors import (
    KAZAKHSTAN,
    AnonymousDonor,
    Donor,
    DonorPersonalData,
    ForeignEntityDonor,
    OrganisationDonor,
    PersonDonor,
)
from partia_finance.domain.evidence import DocumentKind, Evidence
from partia_kit.iin import BIN, IIN, InvalidNumber
from partia_kit.rules import RuleViolation

PROHIBITED_SOURCES = "Constitution Art. 6(4); Law On Political Parties Art. 18(2); Ch. 12.1"
"""The clause every prohibited-source rule cites."""

DOCUMENTED = "Ch. 12.1"
"""Ch. 12.1: donations are documented and their source is stated."""


class Outcome(StrEnum):
    PASSED = "passed"
    REFUSED = "refused"
    DECLARATION_MISSING = "declaration_missing"


@dataclass(frozen=True, slots=True)
class RuleCheck:
    """One rule applied to one donation: its name, its clause, what it found and why."""

    rule: str
    clause: str
    outcome: Outcome
    reason: str


@dataclass(frozen=True, slots=True)
class Case:
    """What the rules look at: the donor, a person donor's names and IIN, and the documents."""

    donor: Donor
    personal: DonorPersonalData | None
    evidence: Evidence


Rule = Callable[[Case], RuleCheck | None]


def _passed(rule: str, reason: str, clause: str = PROHIBITED_SOURCES) -> RuleCheck:
    return RuleCheck(rule, clause, Outcome.PASSED, reason)


def _refused(rule: str, reason: str, clause: str = PROHIBITED_SOURCES) -> RuleCheck:
    return RuleCheck(rule, clause, Outcome.REFUSED, reason)


def _missing(rule: str, declaration: str, clause: str = PROHIBITED_SOURCES) -> RuleCheck:
    return RuleCheck(rule, clause, Outcome.DECLARATION_MISSING, f"not declared: {declaration}")


def _declared(
    rule: str, declared: bool | None, declaration: str, prohibited: str, clause: str
) -> RuleCheck:
    """A yes/no declaration: yes refuses, no passes, not declared holds."""
    if declared is None:
        return _missing(rule, declaration, clause)
    if declared:
        return _refused(rule, f"the donor declares that it is {prohibited}", clause)
    return _passed(rule, f"the donor declares that it is not {prohibited}", clause)


def _valid_bin(donor: OrganisationDonor) -> BIN | None:
    try:
        return BIN.parse(donor.bin)
    except InvalidNumber:
        return None


def identification_number(case: Case) -> RuleCheck | None:
    """Ch. 12.1 (documented, source stated), DOMAIN §9: an identified donor's IIN or BIN must be
    a valid number; an invalid one identifies nobody and is refused outright."""
    rule = "identification-number"
    if isinstance(case.donor, PersonDonor):
        iin = "" if case.personal is None else case.personal.iin
        try:
            IIN.parse(iin)
        except InvalidNumber as invalid:
            return _refused(rule, f"the donor's IIN is not valid: {invalid.reason}", DOCUMENTED)
        return _passed(rule, "the IIN's check digit and birth date are valid", DOCUMENTED)
    if isinstance(case.donor, OrganisationDonor):
        try:
            BIN.parse(case.donor.bin)
        except InvalidNumber as invalid:
            return _refused(rule, f"the donor's BIN is not valid: {invalid.reason}", DOCUMENTED)
        return _passed(rule, "the BIN's check digit, month and type digits are valid", DOCUMENTED)
    return None


def foreign_states_and_legal_entities(case: Case) -> RuleCheck | None:
    """Constitution Art. 6(4), Law Art. 18(2), Ch. 12.1: no money from foreign states, foreign
    legal entities or international organisations. A BIN whose 5th digit is 5 is a non-resident,
    that is foreign, legal entity (DOMAIN §9): prohibited whatever the donor declares."""
    rule = "foreign-state-or-legal-entity"
    donor = case.donor
    if isinstance(donor, ForeignEntityDonor):
        return _refused(rule, f"the donor is a {donor.entity.value.replace('_', ' ')}")
    if isinstance(donor, OrganisationDonor):
        number = _valid_bin(donor)
        if number is None:
            return None  # `identification_number` refuses it
        if number.foreign:
            return _refused(
                rule, "the BIN's 5th digit is 5: a non-resident, that is foreign, legal entity"
            )
        return _passed(rule, "the BIN's 5th digit marks a resident of Kazakhstan")
    return None


def foreigners_and_stateless_persons(case: Case) -> RuleCheck | None:
    """Constitution Art. 6(4), Law Art. 18(2), Ch. 12.1: no money from foreigners or stateless
    persons. Foreigners get IINs too, so only the declared citizenship tells."""
    if not isinstance(case.donor, PersonDonor):
        return None
    rule = "foreigner-or-stateless-person"
    citizenship = case.donor.declarations.citizenship
    if citizenship is None:
        return _missing(rule, "citizenship")
    if citizenship != KAZAKHSTAN:
        return _refused(rule, f"declared citizenship is {citizenship!r}, not Kazakhstan")
    return _passed(rule, "the donor declares citizenship of Kazakhstan")


def foreign_participation(case: Case) -> RuleCheck | None:
    """Constitution Art. 6(4), Law Art. 18(2), Ch. 12.1: no money from legal entities with foreign
    participation. A BIN does not show the owners, so the declaration decides."""
    if not isinstance(case.donor, OrganisationDonor):
        return None
    return _declared(
        "foreign-participation",
        case.donor.declarations.foreign_participation,
        "foreign participation",
        "a legal entity with foreign participation",
        PROHIBITED_SOURCES,
    )


def state_bodies_and_organisations(case: Case) -> RuleCheck | None:
    """Constitution Art. 6(4), Law Art. 18(2), Ch. 12.1: no money from state bodies or state
    organisations."""
    if not isinstance(case.donor, OrganisationDonor):
        return None
    return _declared(
        "state-body-or-organisation",
        case.donor.declarations.state_body_or_organisation,
        "state body or state organisation",
        "a state body or state organisation",
        PROHIBITED_SOURCES,
    )


def religious_and_charitable_organisations(case: Case) -> RuleCheck | None:
    """Constitution Art. 6(4), Law Art. 18(2), Ch. 12.1: no money from religious associations or
    charitable organisations."""
    if not isinstance(case.donor, OrganisationDonor):
        return None
    rule = "religious-or-charitable-organisation"
    declarations = case.donor.declarations
    religious = _declared(
        rule,
        declarations.religious_association,
        "religious association",
        "a religious association",
        PROHIBITED_SOURCES,
    )
    charitable = _declared(
        rule,
        declarations.charitable_organisation,
        "charitable organisation",
        "a charitable organisation",
        PROHIBITED_SOURCES,
    )
    for outcome in (Outcome.REFUSED, Outcome.DECLARATION_MISSING):
        for check in (religious, charitable):
            if check.outcome is outcome:
                return check
    return _passed(rule, "the donor declares that it is neither religious nor charitable")


def anonymous_donors(case: Case) -> RuleCheck | None:
    """Constitution Art. 6(4), Law Art. 18(2), Ch. 12.1: no anonymous donations."""
    if isinstance(case.donor, AnonymousDonor):
        return _refused("anonymous-donor", "the donor cannot be identified")
    return None


def foreign_grants(case: Case) -> RuleCheck | None:
    """Constitution Art. 6(4), Law Art. 18(2), Ch. 12.1: no money from citizens or
    non-governmental organisations of Kazakhstan that receive grants or other money from
    international or foreign non-governmental organisations."""
    donor = case.donor
    if not isinstance(donor, PersonDonor | OrganisationDonor):
        return None
    return _declared(
        "foreign-grants",
        donor.declarations.receives_foreign_grants,
        "grants or other money from international or foreign NGOs",
        "receiving grants or other money from international or foreign NGOs",
        PROHIBITED_SOURCES,
    )


def declaration_documented(case: Case) -> RuleCheck | None:
    """Ch. 12.1: donations are documented with their source stated. An identified donor's
    declarations count once the signed declaration itself is among the evidence."""
    if not isinstance(case.donor, PersonDonor | OrganisationDonor):
        return None
    rule = "declaration-documented"
    declarations = case.evidence.of_kind(DocumentKind.DECLARATION)
    if not declarations:
        return _missing(rule, "the signed declaration document", DOCUMENTED)
    names = ", ".join(d.reference for d in declarations)
    return _passed(rule, f"declaration kept: {names}", DOCUMENTED)


ALL_RULES: tuple[Rule, ...] = (
    identification_number,
    foreign_states_and_legal_entities,
    foreigners_and_stateless_persons,
    foreign_participation,
    state_bodies_and_organisations,
    religious_and_charitable_organisations,
    anonymous_donors,
    foreign_grants,
    declaration_documented,
)


@dataclass(frozen=True, slots=True)
class Judgement:
    """Every applicable rule of one version, applied. A refusal beats a missing declaration:
    a donor who is prohibited on what is known is refused without waiting for more."""

    rule_set: str
    checks: tuple[RuleCheck, ...]

    @property
    def refusals(self) -> tuple[RuleCheck, ...]:
        return tuple(c for c in self.checks if c.outcome is Outcome.REFUSED)

    @property
    def missing(self) -> tuple[RuleCheck, ...]:
        return tuple(c for c in self.checks if c.outcome is Outcome.DECLARATION_MISSING)

    @property
    def outcome(self) -> Outcome:
        if self.refusals:
            return Outcome.REFUSED
        if self.missing:
            return Outcome.DECLARATION_MISSING
        return Outcome.PASSED


@dataclass(frozen=True, slots=True)
class RuleSet:
    """The rules in force from `effective_from` until the next version takes effect."""

    version: str
    effective_from: date
    rules: tuple[Rule, ...]

    def judge(self, case: Case) -> Judgement:
        checks = (rule(case) for rule in self.rules)
        return Judgement(self.version, tuple(c for c in checks if c is not None))


class RuleBook:
    """Every version of the rules, each with the date it takes effect."""

    def __init__(self, versions: Iterable[RuleSet]) -> None:
        self.versions = tuple(sorted(versions, key=lambda v: v.effective_from))
        dates = [v.effective_from for v in self.versions]
        if not dates or len(set(dates)) != len(dates):
            raise ValueError("a rule book has versions with distinct dates of effect")

    def in_force_on(self, day: date) -> RuleSet:
        """The version in force on `day`: the latest that took effect on or before it."""
        in_force = [v for v in self.versions if v.effective_from <= day]
        if not in_force:
            raise RuleViolation(
                "no-rules-in-force",
                PROHIBITED_SOURCES,
                f"no version of the permissibility rules was in force on {day.isoformat()}; "
                f"the first took effect on {self.versions[0].effective_from.isoformat()}",
                field="decided_on",
            )
        return in_force[-1]


LAW_AS_AMENDED_2024 = RuleSet(
    version="law-344-II-as-amended-2024",
    effective_from=date(2002, 7, 15),
    rules=ALL_RULES,
)
"""The list of Law No. 344-II of 15 July 2002 as amended through 2024 (DOMAIN §6). Earlier
wordings are not modelled: no donation before this system is judged by it. An amendment adds a
`RuleSet` with its own date of effect to `RULE_BOOK`; it never edits this one."""

RULE_BOOK = RuleBook([LAW_AS_AMENDED_2024])
