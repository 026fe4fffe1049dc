"""The ceiling: durable single-row INSERTs per second that PostgreSQL sustains at a concurrency.

Each of `concurrency` asyncpg connections runs autocommitted single-row INSERTs (one
transaction, one commit, one WAL flush wait each; PostgreSQL may group concurrent commits
into one flush) of a ~400-byte JSONB payload shaped like an admission event, into a throwaway
table. No admission can be cheaper than one such INSERT, so this is the upper bound the HTTP
figure is compared with.

    python -m bench.ceiling [DSN] [--concurrency 32] [--seconds 5]

Without a DSN it starts a throwaway embedded PostgreSQL.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import resource
import time
import uuid
from dataclasses import dataclass
from typing import Any

import asyncpg

from bench.loadgen import percentile, run_async

# The server version, and the settings that decide whether and how a commit is made durable.
DURABILITY_SETTINGS = (
    "server_version",
    "fsync",
    "synchronous_commit",
    "wal_sync_method",
    "full_page_writes",
)
_REQUIRED = {"fsync": "on", "synchronous_commit": "on"}


@dataclass(frozen=True, slots=True)
class CeilingResult:
    inserts: int
    elapsed: float
    concurrency: int
    latencies_ms: list[float]  # sorted ascending
    settings: dict[str, str]
    payload_bytes: int
    client_cpu_seconds: float

    @property
    def rate(self) -> float:
        return self.inserts / self.elapsed if self.elapsed > 0 else 0.0

    def percentile(self, p: float) -> float:
        return percentile(self.latencies_ms, p)

    @property
    def p50(self) -> float:
        return self.percentile(50)

    @property
    def p99(self) -> float:
        return self.percentile(99)

    @property
    def client_cpu_share(self) -> float:
        """The asyncpg client's CPU time as a fraction of one core over the timed run."""
        return self.client_cpu_seconds / self.elapsed if self.elapsed > 0 else 0.0

    def settings_line(self) -> str:
        return ", ".join(f"{name}={value}" for name, value in self.settings.items())

    def summary(self) -> str:
        return (
            f"{self.inserts} INSERTs over {self.concurrency} connections in {self.elapsed:.2f} s: "
            f"{self.rate:.0f}/s, p50 {self.p50:.1f} p99 {self.p99:.1f} ms "
            f"({self.payload_bytes} B payload; client CPU {self.client_cpu_share:.0%} of a core; "
            f"{self.settings_line()})"
        )


class NotDurableError(RuntimeError):
    """The server would acknowledge commits before they are on disk."""


def event_payload(originator_id: uuid.UUID, version: int) -> str:
    """A JSON document about the size and shape of a stored admission event (~400 bytes)."""
    return json.dumps(
        {
            "originator_id": str(originator_id),
            "originator_version": version,
            "topic": "partia_registry.domain.membership:Member.Admitted",
            "timestamp": "2026-03-10T09:15:42.123456+05:00",
            "state": {
                "decision": {
                    "body": {"kind": "ppo_meeting", "organisation_id": str(uuid.uuid4())},
                    "decided_on": "2026-03-10",
                    "reference": "PPO minutes 3",
                },
                "card_number": f"KZ-{version:09d}",
                "recorded_by": "bench",
            },
        },
        separators=(",", ":"),
    )


async def read_settings(conn: Any) -> dict[str, str]:
    rows = await conn.fetch(
        "SELECT name, setting FROM pg_settings WHERE name = ANY($1::text[])",
        list(DURABILITY_SETTINGS),
    )
    found = {row["name"]: row["setting"] for row in rows}
    return {name: found.get(name, "?") for name in DURABILITY_SETTINGS}


async def insert_ceiling(
    dsn: str,
    concurrency: int = 32,
    seconds: float = 5.0,
    *,
    warmup_seconds: float = 1.0,
    require_durable: bool = True,
) -> CeilingResult:
    """Measure autocommitted single-row INSERTs/s over `concurrency` connections for `seconds`.

    Creates and finally drops its own table, so it can run next to any other schema. Raises
    NotDurableError if fsync or synchronous_commit is off (unless require_durable=False).
    """
    table = f"bench_ceiling_{uuid.uuid4().hex[:12]}"
    admin = await asyncpg.connect(dsn)
    try:
        settings = await read_settings(admin)
        weak = {k: settings[k] for k, v in _REQUIRED.items() if settings[k] != v}
        if weak and require_durable:
            raise NotDurableError(f"commits are not durable on this server: {weak}")
        await admin.execute(
            f"CREATE TABLE {table} (id bigserial PRIMARY KEY, payload jsonb NOT NULL)"
        )
        connections = await asyncio.gather(*(asyncpg.connect(dsn) for _ in range(concurrency)))
        try:
            sql = f"INSERT INTO {table} (payload) VALUES ($1::jsonb)"
            # Each connection gets its own "aggregate"; payloads are built outside the timing.
            originators = [uuid.uuid4() for _ in connections]
            payload_bytes = len(event_payload(originators[0], 1).encode())
            if warmup_seconds > 0:
                await _drive(connections, originators, sql, warmup_seconds)
            cpu_before = _cpu_seconds()
            latencies_ns, elapsed = await _drive(connections, originators, sql, seconds)
            cpu = _cpu_seconds() - cpu_before
        finally:
            await asyncio.gather(*(c.close() for c in connections), return_exceptions=True)
        await admin.execute(f"DROP TABLE {table}")
    finally:
        await admin.close()

    return CeilingResult(
        inserts=len(latencies_ns),
        elapsed=elapsed,
        concurrency=concurrency,
        latencies_ms=sorted(ns / 1e6 for ns in latencies_ns),
        settings=settings,
        payload_bytes=payload_bytes,
        client_cpu_seconds=cpu,
    )


async def _drive(
    connections: list[Any], originators: list[uuid.UUID], sql: str, seconds: float
) -> tuple[list[int], float]:
    latencies_ns: list[int] = []
    started = time.perf_counter()
    deadline = started + seconds

    async def worker(conn: Any, originator: uuid.UUID) -> None:
        perf_counter_ns = time.perf_counter_ns
        version = 0
        while time.perf_counter() < deadline:
            version += 1
            payload = event_payload(originator, version)
            begun = perf_counter_ns()
            await conn.execute(sql, payload)
            latencies_ns.append(perf_counter_ns() - begun)

    async with asyncio.TaskGroup() as workers:
        for conn, originator in zip(connections, originators, strict=True):
            workers.create_task(worker(conn, originator))
    return latencies_ns, time.perf_counter() - started


def _cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def main() -> None:
    parser = argparse.ArgumentParser(description="Durable single-row INSERTs/s on PostgreSQL.")
    parser.add_argument("dsn", nargs="?", help="default: a throwaway embedded PostgreSQL")
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--runs", type=int, default=1)
    args = parser.parse_args()

    def measure(dsn: str) -> None:
        for _ in range(args.runs):
            result = run_async(insert_ceiling(dsn, args.concurrency, args.seconds))
            print(result.summary())

    if args.dsn:
        measure(args.dsn)
        return
    from bench.postgres import throwaway_postgres

    with throwaway_postgres() as dsn:
        measure(dsn)


if __name__ == "__main__":
    main()
