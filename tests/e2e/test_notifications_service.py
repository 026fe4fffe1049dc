"""Issue 13 against real processes: the registry (API and relay) publishing to a broker of the
test's own, the notifications service's consumer (`project`), sender (`send`) and API as their own
processes, and a real SMTP server (aiosmtpd) catching the mail. The sender asks the real registry
for the contact with the notifications service account's token."""

from __future__ import annotations

import subprocess
import uuid
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import httpx
import psycopg
import pytest
from psycopg.rows import dict_row
from psycopg.sql import SQL, Identifier

from partia_kit import testing
from partia_kit.auth.issuer import LocalIssuer, local_issuer_environment
from partia_kit.auth.principal import Grant, Role
from partia_kit.auth.scope import party_root
from partia_kit.broker import Broker
from partia_kit.testing import free_port, new_master_key, new_schema, wait_for
from partia_notifications.catcher import CaughtMessage, MailCatcher
from partia_notifications.settings import NotificationsSettings
from partia_registry.settings import RegistrySettings
from tests.e2e.test_registry_service import application, decision
from tests.processes import registry_process, served
from tests.registry.builders import make_iin

pytestmark = pytest.mark.e2e


@dataclass
class System:
    registry: str
    clerk: httpx.Client
    catcher: MailCatcher
    settings: NotificationsSettings
    environment: dict[str, str]
    stack: ExitStack

    def post(self, path: str, body: dict[str, Any]) -> dict[str, Any]:
        response = self.clerk.post(path, json=body, headers={"Idempotency-Key": str(uuid.uuid4())})
        assert response.status_code in (200, 201), response.text
        result: dict[str, Any] = response.json()
        return result

    def process(self, *args: str) -> Any:
        return testing.service_process(
            "partia_notifications", self.settings, *args, tokens="", **self.environment
        )

    def mail_to(self, address: str) -> list[CaughtMessage]:
        return [m for m in self.catcher.messages() if address in m.rcpt_to]

    def deliveries(self) -> list[dict[str, Any]]:
        with psycopg.connect(str(self.settings.database_url), row_factory=dict_row) as conn:
            return list(
                conn.execute(
                    SQL("SELECT * FROM {} ORDER BY queued_at").format(
                        Identifier(self.settings.database_schema, "notifications_deliveries")
                    )
                ).fetchall()
            )

    def sql(self, statement: str) -> None:
        with psycopg.connect(str(self.settings.database_url), autocommit=True) as conn:
            conn.execute(SQL(statement).format(schema=Identifier(self.settings.database_schema)))


@contextmanager
def system(database_url: str, broker: Broker, workspace: Path) -> Iterator[System]:
    issuer = LocalIssuer.generate()
    auth = local_issuer_environment(issuer, workspace / "jwks.json")
    registry_settings = RegistrySettings(
        database_url=database_url,
        database_schema=new_schema(),
        master_key=new_master_key(),
        data_dir=Path("/nonexistent"),
    )
    smtp_port = free_port()
    settings = NotificationsSettings(
        database_url=database_url,
        database_schema=new_schema(),
        master_key=new_master_key(),
        data_dir=Path("/nonexistent"),
        smtp_port=smtp_port,
    )
    party = party_root("baytaq")
    clerk_token = issuer.mint("clerk", [Grant(Role.CLERK, party)])
    service_token = issuer.mint("notifications", [Grant(Role.SERVICE)], service="notifications")
    with ExitStack() as stack:
        # the party's default language here is Russian: not the Kazakh a member may state
        language = {"PARTIA_DEFAULT_LANGUAGE": "ru"}
        base = stack.enter_context(served(registry_settings, tokens="", **auth, **language))
        stack.enter_context(
            registry_process(
                registry_settings, "relay", "--bootstrap", broker.bootstrap, tokens="", **auth
            )
        )
        catcher = MailCatcher("127.0.0.1", smtp_port).start()
        stack.callback(catcher.stop)
        clerk = stack.enter_context(
            httpx.Client(
                base_url=base, headers={"Authorization": f"Bearer {clerk_token}"}, timeout=30
            )
        )
        environment = {
            **auth,
            "PARTIA_KAFKA_BOOTSTRAP": broker.bootstrap,
            "PARTIA_REGISTRY_URL": base,
            "PARTIA_REGISTRY_TOKEN": service_token,
            "PARTIA_SMTP_PORT": str(smtp_port),
            "PARTIA_SEND_IDLE_SECONDS": "0.1",
            "PARTIA_RETRY_FIRST_SECONDS": "0.5",
            "PARTIA_RETRY_MAX_SECONDS": "1",
            # whatever the hour the test runs at: the night is tested with a clock of its own
            "PARTIA_QUIET_HOURS": "off",
        }
        made = System(base, clerk, catcher, settings, environment, stack)
        with made.process("bootstrap") as bootstrap:  # the tables, before anyone looks at them
            assert bootstrap.wait(60) == 0, testing.output_of(bootstrap)
        yield made


