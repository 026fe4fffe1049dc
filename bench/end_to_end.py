"""End to end: from an admission's HTTP reply to its effect in a consumer, at a steady rate.

    python -m bench.end_to_end [--rate 500] [--seconds 30]

One run on one machine, every part in its own process, as in production:
  1. a throwaway embedded PostgreSQL, the embedded broker (Tansu, memory storage), the registry
     (`python -m partia_registry serve`), its relay (`python -m partia_registry relay`), and a
     consumer (`partia_kit.consumer`: effect and position in one PostgreSQL transaction) whose
     effect records each admitted member; after each commit it notes the time (`time.time()`);
  2. set-up, untimed: a territorial branch, PPOs, and rate x seconds applications through the
     API; waits until the consumer has applied every one of them;
  3. TIMED: admits those applicants at a steady `--rate` for `--seconds`, open loop (each
     request leaves at its scheduled time, whatever the earlier replies do);
  4. waits until the consumer has applied every admission.
Latency per admission = the consumer's commit of its effect - the arrival of the registry's
2xx reply (accepted). Goal (issue 9): p99 <= 500 ms. Both clocks are the machine's wall clock.
"""

from __future__ import annotations

import argparse
import base64
import cProfile
import json
import math
import multiprocessing
import os
import pstats
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from multiprocessing.synchronize import Event
from pathlib import Path
from typing import Any

import psycopg

from bench.admissions import (
    HOST,
    CpuMeter,
    admission,
    adult_iins,
    application,
    check_load,
    create_organisations,
    member_ids,
    registry_import_path,
    registry_server,
    stop,
)
from bench.cli import BenchmarkFailed, add_output_arguments, finish
from bench.loadgen import Sent, percentile, run_async, run_load, run_open_loop
from bench.postgres import throwaway_postgres
from partia_kit.relay import RelayConfig

GOAL_P99_MS = 500.0
ASYNC_COMMIT = "&options=-c%20synchronous_commit%3Doff"
IDLE_WINDOW = 3.0  # seconds of nothing written, to see what the relay's polling costs
CONSUMER = "bench_e2e"
SCHEMA = "bench_consumer"
ADMITTED = "partia.registry.member.admitted.v1"
SUBMITTED = "partia.registry.member.application_submitted.v1"


# --- the consumer (its own process) ---------------------------------------------------------


def consumer_process(
    database_url: str, bootstrap: str, out: str, stop_event: Event, profile: bool
) -> None:
    """Apply admissions and applications (one effect row each, with the database's time of the
    insert; the figures use the time after the commit, below) until `stop_event`; then write
    {"handled:<type>" or "committed:<type>": {member id: time.time()}} to `out` (when the handler
    started, when the transaction had committed)."""
    from partia_kit.consumer import Consumer, ConsumerConfig
    from partia_kit.messages import IncomingEvent
    from partia_registry.relay import MEMBERS_TOPIC

    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the parent stops it
    with psycopg.connect(database_url, autocommit=True) as conn:
        conn.execute(f"CREATE SCHEMA IF NOT EXISTS {SCHEMA}")
        conn.execute(
            f"CREATE TABLE IF NOT EXISTS {SCHEMA}.applied (event_id text PRIMARY KEY,"
            " event_type text NOT NULL, member_id text NOT NULL,"
            " applied_at timestamptz NOT NULL DEFAULT clock_timestamp())"
        )

    times: dict[str, dict[str, float]] = {
        f"{stage}:{kind}": {}
        for stage in ("handled", "committed")
        for kind in (ADMITTED, SUBMITTED)
    }

    def effect(conn: psycopg.Connection[Any], event: IncomingEvent) -> None:
        times[f"handled:{event.type}"].setdefault(str(event.subject), time.time())
        conn.execute(
            f"INSERT INTO {SCHEMA}.applied (event_id, event_type, member_id) VALUES (%s, %s, %s)",
            (event.id, event.type, event.subject),
        )

    def after_commit(event: IncomingEvent) -> None:
        times[f"committed:{event.type}"].setdefault(str(event.subject), time.time())

    config = ConsumerConfig(
        name=CONSUMER,
        database_url=database_url,
        schema=SCHEMA,
        bootstrap_servers=bootstrap,
        topics=[MEMBERS_TOPIC],
    )
    consumer = Consumer(config, {ADMITTED: effect, SUBMITTED: effect}, after_effect=after_commit)
    stopping = threading.Event()

    def watch() -> None:
        stop_event.wait()
        stopping.set()

    threading.Thread(target=watch, daemon=True).start()
    profiler = cProfile.Profile() if profile else None
    if profiler is not None:
        profiler.enable()
    try:
        consumer.run(stopping)
    finally:
        if profiler is not None:
            profiler.disable()
            pstats.Stats(profiler).sort_stats("cumulative").print_stats(40)
        Path(out).write_text(json.dumps(times))


