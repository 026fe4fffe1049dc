"""Admissions benchmark: admissions/s through the registry's HTTP API next to the ceiling.

    python -m bench.admissions [--members 8000] [--clients 32]

One run, side by side on one machine and one PostgreSQL:
  1. starts a throwaway embedded PostgreSQL and measures the ceiling (durable single-row
     INSERTs/s at the same concurrency) while nothing else runs;
  2. starts the registry (`python -m partia_registry serve`) on that PostgreSQL and creates a
     territorial branch and a few primary party organisations (PPOs) through the API;
  3. submits N membership applications (setup, timed and reported but not the goal);
  4. TIMED: admits the N applicants, `clients` requests in flight;
  5. stops the registry and measures the ceiling again.
The goal (issue 8): >= 1,500 admissions/s with p99 <= 50 ms at 32 clients, and a ratio >= 0.11
(the admission rate over the mean of the two ceiling runs).

Exit status: 0 on a clean run (goal met or not, unless --check), 1 when any request failed or
a response was wrong, 2 with --check when the goal was not met, 130 when interrupted.
"""

from __future__ import annotations

import argparse
import base64
import contextlib
import functools
import importlib.util
import json
import math
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from itertools import chain
from pathlib import Path
from typing import Any

import httpx

from bench.ceiling import CeilingResult, insert_ceiling
from bench.cli import BenchmarkFailed, add_output_arguments, finish
from bench.loadgen import LoadResult, Request, percentile, run_async, run_load
from bench.postgres import throwaway_postgres

GOAL_RATE = 1_500.0  # admissions per second
GOAL_P99_MS = 50.0
GOAL_RATIO = 0.11  # admissions/s over the durable-INSERT ceiling of the same run
HOST = "127.0.0.1"
TOKEN = "bench-token"
REPO_ROOT = Path(__file__).resolve().parent.parent


# --- the registry process -------------------------------------------------------------------


@functools.cache
def registry_import_path() -> str | None:
    """Where partia_registry lives when it is not installed (the Makefile installs it editable).

    When it is not importable, adds its source directory to sys.path (once) and returns it, so
    that the registry's subprocess can be given the same path.
    """
    if importlib.util.find_spec("partia_registry") is not None:
        return None
    path = str(REPO_ROOT / "services" / "registry")
    sys.path.insert(0, path)
    return path


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        port: int = sock.getsockname()[1]
        return port


@dataclass
class Registry:
    process: subprocess.Popen[bytes]
    port: int
    log_path: Path
    started_at: float = 0.0  # time.perf_counter() just before the process was started

    def log_tail(self, lines: int = 40) -> str:
        try:
            text = self.log_path.read_text(errors="replace")
        except OSError:
            return "(no log)"
        return "\n".join(text.splitlines()[-lines:])


