"""`python -m partia_finance project` follows both of the registry's topics (decision 218): the
organisation tree and the membership view fill from the registry's events, and a second copy is
harmless, also when one of the two is killed. Beside them it runs the dues refresher (decision
309), which refreshes the dues of members a large statement only queued."""

from __future__ import annotations

import os
import signal
import uuid
from datetime import UTC, date, datetime
from pathlib import Path

import psycopg
import pytest

from partia_contracts.event_id import derive_event_id
from partia_contracts.registry import v1
from partia_finance.adapters.memberships import MembershipView
from partia_finance.adapters.organisations import TOPIC as ORGANISATIONS
from partia_finance.adapters.organisations import OrganisationTree
from partia_finance.migrations.versions.f0005_dues_refresher import IN_TRANSACTION
from partia_finance.settings import FinanceSettings
from partia_kit import testing
from partia_kit.broker import Broker
from partia_kit.messages import OutboundMessage, contract_message
from partia_kit.testing import new_master_key, new_schema, output_of, wait_for
from tests.finance.memberships_support import (
    PPO_A,
    History,
    applied_offsets,
    publish,
    spells,
)

pytestmark = pytest.mark.e2e


def _ppo_founded(ppo: uuid.UUID) -> list[OutboundMessage]:
    on = date(2024, 1, 20)
    created = v1.OrganisationCreated(
        event_id=derive_event_id(ppo, 1),
        aggregate_id=ppo,
        aggregate_version=1,
        position=1,
        recorded_at=datetime(2026, 11, 1, tzinfo=UTC),
        recorded_by="registrar",
        effective_on=on,
        organisation_id=ppo,
        kind=v1.OrganisationKind.PRIMARY_ORGANISATION,
        parent_id=uuid.uuid4(),
        names=v1.OrganisationNames(kk="PPO", ru="PPO", en="PPO"),
        decision=None,
    )
    return [contract_message(ORGANISATIONS, created, "/partia/registry", 1)]


def test_two_project_processes_fill_both_views_once_and_one_may_be_killed(
    database_url: str, own_kafka_broker: Broker, tmp_path: Path
) -> None:
    settings = FinanceSettings(
        database_url=database_url,
        database_schema=new_schema(),
        master_key=new_master_key(),
        data_dir=Path("/nonexistent"),
    )
    schema, bootstrap = settings.database_schema, own_kafka_broker.bootstrap
    members = [uuid.UUID(int=i + 1) for i in range(60)]
    history = History()
    for i, m in enumerate(members):
        history.admitted(m, date(2025, 1, 1 + i % 28), card=f"C{i}")
    publish(bootstrap, history.messages)
    history.messages.clear()
    for i, m in enumerate(members):
        history.withdrew(m, date(2026, 2, 1), card=f"C{i}")
    publish(bootstrap, _ppo_founded(PPO_A))
    args = ("project", "--bootstrap", bootstrap)
    with (
        testing.service_process("partia_finance", settings, *args, tokens="") as one,
        testing.service_process("partia_finance", settings, *args, tokens="") as two,
    ):
        wait_for(lambda: applied_offsets(database_url, schema) == 60, limit=90, what="admissions")
        tree = OrganisationTree(lambda: psycopg.connect(database_url), schema)
        wait_for(lambda: tree.chain(PPO_A) is not None, what="the PPO in finance's tree")
        os.kill(one.pid, signal.SIGKILL)  # the busy one or the idle one: either way
        one.wait()
        publish(bootstrap, history.messages)
        wait_for(lambda: applied_offsets(database_url, schema) == 120, limit=90, what="the rest")
        loaded = _bulk_load(database_url, schema, IN_TRANSACTION + 20)
        wait_for(
            lambda: _positions(database_url, schema, loaded) == len(loaded),
            what="the dues refresher of the surviving process",
        )
        assert two.poll() is None, output_of(two)
        assert (
            "finance follows partia.registry.organisations.v1 and partia.registry.members.v1"
            in (output_of(two))
        )
    view = MembershipView(lambda: psycopg.connect(database_url), schema)
    assert view.members_of(PPO_A, date(2025, 12, 31)) == members
    assert view.members_of(PPO_A, date(2026, 2, 1)) == []
    assert len(spells(database_url, schema)) == 60 + len(loaded)


def _bulk_load(url: str, schema: str, count: int) -> list[uuid.UUID]:
    """Stints of `count` members in one statement: more than one transaction refreshes."""
    members, elsewhere = [uuid.uuid4() for _ in range(count)], uuid.uuid4()
    with psycopg.connect(url, autocommit=True) as conn:
        statement = (
            f'COPY "{schema}".finance_membership_spells (member_id, organisation_id, from_on,'
            " opened_by, card_number, registry_position) FROM STDIN"
        )
        with conn.cursor().copy(statement) as copy:
            for i, member in enumerate(members):
                copy.write_row((member, elsewhere, date(2025, 3, 1), "admission", f"B{i}", 1))
    return members


def _positions(url: str, schema: str, members: list[uuid.UUID]) -> int:
    with psycopg.connect(url) as conn:
        row = conn.execute(
            f'SELECT count(*) FROM "{schema}".finance_dues_positions WHERE member_id = ANY(%s)',
            (members,),
        ).fetchone()
    return int(row[0]) if row else 0
