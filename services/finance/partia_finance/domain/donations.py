"""A donation's life as events (DOMAIN §6): received from the bank statement, then exactly one
decision by the rules in force on the decision's date: accepted (every rule checked and the
evidence relied on), rejected (the rule and the clause), or held until a missing declaration
arrives. A donation accepted and later found impermissible gets its own event, never an edit.

Money the party may not keep (a rejection, a later finding, the excess over a cap) opens a
`ReturnObligation`, returned by the method that decides, to be saved with the donation.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import date
from enum import StrEnum
from typing import Any
from uuid import UUID, uuid4

from eventsourcing.domain import Aggregate

from partia_finance.domain.configuration import FinanceConfiguration
from partia_finance.domain.donors import (
    Declarations,
    Donor,
    DonorPersonalData,
    OrganisationDeclarations,
    OrganisationDonor,
    PersonDeclarations,
    PersonDonor,
    identification_number,
)
from partia_finance.domain.evidence import Document, Evidence
from partia_finance.domain.funds import Purpose
from partia_finance.domain.money import Amount, PaymentChannel
from partia_finance.domain.obligations import ObligationCause, ReturnObligation
from partia_finance.domain.policies import receipt
from partia_finance.domain.policies.caps import CapApplied, split_at_cap
from partia_finance.domain.policies.deadlines import decision_deadline, is_overdue
from partia_finance.domain.policies.permissibility import Case, Outcome, RuleBook, RuleCheck
from partia_finance.domain.policies.retention import check_erasure_allowed
from partia_finance.domain.policies.returns import disposition_for
from partia_kit.rules import RuleViolation, StateConflict

CAP_CLAUSE = "Constitutional Law On Elections (election funds: amounts over the limit go back)"


class DonationStatus(StrEnum):
    RECEIVED = "received"  # recorded, not decided yet
    HELD = "held"  # a declaration is missing
    ACCEPTED = "accepted"
    REJECTED = "rejected"
    FOUND_IMPERMISSIBLE = "found_impermissible"  # accepted, then found to be prohibited


_UNDECIDED = (DonationStatus.RECEIVED, DonationStatus.HELD)


class Donation(Aggregate):
    """One credit to the party's bank account, offered as a donation."""

    class Received(Aggregate.Created):
        amount: Amount
        credited_on: date
        bank_document: str
        organisation_id: UUID
        purpose: Purpose
        donor: Donor
        personal: DonorPersonalData | None  # sealed per donation; None once erased
        evidence: Evidence
        channel: str
        recorded_by: str

    class Held(Aggregate.Event):
        rule_set: str
        checks: tuple[RuleCheck, ...]
        decided_on: date
        recorded_by: str

        def apply(self, aggregate: Any) -> None:
            aggregate.status = DonationStatus.HELD
            aggregate.held_on = self.decided_on

    class EvidenceAdded(Aggregate.Event):
        """More documents, and the declarations they carry (replacing the ones recorded)."""

        documents: tuple[Document, ...]
        declarations: Declarations | None
        added_on: date
        recorded_by: str

        def apply(self, aggregate: Any) -> None:
            aggregate.evidence = aggregate.evidence.adding(self.documents)
            if self.declarations is not None:
                aggregate.donor = replace(aggregate.donor, declarations=self.declarations)

    class Accepted(Aggregate.Event):
        rule_set: str
        checks: tuple[RuleCheck, ...]
        evidence_relied_on: Evidence
        bank_document: str
        accepted_tiyn: int
        excess_tiyn: int
        cap: CapApplied | None
        obligation_id: UUID | None  # the excess over the cap, when there is one
        decided_on: date
        recorded_by: str

        def apply(self, aggregate: Any) -> None:
            aggregate.status = DonationStatus.ACCEPTED
            aggregate.accepted_tiyn = self.accepted_tiyn
            aggregate.decided_on = self.decided_on

    class Rejected(Aggregate.Event):
        rule: str
        clause: str
        reason: str
        rule_set: str
        checks: tuple[RuleCheck, ...]
        obligation_id: UUID
        decided_on: date
        recorded_by: str

        def apply(self, aggregate: Any) -> None:
            aggregate.status = DonationStatus.REJECTED
            aggregate.decided_on = self.decided_on
            aggregate.rule, aggregate.clause = self.rule, self.clause

    class FoundImpermissible(Aggregate.Event):
        """An accepted donation turned out prohibited (a declaration was false): the acceptance
        stays in the history, this event says what was found and opens the return."""

        rule: str
        clause: str
        reason: str
        evidence: Evidence
        returned_tiyn: int
        obligation_id: UUID | None  # None when the cap had left nothing accepted
        found_on: date
        recorded_by: str

        def apply(self, aggregate: Any) -> None:
            aggregate.status = DonationStatus.FOUND_IMPERMISSIBLE
            aggregate.evidence = aggregate.evidence.adding(self.evidence.documents)
            aggregate.rule, aggregate.clause = self.rule, self.clause
            aggregate.found_on = self.found_on

    class LeftUndecided(Aggregate.Event):
        """Still undecided after the deadline: flagged for the treasurer, never accepted."""

        deadline: date
        flagged_on: date
        recorded_by: str

        def apply(self, aggregate: Any) -> None:
            aggregate.flagged_undecided_on = self.flagged_on

    class PersonalDataErased(Aggregate.Event):
        """The donor's names and IIN erased after the retention period (the service destroys
        the donation's key); the amount, dates and decisions stay."""

        erased_on: date
        retention_ended_on: date
        recorded_by: str

        def apply(self, aggregate: Any) -> None:
            aggregate.personal = None
            aggregate.erased_on = self.erased_on

    def __init__(
        self,
        amount: Amount,
        credited_on: date,
        bank_document: str,
        organisation_id: UUID,
        purpose: Purpose,
        donor: Donor,
        personal: DonorPersonalData | None,
        evidence: Evidence,
        channel: str,
        recorded_by: str,
    ) -> None:
        self.amount = amount
        self.credited_on = credited_on
        self.bank_document = bank_document
        self.organisation_id = organisation_id
        self.purpose = purpose
        self.donor = donor
        self.personal = personal
        self.evidence = evidence
        self.channel = PaymentChannel(channel)
        self.status = DonationStatus.RECEIVED
        self.accepted_tiyn = 0
        self.decided_on: date | None = None
        self.held_on: date | None = None
        self.flagged_undecided_on: date | None = None
        self.erased_on: date | None = None
        self.rule: str | None = None  # what refused it, or what it was later found to break
        self.clause: str | None = None
        self.found_on: date | None = None  # found impermissible on (after its acceptance)

    @staticmethod
    def create_id(**_: Any) -> UUID:
        return uuid4()

    @classmethod
    def receive(
        cls,
        *,
        amount: Amount,
        credited_on: date,
        bank_document: str,
        organisation_id: UUID,
        purpose: Purpose,
        donor: Donor,
        personal: DonorPersonalData | None,
        evidence: Evidence,
        recorded_by: str,
        channel: PaymentChannel = PaymentChannel.BANK_TRANSFER,
        donation_id: UUID | None = None,
    ) -> Donation:
        """A credit from the bank statement. Cash is refused before anything is recorded."""
        receipt.check_bank_transfer(channel)
        receipt.check_bank_document(bank_document)
        receipt.check_personal_data(donor, personal)
        return cls._create(
            cls.Received,
            id=donation_id,
            amount=amount,
            credited_on=credited_on,
            bank_document=bank_document,
            organisation_id=organisation_id,
            purpose=purpose,
            donor=donor,
            personal=personal,
            evidence=evidence,
            channel=channel.value,
            recorded_by=recorded_by,
        )

    @property
    def identification_number(self) -> str | None:
        """The donor's IIN or BIN, whose digest keys the per-donor totals across branches; None
        for a donor without one, or once erased."""
        return identification_number(self.donor, self.personal)

    @property
    def is_decided(self) -> bool:
        return self.status not in _UNDECIDED

    def decide(
        self,
        *,
        on: date,
        rules: RuleBook,
        configuration: FinanceConfiguration,
        prior_total_tiyn: int,
        recorded_by: str,
    ) -> ReturnObligation | None:
        """Judges the donation by the rules in force on `on` and records the one decision.

        `prior_total_tiyn` is what the same donor already had accepted into the same fund in the
        cap's period, across all branches (0 when the fund has no cap). Returns the obligation
        the decision opens (rejection, excess over the cap), to be saved with the donation.
        """
        self._require_undecided()
        if self.held_on is not None and on < self.held_on:
            raise RuleViolation(
                "decided-before-held",
                "Ch. 12.3",
                f"the donation was held on {self.held_on.isoformat()}; its decision cannot be "
                "dated earlier",
                field="decided_on",
            )
        if on < self.credited_on:
            raise RuleViolation(
                "decided-before-credited",
                "Ch. 12.3",
                f"the money was credited on {self.credited_on.isoformat()}; a decision on it "
                "cannot be dated earlier",
                field="decided_on",
            )
        judgement = rules.in_force_on(on).judge(Case(self.donor, self.personal, self.evidence))
        if judgement.outcome is Outcome.REFUSED:
            return self._reject(
                judgement.rule_set, judgement.checks, on, configuration, recorded_by
            )
        if judgement.outcome is Outcome.DECLARATION_MISSING:
            self._hold(judgement.rule_set, judgement.checks, on, recorded_by)
            return None
        return self._accept(
            judgement.rule_set, judgement.checks, on, configuration, prior_total_tiyn, recorded_by
        )

    def add_evidence(
        self,
        documents: Sequence[Document],
        declarations: Declarations | None,
        added_on: date,
        recorded_by: str,
    ) -> None:
        """The declaration arrives (or another document): a held donation can then be decided."""
        self._require_undecided()
        if not documents:
            raise RuleViolation(
                "evidence-documents",
                "Ch. 12.1",
                "new evidence names at least one document (reference and SHA-256)",
                field="documents",
            )
        self._check_declarations_fit(declarations)
        if added_on < self.credited_on:
            raise RuleViolation(
                "evidence-before-credit",
                "Ch. 12.3",
                f"the donation was credited on {self.credited_on.isoformat()}; evidence cannot be "
                "added to it earlier",
                field="added_on",
            )
        self.trigger_event(
            self.EvidenceAdded,
            documents=tuple(documents),
            declarations=declarations,
            added_on=added_on,
            recorded_by=recorded_by,
        )

    def find_impermissible(
        self,
        *,
        rule: str,
        clause: str,
        reason: str,
        evidence: Evidence,
        found_on: date,
        configuration: FinanceConfiguration,
        recorded_by: str,
    ) -> ReturnObligation | None:
        """An accepted donation found to be from a prohibited source: the accepted amount goes
        back (the excess over a cap, if any, has its own obligation already; when the cap left
        nothing accepted there is nothing more to return, and no obligation)."""
        if self.status is not DonationStatus.ACCEPTED:
            raise StateConflict(
                "not-accepted",
                clause,
                f"only an accepted donation can be found impermissible; this one is {self.status.value}",
            )
        if self.decided_on is not None and found_on < self.decided_on:
            raise RuleViolation(
                "found-before-accepted",
                clause,
                f"the donation was accepted on {self.decided_on.isoformat()}; a finding about it "
                "cannot be dated earlier",
                field="found_on",
            )
        obligation = None
        if self.accepted_tiyn:
            obligation = self._open_obligation(
                ObligationCause.FOUND_IMPERMISSIBLE,
                self.accepted_tiyn,
                rule,
                clause,
                found_on,
                configuration,
                recorded_by,
            )
        self.trigger_event(
            self.FoundImpermissible,
            rule=rule,
            clause=clause,
            reason=reason,
            evidence=evidence,
            returned_tiyn=self.accepted_tiyn,
            obligation_id=None if obligation is None else obligation.id,
            found_on=found_on,
            recorded_by=recorded_by,
        )
        return obligation

    def decision_deadline(self, configuration: FinanceConfiguration) -> date:
        days = configuration.fund_policy(self.purpose).return_within_days
        return decision_deadline(self.credited_on, days)

    def flag_undecided(
        self, on: date, configuration: FinanceConfiguration, recorded_by: str
    ) -> None:
        """Once, the day after the decision deadline has passed with no decision."""
        self._require_undecided()
        deadline = self.decision_deadline(configuration)
        if not is_overdue(deadline, on):
            raise StateConflict(
                "decision-not-yet-late",
                "DOMAIN §6 (deadline in configuration)",
                f"the donation may be decided up to {deadline.isoformat()} inclusive",
                field="on",
            )
        if self.flagged_undecided_on is not None:
            raise StateConflict(
                "already-flagged",
                "DOMAIN §6 (deadline in configuration)",
                f"flagged as undecided on {self.flagged_undecided_on.isoformat()}",
            )
        self.trigger_event(
            self.LeftUndecided, deadline=deadline, flagged_on=on, recorded_by=recorded_by
        )

    def erase_personal_data(
        self, on: date, configuration: FinanceConfiguration, recorded_by: str
    ) -> None:
        """Erases the donor's names and IIN once the retention period has ended; refused before."""
        if self.personal is None:
            raise StateConflict(
                "no-personal-data",
                "Constitution Art. 21",
                "this donation holds no personal data"
                + ("" if self.erased_on is None else f" (erased on {self.erased_on.isoformat()})"),
            )
        last_day = check_erasure_allowed(self.credited_on, on, configuration.retention_years)
        self.trigger_event(
            self.PersonalDataErased,
            erased_on=on,
            retention_ended_on=last_day,
            recorded_by=recorded_by,
        )

    def _accept(
        self,
        rule_set: str,
        checks: tuple[RuleCheck, ...],
        on: date,
        configuration: FinanceConfiguration,
        prior_total_tiyn: int,
        recorded_by: str,
    ) -> ReturnObligation | None:
        cap = configuration.fund_policy(self.purpose).cap
        split = split_at_cap(
            self.amount.tiyn, prior_total_tiyn, cap, configuration.mci, self.credited_on
        )
        obligation = None
        if split.excess_tiyn:
            obligation = self._open_obligation(
                ObligationCause.OVER_CAP,
                split.excess_tiyn,
                "donor-cap",
                CAP_CLAUSE,
                on,
                configuration,
                recorded_by,
            )
        self.trigger_event(
            self.Accepted,
            rule_set=rule_set,
            checks=checks,
            evidence_relied_on=self.evidence,
            bank_document=self.bank_document,
            accepted_tiyn=split.accepted_tiyn,
            excess_tiyn=split.excess_tiyn,
            cap=split.cap,
            obligation_id=None if obligation is None else obligation.id,
            decided_on=on,
            recorded_by=recorded_by,
        )
        return obligation

    def _reject(
        self,
        rule_set: str,
        checks: tuple[RuleCheck, ...],
        on: date,
        configuration: FinanceConfiguration,
        recorded_by: str,
    ) -> ReturnObligation:
        refusal = next(c for c in checks if c.outcome is Outcome.REFUSED)
        obligation = self._open_obligation(
            ObligationCause.REJECTED,
            self.amount.tiyn,
            refusal.rule,
            refusal.clause,
            on,
            configuration,
            recorded_by,
        )
        self.trigger_event(
            self.Rejected,
            rule=refusal.rule,
            clause=refusal.clause,
            reason=refusal.reason,
            rule_set=rule_set,
            checks=checks,
            obligation_id=obligation.id,
            decided_on=on,
            recorded_by=recorded_by,
        )
        return obligation

    def _hold(
        self, rule_set: str, checks: tuple[RuleCheck, ...], on: date, recorded_by: str
    ) -> None:
        if self.status is DonationStatus.HELD:
            missing = "; ".join(
                c.reason for c in checks if c.outcome is Outcome.DECLARATION_MISSING
            )
            raise StateConflict(
                "declaration-still-missing",
                "Ch. 12.1",
                f"the donation stays held: {missing}",
                field="evidence",
            )
        self.trigger_event(
            self.Held, rule_set=rule_set, checks=checks, decided_on=on, recorded_by=recorded_by
        )

    def _open_obligation(
        self,
        cause: ObligationCause,
        tiyn: int,
        rule: str,
        clause: str,
        on: date,
        configuration: FinanceConfiguration,
        recorded_by: str,
    ) -> ReturnObligation:
        return ReturnObligation.open(
            donation_id=self.id,
            organisation_id=self.organisation_id,
            purpose=self.purpose,
            amount=Amount(tiyn),
            cause=cause,
            rule=rule,
            clause=clause,
            disposition=disposition_for(self.donor, configuration.anonymous_disposition),
            opened_on=on,
            return_within_days=configuration.fund_policy(self.purpose).return_within_days,
            recorded_by=recorded_by,
        )

    def _require_undecided(self) -> None:
        if self.is_decided:
            raise StateConflict(
                "already-decided",
                "Ch. 12.3",
                f"the donation was {self.status.value} on {self.decided_on}; a later finding is "
                "its own event, never an edit",
            )

    def _check_declarations_fit(self, declarations: Declarations | None) -> None:
        fits = (
            declarations is None
            or (
                isinstance(self.donor, PersonDonor) and isinstance(declarations, PersonDeclarations)
            )
            or (
                isinstance(self.donor, OrganisationDonor)
                and isinstance(declarations, OrganisationDeclarations)
            )
        )
        if not fits:
            raise RuleViolation(
                "declarations-match-donor",
                "Ch. 12.1",
                f"a {self.donor.kind.value} donor's declarations are of its own kind",
                field="declarations",
            )
