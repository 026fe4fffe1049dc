"""Read-side benchmark: rebuild, rolls, the structure report and the audit on a generated party.

    python -m bench.read_side [--members 1000000] [--no-http] [--profile] [--json out.json]

One run, side by side on one machine and one throwaway PostgreSQL:
  1. generates the party (the tree and N members with their history, ~5 events per member) with
     the domain's own commands in worker processes and bulk-loads the events (COPY, business-date
     order), the write-side member index and the personal-data keys;
  2. reads the whole events table once as fast as a Python client can (server-side cursor,
     20,000 rows per fetch, nothing decoded): the ceiling for a rebuild;
  3. TIMED: rebuilds the read model from the log (`read_model.rebuild(wait=True)`);
  4. reads the events table again (the ceiling after), so the ratio compares like with like;
  5. checks the rebuilt read model against what the generator knows (members on the rolls now
     and on the past date, per PPO and in total; no member twice on a roll);
  6. TIMED: rolls of random PPOs (in-process and over HTTP), current and as of a past date;
  7. TIMED: the structure report for the whole party, current and as of the past date;
  8. TIMED, when `partia_registry.audit` exists: export and verification of the whole history.
Goals (issue): rebuild >= 50,000 events/s; roll p99 <= 20 ms; structure <= 200 ms current,
<= 2 s as of a past date; audit verification >= 100,000 events/s.

Exit status: 0 on a clean run (goals met or not, unless --check), 1 when a check failed (the
figures are printed but marked INVALID), 2 with --check when a goal was not met, 130 when
interrupted.
"""

from __future__ import annotations

import argparse
import base64
import contextlib
import cProfile
import functools
import gc
import importlib.util
import io
import json
import logging
import math
import multiprocessing
import os
import pstats
import random
import resource
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any
from uuid import UUID

from bench import mixed
from bench.admissions import (
    HOST,
    TOKEN,
    CpuMeter,
    postmaster_pid,
    registry_import_path,
    registry_server,
)
from bench.cli import BenchmarkFailed, add_output_arguments, finish
from bench.loadgen import LoadResult, Request, percentile, run_async, run_load
from bench.postgres import throwaway_postgres

SCHEMA = "partia_bench"
GOAL_REBUILD = 50_000.0  # events/s
GOAL_ROLL_P99_MS = 20.0
GOAL_STRUCTURE_CURRENT_MS = 200.0
GOAL_STRUCTURE_PAST_MS = 2_000.0
GOAL_AUDIT = 100_000.0  # events/s
GOAL_STARTUP_S = 5.0
ITERSIZE = 20_000

log = logging.getLogger("bench.read_side")


# --- figures ----------------------------------------------------------------------------------


@dataclass
class Timings:
    """Latencies of repeated calls, ms, ascending."""

    label: str
    latencies_ms: list[float]
    errors: int = 0

    @classmethod
    def of(cls, label: str, result: LoadResult) -> Timings:
        return cls(label, list(result.latencies_ms), result.errors)

    @property
    def p50(self) -> float:
        return percentile(self.latencies_ms, 50)

    @property
    def p99(self) -> float:
        return percentile(self.latencies_ms, 99)

    @property
    def max(self) -> float:
        return self.latencies_ms[-1] if self.latencies_ms else math.nan

    def as_json(self) -> dict[str, Any]:
        return {
            "calls": len(self.latencies_ms),
            "errors": self.errors,
            "p50_ms": self.p50,
            "p99_ms": self.p99,
            "max_ms": self.max,
        }


@dataclass
class RawRead:
    rows: int
    state_bytes: int
    seconds: float

    @property
    def rate(self) -> float:
        return self.rows / self.seconds


@dataclass
class Generated:
    people: int
    events: int
    event_kinds: Counter[str]
    organisations: int
    ppos: list[UUID]
    current: Counter[UUID]
    past: Counter[UUID]
    current_total: int
    past_total: int
    generate_seconds: float  # wall time until the last worker finished (index + keys loaded)
    load_seconds: float  # COPY of the events
    finish_seconds: float  # VACUUM ANALYZE
    worker_cpu_seconds: float
    table_bytes: int
    state_bytes: int

    @property
    def total_seconds(self) -> float:
        return self.generate_seconds + self.load_seconds + self.finish_seconds


@dataclass
class Rebuild:
    events: int
    seconds: float
    python_cpu: float
    postgres_cpu: float
    peak_rss_bytes: int = 0  # of this process, after the rebuild (the rebuild is its peak)

    @property
    def rate(self) -> float:
        return self.events / self.seconds


@dataclass
class Audit:
    available: bool
    steps: dict[str, float] = field(default_factory=dict)  # step -> seconds
    failures: list[str] = field(default_factory=list)


@dataclass
class Startup:
    """`serve` started -> /health answers 200 -> the first roll answers right."""

    health_seconds: float
    first_roll_seconds: float
    rss_bytes: int  # of the registry's processes once it answers

    @property
    def met(self) -> bool:
        return self.first_roll_seconds <= GOAL_STARTUP_S


@dataclass(frozen=True)
class WholePartyExport:
    """`GET /organisations/{party}/roll?subtree=true&format=csv` over HTTP: streamed (decision
    170), so the API process's memory should not grow with the party."""

    rows: int
    size_bytes: int
    first_byte_seconds: float
    seconds: float
    rss_growth_bytes: int  # the API process's peak RSS during the export, less its RSS before

    def as_json(self) -> dict[str, Any]:
        return {
            "rows": self.rows,
            "bytes": self.size_bytes,
            "first_byte_s": self.first_byte_seconds,
            "seconds": self.seconds,
            "rss_growth_bytes": self.rss_growth_bytes,
        }


