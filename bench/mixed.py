"""Mixed run: a PPO's roll read alone, then while admissions run at full speed, in one run.

    python -m bench.mixed [--members 8000] [--clients 32] [--roll-interval-ms 20]

One run on one throwaway embedded PostgreSQL (sized like `make run`'s) and one registry
(`python -m partia_registry serve`):
  1. creates a territorial branch and 8 PPOs; submits 2N applications; admits the first N
     (untimed set-up: ~N/8 members on each PPO's roll, about a PPO's size at 1,000,000 members);
  2. TIMED, reads alone: a reader process asks for PPO rolls (`GET /organisations/{id}/roll
     ?limit=100`, one at a time, one every `--roll-interval-ms`) while nothing else runs;
  3. TIMED, mixed: the same reader while `--clients` clients admit the other N at full speed.
The reader is its own process, so that the load generator's CPU does not sit in its latencies.
Goal (issue): roll p99 <= 20 ms during full-speed admissions. The admission rate during the mixed
phase is printed next to the rate of the untimed first N (alone) for context.

Exit status: 0 on a clean run, 1 when a request failed, 2 with --check when the goal was not met,
130 when interrupted.
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from multiprocessing.connection import Connection
from multiprocessing.synchronize import Event
from pathlib import Path
from typing import Any

from bench.admissions import (
    HOST,
    TOKEN,
    CpuMeter,
    admission,
    adult_iins,
    application,
    check_admissions,
    check_load,
    create_organisations,
    member_ids,
    postmaster_pid,
    registry_import_path,
    registry_server,
    server_memory_line,
    wal_lsn,
)
from bench.cli import BenchmarkFailed, add_output_arguments, finish
from bench.loadgen import (
    LoadResult,
    Request,
    encode_request,
    percentile,
    read_response,
    run_async,
    run_load,
)
from bench.postgres import throwaway_postgres

GOAL_ROLL_P99_MS = 20.0


# --- the reader (its own process) ---------------------------------------------------------------


async def _read_rolls(
    port: int, payloads: list[bytes], interval: float, stop: Event, limit: int
) -> tuple[list[float], list[str]]:
    reader, writer = await asyncio.open_connection(HOST, port)
    latencies: list[float] = []
    errors: list[str] = []
    n = 0
    try:
        while not stop.is_set() and (limit <= 0 or n < limit):
            payload = payloads[n % len(payloads)]
            n += 1
            started = time.perf_counter()
            writer.write(payload)
            status, body, _ = await read_response(reader)
            latencies.append((time.perf_counter() - started) * 1000)
            if status != 200 or b'"items"' not in body:
                errors.append(f"HTTP {status}: {body[:200]!r}")
            await asyncio.sleep(max(0.0, interval - (time.perf_counter() - started)))
    finally:
        writer.close()
    return latencies, errors


def reader_process(
    port: int, paths: list[str], interval: float, stop: Event, limit: int, out: Connection
) -> None:
    """Roll reads one at a time until `stop` is set (or `limit` reads); sends back latencies."""
    headers = {"Authorization": f"Bearer {TOKEN}"}
    payloads = [encode_request(Request("GET", p, headers), HOST, port) for p in paths]
    out.send(run_async(_read_rolls(port, payloads, interval, stop, limit)))
    out.close()


@dataclass
class Reads:
    latencies_ms: list[float]  # ascending
    errors: list[str]

    @property
    def p50(self) -> float:
        return percentile(self.latencies_ms, 50)

    @property
    def p99(self) -> float:
        return percentile(self.latencies_ms, 99)

    @property
    def max(self) -> float:
        return self.latencies_ms[-1] if self.latencies_ms else float("nan")


class Reader:
    """The reader process: started before a phase, stopped after it."""

    def __init__(self, port: int, paths: list[str], interval_ms: float, limit: int = 0) -> None:
        context = multiprocessing.get_context("spawn")
        self._stop = context.Event()
        self._recv, send = context.Pipe(duplex=False)
        self._process = context.Process(
            target=reader_process,
            args=(port, paths, interval_ms / 1000, self._stop, limit, send),
            daemon=True,
        )
        self._limit = limit

    def __enter__(self) -> Reader:
        self._process.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._process.join(10)
        if self._process.is_alive():
            self._process.kill()

    def result(self, timeout: float = 60.0) -> Reads:
        """The latencies: after `limit` reads when one was given, else of the reads so far."""
        if self._limit <= 0:
            self._stop.set()
        if not self._recv.poll(timeout):
            raise BenchmarkFailed("the roll reader sent no result")
        latencies, errors = self._recv.recv()
        return Reads(sorted(latencies), errors)


# --- the run ------------------------------------------------------------------------------------


def wait_for_read_model(port: int, timeout: float = 120.0) -> float:
    """Wait until the read model has applied every event (GET /read-model: lag 0), so that the
    reads alone are not timed against the projection catching up; returns the wait."""
    import httpx

    started = time.perf_counter()
    headers = {"Authorization": f"Bearer {TOKEN}"}
    with httpx.Client(base_url=f"http://{HOST}:{port}", headers=headers) as http:
        while time.perf_counter() - started < timeout:
            response = http.get("/read-model")
            if response.status_code == 200 and response.json().get("lag_events") == 0:
                break
            time.sleep(0.2)
        else:
            raise BenchmarkFailed(f"the read model did not catch up within {timeout:.0f} s")
    return time.perf_counter() - started


@dataclass
class Figures:
    members: int
    clients: int
    ppos: int
    alone: Reads
    mixed: Reads
    admissions_alone: LoadResult | None  # the untimed set-up on a fresh registry
    admissions_mixed: LoadResult
    wal_bytes_per_admission: float
    postgres_cpu_ms_per_admission: float
    server_memory: str
    problems: list[str]

    @property
    def goal_met(self) -> bool:
        return not self.problems and self.mixed.p99 <= GOAL_ROLL_P99_MS

    def as_json(self) -> dict[str, Any]:
        def reads(r: Reads) -> dict[str, Any]:
            return {"calls": len(r.latencies_ms), "p50_ms": r.p50, "p99_ms": r.p99, "max_ms": r.max}

        def load(r: LoadResult) -> dict[str, Any]:
            return {"count": r.count, "per_second": r.throughput, "p50_ms": r.p50, "p99_ms": r.p99}

        return {
            "members": self.members,
            "clients": self.clients,
            "ppos": self.ppos,
            "goal": {"roll_p99_ms": GOAL_ROLL_P99_MS, "met": self.goal_met},
            "roll_alone": reads(self.alone),
            "roll_during_admissions": reads(self.mixed),
            "admissions_alone": load(self.admissions_alone) if self.admissions_alone else None,
            "admissions_during_reads": load(self.admissions_mixed),
            "wal_bytes_per_admission": self.wal_bytes_per_admission,
            "postgres_cpu_ms_per_admission": self.postgres_cpu_ms_per_admission,
            "server_memory": self.server_memory,
            "problems": self.problems,
        }


def measure(
    port: int,
    dsn: str,
    ppos: list[str],
    members: int,
    clients: int,
    roll_interval_ms: float,
    roll_calls: int,
    *,
    set_up_admissions: bool,
    first_serial: int = 1,
    settle: Callable[[], object] | None = None,
) -> Figures:
    """The mixed run against a registry already serving on `port` (used by bench.read_side on
    its generated party, too): applications, optionally N untimed admissions (to fill the rolls
    of a fresh registry), reads alone, then N admissions with the reader."""
    n = members
    batches = 2 if set_up_admissions else 1
    ppo_of = [ppos[i % len(ppos)] for i in range(batches * n)]
    iins = adult_iins(first_serial)
    applied = run_async(
        run_load(
            HOST,
            port,
            [application(i, next(iins), ppo_of[i]) for i in range(batches * n)],
            clients,
            collect_bodies=True,
        )
    )
    check_load("applications", applied)
    print(f"applications (set-up): {applied.summary()}", flush=True)
    admissions = [admission(m, p) for m, p in zip(member_ids(applied), ppo_of, strict=True)]

    first = None
    if set_up_admissions:
        first = run_async(run_load(HOST, port, admissions[:n], clients, collect_bodies=True))
        check_load("admissions (set-up)", first)
        print(f"admissions alone (set-up): {first.summary()}", flush=True)

    print(f"read model caught up after {wait_for_read_model(port):.1f} s", flush=True)
    if settle is not None:
        settle()  # e.g. wait for autovacuum after the applications
    paths = [f"/organisations/{p}/roll?limit=100" for p in ppos]
    with Reader(port, paths, roll_interval_ms, limit=roll_calls) as reader:
        alone = reader.result(timeout=roll_calls * (roll_interval_ms / 1000 + 1))
    print(f"rolls alone: p50 {alone.p50:.1f} p99 {alone.p99:.1f} ms", flush=True)

    postgres = CpuMeter(postmaster_pid(dsn) or -1)
    wal_before, pg_before = wal_lsn(dsn), postgres.read()
    with Reader(port, paths, roll_interval_ms) as reader:
        time.sleep(0.5)  # the reader's process is up and reading before the writes start
        second = run_async(run_load(HOST, port, admissions[-n:], clients, collect_bodies=True))
        mixed = reader.result()
    wal = (wal_lsn(dsn) - wal_before) / second.count
    pg_cpu_ms = CpuMeter.used(pg_before, postgres.read()) * 1000 / second.count
    print(f"admissions with reads: {second.summary()}", flush=True)
    print(f"rolls during admissions: p50 {mixed.p50:.1f} p99 {mixed.p99:.1f} ms", flush=True)

    problems = [f"roll: {e}" for e in (alone.errors + mixed.errors)[:5]]
    try:
        check_load("admissions", second)
        check_admissions(second)
    except BenchmarkFailed as exc:
        problems.append(str(exc))
    return Figures(
        members=n,
        clients=clients,
        ppos=len(ppos),
        alone=alone,
        mixed=mixed,
        admissions_alone=first,
        admissions_mixed=second,
        wal_bytes_per_admission=wal,
        postgres_cpu_ms_per_admission=pg_cpu_ms,
        server_memory=server_memory_line(dsn),
        problems=problems,
    )


def run(args: argparse.Namespace) -> Figures:
    registry_import_path()
    with (
        tempfile.TemporaryDirectory(prefix="partia-mixed-") as tmp,
        throwaway_postgres(sized=not args.postgres_defaults) as dsn,
        registry_server(
            dsn,
            Path(tmp),
            args.startup_timeout,
            workers=args.workers,
            read_front=not args.no_read_front,
        ) as registry,
    ):
        ppos = run_async(create_organisations(registry.port, args.ppos))
        return measure(
            registry.port,
            dsn,
            ppos,
            args.members,
            args.clients,
            args.roll_interval_ms,
            args.roll_calls,
            set_up_admissions=True,
        )


def print_report(f: Figures) -> None:
    w = 40
    verdict = "INVALID (errors)" if f.problems else "MET" if f.goal_met else "NOT MET"
    print()
    print(
        f"Partia mixed run: rolls of {f.ppos} PPOs (limit 100) alone, then while {f.clients} "
        f"clients admit {f.members:,} people; memory: {f.server_memory}"
    )
    print()
    for label, r, goal in (
        ("roll of one PPO, alone", f.alone, ""),
        (
            f"roll of one PPO, {f.clients} clients admitting",
            f.mixed,
            f"goal p99 <= {GOAL_ROLL_P99_MS:.0f} ms   {verdict}",
        ),
    ):
        print(
            f"{label:<{w}}p50 {r.p50:5.1f}  p99 {r.p99:6.1f}  max {r.max:6.1f} ms   "
            f"({len(r.latencies_ms)} calls)   {goal}"
        )
    for label, a in (
        ("admissions alone (set-up)", f.admissions_alone),
        ("admissions with the reader", f.admissions_mixed),
    ):
        if a is not None:
            print(f"{label:<{w}}{a.throughput:7.0f} /s   p50 {a.p50:5.1f}  p99 {a.p99:6.1f} ms")
    print(
        f"{'per admission (with the reader)':<{w}}WAL {f.wal_bytes_per_admission / 1024:.2f} KiB, "
        f"PostgreSQL CPU {f.postgres_cpu_ms_per_admission:.2f} ms"
    )
    print()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bench.mixed",
        description="A PPO's roll p99 alone and while admissions run at full speed, in one run.",
    )
    parser.add_argument("--members", type=int, default=8_000, help="admissions per phase")
    parser.add_argument("--clients", type=int, default=32)
    parser.add_argument("--ppos", type=int, default=8)
    parser.add_argument("--workers", type=int, default=1, help="the registry's HTTP processes")
    parser.add_argument(
        "--no-read-front",
        action="store_true",
        help="serve in one process, without the read front (decision 313), to compare",
    )
    parser.add_argument("--roll-interval-ms", type=float, default=20.0, help="one read every ...")
    parser.add_argument("--roll-calls", type=int, default=200, help="reads in the phase alone")
    parser.add_argument("--startup-timeout", type=float, default=60.0)
    parser.add_argument(
        "--postgres-defaults",
        action="store_true",
        help="PostgreSQL's default memory and checkpoint settings instead of the machine-sized ones",
    )
    add_output_arguments(parser)
    args = parser.parse_args(argv)
    return finish(
        args,
        run,
        print_report,
        lambda f: f.goal_met,
        stopped="the registry and PostgreSQL were stopped",
    )


if __name__ == "__main__":
    sys.exit(main())