def applied_count(database_url: str, event_type: str) -> int:
    with psycopg.connect(database_url, autocommit=True) as conn:
        exists = conn.execute("SELECT to_regclass(%s)", (f"{SCHEMA}.applied",)).fetchone()
        if not exists or exists[0] is None:
            return 0
        row = conn.execute(
            f"SELECT count(*) FROM {SCHEMA}.applied WHERE event_type = %s", (event_type,)
        ).fetchone()
        return int(row[0]) if row else 0


def wait_for_consumer(database_url: str, event_type: str, count: int, timeout: float) -> float:
    """Seconds until the consumer applied `count` events of `event_type`."""
    started = time.monotonic()
    while (n := applied_count(database_url, event_type)) < count:
        if time.monotonic() - started > timeout:
            raise BenchmarkFailed(
                f"the consumer applied {n} of {count} {event_type} within {timeout:.0f} s"
            )
        time.sleep(0.2)
    return time.monotonic() - started


def produce_times(bootstrap: str, count: int) -> dict[str, float]:
    """{member id: when the relay produced its admission} from the Kafka record timestamps
    (CreateTime, set by the relay's producer; milliseconds)."""
    from kafka import KafkaConsumer, TopicPartition

    from partia_registry.relay import MEMBERS_TOPIC

    reader = KafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False)
    produced: dict[str, float] = {}
    try:
        partitions = [
            TopicPartition(MEMBERS_TOPIC, p)
            for p in reader.partitions_for_topic(MEMBERS_TOPIC) or ()
        ]
        reader.assign(partitions)
        reader.seek_to_beginning(*partitions)
        deadline = time.monotonic() + 60
        while len(produced) < count and time.monotonic() < deadline:
            for records in reader.poll(timeout_ms=500).values():
                for r in records:
                    headers = dict(r.headers)
                    if headers.get("ce_type") == ADMITTED.encode():
                        produced[headers["ce_subject"].decode()] = r.timestamp / 1000
    finally:
        reader.close()
    return produced


# --- the processes --------------------------------------------------------------------------


@contextmanager
def relay_process(
    database_url: str, master_key: str, bootstrap: str, idle_wait: float, log: Path
) -> Iterator[subprocess.Popen[bytes]]:
    env = {**os.environ, "PARTIA_DATABASE_URL": database_url, "PARTIA_MASTER_KEY": master_key}
    if extra := registry_import_path():
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [extra, env.get("PYTHONPATH")]))
    with log.open("wb") as out:
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "partia_registry",
                "relay",
                "--bootstrap",
                bootstrap,
                "--idle-wait",
                str(idle_wait),
            ],
            env=env,
            cwd=log.parent,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        yield process
    finally:
        stop(process)


@contextmanager
def consumer(
    database_url: str, bootstrap: str, out: Path, profile: bool
) -> Iterator[dict[str, dict[str, float]]]:
    """Yields what `consumer_process` wrote, once the consumer has stopped."""
    committed: dict[str, dict[str, float]] = {}
    context = multiprocessing.get_context("spawn")
    stop_event = context.Event()
    process = context.Process(
        target=consumer_process, args=(database_url, bootstrap, str(out), stop_event, profile)
    )
    process.start()
    try:
        yield committed
    finally:
        stop_event.set()
        process.join(30)
        if process.is_alive():
            process.kill()
        if out.exists():
            committed.update(json.loads(out.read_text()))


@contextmanager
def broker() -> Iterator[str]:
    from partia_kit.broker import start_broker

    running = start_broker()
    try:
        yield running.bootstrap
    finally:
        running.stop()


# --- the figures ----------------------------------------------------------------------------


@dataclass
class Stages:
    """Per member id, when its admission was produced, handled and committed (`time.time()`)."""

    produced: dict[str, float]
    handled: dict[str, float]
    committed: dict[str, float]


def _ms(values: list[float]) -> list[float]:
    return sorted(v * 1000 for v in values)


