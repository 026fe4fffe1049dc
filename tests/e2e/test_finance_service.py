"""The finance service as its users reach it (issue 11 item 1): `python -m partia_finance serve`
on the shared PostgreSQL in a schema of its own, /health, /ready and /metrics without a token, every
other operation behind a bearer token, refusals as problem+json."""

from __future__ import annotations

import time
from pathlib import Path

import httpx
import psycopg
import pytest

from partia_finance.settings import FinanceSettings
from partia_kit import testing
from partia_kit.testing import new_master_key, new_schema, output_of

pytestmark = pytest.mark.e2e

MODULE = "partia_finance"


@pytest.fixture
def settings(database_url: str) -> FinanceSettings:
    return FinanceSettings(
        database_url=database_url,
        database_schema=new_schema(),
        master_key=new_master_key(),
        data_dir=Path("/nonexistent"),
    )


def test_the_finance_service_serves_health_ready_and_metrics_in_its_own_schema(
    settings: FinanceSettings, database_url: str
) -> None:
    with testing.served(MODULE, settings, tokens="tolkyn=treasurer-token") as base:
        assert httpx.get(f"{base}/health").json() == {"status": "ok"}
        ready = httpx.get(f"{base}/ready")
        assert ready.status_code == 200, ready.text
        assert set(ready.json()["checks"]) == {"database", "relay_lag"}
        metrics = httpx.get(f"{base}/metrics").text
        assert 'partia_positions_up{service="finance"} 1.0' in metrics
        assert "partia_finance_dues_queued 0.0" in metrics  # decision 309
        assert httpx.get(f"{base}/openapi.json").json()["info"]["title"] == "Partia finance"
    with psycopg.connect(database_url) as conn:
        tables = {
            row[0]
            for row in conn.execute(
                "SELECT tablename FROM pg_tables WHERE schemaname = %s",
                (settings.database_schema,),
            )
        }
    assert {"finance_events", "finance_idempotency", "finance_personal_data_keys"} <= tables


def test_the_finance_service_refuses_to_start_with_static_tokens_in_production(
    settings: FinanceSettings,
) -> None:
    with testing.service_process(
        MODULE,
        settings,
        "serve",
        "--port",
        "0",
        tokens="dev=dev-token",
        PARTIA_ENVIRONMENT="production",
    ) as child:
        assert child.wait(timeout=60) == 2
        assert "static tokens are for local development only" in output_of(child)


def test_the_daily_clock_runs_at_once_then_waits_for_its_hour_and_stops_on_sigterm(
    settings: FinanceSettings,
) -> None:
    """Issue 11 item 4 where no scheduler runs it (docker-compose): `clock --daily-at 01:00`
    runs the clock on start, says when the next run is, and ends cleanly when stopped."""
    with testing.service_process(
        MODULE, settings, "clock", "--daily-at", "01:00", tokens=""
    ) as child:
        deadline = time.monotonic() + 120
        while "next clock run at" not in output_of(child) and time.monotonic() < deadline:
            assert child.poll() is None, output_of(child)
            time.sleep(0.2)
        said = output_of(child)
        assert "0 obligations overdue, 0 donations flagged" in said
        assert "T01:00:00+00:00" in said
        child.terminate()
        assert child.wait(timeout=30) == 0, output_of(child)


def test_the_clock_runs_as_its_own_command_and_a_second_run_changes_nothing(
    settings: FinanceSettings,
) -> None:
    """Issue 11 item 4: `python -m partia_finance clock` (daily); safe to run twice."""
    for _ in range(2):
        with testing.service_process(
            MODULE, settings, "clock", "--on", "2026-04-02", tokens=""
        ) as child:
            assert child.wait(timeout=120) == 0, output_of(child)
            assert "2026-04-02: 0 obligations overdue, 0 donations flagged" in output_of(child)
