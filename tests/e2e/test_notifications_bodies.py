"""Notices to party bodies against real processes (issue 13 item 2): the registry's API and relay
on a broker of the test's own, the notifications service's API (`serve`), consumer (`project`)
and sender (`send`) as their own processes, a real SMTP server. A clerk configures the PPO
bureau's office address over the notifications API; a move reported over the registry's API and
never registered reaches it."""

from __future__ import annotations

import uuid
from datetime import date
from pathlib import Path

import httpx
import pytest

from partia_kit import testing
from partia_kit.broker import Broker
from partia_kit.testing import wait_for
from partia_notifications.catcher import CaughtMessage
from tests.e2e.test_notifications_service import a_ppo, applicant, system
from tests.e2e.test_registry_service import decision

pytestmark = pytest.mark.e2e


def test_a_move_not_registered_within_six_months_reaches_the_ppo_bureaus_configured_address(
    database_url: str, own_kafka_broker: Broker, tmp_path: Path
) -> None:
    """Ch. 3.6 / 5.2: a member who moved on 3 February 2025 had until 3 August to register at
    the new place; the bureau of their PPO hears of it at the address configured for it, in the
    language configured for it, with the card number and the PPO named."""
    with (
        system(database_url, own_kafka_broker, tmp_path) as running,
        testing.served(
            "partia_notifications", running.settings, tokens="", **running.environment
        ) as notifications_api,
        running.process("project"),
        running.process("send"),
    ):
        ppo = a_ppo(running)
        member = applicant(running, ppo, date(1980, 3, 3), "Mover", "mover@example.kz", "kk")
        admitted = running.post(
            f"/members/{member}/admission", {"decision": decision("ppo_meeting", ppo, "2025-01-15")}
        )
        configured = httpx.put(
            f"{notifications_api}/bodies/{ppo}/addresses/bureau",
            json={"email": "bureau.ppo7@baytaq.kz", "language": "ru"},
            headers={**running.clerk.headers, "Idempotency-Key": str(uuid.uuid4())},
            timeout=30,
        )
        assert configured.status_code == 200, configured.text
        running.post(f"/members/{member}/residence-changes", {"moved_on": "2025-02-03"})

        def overdue() -> list[CaughtMessage]:
            return [m for m in running.mail_to("bureau.ppo7@baytaq.kz") if "истёк" in m.subject]

        wait_for(lambda: len(overdue()) == 1, what="the overdue residence notice", limit=60)
        [email] = overdue()
        assert email.language == "ru"
        assert "3 августа 2025" in email.text  # the last day to register
        assert "ППО №7" in email.text  # the PPO, by its Russian name
        assert admitted["card_number"]
        assert admitted["card_number"] in email.subject