@dataclass
class Figures:
    rate: float
    seconds: float
    sent: int
    achieved_rate: float
    """Admissions answered per second over the timed phase (first send to last reply)."""
    http_p50_ms: float
    http_p99_ms: float
    late_sends_p99_ms: float
    """How late requests left against their schedule (waiting for a free connection)."""
    latencies_ms: list[float] = field(repr=False)
    relay_ms: list[float] = field(repr=False)
    """Reply -> produced by the relay (negative when the relay was quicker than the reply)."""
    delivery_ms: list[float] = field(repr=False)
    """Produced -> the consumer's handler started (broker, fetch, the consumer's queue)."""
    apply_ms: list[float] = field(repr=False)
    """Handler started -> the transaction committed."""
    catch_up_seconds: float
    problems: list[str]
    relay_cpu_idle: float = 0.0
    """The relay process's CPU (share of a core) while nothing is written: its idle polling."""
    relay_cpu_busy: float = 0.0
    """The same during the timed phase."""

    def p(self, q: float) -> float:
        return percentile(self.latencies_ms, q)

    @property
    def goal_met(self) -> bool:
        return not self.problems and self.p(99) <= GOAL_P99_MS

    def as_json(self) -> dict[str, Any]:
        figures = asdict(self)
        for name in ("latencies_ms", "relay_ms", "delivery_ms", "apply_ms"):
            values = figures.pop(name)
            figures[name.replace("_ms", "_p50_p99_ms")] = [
                percentile(values, 50),
                percentile(values, 99),
            ]
        figures.update(
            p50_ms=self.p(50),
            p95_ms=self.p(95),
            p99_ms=self.p(99),
            max_ms=self.p(100),
            goal={"p99_ms": GOAL_P99_MS, "met": self.goal_met},
        )
        return figures


def figures(
    args: argparse.Namespace,
    sent: list[Sent],
    stages: Stages,
    members: list[str],
    catch_up: float,
) -> Figures:
    problems: list[str] = []
    latencies: list[float] = []
    relay: list[float] = []
    delivery: list[float] = []
    apply: list[float] = []
    for member, request in zip(members, sent, strict=True):
        committed = stages.committed.get(member)
        if not 200 <= request.status < 300:
            problems.append(f"admission of {member}: HTTP {request.status}: {request.body[:200]!r}")
        elif committed is None:
            problems.append(f"admission of {member} was never applied by the consumer")
        else:
            latencies.append(committed - request.answered)
            handled = stages.handled[member]
            apply.append(committed - handled)
            if (produced := stages.produced.get(member)) is not None:
                relay.append(produced - request.answered)
                delivery.append(handled - produced)
    answered = [s.answered for s in sent if not math.isnan(s.answered)]
    elapsed = max(answered) - min(s.sent for s in sent)
    http = sorted((s.answered - s.sent) * 1000 for s in sent if not math.isnan(s.answered))
    late = sorted((s.sent - s.scheduled) * 1000 for s in sent)
    return Figures(
        rate=args.rate,
        seconds=args.seconds,
        sent=len(sent),
        achieved_rate=len(answered) / elapsed,
        http_p50_ms=percentile(http, 50),
        http_p99_ms=percentile(http, 99),
        late_sends_p99_ms=percentile(late, 99),
        latencies_ms=_ms(latencies),
        relay_ms=_ms(relay),
        delivery_ms=_ms(delivery),
        apply_ms=_ms(apply),
        catch_up_seconds=catch_up,
        problems=problems,
    )


def print_report(f: Figures) -> None:
    verdict = "INVALID (errors)" if f.problems else "MET" if f.goal_met else "NOT MET"
    print()
    print(f"end to end: {f.sent:,} admissions at {f.rate:,.0f}/s for {f.seconds:.0f} s (open loop)")
    print(f"  achieved rate            {f.achieved_rate:8.0f} admissions/s")
    print(f"  HTTP reply               p50 {f.http_p50_ms:7.1f}   p99 {f.http_p99_ms:7.1f} ms")
    print(f"  sends late (p99)         {f.late_sends_p99_ms:8.1f} ms")
    print(
        f"  reply -> consumer commit p50 {f.p(50):7.1f}   p95 {f.p(95):7.1f}   "
        f"p99 {f.p(99):7.1f}   max {f.p(100):7.1f} ms"
    )
    for label, values in (
        ("  reply -> relay produced", f.relay_ms),
        ("  produced -> handler    ", f.delivery_ms),
        ("  handler -> commit      ", f.apply_ms),
    ):
        print(
            f"{label}   p50 {percentile(values, 50):7.1f}   p95 {percentile(values, 95):7.1f}   "
            f"p99 {percentile(values, 99):7.1f} ms"
        )
    print(
        f"  relay process CPU        {f.relay_cpu_idle:8.1%} of a core idle, "
        f"{f.relay_cpu_busy:.1%} during the run"
    )
    print(f"  consumer caught up       {f.catch_up_seconds:8.1f} s after the last reply")
    print(f"goal p99 <= {GOAL_P99_MS:.0f} ms: {verdict}")


