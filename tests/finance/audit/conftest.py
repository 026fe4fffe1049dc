"""Fixtures of the finance audit tests: a finance history on the real database (accepted, refused
and held donations in two branches) and its signed export."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any
from uuid import UUID, uuid4

import pytest

from partia_finance.application import commands as c
from partia_finance.composition import Finance
from partia_finance.domain.donors import DonorPersonalData
from partia_finance.domain.evidence import Evidence
from partia_finance.domain.funds import Purpose
from partia_finance.domain.money import Amount
from partia_kit.audit.export import export_history
from partia_kit.audit.signing import generate_keypair, load_private_key
from partia_kit.audit.source import EventTable
from tests.finance.domain.support import (
    CITIZEN_IIN,
    DECLARATION,
    NON_RESIDENT_BIN,
    PAYMENT,
    citizen,
    company,
)
from tests.finance.support import ALMATY, ASTANA, seed_tree

CREDITED = date(2026, 3, 2)
AFTER_RETENTION = date(2031, 3, 3)  # five years from the credit (Ch. 12.9), and a day


@pytest.fixture
def history(finance: Finance) -> list[UUID]:
    """Donations accepted, refused (an obligation opened) and held, in two branches."""
    seed_tree(finance)
    return [
        receive(finance, citizen(), ALMATY),
        receive(finance, company(NON_RESIDENT_BIN), ALMATY),
        receive(finance, citizen(), ASTANA, evidence=Evidence((PAYMENT,))),
        receive(finance, citizen(), ASTANA),
    ]


def receive(
    finance: Finance, donor: Any, organisation: UUID, evidence: Evidence | None = None
) -> UUID:
    donation_id = uuid4()
    outcome = finance.writer.execute(
        c.ReceiveDonation(
            actor="tolkyn",
            donation_id=donation_id,
            amount=Amount(50_000_00),
            credited_on=CREDITED,
            bank_document=f"PP-{donation_id.hex[:6]}",
            organisation_id=organisation,
            purpose=Purpose.party_funds(),
            donor=donor,
            personal=DonorPersonalData(CITIZEN_IIN, "Абенова", "Айгерим")
            if donor.kind.value == "person"
            else None,
            evidence=evidence or Evidence((DECLARATION, PAYMENT)),
        )
    )
    if outcome.error is not None:
        raise outcome.error
    return donation_id


@pytest.fixture
def keys(tmp_path: Path) -> tuple[Path, Path]:
    return generate_keypair(tmp_path / "auditor.key")


@pytest.fixture
def exported(
    finance: Finance, history: list[UUID], keys: tuple[Path, Path], tmp_path: Path
) -> Path:
    out = tmp_path / "finance.jsonl"
    export_history(
        database_url_of(finance), audited_table(finance), out, signing_key=load_private_key(keys[0])
    )
    return out


def database_url_of(finance: Finance) -> str:
    assert finance.settings.database_url is not None
    return finance.settings.database_url


def audited_table(finance: Finance) -> EventTable:
    return EventTable.of_service("finance", finance.settings.database_schema)