@dataclass
class Figures:
    members: int
    postgres_version: str
    generated: Generated
    raw_reads: list[RawRead]
    rebuild: Rebuild
    rolls: list[Timings]  # in-process current, past; HTTP current, past (when run)
    structures: list[Timings]
    audit: Audit
    past: date
    problems: list[str]
    profile: str | None
    gc_pause_ms: float = math.nan
    gc_objects: int = 0
    run_seconds: float = 0.0
    startup: Startup | None = None
    mixed: mixed.Figures | None = None
    export: WholePartyExport | None = None

    @property
    def raw_rate(self) -> float:
        return sum(r.rate for r in self.raw_reads) / len(self.raw_reads)

    @property
    def ratio(self) -> float:
        return self.rebuild.rate / self.raw_rate

    def roll(self, label: str) -> Timings | None:
        return next((t for t in self.rolls if t.label == label), None)

    def structure(self, label: str) -> Timings | None:
        return next((t for t in self.structures if t.label == label), None)

    def verdicts(self) -> dict[str, bool | None]:
        """Goal -> met (None: not measured). Rolls and the report are judged on the user-facing
        HTTP figure when it was measured, else in-process; the report on its slowest call."""

        def roll_ok(kind: str) -> bool | None:
            t = self.roll(f"HTTP {kind}") or self.roll(f"in-process {kind}")
            return None if t is None else t.p99 <= GOAL_ROLL_P99_MS

        def structure_ok(kind: str, goal: float) -> bool | None:
            t = self.structure(f"HTTP {kind}") or self.structure(f"in-process {kind}")
            return None if t is None else t.max <= goal

        verify = self.audit.steps.get("verify")
        return {
            "rebuild": self.rebuild.rate >= GOAL_REBUILD,
            "roll_current": roll_ok("current"),
            "roll_past": roll_ok("past"),
            "structure_current": structure_ok("current", GOAL_STRUCTURE_CURRENT_MS),
            "structure_past": structure_ok("past", GOAL_STRUCTURE_PAST_MS),
            "startup": None if self.startup is None else self.startup.met,
            "roll_during_admissions": None if self.mixed is None else self.mixed.goal_met,
            "audit_verify": None
            if verify is None or self.audit.failures
            else self.generated.events / verify >= GOAL_AUDIT,
        }

    def as_json(self) -> dict[str, Any]:
        g = self.generated
        return {
            "members": self.members,
            "events": g.events,
            "postgres": self.postgres_version,
            "past_date": self.past.isoformat(),
            "generated": {
                "people": g.people,
                "organisations": g.organisations,
                "event_kinds": dict(g.event_kinds),
                "current_members": g.current_total,
                "members_on_past_date": g.past_total,
                "generate_s": g.generate_seconds,
                "load_s": g.load_seconds,
                "vacuum_analyze_s": g.finish_seconds,
                "worker_cpu_s": g.worker_cpu_seconds,
                "events_table_bytes": g.table_bytes,
            },
            "raw_read": [
                {"rows": r.rows, "seconds": r.seconds, "per_second": r.rate} for r in self.raw_reads
            ],
            "rebuild": {
                "events": self.rebuild.events,
                "seconds": self.rebuild.seconds,
                "per_second": self.rebuild.rate,
                "python_cpu_s": self.rebuild.python_cpu,
                "postgres_cpu_s": self.rebuild.postgres_cpu,
                "peak_rss_bytes": self.rebuild.peak_rss_bytes,
                "ratio_to_raw_read": self.ratio,
            },
            "rolls": {t.label: t.as_json() for t in self.rolls},
            "structure": {t.label: t.as_json() for t in self.structures},
            "audit": {
                "available": self.audit.available,
                "seconds": self.audit.steps,
                "per_second": {k: g.events / v for k, v in self.audit.steps.items() if v > 0},
                "failures": self.audit.failures,
            },
            "goals": self.verdicts(),
            "gc_full_collection_ms": self.gc_pause_ms,
            "gc_objects": self.gc_objects,
            "problems": self.problems,
            "run_seconds": self.run_seconds,
            "mixed": None if self.mixed is None else self.mixed.as_json(),
            "whole_party_export": None if self.export is None else self.export.as_json(),
            "startup": None
            if self.startup is None
            else {
                "health_s": self.startup.health_seconds,
                "first_roll_s": self.startup.first_roll_seconds,
                "rss_bytes": self.startup.rss_bytes,
            },
        }


# --- generation and loading -------------------------------------------------------------------


