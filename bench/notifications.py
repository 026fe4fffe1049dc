"""Notices delivered by email, next to the raw rate of sending the same messages with smtplib
(issue 13's figures: >= 500 notices/s; a sanction accepted over HTTP to its email in the catcher,
p99 <= 2 s).

    python -m bench.notifications [--notices 5000] [--sanctions 300] [--rate 10] [--runs 1]

One run, side by side on one machine, one PostgreSQL and one mail server:

Part A, the sender (`--notices`):
  1. a throwaway embedded PostgreSQL and the local mail catcher (`python -m partia_notifications
     catch`: aiosmtpd, parsing and keeping every message) as a process of its own;
  2. setup, not timed: N expulsions queued in the delivery log by the members' consumer's own
     handler (`partia_notifications.adapters.events`), one notice each, the organisations they
     name known (a PPO under a territorial and a regional branch);
  3. ceiling: the same N messages (rendered beforehand, built by the mailer's `notice_message`)
     sent with plain smtplib over one connection, before and after the timed run;
  4. TIMED: the real sender (`composition.sender`: the delivery log in PostgreSQL, Jinja2 and
     Babel rendering, the organisations' names, the SMTP mailer) delivers every queued notice,
     batch after batch (`send_batch`) until none is left; every notice must end `sent` and the
     catcher must hold N more messages. Contacts come from an in-process adapter answering from a
     dict (decision 291): a registry process would put the registry's HTTP and its decryption of
     personal data into the figure, which measures the sender.

Part B, a sanction to its email (`--sanctions`, `--rate`; `--sanctions 0` skips it):
  the system as `make run` starts it, each a process of its own: the registry's API and relay,
  the broker, the notifications service's `project` and `send` (contacts from the registry, with
  the notifications service account's token) and the mail catcher, with their default settings.
  Setup, not timed: M members applied and admitted over HTTP, their six notices delivered. TIMED:
  an expulsion per member over HTTP at a steady `--rate` (open loop); latency = the catcher's
  receipt of the member's sanction email - the arrival of the registry's 2xx reply (both the
  machine's wall clock).
"""

from __future__ import annotations

import argparse
import base64
import contextlib
import dataclasses
import multiprocessing
import os
import signal
import smtplib
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime
from multiprocessing.sharedctypes import Synchronized
from multiprocessing.synchronize import Event
from pathlib import Path
from typing import Any, Protocol
from uuid import UUID

import httpx
import psycopg

from bench.cli import BenchmarkFailed, add_output_arguments, finish
from bench.loadgen import percentile
from bench.postgres import throwaway_postgres
from bench.rate import Rate
from partia_kit.messages import IncomingEvent
from partia_kit.testing import free_port
from partia_notifications.adapters import events, organisations
from partia_notifications.adapters.smtp import Outgoing, notice_message
from partia_notifications.application.ports import Contact, Erased, Unknown
from partia_notifications.application.wording import worded
from partia_notifications.composition import Notifications, open_notifications, sender
from partia_notifications.domain import rendering
from partia_notifications.settings import NotificationsSettings

GOAL_RATE = 500.0  # notices per second
GOAL_P99_MS = 2000.0
SCHEMA = "bench_notifications"
LANGUAGES = ("kk", "ru", "en")
PARTY = UUID(int=(0xD0 << 120) + 1)
REGION = UUID(int=(0xD0 << 120) + 2)
DISTRICT = UUID(int=(0xD0 << 120) + 3)
PPO = UUID(int=(0xD0 << 120) + 4)
TREE = (
    (PARTY, None, "party", {"kk": "Байтақ", "ru": "Байтақ", "en": "Baytaq"}),
    (REGION, PARTY, "regional_branch", {"kk": "Астана", "ru": "Астана", "en": "Astana"}),
    (
        DISTRICT,
        REGION,
        "territorial_branch",
        {"kk": "Есіл ауданы", "ru": "Есильский район", "en": "Yesil District"},
    ),
    (PPO, DISTRICT, "primary_organisation", {"kk": "№7 БПҰ", "ru": "ППО №7", "en": "PPO No. 7"}),
)