def a_ppo(system: System) -> str:
    regions = system.clerk.get("/organisations", params={"kind": "regional_branch"}).json()
    astana = next(r for r in regions["items"] if r["code"] == "astana")["organisation_id"]
    district = system.post(
        "/organisations",
        {
            "kind": "territorial_branch",
            "parent_id": astana,
            "names": {"kk": "Есіл ауданы", "ru": "Есильский район", "en": "Yesil District"},
            "decision": decision("branch_bureau", astana, "2024-12-01"),
        },
    )["organisation_id"]
    return str(
        system.post(
            "/organisations",
            {
                "kind": "primary_organisation",
                "parent_id": district,
                "names": {"kk": "№7 БПҰ", "ru": "ППО №7", "en": "PPO No. 7"},
                "decision": decision("branch_bureau", district, "2024-12-05"),
            },
        )["organisation_id"]
    )


def applicant(
    system: System, ppo: str, born: date, surname: str, email: str, language: str | None = None
) -> str:
    body = application(ppo, make_iin(born), surname)
    body["person"]["email"] = email
    if language is not None:
        body["person"]["preferred_language"] = language
    body["application_document"]["signed_on"] = "2025-01-05"
    return str(system.post("/applications", body)["member_id"])


def test_an_expulsion_over_the_registry_api_puts_one_email_with_the_appeal_deadline_in_the_catcher(
    database_url: str, own_kafka_broker: Broker, tmp_path: Path
) -> None:
    """Ch. 5.1 (issue 13 'done when'): expelled on 30 November, the member, who stated Kazakh,
    reads in Kazakh that they may appeal to the bureau of the branch above their PPO up to and
    including 28 February; Kafka redelivering every event from the start sends nothing twice."""
    with (
        system(database_url, own_kafka_broker, tmp_path) as running,
        running.process("project") as consumer,
        running.process("send"),
    ):
        ppo = a_ppo(running)
        member = applicant(running, ppo, date(1979, 9, 9), "Mover", "mover@example.kz", "kk")
        running.post(
            f"/members/{member}/admission", {"decision": decision("ppo_meeting", ppo, "2025-01-15")}
        )
        expelled = running.post(
            f"/members/{member}/sanctions",
            {
                "kind": "expulsion",
                "grounds": ["discrediting_the_party"],
                "decision": decision("ppo_meeting", ppo, "2025-11-30"),
            },
        )
        assert expelled["appeal_deadline"] == "2026-02-28"

        def sanction_mail() -> list[CaughtMessage]:
            return [m for m in running.mail_to("mover@example.kz") if "жаза" in m.subject]

        wait_for(lambda: len(sanction_mail()) == 1, what="the sanction's email")
        [email] = sanction_mail()
        assert email.language == "kk"
        assert "2026\u202fж. 28 ақпан" in email.text  # the last day to appeal, in Kazakh
        # the body and the organisation that hears the appeal: the district above the PPO
        assert "филиал Саяси кеңесінің Бюросы (Есіл ауданы)" in email.text
        assert "№7 БПҰ" in email.text  # the PPO whose meeting decided, by its Kazakh name
        wait_for(lambda: len(running.mail_to("mover@example.kz")) == 3, what="three notices")
        subjects = sorted(m.subject for m in running.mail_to("mover@example.kz"))
        assert len(set(subjects)) == 3  # application received, admitted, sanction: once each

        # Kafka redelivers everything: the consumer starts over from the first offset and has
        # forgotten which events it saw; the delivery log's unique key still holds
        consumer.terminate()
        consumer.wait(30)
        applied = _applied(running)
        running.sql("UPDATE {schema}.notifications_members_consumer_offsets SET next_offset = 0")
        running.sql("DELETE FROM {schema}.notifications_members_consumer_seen")
        with running.process("project"):
            wait_for(lambda: _applied(running) == applied, what="the events read again")
            wait_for(lambda: _seen(running) == 3, what="the member's three events applied again")
        assert len(running.mail_to("mover@example.kz")) == 3
        statuses = [d["status"] for d in running.deliveries()]
        assert statuses == ["sent"] * 3