def generate(
    registry: Any, dsn: str, master_key: bytes, args: argparse.Namespace, workdir: Path
) -> Generated:
    """The tree through the registry's own write path; the members in worker processes."""
    import psycopg
    from psycopg.sql import SQL, Identifier

    from bench import party
    from partia_registry.adapters.postgres.indexes import CARD_SERIAL, MEMBER_INDEX
    from partia_registry.adapters.postgres.personal_data import KEY_TABLE

    started = time.perf_counter()
    ppo_count = args.ppos or max(20, round(args.members / 1000))
    tree = party.build_tree(ppo_count, args.seed)
    uow = registry.store.unit_of_work()
    for organisation in tree.organisations:
        uow.add(organisation)
    uow.commit()
    print(
        f"tree: {tree.territorial_count} territorial branches, {len(tree.ppos)} PPOs "
        f"(under the bootstrapped party and 20 regional branches)",
        flush=True,
    )

    outdir = workdir / "copy"
    outdir.mkdir()
    workers = max(1, args.workers)
    chunk = max(1, min(10_000, math.ceil(args.members / (workers * 4))))
    cum, total = [], 0.0
    for w in tree.ppo_weights:
        total += w
        cum.append(total)
    jobs = [
        party.ChunkJob(
            chunk=n,
            first=first,
            count=min(chunk, args.members - first),
            members_total=args.members,
            seed=args.seed,
            past=args.past,
            outdir=str(outdir),
            ppos=tree.ppos,
            cum_weights=cum,
            ancestry=tree.ancestry,
        )
        for n, first in enumerate(range(0, args.members, chunk))
    ]
    store = registry.store
    index_table = Identifier(SCHEMA, MEMBER_INDEX)
    key_table = Identifier(SCHEMA, KEY_TABLE)
    events_table = Identifier(SCHEMA, store.events_table)
    results: list[party.ChunkResult] = []
    context = multiprocessing.get_context("spawn")  # the parent holds threads and connections
    with psycopg.connect(dsn, autocommit=True) as conn:
        with context.Pool(
            workers, initializer=party.init_worker, initargs=(dsn, SCHEMA, master_key)
        ) as pool:
            next_report = 0.1
            for result in pool.imap_unordered(party.generate_chunk, jobs):
                results.append(result)
                _copy_chunk_files(
                    conn,
                    index_table,
                    party.MEMBER_INDEX_COLUMNS,
                    outdir / f"mi-{result.chunk:05d}.bin",
                )
                _copy_chunk_files(
                    conn, key_table, party.KEY_COLUMNS, outdir / f"pk-{result.chunk:05d}.bin"
                )
                done = sum(r.people for r in results) / args.members
                if done >= next_report or done == 1:
                    events = sum(r.events for r in results)
                    print(
                        f"  generated {done:4.0%}: {sum(r.people for r in results):,} people, "
                        f"{events:,} events, {time.perf_counter() - started:.0f} s",
                        flush=True,
                    )
                    next_report = done + 0.1
        generated_at = time.perf_counter()

        months = sorted({m for r in results for m in r.months})
        chunks = sorted(r.chunk for r in results)
        paths = [
            outdir / f"ev-{m:03d}-{c:05d}.bin"
            for m in months
            for c in chunks
            if (outdir / f"ev-{m:03d}-{c:05d}.bin").exists()
        ]
        with (
            conn.transaction(),
            conn.cursor() as curs,
            curs.copy(
                SQL(
                    "COPY {} (originator_id, originator_version, topic, state) FROM STDIN"
                    " WITH (FORMAT binary)"
                ).format(events_table)
            ) as copy,
        ):
            party.copy_files(copy, paths)
        loaded_at = time.perf_counter()
        print(f"  events loaded with COPY in {loaded_at - generated_at:.0f} s", flush=True)
        # The card serial sequence continues after the generated cards (never reused).
        conn.execute(
            "SELECT setval(%s::regclass, %s)", (f"{SCHEMA}.{CARD_SERIAL}", 2 * args.members + 1)
        )
        # As a long-lived table would be: hint bits set, visibility map and statistics current.
        for table in (events_table, index_table, key_table):
            conn.execute(SQL("VACUUM (ANALYZE) {}").format(table))
        finished_at = time.perf_counter()
        row = conn.execute(
            SQL("SELECT count(*), pg_total_relation_size(%s::regclass) FROM {}").format(
                events_table
            ),
            (f"{SCHEMA}.{store.events_table}",),
        ).fetchone()
        assert row is not None
        count, table_bytes = int(row[0]), int(row[1])

    current: Counter[UUID] = Counter()
    past: Counter[UUID] = Counter()
    kinds: Counter[str] = Counter()
    for r in results:
        current.update(r.current)
        past.update(r.past)
        kinds.update(r.event_kinds)
    generated_events = sum(r.events for r in results)
    expected = generated_events + len(tree.organisations) + 21
    if count != expected:
        raise BenchmarkFailed(f"the events table holds {count} events, expected {expected}")
    return Generated(
        people=sum(r.people for r in results),
        events=count,
        event_kinds=kinds,
        organisations=len(tree.organisations) + 21,
        ppos=tree.ppos,
        current=current,
        past=past,
        current_total=sum(r.current_total for r in results),
        past_total=sum(r.past_total for r in results),
        generate_seconds=generated_at - started,
        load_seconds=loaded_at - generated_at,
        finish_seconds=finished_at - loaded_at,
        worker_cpu_seconds=sum(r.seconds for r in results),
        table_bytes=table_bytes,
        state_bytes=sum(r.state_bytes for r in results),
    )


def _copy_chunk_files(conn: Any, table: Any, columns: tuple[str, ...], path: Path) -> None:
    from psycopg.sql import SQL, Identifier

    from bench import party

    with (
        conn.transaction(),
        conn.cursor() as curs,
        curs.copy(
            SQL("COPY {} ({}) FROM STDIN WITH (FORMAT binary)").format(
                table, SQL(", ").join(map(Identifier, columns))
            )
        ) as copy,
    ):
        party.copy_files(copy, [path])


# --- the events table, read raw ------------------------------------------------------------------


def raw_read(dsn: str, events_table: str) -> RawRead:
    """The whole log in log order, as the rebuild reads it (server-side cursor, 20,000 rows per
    fetch, binary format), and nothing decoded: what reading the log costs a Python client."""
    # The read makes no cycles; without this, the second read would pay for full collections of
    # everything the rebuild left in this process (millions of objects at 1M members).
    gc.collect()
    gc.disable()
    try:
        return _raw_read(dsn, events_table)
    finally:
        gc.enable()


