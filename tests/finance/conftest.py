"""Fixtures of the finance tests: a fresh finance schema per test in the session's PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from partia_finance.composition import Finance, open_finance
from partia_finance.settings import FinanceSettings
from partia_kit.testing import new_master_key, new_schema


@pytest.fixture
def finance_settings(database_url: str) -> FinanceSettings:
    return FinanceSettings(
        database_url=database_url,
        database_schema=new_schema(),
        master_key=new_master_key(),
        api_tokens="tolkyn=treasurer-token",
        pool_size=4,
        data_dir=Path("/nonexistent"),
    )


@pytest.fixture
def finance(finance_settings: FinanceSettings) -> Iterator[Finance]:
    opened = open_finance(finance_settings)
    try:
        yield opened
    finally:
        opened.close()
