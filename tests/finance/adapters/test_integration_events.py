"""The finance service's integration events: every domain event type is declared published or
not, once; the relay puts each published one on its topic, as its contract, with no personal data
(issue 11 item 1; ARCHITECTURE "each event type is declared once")."""

from __future__ import annotations

import json
from datetime import date
from typing import Any
from uuid import uuid4

from eventsourcing.domain import Aggregate

from partia_contracts.finance import v1
from partia_finance.adapters.integration_events import (
    PUBLISHED,
    UNPUBLISHED,
    to_integration_event,
)
from partia_finance.application import commands as c
from partia_finance.composition import Finance
from partia_finance.domain.donations import Donation
from partia_finance.domain.donors import DonorPersonalData
from partia_finance.domain.dues_account import DuesAccount
from partia_finance.domain.evidence import Evidence
from partia_finance.domain.funds import Purpose
from partia_finance.domain.money import Amount
from partia_finance.domain.obligations import ReturnObligation
from partia_finance.relay import (
    DONATIONS_TOPIC,
    OBLIGATIONS_TOPIC,
    RELAY_NAME,
    TOPICS,
    finance_messages,
)
from partia_kit.broker import Broker
from partia_kit.relay import Relay, RelayConfig, relay_lag
from partia_kit.testing import Record, read_topic, running, wait_for
from tests.finance.domain.support import CITIZEN_IIN, DECLARATION, PAYMENT, citizen
from tests.finance.support import ALMATY, seed_tree


def event_types(aggregate: type[Aggregate]) -> set[type[Any]]:
    """The event classes the aggregate declares (not the library's base classes)."""
    return {
        value
        for name, value in vars(aggregate).items()
        if isinstance(value, type)
        and issubclass(value, Aggregate.Event)
        and name not in ("Event", "Created")
    }


def test_every_finance_domain_event_is_declared_published_or_kept_inside_once() -> None:
    every = event_types(Donation) | event_types(ReturnObligation) | event_types(DuesAccount)
    assert set(PUBLISHED) | UNPUBLISHED == every
    assert not set(PUBLISHED) & UNPUBLISHED
    assert set(PUBLISHED.values()) == set(v1.FINANCE_EVENTS)


def test_the_relay_publishes_a_refused_donation_and_its_obligation_without_personal_data(
    finance: Finance, own_kafka_broker: Broker
) -> None:
    seed_tree(finance)
    foreigner = citizen(citizenship="RU")  # Law Art. 18(2): foreigners may not donate
    outcome = finance.writer.execute(
        c.ReceiveDonation(
            actor="tolkyn",
            donation_id=uuid4(),
            amount=Amount(20_000_00),
            credited_on=date(2026, 3, 2),
            bank_document="PP-77",
            organisation_id=ALMATY,
            purpose=Purpose.party_funds(),
            donor=foreigner,
            personal=DonorPersonalData(CITIZEN_IIN, "Иванов", "Иван"),
            evidence=Evidence((DECLARATION, PAYMENT)),
        )
    )
    assert outcome.receipt is not None, outcome.error
    assert outcome.receipt["status"] == "rejected"
    settings = finance.settings
    assert settings.database_url is not None
    url = settings.database_url
    relay = Relay(
        RelayConfig(
            name=RELAY_NAME,
            database_url=settings.database_url,
            schema=settings.database_schema,
            events_table="finance_events",
            bootstrap_servers=own_kafka_broker.bootstrap,
            topics=TOPICS,
            idle_wait=0.05,
        ),
        finance_messages(finance.events.vault_mapper().without_personal_data()),
    )

    def two(records: list[Record]) -> bool:
        return len(records) >= 2

    def caught_up() -> bool:
        position, head = relay_lag(url, settings.database_schema, RELAY_NAME, "finance_events")
        return position == head

    with running(relay.run, "finance relay"):
        wait_for(caught_up, what="the relay caught up")
        donations = read_topic(own_kafka_broker.bootstrap, DONATIONS_TOPIC, until=two)
        obligations = read_topic(
            own_kafka_broker.bootstrap, OBLIGATIONS_TOPIC, until=lambda r: len(r) >= 1
        )
    types = [r.headers["ce_type"] for r in donations]
    assert types == [b"partia.finance.donation.received.v1", b"partia.finance.donation.rejected.v1"]
    rejected = v1.DonationRejected.model_validate_json(donations[1].value)
    assert rejected.rule == "foreigner-or-stateless-person"
    assert "Art. 18(2)" in rejected.clause
    opened = v1.ObligationOpened.model_validate_json(obligations[0].value)
    assert opened.aggregate_id == rejected.obligation_id
    assert opened.disposition == "return_to_donor"
    published = b"".join(r.value for r in donations + obligations)
    assert CITIZEN_IIN.encode() not in published
    assert "Иванов".encode() not in published
    assert json.loads(donations[0].value)["donor_kind"] == "person"


def test_a_members_dues_events_go_to_the_dues_topic_keyed_by_member_without_the_category() -> None:
    """Issue 12 item 7: payments recorded and reversed and the arrears threshold are published;
    the declared category (it can reveal health or employment, Ch. 12.2) is not."""
    from partia_finance.domain.dues import Arrears
    from partia_finance.domain.policies.dues import DuesCategory
    from partia_finance.relay import DUES_TOPIC
    from partia_finance.relay import _topic as topic_of
    from tests.finance.domain.test_dues import MCI

    member, payment = uuid4(), uuid4()
    account = DuesAccount.open(member, "tolkyn")
    account.declare_category(
        category=DuesCategory.DISABLED,
        effective_from=date(2026, 1, 1),
        evidence_reference="MSE 2291",
        monthly_tiyn=None,
        declared_on=date(2026, 1, 2),
        mci=MCI,
        recorded_by="tolkyn",
    )
    account.record_payment(
        payment_id=payment,
        organisation_id=ALMATY,
        paid_on=date(2026, 3, 10),
        amount_tiyn=129_750,
        channel="cash",
        reference="Receipt 0042",
        recorded_by="tolkyn",
    )
    account.reverse_payment(
        payment_id=payment, reason="Entered twice", reversed_on=date(2026, 3, 11), recorded_by="t"
    )
    account.note_arrears(
        Arrears(date(2026, 4, 1), 3, 129_750, date(2026, 1, 1)),
        organisation_id=ALMATY,
        threshold_months=3,
        recorded_by="finance-clock",
    )
    published = [to_integration_event(e, i) for i, e in enumerate(account.collect_events(), 1)]
    contracts = [p for p in published if p is not None]
    assert [type(p) for p in contracts] == [
        v1.DuesPaymentRecorded,
        v1.DuesPaymentReversed,
        v1.DuesArrearsThresholdReached,
    ]
    assert {p.aggregate_id for p in contracts} == {member}
    assert {topic_of(p.event_type) for p in contracts} == {DUES_TOPIC}
    recorded = contracts[0]
    assert isinstance(recorded, v1.DuesPaymentRecorded)
    assert (recorded.effective_on, recorded.amount_tiyn, recorded.reference) == (
        date(2026, 3, 10),
        129_750,
        "Receipt 0042",
    )
    text = "".join(p.model_dump_json() for p in contracts)
    assert "disabled" not in text
    assert "MSE" not in text
