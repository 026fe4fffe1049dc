"""The finance commands, each deciding inside a unit of work that the batch runner commits
(`partia_kit.batches`); they never save anything themselves."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any
from uuid import UUID

from partia_finance.application import commands as c
from partia_finance.application.dues import dues_handlers
from partia_finance.application.ports import UnitOfWork
from partia_finance.domain.configuration import FinanceConfiguration
from partia_finance.domain.donations import Donation, DonationStatus
from partia_finance.domain.evidence import Evidence
from partia_finance.domain.obligations import ReturnObligation
from partia_finance.domain.policies.findings import finding_clause
from partia_finance.domain.policies.permissibility import RuleBook
from partia_kit.auth import Scope
from partia_kit.batches import Handler, Receipt
from partia_kit.rules import NotFound, StateConflict


def handlers(
    configuration: FinanceConfiguration, rules: RuleBook
) -> Mapping[type[c.Command], Handler]:
    def receive(cmd: c.ReceiveDonation, uow: UnitOfWork) -> Receipt:
        _check_organisation(uow, cmd.organisation_id, cmd.scope)
        if cmd.from_statement:
            try:
                earlier = uow.donation(cmd.donation_id)
            except NotFound:
                pass
            else:  # the same credit imported again: nothing is recorded twice
                return {**_receipt(earlier, None), "already_imported": True}
        donation = Donation.receive(
            donation_id=cmd.donation_id,
            amount=cmd.amount,
            credited_on=cmd.credited_on,
            bank_document=cmd.bank_document,
            organisation_id=cmd.organisation_id,
            purpose=cmd.purpose,
            donor=cmd.donor,
            personal=cmd.personal,
            evidence=cmd.evidence,
            channel=cmd.channel,
            recorded_by=cmd.actor,
        )
        uow.add(donation)
        obligation = _decide(donation, cmd.decided_on or cmd.credited_on, uow, cmd.actor)
        return _receipt(donation, obligation)

    def add_evidence(cmd: c.AddEvidence, uow: UnitOfWork) -> Receipt:
        donation = _in_scope(uow.donation(cmd.donation_id), cmd.scope, uow)
        donation.add_evidence(cmd.documents, cmd.declarations, cmd.added_on, cmd.actor)
        obligation = None
        if donation.status is DonationStatus.HELD:
            try:
                obligation = _decide(donation, cmd.added_on, uow, cmd.actor)
            except StateConflict as still:
                if still.rule != "declaration-still-missing":
                    raise
        return _receipt(donation, obligation)

    def settle(cmd: c.SettleObligation, uow: UnitOfWork) -> Receipt:
        obligation = uow.obligation(cmd.obligation_id)
        if not cmd.scope.covers(uow.organisation_chain(obligation.organisation_id) or ()):
            raise NotFound("obligation", cmd.obligation_id)
        obligation.settle(cmd.payment_reference, cmd.settled_on, cmd.actor)
        return {
            "obligation_id": str(obligation.id),
            "settled_on": cmd.settled_on.isoformat(),
            "payment_reference": cmd.payment_reference,
        }

    def mark_overdue(cmd: c.MarkObligationOverdue, uow: UnitOfWork) -> Receipt:
        obligation = uow.obligation(cmd.obligation_id)
        obligation.mark_overdue(cmd.on, cmd.actor)
        return {"obligation_id": str(obligation.id), "overdue_on": cmd.on.isoformat()}

    def flag_undecided(cmd: c.FlagUndecided, uow: UnitOfWork) -> Receipt:
        donation = uow.donation(cmd.donation_id)
        donation.flag_undecided(cmd.on, configuration, cmd.actor)
        return {"donation_id": str(donation.id), "flagged_on": cmd.on.isoformat()}

    def erase(cmd: c.EraseDonorData, uow: UnitOfWork) -> Receipt:
        donation = _in_scope(uow.donation(cmd.donation_id), cmd.scope, uow)
        donation.erase_personal_data(cmd.erased_on, configuration, cmd.actor)
        return {"donation_id": str(donation.id), "erased_on": cmd.erased_on.isoformat()}

    def find_impermissible(cmd: c.FindImpermissible, uow: UnitOfWork) -> Receipt:
        donation = _in_scope(uow.donation(cmd.donation_id), cmd.scope, uow)
        obligation = donation.find_impermissible(
            rule=cmd.rule,
            clause=finding_clause(cmd.rule),
            reason=cmd.reason,
            evidence=Evidence(cmd.documents),
            found_on=cmd.found_on,
            configuration=configuration,
            recorded_by=cmd.actor,
        )
        if obligation is not None:
            uow.add(obligation)
        return _receipt(donation, obligation)

    def _decide(
        donation: Donation, on: date, uow: UnitOfWork, actor: str
    ) -> ReturnObligation | None:
        """By the rules in force on `on`; the donor's prior total counts only for a capped fund."""
        prior = 0
        cap = configuration.fund_policy(donation.purpose).cap
        number = donation.identification_number
        if cap is not None and number is not None:
            period = cap.period_containing(donation.credited_on)
            prior = uow.accepted_total(number, donation.purpose, period)
        obligation = donation.decide(
            on=on,
            rules=rules,
            configuration=configuration,
            prior_total_tiyn=prior,
            recorded_by=actor,
        )
        if obligation is not None:
            uow.add(obligation)
        return obligation

    return {
        c.ReceiveDonation: receive,
        c.AddEvidence: add_evidence,
        c.SettleObligation: settle,
        c.MarkObligationOverdue: mark_overdue,
        c.FlagUndecided: flag_undecided,
        c.EraseDonorData: erase,
        c.FindImpermissible: find_impermissible,
        **dues_handlers(configuration),
    }


def _check_organisation(uow: UnitOfWork, organisation_id: UUID, scope: Scope) -> None:
    """The receiving organisation is one the registry founded, within the treasurer's subtree
    (decision 165); otherwise it is reported as unknown, exactly as one that does not exist."""
    chain = uow.organisation_chain(organisation_id)
    if chain is None or not scope.covers(chain):
        raise NotFound("organisation", organisation_id, field="organisation_id")


def _in_scope(donation: Donation, scope: Scope, uow: UnitOfWork) -> Donation:
    if not scope.covers(uow.organisation_chain(donation.organisation_id) or ()):
        raise NotFound("donation", donation.id)
    return donation


def _receipt(donation: Donation, obligation: ReturnObligation | None) -> dict[str, Any]:
    return {
        "donation_id": str(donation.id),
        "status": donation.status.value,
        "obligation_id": None if obligation is None else str(obligation.id),
        "rule": donation.rule,  # what refused it (Law Art. 18(2)), so the treasurer sees why
        "clause": donation.clause,
    }
