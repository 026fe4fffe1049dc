"""Finance forgets a person the registry erased (DOMAIN §8, Constitution Art. 21; decision 298):
`registry.member.personal_data_erased`, consumed on a real broker by the members' consumer into a
real PostgreSQL, destroys the member's own key in finance, the one their declared dues category
and its evidence are sealed with. Afterwards the category reads back as gone, a new one is
refused as erased, and the dues figures (rate classes, amounts, payments: not personal) stay."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from typing import Any
from uuid import UUID

import pytest
from psycopg.sql import SQL, Identifier

from partia_contracts.registry import v1
from partia_finance.adapters.memberships import MembershipView, consumer
from partia_finance.application import commands as c
from partia_finance.composition import Finance, open_finance
from partia_finance.domain.dues_account import DuesAccount, DuesDeclaration
from partia_finance.domain.policies.dues import DuesCategory
from partia_kit.auth import Scope
from partia_kit.broker import Broker
from partia_kit.rules import StateConflict
from partia_kit.testing import running, wait_for
from tests.finance.adapters.test_memberships import _url
from tests.finance.application.test_dues import queries
from tests.finance.dues_support import PPO_ALMATY, pay, seed_ppos
from tests.finance.memberships_support import History, applied_offsets, publish

MEMBER = UUID("5a4b3c2d-1e0f-4a9b-8c7d-6e5f4a3b2c1d")
WORKING_2026 = 43_250


class ErasingHistory(History):
    def erased(self, member: UUID, on: date) -> None:
        self._add(
            v1.PersonalDataErased,
            member,
            on,
            legal_basis="Law on Personal Data and their Protection, Art. 18",
        )


@contextmanager
def following(finance: Finance, broker: Broker, history: History) -> Iterator[MembershipView]:
    """The members' consumer until every message of `history` published so far is applied."""
    schema = finance.settings.database_schema
    with running(consumer(_url(finance), schema, broker.bootstrap).run, "finance members"):
        wait_for(
            lambda: applied_offsets(_url(finance), schema) == len(history.messages),
            what="every member event",
        )
        yield MembershipView(finance.pool.connection, schema)


def declare(finance: Finance, member: UUID, **given: Any) -> Any:
    values: dict[str, Any] = {
        "actor": "tolkyn",
        "member_id": member,
        "category": DuesCategory.DISABLED,
        "effective_from": date(2026, 3, 1),
        "evidence_reference": "Certificate MSE-2291",
        "monthly_tiyn": None,
        "declared_on": date(2026, 3, 2),
    }
    values.update(given)
    return finance.writer.execute(c.DeclareDuesCategory(**values))


def keys_of(finance: Finance, member: UUID) -> int:
    with finance.pool.connection() as conn:
        row = conn.execute(
            SQL("SELECT count(*) FROM {} WHERE owner_id = %s").format(
                Identifier(finance.settings.database_schema, "finance_personal_data_keys")
            ),
            (member,),
        ).fetchone()
    assert row is not None
    return int(row[0])


def declarations(finance: Finance, member: UUID) -> list[DuesDeclaration | None]:
    """The declared categories as the stored events read back (with this process's vault)."""
    return [
        e.declaration
        for e in finance.events.events.get(member)
        if isinstance(e, DuesAccount.CategoryDeclared)
    ]


@pytest.fixture
def declared(finance: Finance, own_kafka_broker: Broker) -> ErasingHistory:
    """A member admitted on 15 January 2026 (through the consumer) who declared a disability
    from March, with its evidence, and paid one month in cash."""
    seed_ppos(finance)
    history = ErasingHistory()
    history.admitted(MEMBER, date(2026, 1, 15), ppo=PPO_ALMATY)
    publish(own_kafka_broker.bootstrap, history.messages)
    with following(finance, own_kafka_broker, history):
        pass
    assert declare(finance, MEMBER).error is None
    assert pay(finance, MEMBER, amount_tiyn=WORKING_2026, paid_on=date(2026, 2, 1)).error is None
    assert declarations(finance, MEMBER) == [DuesDeclaration("disabled", "Certificate MSE-2291")]
    assert keys_of(finance, MEMBER) == 1
    return history


def test_the_registrys_erasure_destroys_the_members_key_in_finance_and_the_category_is_gone(
    finance: Finance, own_kafka_broker: Broker, declared: ErasingHistory
) -> None:
    """Ch. 12.2's categories can reveal health: once the registry erases the person, the
    declared category and its evidence cannot be read by anyone, in any process."""
    declared.erased(MEMBER, date(2026, 11, 20))
    publish(own_kafka_broker.bootstrap, declared.messages[-1:])
    with following(finance, own_kafka_broker, declared):
        pass
    assert keys_of(finance, MEMBER) == 0
    elsewhere = open_finance(finance.settings, start=False)  # a process with no key in memory
    try:
        assert declarations(elsewhere, MEMBER) == [None]
    finally:
        elsewhere.close()


def test_after_the_erasure_the_dues_figures_stay_and_the_statement_says_the_data_was_erased(
    finance: Finance, own_kafka_broker: Broker, declared: ErasingHistory
) -> None:
    """The withdrawal and the erasure come in one poll (the consumer's batch path); the rate
    class (exempt from March), the amounts and the payment are not personal and stay."""
    declared.withdrew(MEMBER, date(2026, 6, 1), ppo=PPO_ALMATY)
    declared.erased(MEMBER, date(2026, 11, 20))
    publish(own_kafka_broker.bootstrap, declared.messages[-2:])
    with following(finance, own_kafka_broker, declared):
        pass
    assert keys_of(finance, MEMBER) == 0
    statement = queries(finance).statement(Scope(), MEMBER, date(2026, 11, 30))
    assert statement["personal_data_erased_on"] == date(2026, 11, 20)
    assert [(ch["month"], ch["rate_class"]) for ch in statement["charges"][-4:]] == [
        ("2026-02", "working"),
        ("2026-03", "exempt"),
        ("2026-04", "exempt"),
        ("2026-05", "exempt"),
    ]
    assert [p["amount_tiyn"] for p in statement["payments"]] == [WORKING_2026]
    arrears = queries(finance).arrears(Scope(), MEMBER, date(2026, 11, 30))
    # the entrance fee paid; January and February owed at the working rate, nothing after
    assert (arrears["months_owed"], arrears["amount_tiyn"]) == (2, 2 * WORKING_2026)


def test_no_new_category_is_sealed_for_a_member_whose_data_the_registry_erased(
    finance: Finance, own_kafka_broker: Broker, declared: ErasingHistory
) -> None:
    declared.erased(MEMBER, date(2026, 11, 20))
    publish(own_kafka_broker.bootstrap, declared.messages[-1:])
    with following(finance, own_kafka_broker, declared):
        pass
    refused = declare(finance, MEMBER, category=DuesCategory.STUDENT, evidence_reference="Card 1")
    assert isinstance(refused.error, StateConflict)
    assert (refused.error.rule, refused.error.field) == ("personal-data-erased", "member_id")
    assert keys_of(finance, MEMBER) == 0
    before = queries(finance).statement(Scope(), MEMBER, date(2026, 11, 30))
    assert before["personal_data_erased_on"] == date(2026, 11, 20)