# --- the run --------------------------------------------------------------------------------


def run(args: argparse.Namespace) -> Figures:
    registry_import_path()
    count = int(args.rate * args.seconds)
    master_key = base64.b64encode(os.urandom(32)).decode()
    with (
        tempfile.TemporaryDirectory(prefix="partia-bench-") as tmp,
        throwaway_postgres() as dsn,
        broker() as bootstrap,
        registry_server(
            dsn, Path(tmp), args.startup_timeout, extra_env={"PARTIA_MASTER_KEY": master_key}
        ) as registry,
        relay_process(
            dsn, master_key, bootstrap, args.relay_idle_wait, Path(tmp) / "relay.log"
        ) as relay,
        consumer(
            dsn + ("" if args.consumer_synchronous_commit else ASYNC_COMMIT),
            bootstrap,
            Path(tmp) / "applied.json",
            args.profile,
        ) as committed,
    ):
        ppos = run_async(create_organisations(registry.port, args.ppos))
        ppo_of = [ppos[n % len(ppos)] for n in range(count)]
        iins = adult_iins()
        applications = [application(n, next(iins), ppo_of[n]) for n in range(count)]
        applied = run_async(run_load(HOST, registry.port, applications, 32, collect_bodies=True))
        check_load("applications", applied)
        members = member_ids(applied)
        print(f"setup: {applied.summary()}", flush=True)
        waited = wait_for_consumer(dsn, SUBMITTED, count, args.catch_up_timeout)
        print(f"setup: the consumer applied every application {waited:.1f} s later", flush=True)

        meter = CpuMeter(relay.pid)
        before = meter.read()
        time.sleep(IDLE_WINDOW)
        relay_idle = CpuMeter.used(before, meter.read()) / IDLE_WINDOW
        admissions = [admission(m, p) for m, p in zip(members, ppo_of, strict=True)]
        before = meter.read()
        sent = run_async(
            run_open_loop(HOST, registry.port, admissions, args.rate, args.connections)
        )
        catch_up = wait_for_consumer(dsn, ADMITTED, count, args.catch_up_timeout)
        relay_busy = CpuMeter.used(before, meter.read()) / (time.time() - sent[0].sent)
        produced = produce_times(bootstrap, count)
    # `committed` was filled when the consumer stopped, on leaving the `with`
    if f"committed:{ADMITTED}" not in committed:
        raise BenchmarkFailed("the consumer wrote no commit times")
    stages = Stages(produced, committed[f"handled:{ADMITTED}"], committed[f"committed:{ADMITTED}"])
    result = figures(args, sent, stages, members, catch_up)
    result.relay_cpu_idle, result.relay_cpu_busy = relay_idle, relay_busy
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bench.end_to_end",
        description="From an admission's HTTP reply to its effect in a Kafka consumer, p50/p95/p99 "
        "at a steady rate.",
    )
    parser.add_argument("--rate", type=float, default=500.0, help="admissions per second")
    parser.add_argument("--seconds", type=float, default=30.0, help="of steady admissions")
    parser.add_argument("--ppos", type=int, default=8)
    parser.add_argument("--connections", type=int, default=64, help="keep-alive connections")
    parser.add_argument("--startup-timeout", type=float, default=60.0)
    parser.add_argument("--catch-up-timeout", type=float, default=120.0)
    parser.add_argument(
        "--relay-idle-wait",
        type=float,
        default=RelayConfig.idle_wait,
        metavar="SECONDS",
        help="the relay's poll interval when caught up (default: %(default)s)",
    )
    parser.add_argument(
        "--consumer-async-commit",
        dest="consumer_synchronous_commit",
        action="store_false",
        help="the consumer's transactions with synchronous_commit off (see decision 121)",
    )
    parser.add_argument("--profile", action="store_true", help="cProfile the consumer process")
    add_output_arguments(parser)
    args = parser.parse_args(argv)
    return finish(args, run, print_report, lambda f: f.goal_met)


if __name__ == "__main__":
    sys.exit(main())