def _raw_read(dsn: str, events_table: str) -> RawRead:
    import psycopg
    from psycopg.sql import SQL, Identifier

    rows = state_bytes = 0
    with psycopg.connect(dsn, autocommit=True) as conn:
        started = time.perf_counter()
        with conn.transaction(), conn.cursor("bench_raw_read", binary=True) as curs:
            curs.itersize = ITERSIZE
            curs.execute(
                SQL(
                    "SELECT originator_id, originator_version, topic, state"
                    " FROM {} WHERE notification_id > %s ORDER BY notification_id"
                ).format(Identifier(SCHEMA, events_table)),
                (0,),
            )
            for _originator_id, _version, _topic, state in curs:
                rows += 1
                state_bytes += len(state)
        seconds = time.perf_counter() - started
    return RawRead(rows, state_bytes, seconds)


# --- the rebuild --------------------------------------------------------------------------------


class PostgresCpu:
    """CPU seconds of a PostgreSQL server: its live processes, plus what the postmaster has
    collected from backends that exited (cutime + cstime), so that a connection opened and closed
    between two readings is counted too. Linux only; NaN elsewhere."""

    _TICKS = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100

    def __init__(self, dsn: str) -> None:
        self.postmaster = postmaster_pid(dsn)

    def read(self) -> float:
        if self.postmaster is None:
            return math.nan
        try:
            fields = Path(f"/proc/{self.postmaster}/stat").read_text().rpartition(")")[2].split()
        except OSError:
            return math.nan
        reaped = (int(fields[13]) + int(fields[14])) / self._TICKS  # cutime, cstime
        return reaped + sum(CpuMeter(self.postmaster).read().values())


def wait_until_quiet(dsn: str, limit: float = 600.0) -> float:
    """Wait (up to `limit` s) until no autovacuum worker runs, so that reads are timed in a steady
    state rather than against a VACUUM of the tables a rebuild has just written; returns the wait."""
    import psycopg

    started = time.perf_counter()
    with psycopg.connect(dsn, autocommit=True) as conn:
        while time.perf_counter() - started < limit:
            row = conn.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'autovacuum worker'"
            ).fetchone()
            if not row or row[0] == 0:
                break
            time.sleep(0.5)
    return time.perf_counter() - started