# --- the mail servers, processes of their own -----------------------------------------------


class MailServer(Protocol):
    smtp_port: int

    def count(self) -> int: ...

    def clear(self) -> None: ...


@dataclass
class Catcher:
    """`python -m partia_notifications catch`, as `make run` starts it (part B)."""

    smtp_port: int
    http_port: int

    def messages(self) -> list[dict[str, Any]]:
        answer = httpx.get(f"http://127.0.0.1:{self.http_port}/messages", timeout=60)
        answer.raise_for_status()
        caught: list[dict[str, Any]] = answer.json()
        return caught

    def count(self) -> int:
        return len(self.messages())

    def clear(self) -> None:
        httpx.delete(f"http://127.0.0.1:{self.http_port}/messages", timeout=60).raise_for_status()


@contextlib.contextmanager
def catcher_process(log: Path) -> Iterator[Catcher]:
    running = Catcher(free_port(), free_port())
    with log.open("wb") as out:
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "partia_notifications",
                "catch",
                "--smtp-port",
                str(running.smtp_port),
                "--http-port",
                str(running.http_port),
            ],
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                running.count()
                break
            except httpx.TransportError:
                if process.poll() is not None or time.monotonic() > deadline:
                    raise BenchmarkFailed(
                        f"the mail catcher did not start: {log.read_text()}"
                    ) from None
                time.sleep(0.1)
        yield running
    finally:
        process.terminate()
        try:
            process.wait(15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _sink(port: int, received: Synchronized[int], ready: Event, stop: Event) -> None:
    """An aiosmtpd server that accepts every message and counts it (part A's mail server)."""
    from aiosmtpd.controller import Controller

    class Count:
        async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
            with received.get_lock():
                received.value += 1
            return "250 Message accepted for delivery"

    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the parent stops it
    controller = Controller(Count(), hostname="127.0.0.1", port=port, ready_timeout=30)
    controller.start()
    ready.set()
    stop.wait()
    controller.stop()


@dataclass
class Sink:
    smtp_port: int
    received: Synchronized[int]

    def count(self) -> int:
        return int(self.received.value)

    def clear(self) -> None:
        with self.received.get_lock():
            self.received.value = 0


@contextlib.contextmanager
def sink_process() -> Iterator[Sink]:
    context = multiprocessing.get_context("spawn")
    received = context.Value("q", 0)
    ready, stop = context.Event(), context.Event()
    port = free_port()
    process = context.Process(target=_sink, args=(port, received, ready, stop), daemon=True)
    process.start()
    try:
        if not ready.wait(60):
            raise BenchmarkFailed("the SMTP sink did not start")
        yield Sink(port, received)
    finally:
        stop.set()
        process.join(15)
        if process.is_alive():
            process.kill()


# --- part A: the sender ---------------------------------------------------------------------


@dataclass
class DictContacts:
    """The registry's contact answers from a dict, in this process (decision 291)."""

    people: dict[UUID, Contact] = field(default_factory=dict)

    def contact(self, member_id: UUID) -> Contact | Erased | Unknown:
        return self.people.get(member_id, Unknown())


def _member(i: int) -> UUID:
    return UUID(int=(0xA0 << 120) + i)


def _incoming(type_: str, data: dict[str, Any]) -> IncomingEvent:
    return IncomingEvent(
        topic="bench",
        partition=0,
        offset=0,
        key=None,
        id=str(uuid.uuid4()),
        type=type_,
        source="/partia/registry",
        subject=None,
        attributes={},
        data=data,
    )


def _expulsion(member: UUID) -> dict[str, Any]:
    return {
        "member_id": str(member),
        "sanction_id": str(uuid.uuid4()),
        "case_id": None,
        "kind": "expulsion",
        "decision": {
            "body": {"kind": "ppo_meeting", "organisation_id": str(PPO)},
            "decided_on": "2025-11-30",
            "reference": "Minutes 7",
        },
        "grounds": ["discrediting_the_party"],
        "other_ground": None,
        "appeal_deadline": "2026-02-28",
        "organisation_id": str(PPO),
        "card_number": "0000042",
        "effective_on": "2025-11-30",
    }


def queue_notices(notifications: Notifications, count: int) -> None:
    """The tree and `count` expulsions through the consumers' own handlers, as from Kafka."""
    schema = notifications.settings.database_schema
    created = organisations.handlers(schema)["partia.registry.organisation.created.v1"]
    sanction = events.handlers(schema)[f"{events.SANCTION}.v1"]
    with psycopg.connect(str(notifications.settings.database_url)) as conn:
        for position, (organisation, parent, kind, names) in enumerate(TREE, 1):
            data = {
                "organisation_id": str(organisation),
                "kind": kind,
                "names": names,
                "parent_id": None if parent is None else str(parent),
                "position": position,
            }
            created(conn, _incoming("partia.registry.organisation.created.v1", data))
        for i in range(count):
            sanction(conn, _incoming(f"{events.SANCTION}.v1", _expulsion(_member(i))))


def contacts_for(count: int) -> DictContacts:
    return DictContacts(
        {
            _member(i): Contact(f"Member {i}", f"member{i}@example.kz", LANGUAGES[i % 3])
            for i in range(count)
        }
    )


def queued_messages(notifications: Notifications, contacts: DictContacts) -> list[Outgoing]:
    """The queued notices rendered and built as the sender would, for smtplib."""
    settings = notifications.settings
    directory = organisations.OrganisationDirectory(notifications.pool, settings.database_schema)
    with notifications.deliveries.claim(1_000_000) as claim:
        built = []
        for due in claim.due:
            assert due.member_id is not None
            contact = contacts.people[due.member_id]
            context = worded(due.context, contact.language, directory)
            notice = rendering.render(
                due.template, contact.language, {**context, "name": contact.full_name}
            )
            built.append(
                notice_message(
                    settings.mail_from,
                    contact.email or "",
                    notice.subject,
                    notice.text,
                    str(due.notice_id),
                    contact.language,
                )
            )
        claim.due = []  # nothing recorded: the notices stay queued
    return built


def raw_smtplib(server: MailServer, messages: list[Outgoing]) -> Rate:
    """The ceiling: every message over one smtplib connection, nothing else."""
    server.clear()
    started = time.perf_counter()
    with smtplib.SMTP("127.0.0.1", server.smtp_port, timeout=30) as connection:
        for message in messages:
            connection.sendmail(message.envelope_from, [message.to], message.data)
    seconds = time.perf_counter() - started
    if (caught := server.count()) != len(messages):
        raise BenchmarkFailed(f"smtplib: the server holds {caught} of {len(messages)} messages")
    return Rate(len(messages), seconds)


def timed_sender(
    notifications: Notifications, contacts: DictContacts, count: int, server: MailServer
) -> Rate:
    server.clear()
    real = dataclasses.replace(sender(notifications), contacts=contacts)
    started = time.perf_counter()
    while real.send_due():
        pass
    seconds = time.perf_counter() - started
    counts = notifications.deliveries.counts()
    if counts != {"sent": count}:
        raise BenchmarkFailed(f"the delivery log after the run: {counts}, expected {count} sent")
    if (caught := server.count()) != count:
        raise BenchmarkFailed(f"sender: the server holds {caught} of {count} messages")
    return Rate(count, seconds)


def requeue(notifications: Notifications) -> None:
    """Every notice queued again, for another timed run."""
    settings = notifications.settings
    with psycopg.connect(str(settings.database_url), autocommit=True) as conn:
        conn.execute(
            f"UPDATE {settings.database_schema}.notifications_deliveries SET status = 'queued',"
            " attempts = 0, sent_at = NULL, message_id = NULL, next_attempt_at = now()"
        )
        conn.execute(f"DELETE FROM {settings.database_schema}.notifications_outbox")
        conn.execute(f"VACUUM ANALYZE {settings.database_schema}.notifications_deliveries")


def sender_figures(
    url: str, server: MailServer, count: int, runs: int, batch: int | None
) -> SenderFigures:
    settings = NotificationsSettings(
        database_url=url,
        database_schema=SCHEMA,
        master_key=base64.b64encode(os.urandom(32)).decode(),
        data_dir=Path("/nonexistent"),
        smtp_port=server.smtp_port,
    )
    if batch is not None:
        settings.send_batch = batch
    notifications = open_notifications(settings)
    try:
        started = time.perf_counter()
        queue_notices(notifications, count)
        contacts = contacts_for(count)
        messages = queued_messages(notifications, contacts)
        print(
            f"setup: {count:,} notices queued and rendered for smtplib in "
            f"{time.perf_counter() - started:.1f} s",
            flush=True,
        )
        before = raw_smtplib(server, messages)
        timed = []
        for run in range(runs):
            if run:
                requeue(notifications)
            timed.append(timed_sender(notifications, contacts, count, server))
            print(
                f"  sender run {run + 1}: {timed[-1].per_second:,.0f} notices/s "
                f"({timed[-1].seconds:.1f} s)",
                flush=True,
            )
        after = raw_smtplib(server, messages)
        return SenderFigures(count, settings.send_batch, timed, before, after)
    finally:
        notifications.close()


@dataclass
class SenderFigures:
    notices: int
    batch: int
    runs: list[Rate]
    before: Rate
    after: Rate

    @property
    def rate(self) -> float:
        return statistics.median(r.per_second for r in self.runs)

    @property
    def ceiling(self) -> float:
        return (self.before.per_second + self.after.per_second) / 2

    @property
    def met(self) -> bool:
        return self.rate >= GOAL_RATE


# --- part B: a sanction over HTTP to its email in the catcher -------------------------------


@dataclass
class LatencyFigures:
    sanctions: int
    rate: float
    achieved_rate: float
    http_ms: list[float] = field(repr=False)
    """Each expulsion's HTTP request -> its 2xx reply."""
    latencies_ms: list[float] = field(repr=False)
    """Each expulsion's 2xx reply -> its email received by the catcher."""

    def p(self, q: float) -> float:
        return percentile(self.latencies_ms, q)

    @property
    def met(self) -> bool:
        return self.p(99) <= GOAL_P99_MS


@dataclass
class System:
    registry: str
    clerk: httpx.Client
    catcher: Catcher


def _decision(ppo: str, on: str) -> dict[str, Any]:
    return {
        "body": {"kind": "ppo_meeting", "organisation_id": ppo},
        "decided_on": on,
        "reference": f"Minutes of {on}",
    }


@contextlib.contextmanager
def running_system(url: str, workdir: Path) -> Iterator[System]:
    """The registry's API and relay, the broker, the catcher, notifications' `project` and
    `send`: processes of their own, with `make run`'s settings (the defaults)."""
    from partia_kit.auth.issuer import LocalIssuer, local_issuer_environment
    from partia_kit.auth.principal import Grant, Role
    from partia_kit.auth.scope import party_root
    from partia_kit.broker import start_broker
    from partia_kit.testing import output_of, served, service_process
    from partia_registry.settings import RegistrySettings

    issuer = LocalIssuer.generate()
    auth = local_issuer_environment(issuer, workdir / "jwks.json")
    key = base64.b64encode(os.urandom(32)).decode()
    registry_settings = RegistrySettings(
        database_url=url,
        database_schema="bench_registry",
        master_key=key,
        data_dir=Path("/nonexistent"),
    )
    clerk_token = issuer.mint("clerk", [Grant(Role.CLERK, party_root("baytaq"))])
    service_token = issuer.mint("notifications", [Grant(Role.SERVICE)], service="notifications")
    limit = {"PARTIA_TOKEN_REQUEST_LIMIT": "1000000/second"}  # one clerk does all the load
    broker = start_broker(log=workdir / "broker.log")
    with contextlib.ExitStack() as stack:
        stack.callback(broker.stop)
        base = stack.enter_context(
            served(
                "partia_registry",
                registry_settings,
                tokens="",
                log=workdir / "registry.log",
                **auth,
                **limit,
            )
        )
        stack.enter_context(
            service_process(
                "partia_registry",
                registry_settings,
                "relay",
                "--bootstrap",
                broker.bootstrap,
                tokens="",
                log=workdir / "relay.log",
                **auth,
            )
        )
        catcher = stack.enter_context(catcher_process(workdir / "catcher.log"))
        settings = NotificationsSettings(
            database_url=url,
            database_schema="bench_notifications_e2e",
            master_key=key,
            data_dir=Path("/nonexistent"),
            smtp_port=catcher.smtp_port,
        )
        environment = {
            **auth,
            "PARTIA_KAFKA_BOOTSTRAP": broker.bootstrap,
            "PARTIA_REGISTRY_URL": base,
            "PARTIA_REGISTRY_TOKEN": service_token,
            "PARTIA_SMTP_PORT": str(catcher.smtp_port),
        }

        def notifications(command: str) -> subprocess.Popen[str]:
            return stack.enter_context(
                service_process(
                    "partia_notifications",
                    settings,
                    command,
                    tokens="",
                    log=workdir / f"notifications-{command}.log",
                    **environment,
                )
            )

        bootstrap = notifications("bootstrap")
        if bootstrap.wait(120) != 0:
            raise BenchmarkFailed(f"notifications bootstrap failed: {output_of(bootstrap)}")
        notifications("project")
        notifications("send")
        clerk = stack.enter_context(
            httpx.Client(
                base_url=base, headers={"Authorization": f"Bearer {clerk_token}"}, timeout=60
            )
        )
        yield System(base, clerk, catcher)


def _post(client: httpx.Client, path: str, body: dict[str, Any]) -> tuple[dict[str, Any], float]:
    """The answer and the wall-clock time it arrived."""
    response = client.post(path, json=body, headers={"Idempotency-Key": str(uuid.uuid4())})
    arrived = time.time()
    if response.status_code not in (200, 201):
        raise BenchmarkFailed(f"POST {path} -> HTTP {response.status_code}: {response.text[:300]}")
    answer: dict[str, Any] = response.json()
    return answer, arrived


def _ppo(system: System) -> str:
    regions = system.clerk.get("/organisations", params={"kind": "regional_branch"}).json()
    region = regions["items"][0]["organisation_id"]
    names = {"kk": "Есіл ауданы", "ru": "Есильский район", "en": "Yesil District"}
    district, _ = _post(
        system.clerk,
        "/organisations",
        {
            "kind": "territorial_branch",
            "parent_id": region,
            "names": names,
            "decision": {
                **_decision(region, "2024-12-01"),
                "body": {"kind": "branch_bureau", "organisation_id": region},
            },
        },
    )
    ppo, _ = _post(
        system.clerk,
        "/organisations",
        {
            "kind": "primary_organisation",
            "parent_id": district["organisation_id"],
            "names": {"kk": "№7 БПҰ", "ru": "ППО №7", "en": "PPO No. 7"},
            "decision": {
                **_decision(district["organisation_id"], "2024-12-05"),
                "body": {"kind": "branch_bureau", "organisation_id": district["organisation_id"]},
            },
        },
    )
    return str(ppo["organisation_id"])


def _members(system: System, ppo: str, count: int) -> list[str]:
    """`count` members applied and admitted, each with an address of their own."""
    from bench.admissions import adult_iins

    iins = adult_iins()

    def one(n: int) -> str:
        body = {
            "organisation_id": ppo,
            "person": {
                "iin": next_iin[n],
                "surname": "Бенчев",
                "given_name": f"Member {n}",
                "address": "Astana",
                "email": f"member{n}@example.kz",
                "preferred_language": LANGUAGES[n % 3],
            },
            "declarations": {"citizenship": "KZ", "member_of_another_party": False},
            "application_document": {
                "form": "electronic_signature",
                "reference": f"EDS-{n}",
                "signed_on": "2026-03-01",
            },
        }
        applied, _ = _post(system.clerk, "/applications", body)
        member = str(applied["member_id"])
        _post(
            system.clerk, f"/members/{member}/admission", {"decision": _decision(ppo, "2026-03-10")}
        )
        return member

    next_iin = [next(iins) for _ in range(count)]
    with ThreadPoolExecutor(8) as pool:
        return list(pool.map(one, range(count)))


def _wait_for_mail(catcher: Catcher, count: int, timeout: float) -> list[dict[str, Any]]:
    deadline = time.monotonic() + timeout
    while len(caught := catcher.messages()) < count:
        if time.monotonic() > deadline:
            raise BenchmarkFailed(f"the catcher holds {len(caught)} of {count} messages")
        time.sleep(0.5)
    return caught


def latency_figures(url: str, workdir: Path, count: int, rate: float) -> LatencyFigures:
    with running_system(url, workdir) as system:
        started = time.perf_counter()
        ppo = _ppo(system)
        members = _members(system, ppo, count)
        _wait_for_mail(system.catcher, 2 * count, 300)  # application received, admitted
        print(
            f"setup: {count} members applied and admitted, their {2 * count} notices caught, in"
            f" {time.perf_counter() - started:.1f} s",
            flush=True,
        )
        system.catcher.clear()
        expulsion = {
            "kind": "expulsion",
            "grounds": ["discrediting_the_party"],
            "decision": _decision(ppo, "2026-11-30"),
        }
        first = time.monotonic() + 0.5

        def expel(n: int) -> tuple[float, float]:
            time.sleep(max(0.0, first + n / rate - time.monotonic()))
            sent = time.time()
            _, answered = _post(system.clerk, f"/members/{members[n]}/sanctions", expulsion)
            return sent, answered

        with ThreadPoolExecutor(32) as pool:
            replies = list(pool.map(expel, range(count)))
        caught = _wait_for_mail(system.catcher, count, 120)
    received: dict[str, float] = {}
    for message in caught:
        at = datetime.fromisoformat(message["received_at"]).timestamp()
        for to in message["rcpt_to"]:
            received[to] = min(at, received.get(to, at))
    latencies = []
    for n, (_, answered) in enumerate(replies):
        caught_at = received.get(f"member{n}@example.kz")
        if caught_at is None:
            raise BenchmarkFailed(f"no email for member {n}'s expulsion")
        latencies.append((caught_at - answered) * 1000)
    span = max(a for _, a in replies) - min(s for s, _ in replies)
    return LatencyFigures(
        sanctions=count,
        rate=rate,
        achieved_rate=count / span if span else 0.0,
        http_ms=sorted((a - s) * 1000 for s, a in replies),
        latencies_ms=sorted(latencies),
    )


# --- the run --------------------------------------------------------------------------------


@dataclass
class Figures:
    sender: SenderFigures
    latency: LatencyFigures | None
    problems: list[str] = field(default_factory=list)

    @property
    def goal_met(self) -> bool:
        return self.sender.met and (self.latency is None or self.latency.met)

    def as_json(self) -> dict[str, Any]:
        figures: dict[str, Any] = {
            "sender": {
                "notices": self.sender.notices,
                "batch": self.sender.batch,
                "contacts": "in-process dict (decision 291)",
                "notices_per_second": self.sender.rate,
                "runs": [r.per_second for r in self.sender.runs],
                "smtplib_per_second": self.sender.ceiling,
                "smtplib_before_after": [
                    self.sender.before.per_second,
                    self.sender.after.per_second,
                ],
                "ratio": self.sender.rate / self.sender.ceiling,
                "goal": {"notices_per_second": GOAL_RATE, "met": self.sender.met},
            }
        }
        if self.latency is not None:
            latency = self.latency
            figures["sanction_to_email"] = {
                "sanctions": latency.sanctions,
                "rate": latency.rate,
                "achieved_rate": latency.achieved_rate,
                "http_p50_p99_ms": [
                    percentile(latency.http_ms, 50),
                    percentile(latency.http_ms, 99),
                ],
                "p50_ms": latency.p(50),
                "p95_ms": latency.p(95),
                "p99_ms": latency.p(99),
                "max_ms": latency.p(100),
                "goal": {"p99_ms": GOAL_P99_MS, "met": latency.met},
            }
        return figures


def run(args: argparse.Namespace) -> Figures:
    with (
        tempfile.TemporaryDirectory(prefix="partia-bench-") as tmp,
        throwaway_postgres() as url,
    ):
        with sink_process() as sink:
            sending = sender_figures(url, sink, args.notices, args.runs, args.batch)
        latency = None
        if args.sanctions:
            latency = latency_figures(url, Path(tmp), args.sanctions, args.rate)
    return Figures(sending, latency)


def print_report(f: Figures) -> None:
    s = f.sender
    print()
    print(
        f"notices rendered and delivered by the sender: {s.rate:>7,.0f} notices/s  "
        f"({s.notices:,} notices, batches of {s.batch}, contacts from an in-process dict; "
        f"runs: {', '.join(f'{r.per_second:,.0f}' for r in s.runs)})"
    )
    print(
        f"ceiling: the same messages with smtplib:      {s.ceiling:>7,.0f} messages/s  "
        f"(one connection, built beforehand; before {s.before.per_second:,.0f}, "
        f"after {s.after.per_second:,.0f})"
    )
    print(f"ratio sender / smtplib:                       {s.rate / s.ceiling:>7.2f}")
    print(f"goal >= {GOAL_RATE:,.0f} notices/s: {'MET' if s.met else 'NOT MET'}")
    if (latency := f.latency) is not None:
        print()
        print(
            f"sanction over HTTP -> email in the catcher: {latency.sanctions} expulsions at "
            f"{latency.rate:g}/s (achieved {latency.achieved_rate:.1f}/s), open loop"
        )
        print(
            f"  HTTP reply              p50 {percentile(latency.http_ms, 50):7.1f}   "
            f"p99 {percentile(latency.http_ms, 99):7.1f} ms"
        )
        print(
            f"  reply -> email caught   p50 {latency.p(50):7.1f}   p95 {latency.p(95):7.1f}   "
            f"p99 {latency.p(99):7.1f}   max {latency.p(100):7.1f} ms"
        )
        print(f"goal p99 <= {GOAL_P99_MS:,.0f} ms: {'MET' if latency.met else 'NOT MET'}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bench.notifications",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--notices", type=int, default=5000, help="part A: notices sent")
    parser.add_argument("--runs", type=int, default=1, help="part A: timed sender runs")
    parser.add_argument(
        "--batch",
        type=int,
        default=None,
        help="part A: the sender's batch (default: PARTIA_SEND_BATCH's default)",
    )
    parser.add_argument("--sanctions", type=int, default=300, help="part B: expulsions (0: skip)")
    parser.add_argument("--rate", type=float, default=10.0, help="part B: expulsions per second")
    add_output_arguments(parser)
    args = parser.parse_args(argv)
    return finish(args, run, print_report, lambda f: f.goal_met)


if __name__ == "__main__":
    sys.exit(main())
