"""/health, /ready and /metrics of real processes, over HTTP, without a token (decision 112).

The relays here publish to a broker of the test's own: the registry's topic names are fixed, and
the session's broker is read by tests that expect each event on it once."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Any

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from partia_kit.broker import Broker
from partia_kit.testing import free_port, wait_for
from partia_registry.settings import RegistrySettings
from tests.e2e.test_registry_service import application, decision
from tests.processes import registry_process, served
from tests.registry.builders import make_iin

pytestmark = pytest.mark.e2e

TOKEN = {"Authorization": "Bearer e2e-token"}


def post(base: str, path: str, body: dict[str, Any]) -> httpx.Response:
    headers = {**TOKEN, "Idempotency-Key": str(uuid.uuid4())}
    return httpx.post(f"{base}{path}", json=body, headers=headers, timeout=30)


def ready(base: str) -> httpx.Response:
    return httpx.get(f"{base}/ready", timeout=10)


def metric(text: str, name: str, **labels: str) -> float | None:
    """The value of one sample of the Prometheus text `text` (None if absent)."""
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            if sample.name == name and sample.labels == labels:
                return float(sample.value)
    return None


def test_ready_turns_503_while_the_relay_lags_past_its_limit_and_200_once_it_caught_up(
    settings: RegistrySettings, own_kafka_broker: Broker
) -> None:
    with served(settings, tokens="registrar=e2e-token", PARTIA_READY_MAX_RELAY_LAG="3") as base:
        assert httpx.get(f"{base}/health").json() == {"status": "ok"}
        # the party's bootstrap logged some twenty events and no relay has published them
        waiting = ready(base)
        assert waiting.status_code == 503
        checks = waiting.json()["checks"]
        assert checks["database"]["ok"] is True
        assert checks["relay_lag"] == {
            "ok": False,
            "value": checks["relay_lag"]["value"],
            "limit": 3,
        }
        assert checks["relay_lag"]["value"] > 3
        wait_for(lambda: ready(base).json()["checks"]["projection_lag"]["ok"], what="the runner")

        with registry_process(
            settings,
            "relay",
            "--bootstrap",
            own_kafka_broker.bootstrap,
            tokens="registrar=e2e-token",
        ):
            wait_for(lambda: ready(base).status_code == 200, what="/ready after the relay ran")
        caught_up = ready(base).json()["checks"]
        assert caught_up["relay_lag"]["value"] == 0
        assert caught_up["projection_lag"]["value"] == 0


def test_metrics_count_an_accepted_and_a_refused_command_and_time_requests_by_route(
    settings: RegistrySettings,
) -> None:
    with served(settings, tokens="registrar=e2e-token") as base:
        regions = httpx.get(
            f"{base}/organisations", params={"kind": "regional_branch"}, headers=TOKEN
        ).json()
        astana = next(r for r in regions["items"] if r["code"] == "astana")["organisation_id"]
        accepted = post(
            base,
            "/organisations",
            {
                "kind": "territorial_branch",
                "parent_id": astana,
                "names": {"kk": "Есіл", "ru": "Есиль", "en": "Yesil"},
                "decision": decision("branch_bureau", astana, "2026-01-10"),
            },
        )
        assert accepted.status_code == 201, accepted.text
        refused = post(base, "/applications", application(astana, make_iin(date(1991, 1, 1)), "B"))
        assert refused.status_code == 422, refused.text
        branch = accepted.json()["organisation_id"]
        assert httpx.get(f"{base}/organisations/{branch}", headers=TOKEN).status_code == 200

        scraped = httpx.get(f"{base}/metrics")
        assert scraped.status_code == 200
        assert scraped.headers["content-type"].startswith("text/plain")
        text = scraped.text
        assert (
            metric(
                text,
                "partia_commands_total",
                command="CreateOrganisation",
                outcome="accepted",
                rule="",
            )
            == 1
        )
        assert (
            metric(
                text,
                "partia_commands_total",
                command="SubmitApplication",
                outcome="refused",
                rule=refused.json()["rule"],
            )
            == 1
        )
        by_route = {"method": "GET", "route": "/organisations/{organisation_id}", "status": "200"}
        assert metric(text, "partia_http_request_duration_seconds_count", **by_route) == 1
        assert branch not in text  # a series per route template, never per organisation or member
        assert metric(text, "partia_positions_up", service="registry") == 1
        head = metric(text, "partia_event_log_position", service="registry")
        assert head is not None
        assert head > 20
        assert metric(text, "partia_relay_lag_events", service="registry", relay="registry") == head
        assert metric(text, "partia_read_model_lag_events", service="registry") is not None


def test_project_and_relay_serve_health_ready_and_metrics_on_their_metrics_port(
    settings: RegistrySettings, own_kafka_broker: Broker
) -> None:
    tokens = "registrar=e2e-token"
    ports = {"project": free_port(), "relay": free_port()}
    with (
        served(settings, "--no-projection", tokens=tokens),
        registry_process(
            settings, "project", tokens=tokens, PARTIA_METRICS_PORT=str(ports["project"])
        ),
        registry_process(
            settings,
            "relay",
            "--bootstrap",
            own_kafka_broker.bootstrap,
            tokens=tokens,
            PARTIA_METRICS_PORT=str(ports["relay"]),
        ),
    ):
        for command, port in ports.items():
            base = f"http://127.0.0.1:{port}"
            wait_for(lambda b=base: _answers(f"{b}/health"), what=f"{command}'s /health")
            assert httpx.get(f"{base}/health").json() == {"status": "ok"}
            wait_for(lambda b=base: ready(b).status_code == 200, what=f"{command}'s /ready")
            checks = ready(base).json()["checks"]
            own = "relay_lag" if command == "relay" else "projection_lag"
            assert set(checks) == {"database", own}
            text = httpx.get(f"{base}/metrics").text
            assert metric(text, "partia_positions_up", service="registry") == 1
            relay = {"service": "registry", "relay": "registry"}
            assert metric(text, "partia_relay_position", **relay) is not None
            assert metric(text, "partia_relay_lag_events", **relay) is not None
            assert httpx.get(f"{base}/elsewhere").status_code == 404


def _answers(url: str) -> bool:
    try:
        return httpx.get(url).status_code == 200
    except httpx.TransportError:
        return False
