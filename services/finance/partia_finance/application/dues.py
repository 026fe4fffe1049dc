"""The dues commands (issue 12), each deciding inside a unit of work the batch runner commits, like
the donations' (`application.handlers`). A member is someone finance has seen as a member (their
spells from the registry's events): anyone else is refused as unknown, and so is a member of no
organisation in the treasurer's subtree (decision 165, as for donations)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from uuid import UUID

from partia_finance.application import commands as c
from partia_finance.application.ports import UnitOfWork
from partia_finance.domain.configuration import FinanceConfiguration
from partia_finance.domain.dues import MemberSpells, arrears_on
from partia_finance.domain.dues_account import DuesAccount
from partia_finance.domain.policies.dues import COLLECTION_CLAUSE
from partia_kit.auth import Scope
from partia_kit.batches import Handler, Receipt
from partia_kit.rules import NotFound, RuleViolation, StateConflict


def dues_handlers(configuration: FinanceConfiguration) -> Mapping[type[c.Command], Handler]:
    mci = configuration.mci

    def declare(cmd: c.DeclareDuesCategory, uow: UnitOfWork) -> Receipt:
        _member(uow, cmd.member_id, cmd.scope)
        if uow.personal_data_erased(cmd.member_id):  # nothing of theirs is sealed again
            raise StateConflict(
                "personal-data-erased",
                "Constitution Art. 21",  # DOMAIN §8: personal data, erasable
                f"member {cmd.member_id}'s personal data was erased in the registry: a dues"
                " category (personal data) can no longer be recorded for them",
                field="member_id",
            )
        account, new = _account(uow, cmd.member_id, cmd.actor)
        account.declare_category(
            category=cmd.category,
            effective_from=cmd.effective_from,
            evidence_reference=cmd.evidence_reference,
            monthly_tiyn=cmd.monthly_tiyn,
            declared_on=cmd.declared_on,
            mci=mci,
            recorded_by=cmd.actor,
        )
        if new:
            uow.add(account)
        spell = account.categories[cmd.effective_from]
        return {
            "member_id": str(cmd.member_id),
            "effective_from": cmd.effective_from.isoformat(),
            "rate_class": spell.rate.value,
            "monthly_tiyn": spell.voluntary_tiyn,
        }

    def record(cmd: c.RecordDuesPayment, uow: UnitOfWork) -> Receipt:
        member_id = cmd.member_id or _card_holder(uow, cmd.card_number)
        if cmd.member_id is not None and cmd.card_number is not None:
            _same_holder(uow, cmd.member_id, cmd.card_number)
        membership = _member(uow, member_id, cmd.scope)
        account, new = _account(uow, member_id, cmd.actor)
        if cmd.from_statement and cmd.payment_id in account.payments:
            return {**_payment_receipt(member_id, cmd.payment_id), "already_imported": True}
        account.record_payment(
            payment_id=cmd.payment_id,
            organisation_id=membership.organisation_on(cmd.paid_on),
            paid_on=cmd.paid_on,
            amount_tiyn=cmd.amount_tiyn,
            channel=cmd.channel,
            reference=cmd.reference,
            recorded_by=cmd.actor,
        )
        if new:
            uow.add(account)
        return _payment_receipt(member_id, cmd.payment_id)

    def reverse(cmd: c.ReverseDuesPayment, uow: UnitOfWork) -> Receipt:
        _member(uow, cmd.member_id, cmd.scope)
        try:
            account = uow.dues_account(cmd.member_id)
        except NotFound:
            raise NotFound("dues payment", cmd.payment_id, field="payment_id") from None
        account.reverse_payment(
            payment_id=cmd.payment_id,
            reason=cmd.reason,
            reversed_on=cmd.reversed_on,
            recorded_by=cmd.actor,
        )
        return {
            **_payment_receipt(cmd.member_id, cmd.payment_id),
            "reversed_on": cmd.reversed_on.isoformat(),
        }

    def check_arrears(cmd: c.CheckDuesArrears, uow: UnitOfWork) -> Receipt:
        membership = _member(uow, cmd.member_id, cmd.scope)
        account, new = _account(uow, cmd.member_id, cmd.actor)
        arrears = arrears_on(
            membership.spells, account.category_spells, account.dues_payments, mci, cmd.on
        )
        changed = account.note_arrears(
            arrears,
            organisation_id=membership.organisation_on(cmd.on),
            threshold_months=cmd.threshold_months,
            recorded_by=cmd.actor,
        )
        if not changed:
            raise StateConflict(
                "dues-threshold-unchanged",
                "Ch. 3.2, 5.2",
                f"{arrears.months_owed} month(s) owed on {cmd.on.isoformat()}: nothing new to note",
            )
        if new:
            uow.add(account)
        return {
            "member_id": str(cmd.member_id),
            "months_owed": arrears.months_owed,
            "amount_tiyn": arrears.amount_tiyn,
            "threshold_reached": account.threshold_reached_on is not None,
        }

    return {
        c.DeclareDuesCategory: declare,
        c.RecordDuesPayment: record,
        c.ReverseDuesPayment: reverse,
        c.CheckDuesArrears: check_arrears,
    }


def _member(uow: UnitOfWork, member_id: UUID, scope: Scope) -> MemberSpells:
    """The member's spells; unknown to finance, or in no organisation of the actor's subtree,
    they are reported alike: not found."""
    membership = uow.membership(member_id)
    for organisation in {s.organisation_id for s in membership.spells}:
        if scope.covers(uow.organisation_chain(organisation) or ()):
            return membership
    raise NotFound("member", member_id, field="member_id")


def _account(uow: UnitOfWork, member_id: UUID, actor: str) -> tuple[DuesAccount, bool]:
    """The member's account, or a new one (to be added once something is recorded in it: a
    refused command must leave the unit of work as it found it)."""
    try:
        return uow.dues_account(member_id), False
    except NotFound:
        return DuesAccount.open(member_id, actor), True


def _card_holder(uow: UnitOfWork, card_number: str | None) -> UUID:
    """The one member with this party card; none or several is left for a person to match."""
    if not card_number:
        raise RuleViolation(
            "dues-member-named",
            COLLECTION_CLAUSE,
            "a dues payment names the member (member_id) or their party card number",
            field="member_id",
        )
    holders = uow.members_with_card(card_number)
    if not holders:
        raise NotFound("party card", card_number, field="card_number")
    if len(holders) > 1:
        raise RuleViolation(
            "dues-card-ambiguous",
            COLLECTION_CLAUSE,
            f"party card {card_number} matches {len(holders)} members; a person decides",
            field="card_number",
        )
    return holders[0]


def _same_holder(uow: UnitOfWork, member_id: UUID, card_number: str) -> None:
    """A bank line naming the member by IIN and by card: both must name them (decision 297)."""
    if uow.members_with_card(card_number) != [member_id]:
        raise RuleViolation(
            "dues-card-and-iin-differ",
            COLLECTION_CLAUSE,
            f"the IIN names one member and party card {card_number} does not name them alone;"
            " a person decides",
            field="card_number",
        )


def _payment_receipt(member_id: UUID, payment_id: UUID) -> dict[str, Any]:
    return {"member_id": str(member_id), "payment_id": str(payment_id), "status": "recorded"}