def test_a_member_who_stated_no_language_is_written_to_in_the_partys_default(
    database_url: str, own_kafka_broker: Broker, tmp_path: Path
) -> None:
    """The registry answers its default (here Russian) for a person who stated none."""
    with (
        system(database_url, own_kafka_broker, tmp_path) as running,
        running.process("project"),
        running.process("send"),
    ):
        ppo = a_ppo(running)
        applicant(running, ppo, date(1988, 8, 8), "Quiet", "quiet@example.kz")
        wait_for(lambda: len(running.mail_to("quiet@example.kz")) == 1, what="the receipt")
        [email] = running.mail_to("quiet@example.kz")
        assert email.language == "ru"
        assert email.subject == "Ваше заявление о вступлении в партию получено"
        assert "ППО №7" in email.text  # the PPO by its Russian name
        assert "5 января 2025" in email.text  # the day the application was signed


def _seen(system: System) -> int:
    return _count(system, "SELECT count(*) FROM {}", "notifications_members_consumer_seen")


def _applied(system: System) -> int:
    """The sum of the consumer's next offsets over the partitions."""
    sql = "SELECT coalesce(sum(next_offset), 0) FROM {}"
    return _count(system, sql, "notifications_members_consumer_offsets")


def _count(system: System, sql: str, name: str) -> int:
    with psycopg.connect(str(system.settings.database_url)) as conn:
        row = conn.execute(
            SQL(sql).format(Identifier(system.settings.database_schema, name))
        ).fetchone()
    return int(row[0]) if row else 0


def test_a_person_erased_before_the_sender_ran_gets_nothing_and_the_log_keeps_nothing_of_them(
    database_url: str, own_kafka_broker: Broker, tmp_path: Path
) -> None:
    with (
        system(database_url, own_kafka_broker, tmp_path) as running,
        running.process("project"),
    ):
        ppo = a_ppo(running)
        member = applicant(running, ppo, date(1993, 9, 9), "Gone", "gone@example.kz")
        running.post(
            f"/members/{member}/rejection",
            {"decision": decision("ppo_meeting", ppo, "2025-01-20"), "reason": "not signed"},
        )
        running.post(
            f"/members/{member}/erasure",
            {"legal_basis": "the person's request", "request_reference": "REQ-1"},
        )
        wait_for(
            lambda: [d["status"] for d in running.deliveries()] == ["withheld", "withheld"],
            what="both notices withheld",
        )
        with running.process("send") as sender:
            wait_for(lambda: _sender_ran(sender), what="the sender to start")
        assert running.mail_to("gone@example.kz") == []
        assert "gone" not in repr(running.deliveries()).lower()


def _sender_ran(sender: subprocess.Popen[str]) -> bool:
    return "notifications sends to" in testing.output_of(sender)


def test_with_the_mail_server_down_the_notice_waits_and_goes_once_it_is_back(
    database_url: str, own_kafka_broker: Broker, tmp_path: Path
) -> None:
    with (
        system(database_url, own_kafka_broker, tmp_path) as running,
        running.process("project"),
    ):
        running.catcher.stop()
        with running.process("send"):
            ppo = a_ppo(running)
            applicant(running, ppo, date(1985, 5, 5), "Patient", "patient@example.kz")
            wait_for(
                lambda: any(d["attempts"] >= 2 for d in running.deliveries()),
                what="the notice tried twice",
            )
            [waiting] = running.deliveries()
            assert waiting["status"] == "queued"
            assert waiting["last_error"].startswith("smtp:")
            catcher = MailCatcher("127.0.0.1", running.settings.smtp_port)
            running.catcher = catcher.start()
            running.stack.callback(catcher.stop)
            wait_for(lambda: len(running.mail_to("patient@example.kz")) == 1, what="the email")
            wait_for(lambda: running.deliveries()[0]["status"] == "sent", what="logged as sent")
        [sent] = running.deliveries()
        assert sent["attempts"] >= 3
        assert sent["last_error"] is None