class _Errors(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        text = record.getMessage()
        if record.exc_info and record.exc_info[1] is not None:
            text += f": {record.exc_info[1]!r}"
        self.messages.append(text)


@contextlib.contextmanager
def _logged_errors() -> Iterator[_Errors]:
    handler = _Errors()
    root = logging.getLogger()
    root.addHandler(handler)
    try:
        yield handler
    finally:
        root.removeHandler(handler)


def rebuild(registry: Any, dsn: str) -> Rebuild:
    runner = registry.projection  # this process's runner: it takes the read model's lock
    before = registry.read_model.generation.number
    head = registry.read_model.status().head
    postgres = PostgresCpu(dsn)
    pg_before = postgres.read()
    cpu_before = time.process_time()
    with _logged_errors() as errors:
        started = time.perf_counter()
        runner.rebuild(wait=True)
        seconds = time.perf_counter() - started
    python_cpu = time.process_time() - cpu_before
    postgres_cpu = postgres.read() - pg_before
    now = registry.read_model.refresh().number
    if now != before + 1 or errors.messages:
        raise BenchmarkFailed(
            f"the rebuild did not switch to generation {before + 1} (now {now});"
            f" logged: {errors.messages or 'nothing'}"
        )
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024  # KiB on Linux
    return Rebuild(head, seconds, python_cpu, postgres_cpu, peak)


def profile_rebuild(registry: Any, top: int = 30) -> str:
    """One more rebuild with cProfile in the rebuild's thread (slower than the timed one)."""
    runner = registry.projection
    original = runner._rebuild_generation
    profiler = cProfile.Profile()

    def profiled(*args: Any) -> None:
        profiler.enable()
        try:
            original(*args)
        finally:
            profiler.disable()

    runner._rebuild_generation = profiled
    try:
        started = time.perf_counter()
        runner.rebuild(wait=True)
        seconds = time.perf_counter() - started
    finally:
        del runner._rebuild_generation
    out = io.StringIO()
    stats = pstats.Stats(profiler, stream=out)
    out.write(f"profiled rebuild: {seconds:.1f} s wall (cProfile overhead included)\n")
    stats.sort_stats("tottime").print_stats(top)
    stats.sort_stats("cumulative").print_stats(top)
    return out.getvalue()


# --- checks and timed reads -------------------------------------------------------------------


def check_read_model(registry: Any, g: Generated, past: date) -> list[str]:
    """The rebuilt read model against the generator's own account of who is on which roll."""
    problems: list[str] = []
    reports = registry.reports
    for on, expected_total, expected in (
        (None, g.current_total, g.current),
        (past, g.past_total, g.past),
    ):
        label = "now" if on is None else str(on)
        report = reports.structure(on=on)
        if report["members"] != expected_total:
            problems.append(
                f"structure report ({label}): {report['members']} members, "
                f"the generator expects {expected_total}"
            )
        direct = {u["organisation_id"]: u["direct_members"] for u in report["units"]}
        wrong = [p for p in g.ppos if direct.get(p, 0) != expected.get(p, 0)]
        if wrong:
            p = wrong[0]
            problems.append(
                f"structure report ({label}): {len(wrong)} PPOs have other counts than expected,"
                f" e.g. {p}: {direct.get(p, 0)} != {expected.get(p, 0)}"
            )
        # Whole rolls of the largest PPOs: everyone once, the count as expected.
        for ppo in sorted(g.ppos, key=lambda p: -expected.get(p, 0))[:3]:
            rows, total = reports.roll(
                ppo, on=on, subtree=False, sort="card_number", limit=None, offset=0
            )
            ids = [r["member_id"] for r in rows]
            if len(set(ids)) != len(ids):
                problems.append(f"roll of {ppo} ({label}): {len(ids) - len(set(ids))} duplicates")
            if total != len(ids) or total != expected.get(ppo, 0):
                problems.append(
                    f"roll of {ppo} ({label}): total {total}, {len(ids)} rows, "
                    f"expected {expected.get(ppo, 0)}"
                )
    return problems


def time_calls(label: str, calls: list[Callable[[], Any]]) -> Timings:
    latencies = []
    for call in calls:
        started = time.perf_counter()
        call()
        latencies.append((time.perf_counter() - started) * 1000)
    return Timings(label, sorted(latencies))


def in_process_rolls(
    registry: Any,
    ppos: list[UUID],
    past: date,
    expected: dict[str, Counter[UUID]],
    problems: list[str],
) -> list[Timings]:
    reports = registry.reports
    result = []
    for kind, on in (("current", None), ("past", past)):

        def call(ppo: UUID, on: date | None = on, kind: str = kind) -> None:
            rows, total = reports.roll(
                ppo, on=on, subtree=False, sort="card_number", limit=100, offset=0
            )
            ids = [r["member_id"] for r in rows]
            if len(set(ids)) != len(ids) or total != expected[kind].get(ppo, 0):
                problems.append(f"roll of {ppo} ({kind}): total {total}, {len(ids)} rows")

        for ppo in ppos[:5]:  # warm-up: connections, plans
            call(ppo)
        calls: list[Callable[[], Any]] = [functools.partial(call, p) for p in ppos]
        result.append(time_calls(f"in-process {kind}", calls))
    return result


def in_process_structures(registry: Any, calls: int, past: date) -> list[Timings]:
    reports = registry.reports
    reports.structure(on=None)  # warm-up
    return [
        time_calls("in-process current", [lambda: reports.structure(on=None)] * calls),
        time_calls("in-process past", [lambda: reports.structure(on=past)] * calls),
    ]


def http_reads(
    dsn: str,
    workdir: Path,
    master_key: bytes,
    ppos: list[UUID],
    past: date,
    structure_calls: int,
    expected: dict[str, Counter[UUID]],
    expected_totals: dict[str, int],
    timeout: float,
    problems: list[str],
    mixed_members: int = 0,
) -> tuple[list[Timings], list[Timings], Startup, mixed.Figures | None, WholePartyExport]:
    """The same reads through `python -m partia_registry serve`, one request at a time; how
    long the service took from its start to its first right answer; the whole party's roll as
    CSV."""
    headers = {"Authorization": f"Bearer {TOKEN}"}
    env = {
        "PARTIA_MASTER_KEY": base64.b64encode(master_key).decode(),
        "PARTIA_DATABASE_SCHEMA": SCHEMA,
    }
    with registry_server(dsn, workdir, timeout, extra_env=env) as server:
        startup = first_answer(server, ppos[0], expected["current"].get(ppos[0], 0), timeout)
        print(
            f"registry started for HTTP: /health after {startup.health_seconds:.1f} s, first "
            f"right roll after {startup.first_roll_seconds:.1f} s, RSS "
            f"{startup.rss_bytes / 2**30:.2f} GiB",
            flush=True,
        )

        def load(requests: list[Request]) -> LoadResult:
            return run_async(run_load(HOST, server.port, requests, 1, collect_bodies=True))

        rolls, structures = [], []
        for kind, query in (("current", ""), ("past", f"&on={past.isoformat()}")):
            requests = [
                Request("GET", f"/organisations/{p}/roll?limit=100{query}", headers) for p in ppos
            ]
            load(requests[:5])  # warm-up
            result = load(requests)
            rolls.append(Timings.of(f"HTTP {kind}", result))
            assert result.responses is not None
            for ppo, response in zip(ppos, result.responses, strict=True):
                body = json.loads(response.body) if response.status == 200 else {}
                ids = [item["member_id"] for item in body.get("items", [])]
                if body.get("total") != expected[kind].get(ppo, 0) or len(set(ids)) != len(ids):
                    problems.append(
                        f"HTTP roll of {ppo} ({kind}): HTTP {response.status}, "
                        f"total {body.get('total')}, expected {expected[kind].get(ppo, 0)}"
                    )
                    break
        for kind, query in (("current", ""), ("past", f"?on={past.isoformat()}")):
            requests = [Request("GET", f"/reports/structure{query}", headers)] * structure_calls
            load(requests[:1])  # warm-up
            result = load(requests)
            structures.append(Timings.of(f"HTTP {kind}", result))
            assert result.responses is not None
            body = json.loads(result.responses[0].body) if result.responses[0].status == 200 else {}
            if body.get("members") != expected_totals[kind]:
                problems.append(
                    f"HTTP structure report ({kind}): members {body.get('members')}, "
                    f"expected {expected_totals[kind]}"
                )
        export = whole_party_export(server, expected_totals["current"], problems)
        mixed_run = None
        if mixed_members > 0:
            # Rolls of the same PPOs alone and while 32 clients admit new people into them: the
            # mixed run at this size (first_serial: IINs the generated party does not use).
            mixed_run = mixed.measure(
                server.port,
                dsn,
                [str(p) for p in ppos],
                mixed_members,
                32,
                20.0,
                200,
                set_up_admissions=False,
                first_serial=9_000,
                settle=lambda: quiet(dsn),
            )
    return rolls, structures, startup, mixed_run, export


def whole_party_export(server: Any, expected_rows: int, problems: list[str]) -> WholePartyExport:
    """Download the whole party's roll as CSV, timing the first byte and the whole, while a
    thread samples the API process's RSS every 10 ms."""
    import threading

    import httpx

    from bench import party
    from partia_registry.application.bootstrap import organisation_id

    url = f"http://{HOST}:{server.port}/organisations/{organisation_id(party.PARTY, 'party')}/roll"
    pid = server.process.pid
    before = peak = _rss(pid)
    done = threading.Event()

    def sample() -> None:
        nonlocal peak
        while not done.wait(0.01):
            peak = max(peak, _rss(pid))

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    first, size, lines = math.nan, 0, 0
    started = time.perf_counter()
    try:
        with httpx.stream(
            "GET",
            url,
            params={"subtree": "true", "format": "csv"},
            headers={"Authorization": f"Bearer {TOKEN}"},
            timeout=600,
        ) as response:
            for chunk in response.iter_bytes():
                if size == 0:
                    first = time.perf_counter() - started
                size += len(chunk)
                lines += chunk.count(b"\n")
        seconds = time.perf_counter() - started
    finally:
        done.set()
        sampler.join()
    rows = max(0, lines - 1)  # the header line
    if response.status_code != 200 or rows != expected_rows:
        problems.append(
            f"whole-party export: HTTP {response.status_code}, {rows:,} rows, "
            f"expected {expected_rows:,}"
        )
    figure = WholePartyExport(rows, size, first, seconds, max(0, peak - before))
    print(
        f"whole-party roll export: {rows:,} rows, {size / 2**20:.0f} MiB in {seconds:.1f} s, "
        f"first byte after {first * 1000:.0f} ms, API RSS growth "
        f"{figure.rss_growth_bytes / 2**20:.0f} MiB",
        flush=True,
    )
    return figure


def first_answer(server: Any, ppo: UUID, expected_total: int, timeout: float) -> Startup:
    """registry_server has waited for /health; now the first roll that answers 200 with the
    generator's total (a service that answers before its read model is ready must not count)."""
    import httpx

    health = time.perf_counter() - server.started_at
    headers = {"Authorization": f"Bearer {TOKEN}"}
    url = f"http://{HOST}:{server.port}/organisations/{ppo}/roll?limit=1"
    deadline = time.perf_counter() + timeout
    while time.perf_counter() < deadline:
        with contextlib.suppress(httpx.TransportError):
            response = httpx.get(url, headers=headers, timeout=timeout)
            if response.status_code == 200 and response.json().get("total") == expected_total:
                break
        time.sleep(0.05)
    else:
        raise BenchmarkFailed(f"no right answer for the roll of {ppo} within {timeout:.0f} s")
    ready = time.perf_counter() - server.started_at
    rss = sum(_rss(pid) for pid in CpuMeter(server.process.pid).read())
    return Startup(health, ready, rss)


def _rss(pid: int) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    except OSError:
        pass
    return 0


# --- the audit ---------------------------------------------------------------------------------


def audit_available() -> bool:
    """True once `python -m partia_registry.audit` can run."""
    try:
        return importlib.util.find_spec("partia_registry.audit.__main__") is not None
    except ModuleNotFoundError:
        return False


def audit(dsn: str, workdir: Path, master_key: bytes) -> Audit:
    """Export and verification with `python -m partia_registry.audit`, when it exists."""
    if not audit_available():
        return Audit(available=False)
    result = Audit(available=True)
    env = dict(os.environ)
    env.update(
        {
            "PARTIA_DATABASE_URL": dsn,
            "PARTIA_DATABASE_SCHEMA": SCHEMA,
            "PARTIA_MASTER_KEY": base64.b64encode(master_key).decode(),
        }
    )
    export = workdir / "audit-export.jsonl"
    key = workdir / "auditor.key"
    common = ["--database-url", dsn, "--schema", SCHEMA, "--no-progress"]
    trusted = ["--public-key", f"{key}.pub"]
    prepared = subprocess.run(
        [sys.executable, "-m", "partia_registry.audit", "keygen", "--out", str(key)],
        env=env,
        cwd=workdir,
        capture_output=True,
        text=True,
    )
    if prepared.returncode != 0:
        result.failures.append(f"keygen: exit {prepared.returncode}: {prepared.stderr.strip()}")
        return result
    steps = {
        "export": ["export", *common, "--out", str(export), "--signing-key", str(key)],
        "verify": ["verify", str(export), *trusted, "--no-progress"],
        "verify-db": ["verify-db", *common, "--against", str(export), *trusted],
    }
    for step, arguments in steps.items():
        command = [sys.executable, "-m", "partia_registry.audit", *arguments]
        started = time.perf_counter()
        done = subprocess.run(command, env=env, cwd=workdir, capture_output=True, text=True)
        seconds = time.perf_counter() - started
        if done.returncode != 0:
            tail = (done.stderr or done.stdout).strip().splitlines()[-5:]
            result.failures.append(f"{step}: exit {done.returncode}: " + " | ".join(tail))
            break
        result.steps[step] = seconds
        print(f"audit {step}: {seconds:.1f} s", flush=True)
    return result


# --- the run -------------------------------------------------------------------------------------


def postgres_version(dsn: str) -> str:
    import psycopg

    with psycopg.connect(dsn) as conn:
        row = conn.execute("SHOW server_version").fetchone()
        return str(row[0]) if row else "?"


def settle_gc() -> tuple[float, int]:
    """Time one full collection with everything the rebuild left in memory (the pause a server
    would see after a rebuild), then freeze the heap and raise the thresholds as the HTTP server
    does at start-up (api/app.py), so that in-process read timings are comparable with it."""
    gc.collect()  # the rebuild's garbage first: freeing it is not the pause meant here
    started = time.perf_counter()
    gc.collect()
    pause = (time.perf_counter() - started) * 1000
    objects = len(gc.get_objects())
    gc.freeze()
    gc.set_threshold(50_000, 20, 100)
    return pause, objects


def quiet(dsn: str) -> None:
    waited = wait_until_quiet(dsn)
    if waited >= 1:
        print(f"  (waited {waited:.0f} s for autovacuum to finish)", flush=True)


def _print_reads(timings: list[Timings]) -> None:
    for t in timings:
        print(f"{t.label}: p50 {t.p50:.1f} p99 {t.p99:.1f} max {t.max:.1f} ms", flush=True)


def run(args: argparse.Namespace) -> Figures:
    registry_import_path()  # before anything imports partia_registry
    from partia_registry.composition import open_registry
    from partia_registry.settings import RegistrySettings

    run_started = time.perf_counter()
    master_key = os.urandom(32)
    with (
        tempfile.TemporaryDirectory(prefix="partia-read-side-") as tmp,
        throwaway_postgres(sized=not args.postgres_defaults) as dsn,
    ):
        workdir = Path(tmp)
        settings = RegistrySettings(
            database_url=dsn,
            database_schema=SCHEMA,
            master_key=base64.b64encode(master_key).decode(),
            api_tokens=f"bench={TOKEN}",
            data_dir=workdir,
        )
        registry = open_registry(settings, bootstrap=True, start_writer=False)
        try:
            registry.report_pool.open()
            print(f"generating {args.members:,} members with {args.workers} workers", flush=True)
            g = generate(registry, dsn, master_key, args, workdir)
            print(
                f"generated and loaded {g.events:,} events in {g.total_seconds:.0f} s "
                f"({g.events / g.total_seconds:,.0f} events/s); events table "
                f"{g.table_bytes / 2**30:.2f} GiB",
                flush=True,
            )
            events_table = registry.store.events_table
            quiet(dsn)
            raws = [raw_read(dsn, events_table)]
            print(
                f"raw read (before): {raws[0].rate:,.0f} events/s in {raws[0].seconds:.1f} s",
                flush=True,
            )
            quiet(dsn)
            rebuilt = rebuild(registry, dsn)
            print(f"rebuild: {rebuilt.rate:,.0f} events/s in {rebuilt.seconds:.1f} s", flush=True)
            quiet(dsn)
            raws.append(raw_read(dsn, events_table))
            print(
                f"raw read (after): {raws[1].rate:,.0f} events/s in {raws[1].seconds:.1f} s",
                flush=True,
            )
            problems = check_read_model(registry, g, args.past)
            rng = random.Random(args.seed)
            sample = [rng.choice(g.ppos) for _ in range(args.roll_calls)]
            expected = {"current": g.current, "past": g.past}
            totals = {"current": g.current_total, "past": g.past_total}
            gc_pause = settle_gc()
            print(
                f"a full garbage collection with the rebuilt read model in memory: "
                f"{gc_pause[0]:.0f} ms ({gc_pause[1]:,} objects); frozen now, as the server does",
                flush=True,
            )
            quiet(dsn)
            rolls = in_process_rolls(registry, sample, args.past, expected, problems)
            structures = in_process_structures(registry, args.structure_calls, args.past)
            _print_reads(rolls + structures)
            profile = profile_rebuild(registry) if args.profile else None
        finally:
            registry.close()
        if not args.no_http:
            quiet(dsn)
            http_rolls, http_structures, startup, mixed_run, export = http_reads(
                dsn,
                workdir,
                master_key,
                sample,
                args.past,
                args.structure_calls,
                expected,
                totals,
                args.startup_timeout,
                problems,
                args.mixed_members,
            )
            rolls += http_rolls
            structures += http_structures
            problems += mixed_run.problems if mixed_run else []
            _print_reads(http_rolls + http_structures)
        else:
            startup, mixed_run, export = None, None, None
        audited = audit(dsn, workdir, master_key)
        version = postgres_version(dsn)
    return Figures(
        members=args.members,
        postgres_version=version,
        generated=g,
        raw_reads=raws,
        rebuild=rebuilt,
        rolls=rolls,
        structures=structures,
        audit=audited,
        past=args.past,
        problems=problems,
        profile=profile,
        gc_pause_ms=gc_pause[0],
        gc_objects=gc_pause[1],
        run_seconds=time.perf_counter() - run_started,
        startup=startup,
        mixed=mixed_run,
        export=export,
    )


# --- the report ----------------------------------------------------------------------------------


def _verdict(met: bool | None) -> str:
    return "" if met is None else "MET" if met else "NOT MET"


def print_report(f: Figures) -> None:
    g, v, w = f.generated, f.verdicts(), 44
    invalid = " INVALID (checks failed)" if f.problems else ""
    print()
    print(
        f"Partia read-side benchmark: {f.members:,} members, {g.events:,} events, "
        f"{os.cpu_count()} CPUs, PostgreSQL {f.postgres_version}{invalid}"
    )
    kinds = ", ".join(f"{k} {n:,}" for k, n in g.event_kinds.most_common())
    print(f"  events: {kinds}; organisations {g.organisations:,}")
    print(
        f"  members on the rolls: {g.current_total:,} now, {g.past_total:,} on {f.past}; "
        f"{len(g.ppos):,} PPOs"
    )
    print()
    print(
        f"{'generate + load (context)':<{w}}{g.events / g.total_seconds:>9,.0f} ev/s   "
        f"{g.total_seconds:.0f} s: generate {g.generate_seconds:.0f} (worker CPU "
        f"{g.worker_cpu_seconds:.0f}), COPY {g.load_seconds:.0f}, VACUUM ANALYZE {g.finish_seconds:.0f}"
    )
    runs = " / ".join(f"{r.rate:,.0f}" for r in f.raw_reads)
    print(
        f"{'raw read of the events table':<{w}}{f.raw_rate:>9,.0f} ev/s   "
        f"(before / after: {runs}; {f.raw_reads[0].state_bytes / f.raw_reads[0].seconds / 2**20:.0f}"
        " MiB/s of state)"
    )
    r = f.rebuild
    print(
        f"{'projection rebuild':<{w}}{r.rate:>9,.0f} ev/s   {r.seconds:.1f} s   "
        f"goal >= {GOAL_REBUILD:,.0f}/s   {_verdict(v['rebuild'])}"
    )
    print(
        f"{'':<{w}}          CPU: Python {r.python_cpu:.1f} s, PostgreSQL {r.postgres_cpu:.1f} s;"
        f" peak RSS {r.peak_rss_bytes / 2**30:.1f} GiB"
    )
    print(f"{'ratio rebuild / raw read':<{w}}{f.ratio:>9.2f}")
    print(
        f"{'full GC pause after the rebuild (context)':<{w}}{f.gc_pause_ms:>9,.0f} ms    "
        f"({f.gc_objects:,} objects tracked; in-process reads below run with them frozen)"
    )
    for label, t in ((f"roll of one PPO, {x.label}", x) for x in f.rolls):
        kind = "current" if t.label.endswith("current") else "past"
        judged = (f.roll(f"HTTP {kind}") or f.roll(f"in-process {kind}")) is t
        print(
            f"{label.replace('past', str(f.past)):<{w}}p50 {t.p50:6.1f}  p99 {t.p99:6.1f} ms   "
            f"goal p99 <= {GOAL_ROLL_P99_MS:.0f} ms   "
            + (_verdict(v[f"roll_{kind}"]) if judged else "")
        )
    for t in f.structures:
        kind = "current" if t.label.endswith("current") else "past"
        goal = GOAL_STRUCTURE_CURRENT_MS if kind == "current" else GOAL_STRUCTURE_PAST_MS
        judged = (f.structure(f"HTTP {kind}") or f.structure(f"in-process {kind}")) is t
        label = f"structure report, {t.label}".replace("past", str(f.past))
        print(
            f"{label:<{w}}p50 {t.p50:6.1f}  max {t.max:6.1f} ms   goal <= {goal:,.0f} ms   "
            + (_verdict(v[f"structure_{kind}"]) if judged else "")
        )
    if f.startup is not None:
        s = f.startup
        print(
            f"{'start-up: serve to first right answer':<{w}}{s.first_roll_seconds:>9.1f} s      "
            f"goal <= {GOAL_STARTUP_S:.0f} s   {_verdict(v['startup'])}"
        )
        print(
            f"{'':<{w}}          (/health after {s.health_seconds:.1f} s; RSS once answering "
            f"{s.rss_bytes / 2**30:.2f} GiB)"
        )
    if f.export is not None:
        e = f.export
        print(
            f"{'whole-party roll export (CSV, streamed)':<{w}}{e.rows:>9,} rows   "
            f"{e.seconds:.1f} s; first byte after {e.first_byte_seconds * 1000:.0f} ms; "
            f"API RSS growth {e.rss_growth_bytes / 2**20:.0f} MiB"
        )
    a = f.audit
    if not a.available:
        print(f"{'audit':<{w}}not available yet (partia_registry.audit)")
    else:
        for step, seconds in a.steps.items():
            target = (
                f"goal >= {GOAL_AUDIT:,.0f}/s   {_verdict(v['audit_verify'])}"
                if step == "verify"
                else ""
            )
            print(
                f"{'audit ' + step:<{w}}{g.events / seconds:>9,.0f} ev/s   {seconds:.1f} s   {target}"
            )
        for failure in a.failures:
            print(f"{'audit FAILED':<{w}}{failure}")
    print(f"{'whole run':<{w}}{f.run_seconds:.0f} s")
    print()
    if f.mixed is not None:
        mixed.print_report(f.mixed)
    if f.profile:
        print(f.profile)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bench.read_side",
        description="Rebuild, rolls, structure report and audit on a generated party, next to the "
        "raw read rate of the events table, measured in one run.",
    )
    parser.add_argument("--members", type=int, default=1_000_000, help="people (default 1,000,000)")
    parser.add_argument("--ppos", type=int, default=0, help="PPOs (default: one per 1,000 members)")
    parser.add_argument(
        "--workers", type=int, default=os.cpu_count() or 2, help="generator processes"
    )
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument(
        "--past", type=date.fromisoformat, default=date(2025, 6, 30), help="the past date for rolls"
    )
    parser.add_argument("--roll-calls", type=int, default=200)
    parser.add_argument("--structure-calls", type=int, default=10)
    parser.add_argument("--no-http", action="store_true", help="skip the HTTP measurements")
    parser.add_argument(
        "--mixed-members",
        type=int,
        default=4_000,
        help="new people admitted during the mixed run at this size (0: no mixed run)",
    )
    parser.add_argument("--profile", action="store_true", help="also profile a rebuild (cProfile)")
    parser.add_argument("--startup-timeout", type=float, default=600.0)
    parser.add_argument(
        "--postgres-defaults",
        action="store_true",
        help="PostgreSQL's default memory and checkpoint settings instead of the machine-sized ones",
    )
    add_output_arguments(parser)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s %(message)s")
    return finish(
        args,
        run,
        print_report,
        lambda f: all(m for m in f.verdicts().values() if m is not None),
        stopped="PostgreSQL was stopped and its files deleted",
    )


if __name__ == "__main__":
    sys.exit(main())