@contextlib.contextmanager
def registry_server(
    database_url: str,
    workdir: Path,
    startup_timeout: float,
    extra_env: dict[str, str] | None = None,
    workers: int = 1,
    read_front: bool = True,
) -> Iterator[Registry]:
    """Run `python -m partia_registry serve` on a free port until the block ends.

    `extra_env` (e.g. PARTIA_MASTER_KEY, PARTIA_DATABASE_SCHEMA) overrides the defaults."""
    env = dict(os.environ)
    env["PARTIA_DATABASE_URL"] = database_url
    env["PARTIA_API_TOKENS"] = f"bench={TOKEN}"
    # one token does the load of a whole party's clerks: its rate is counted, never reached
    env["PARTIA_TOKEN_REQUEST_LIMIT"] = "1000000/second"
    # Required with an external database; a fresh key for a database that lives one run.
    env["PARTIA_MASTER_KEY"] = base64.b64encode(os.urandom(32)).decode()
    env.update(extra_env or {})
    extra_path = registry_import_path()
    if extra_path:
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [extra_path, env.get("PYTHONPATH")]))
    port = free_port()
    log_path = workdir / "registry.log"
    command = [
        sys.executable,
        "-m",
        "partia_registry",
        "serve",
        "--host",
        HOST,
        "--port",
        str(port),
        "--workers",
        str(workers),
        *([] if read_front else ["--no-read-front"]),
    ]
    started_at = time.perf_counter()
    with log_path.open("wb") as log:
        # Its own session: Ctrl-C reaches only this script, which then stops the registry
        # before PostgreSQL.
        # cwd: the throwaway directory, so that no developer's .env changes what is measured.
        process = subprocess.Popen(
            command,
            env=env,
            cwd=workdir,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    registry = Registry(process, port, log_path, started_at)
    try:
        wait_until_healthy(registry, startup_timeout)
        yield registry
    finally:
        stop(process)


def wait_until_healthy(registry: Registry, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    url = f"http://{HOST}:{registry.port}/health"
    last = "no answer"
    while time.monotonic() < deadline:
        if registry.process.poll() is not None:
            raise BenchmarkFailed(
                f"the registry exited with status {registry.process.returncode} during start-up; "
                f"its log ends:\n{registry.log_tail()}"
            )
        try:
            response = httpx.get(url, timeout=2)
        except httpx.TransportError as exc:
            last = repr(exc)
        else:
            if response.status_code == 200:
                return
            last = f"HTTP {response.status_code}: {response.text[:200]}"
        time.sleep(0.2)
    raise BenchmarkFailed(
        f"GET /health did not answer 200 within {timeout:.0f} s (last: {last}); "
        f"the registry's log ends:\n{registry.log_tail()}"
    )


def stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(15)
        except subprocess.TimeoutExpired:
            # The registry leads its own process group: take any workers down with it.
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)
            process.wait()


# --- CPU accounting ---------------------------------------------------------------------------


class CpuMeter:
    """CPU seconds used by a process and its descendants, read from /proc (Linux).

    Counts the processes alive at each reading, which covers uvicorn and its workers and the
    PostgreSQL server with its long-lived backends. Elsewhere it reads nothing and reports 0.
    """

    _TICKS = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100

    def __init__(self, pid: int) -> None:
        self.root = pid

    @classmethod
    def _processes(cls) -> dict[int, tuple[int, float]]:
        """pid -> (parent pid, CPU seconds) for every process visible in /proc."""
        table: dict[int, tuple[int, float]] = {}
        with contextlib.suppress(OSError):
            for entry in os.scandir("/proc"):
                if not entry.name.isdigit():
                    continue
                try:
                    stat = Path(entry.path, "stat").read_text()
                except OSError:
                    continue  # the process has gone
                # Fields after "(comm)": state ppid ... utime (12th) stime (13th).
                fields = stat.rpartition(")")[2].split()
                table[int(entry.name)] = (
                    int(fields[1]),
                    (int(fields[11]) + int(fields[12])) / cls._TICKS,
                )
        return table

    def read(self) -> dict[int, float]:
        table = self._processes()
        children: dict[int, list[int]] = {}
        for pid, (ppid, _) in table.items():
            children.setdefault(ppid, []).append(pid)
        times: dict[int, float] = {}
        pending = [self.root] if self.root in table else []
        while pending:
            pid = pending.pop()
            times[pid] = table[pid][1]
            pending.extend(children.get(pid, ()))
        return times

    @staticmethod
    def used(before: dict[int, float], after: dict[int, float]) -> float:
        return sum(t - before.get(pid, 0.0) for pid, t in after.items())


def wal_lsn(database_url: str) -> int:
    """PostgreSQL's current WAL insert position in bytes (differences are WAL written)."""
    import psycopg

    with psycopg.connect(database_url, autocommit=True) as conn:
        row = conn.execute("SELECT pg_current_wal_insert_lsn() - '0/0'::pg_lsn").fetchone()
        assert row is not None
        return int(row[0])


def server_memory_line(database_url: str) -> str:
    """The memory and checkpoint settings the server runs with (sized to the machine)."""
    import psycopg

    names = ("shared_buffers", "work_mem", "max_wal_size", "checkpoint_timeout", "wal_compression")
    with psycopg.connect(database_url, autocommit=True) as conn:
        return ", ".join(
            f"{name}={conn.execute(f'SHOW {name}').fetchone()[0]}"  # type: ignore[index]
            for name in names
        )


def postmaster_pid(database_url: str) -> int | None:
    """The PostgreSQL server's pid, from postmaster.pid in the socket directory (= PGDATA)."""
    host = database_url.partition("host=")[2].split("&")[0]
    pid_file = Path(host) / "postmaster.pid"
    try:
        return int(pid_file.read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return None


# --- the workload -------------------------------------------------------------------------------


def adult_iins(first_serial: int = 1) -> Iterator[str]:
    """Distinct valid IINs of people born 1950-2000, birth dates spread over those years.

    The generated party (bench/party.py) uses serials below 5,100: start above that to apply
    for new people on its database."""
    from partia_kit.iin import check_digit

    first = date(1950, 1, 1)
    days = (date(2000, 12, 31) - first).days + 1
    for serial in range(first_serial, 10_000):
        for i in range(days):
            born = first + timedelta(days=(i * 7919) % days)  # 7919 is prime: a permutation
            for female in (False, True):
                century_sex = (
                    ("4" if female else "3") if born.year < 2000 else ("6" if female else "5")
                )
                prefix = f"{born:%y%m%d}{century_sex}{serial:04d}"
                digit = check_digit(prefix)
                if digit is not None:
                    yield f"{prefix}{digit}"


_SURNAMES = ("Абенов", "Сейтказиева", "Нұрланов", "Жумабаева", "Ivanov", "Ким", "Омаров")
_GIVEN = ("Айдос", "Динара", "Ерлан", "Әсел", "Тимур", "Гүлнар", "Arman")


def post(path: str, document: dict[str, Any]) -> Request:
    headers = {
        "Authorization": f"Bearer {TOKEN}",
        "Idempotency-Key": str(uuid.uuid4()),
        "Content-Type": "application/json",
    }
    return Request("POST", path, headers, json.dumps(document, ensure_ascii=False).encode())


def application(n: int, iin: str, ppo_id: str) -> Request:
    return post(
        "/applications",
        {
            "organisation_id": ppo_id,
            "person": {
                "iin": iin,
                "surname": _SURNAMES[n % len(_SURNAMES)],
                "given_name": _GIVEN[n % len(_GIVEN)],
                "patronymic": None,
                "address": f"Астана, Мәңгілік Ел даңғылы, {n % 200 + 1}",
                "phone": f"+7701{n % 10_000_000:07d}",
                "email": None,
            },
            "declarations": {
                "citizenship": "KZ",
                "member_of_another_party": False,
                "barred_office": None,
            },
            "application_document": {
                "form": "electronic_signature",
                "reference": f"EDS-{n}",
                "signed_on": "2026-03-01",
            },
        },
    )


def admission(member_id: str, ppo_id: str) -> Request:
    return post(
        f"/members/{member_id}/admission",
        {
            "decision": {
                "body": {"kind": "ppo_meeting", "organisation_id": ppo_id},
                "decided_on": "2026-03-10",
                "reference": "PPO minutes 3",
            }
        },
    )


def _names(en: str, kk: str, ru: str) -> dict[str, str]:
    return {"kk": kk, "ru": ru, "en": en}


async def create_organisations(port: int, ppo_count: int) -> list[str]:
    """A territorial branch under the first regional branch, and `ppo_count` PPOs under it."""
    headers = {"Authorization": f"Bearer {TOKEN}"}
    async with httpx.AsyncClient(base_url=f"http://{HOST}:{port}", headers=headers) as http:

        async def create(document: dict[str, Any]) -> str:
            response = await http.post(
                "/organisations", json=document, headers={"Idempotency-Key": str(uuid.uuid4())}
            )
            if response.status_code != 201:
                raise BenchmarkFailed(
                    f"POST /organisations -> HTTP {response.status_code}: {response.text[:500]}"
                )
            organisation_id: str = response.json()["organisation_id"]
            return organisation_id

        response = await http.get("/organisations", params={"kind": "regional_branch"})
        if response.status_code != 200:
            raise BenchmarkFailed(
                f"GET /organisations -> HTTP {response.status_code}: {response.text[:500]}"
            )
        regionals = response.json()["items"]
        if not regionals:
            raise BenchmarkFailed("the registry lists no regional branches (bootstrap missing?)")
        regional = regionals[0]
        party_id = regional["parent_id"]

        territorial_id = await create(
            {
                "kind": "territorial_branch",
                "parent_id": regional["organisation_id"],
                "names": _names(
                    "Benchmark territorial branch",
                    "Бенчмарк аумақтық филиалы",
                    "Бенчмарк территориальный филиал",
                ),
                "decision": {
                    "body": {"kind": "party_bureau", "organisation_id": party_id},
                    "decided_on": "2026-01-10",
                    "reference": "Bureau minutes 1",
                },
            }
        )
        return [
            await create(
                {
                    "kind": "primary_organisation",
                    "parent_id": territorial_id,
                    "names": _names(
                        f"Benchmark PPO {n}",
                        f"Бенчмарк БПҰ {n}",
                        f"Бенчмарк ППО {n}",
                    ),
                    "decision": {
                        "body": {"kind": "branch_bureau", "organisation_id": territorial_id},
                        "decided_on": "2026-01-20",
                        "reference": f"Branch bureau minutes {n}",
                    },
                }
            )
            for n in range(1, ppo_count + 1)
        ]


def check_load(label: str, result: LoadResult) -> None:
    if result.errors:
        samples = "\n  ".join(result.error_samples)
        raise BenchmarkFailed(
            f"{label}: {result.errors} of {result.count} requests failed; samples:\n  {samples}"
        )


def member_ids(result: LoadResult) -> list[str]:
    assert result.responses is not None
    ids = []
    for response in result.responses:
        try:
            ids.append(str(json.loads(response.body)["member_id"]))
        except (ValueError, KeyError, TypeError) as exc:
            raise BenchmarkFailed(
                f"an application answered {response.status} without a member_id: "
                f"{response.body[:300]!r}"
            ) from exc
    if len(set(ids)) != len(ids):
        raise BenchmarkFailed("applications returned duplicate member ids")
    return ids


def check_admissions(result: LoadResult) -> None:
    """Every admission answered 200 with a card number, and no card number was issued twice."""
    assert result.responses is not None
    cards = []
    for response in result.responses:
        try:
            card = json.loads(response.body)["card_number"]
        except (ValueError, KeyError, TypeError) as exc:
            raise BenchmarkFailed(
                f"an admission answered {response.status} without a card_number: "
                f"{response.body[:300]!r}"
            ) from exc
        if response.status != 200 or not card:
            raise BenchmarkFailed(
                f"an admission answered {response.status}: {response.body[:300]!r}"
            )
        cards.append(card)
    if len(set(cards)) != len(cards):
        raise BenchmarkFailed(f"{len(cards) - len(set(cards))} card numbers were issued twice")


# --- the run --------------------------------------------------------------------------------------


@dataclass
class Figures:
    members: int
    clients: int
    applications: LoadResult
    admissions: LoadResult
    ceilings: list[CeilingResult]
    cpu_ms_per_admission: dict[str, float]
    problems: list[str]  # anything that makes the admission figure untrustworthy
    wal_bytes_per_admission: float = math.nan
    server_memory: str = ""

    @property
    def ceiling_rate(self) -> float:
        return sum(c.rate for c in self.ceilings) / len(self.ceilings)

    def ceiling_percentile(self, p: float) -> float:
        """Over the INSERT latencies of all ceiling runs together."""
        return percentile(sorted(chain.from_iterable(c.latencies_ms for c in self.ceilings)), p)

    @property
    def ratio(self) -> float:
        return self.admissions.throughput / self.ceiling_rate

    @property
    def goal_met(self) -> bool:
        return (
            not self.problems
            and self.admissions.throughput >= GOAL_RATE
            and self.admissions.p99 <= GOAL_P99_MS
            and self.ratio >= GOAL_RATIO
        )

    def as_json(self) -> dict[str, Any]:
        def load(r: LoadResult) -> dict[str, float]:
            return {
                "count": r.count,
                "errors": r.errors,
                "elapsed_s": r.elapsed,
                "per_second": r.throughput,
                "p50_ms": r.p50,
                "p90_ms": r.p90,
                "p99_ms": r.p99,
                "max_ms": r.max,
                "client_cpu_share": r.client_cpu_share,
            }

        return {
            "members": self.members,
            "clients": self.clients,
            "goal": {
                "per_second": GOAL_RATE,
                "p99_ms": GOAL_P99_MS,
                "ratio": GOAL_RATIO,
                "met": self.goal_met,
            },
            "applications": load(self.applications),
            "admissions": load(self.admissions),
            "ceiling": {
                "per_second": self.ceiling_rate,
                "p50_ms": self.ceiling_percentile(50),
                "p99_ms": self.ceiling_percentile(99),
                "runs": [
                    {"per_second": c.rate, "p50_ms": c.p50, "p99_ms": c.p99} for c in self.ceilings
                ],
                "settings": self.ceilings[0].settings,
            },
            "ratio": self.ratio,
            "problems": self.problems,
            "cpu_ms_per_admission": self.cpu_ms_per_admission,
            "wal_bytes_per_admission": self.wal_bytes_per_admission,
            "server_memory": self.server_memory,
        }


def print_report(f: Figures) -> None:
    adm, app = f.admissions, f.applications
    verdict = "INVALID (errors)" if f.problems else "MET" if f.goal_met else "NOT MET"
    settings = f.ceilings[0].settings
    runs = " / ".join(f"{c.rate:.0f}" for c in f.ceilings)
    width = 38
    print()
    print(
        f"Partia admissions benchmark: {f.members} members, {f.clients} clients, "
        f"{os.cpu_count()} CPUs, PostgreSQL {settings.get('server_version', '?')}"
    )
    print(
        "  durability: "
        + ", ".join(f"{k}={v}" for k, v in settings.items() if k != "server_version")
    )
    if f.server_memory:
        print(f"  memory: {f.server_memory}")
    print()
    print(
        f"{'setup: applications via HTTP':<{width}}{app.throughput:7.0f} /s   "
        f"p50 {app.p50:5.1f}  p99 {app.p99:6.1f} ms   ({app.count} in {app.elapsed:.1f} s)"
    )
    print(
        f"{f'admissions via HTTP ({f.clients} clients)':<{width}}{adm.throughput:7.0f} /s   "
        f"p50 {adm.p50:5.1f}  p99 {adm.p99:6.1f} ms   "
        f"goal >= {GOAL_RATE:.0f}/s, p99 <= {GOAL_P99_MS:.0f} ms, ratio >= {GOAL_RATIO}   {verdict}"
    )
    print(
        f"{'':<{width}}        p90 {adm.p90:5.1f}  max {adm.max:6.1f} ms   "
        f"({adm.count} in {adm.elapsed:.1f} s)"
    )
    print(
        f"{f'ceiling: durable INSERTs ({f.clients} conns)':<{width}}{f.ceiling_rate:7.0f} /s   "
        f"p50 {f.ceiling_percentile(50):5.1f}  p99 {f.ceiling_percentile(99):6.1f} ms   "
        f"(mean of runs before / after: {runs})"
    )
    print(f"{'ratio admissions / ceiling':<{width}}{f.ratio:7.2f}")
    cpu = f.cpu_ms_per_admission
    if cpu:
        parts = ", ".join(f"{name} {ms:.2f}" for name, ms in cpu.items())
        print(f"{'CPU ms per admission':<{width}}{parts}")
    print(f"{'WAL per admission':<{width}}{f.wal_bytes_per_admission / 1024:7.2f} KiB")
    print()


@dataclass
class HttpPhases:
    applications: LoadResult
    admissions: LoadResult
    cpu_ms_per_admission: dict[str, float]
    problems: list[str]
    wal_bytes_per_admission: float


def http_phases(registry: Registry, dsn: str, args: argparse.Namespace) -> HttpPhases:
    """Set up organisations, submit the applications, then time the admissions."""
    port = registry.port
    ppos = run_async(create_organisations(port, args.ppos))
    print(f"setup: 1 territorial branch, {len(ppos)} PPOs", flush=True)

    ppo_of = [ppos[n % len(ppos)] for n in range(args.members)]
    iins = adult_iins()
    applications = [application(n, next(iins), ppo_of[n]) for n in range(args.members)]
    applied = run_async(run_load(HOST, port, applications, args.clients, collect_bodies=True))
    print(f"applications: {applied.summary()}", flush=True)
    check_load("applications", applied)
    members = member_ids(applied)

    # Everything is encoded before the clock starts; CPU is read around the timed run only.
    admissions = [admission(m, ppo) for m, ppo in zip(members, ppo_of, strict=True)]
    meters = {"registry": CpuMeter(registry.process.pid)}
    if (pg_pid := postmaster_pid(dsn)) is not None:
        meters["postgres"] = CpuMeter(pg_pid)
    wal_before = wal_lsn(dsn)
    before = {name: meter.read() for name, meter in meters.items()}
    admitted = run_async(run_load(HOST, port, admissions, args.clients, collect_bodies=True))
    wal_per_admission = (wal_lsn(dsn) - wal_before) / admitted.count
    cpu = {
        name: CpuMeter.used(before[name], meter.read()) * 1000 / admitted.count
        for name, meter in meters.items()
    }
    cpu["load generator"] = admitted.client_cpu_seconds * 1000 / admitted.count
    print(f"admissions: {admitted.summary()}", flush=True)

    # A failed admission spoils the figure but not the run: finish, then say so loudly.
    problems = []
    try:
        check_load("admissions", admitted)
        check_admissions(admitted)
    except BenchmarkFailed as exc:
        problems.append(str(exc))
    return HttpPhases(applied, admitted, cpu, problems, wal_per_admission)


def run(args: argparse.Namespace) -> Figures:
    registry_import_path()  # before anything imports partia_registry
    with (
        tempfile.TemporaryDirectory(prefix="partia-bench-") as tmp,
        throwaway_postgres(sized=not args.postgres_defaults) as dsn,
    ):
        memory = server_memory_line(dsn)
        ceilings = [run_async(insert_ceiling(dsn, args.clients, args.ceiling_seconds))]
        print(f"ceiling (before): {ceilings[0].summary()}", flush=True)

        with registry_server(
            dsn,
            Path(tmp),
            args.startup_timeout,
            workers=args.workers,
            read_front=not args.no_read_front,
        ) as registry:
            http = http_phases(registry, dsn, args)

        # The registry has stopped: PostgreSQL has the machine to itself again.
        ceilings.append(run_async(insert_ceiling(dsn, args.clients, args.ceiling_seconds)))
        print(f"ceiling (after): {ceilings[-1].summary()}", flush=True)

    return Figures(
        members=args.members,
        clients=args.clients,
        applications=http.applications,
        admissions=http.admissions,
        ceilings=ceilings,
        cpu_ms_per_admission=http.cpu_ms_per_admission,
        problems=http.problems,
        wal_bytes_per_admission=http.wal_bytes_per_admission,
        server_memory=memory,
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bench.admissions",
        description="Admissions/s through the registry's HTTP API, next to PostgreSQL's "
        "durable INSERT ceiling, measured in one run.",
    )
    parser.add_argument(
        "--members",
        type=int,
        default=8_000,
        help="applications, then admissions, to run (default 8000: ~8 s at the goal rate)",
    )
    parser.add_argument("--clients", type=int, default=32, help="concurrent clients/connections")
    parser.add_argument("--ppos", type=int, default=8, help="PPOs to spread members over")
    parser.add_argument("--workers", type=int, default=1, help="the registry's HTTP processes")
    parser.add_argument(
        "--no-read-front",
        action="store_true",
        help="serve in one process, without the read front (decision 313), to compare",
    )
    parser.add_argument("--ceiling-seconds", type=float, default=4.0, help="per ceiling run")
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
