"""Finance write benchmark: donations received and decided through HTTP, next to the ceiling.

    python -m bench.finance_write [--donations 10000] [--clients 32] [--organisations 16]

One run, side by side on one machine and one PostgreSQL:
  1. starts a throwaway embedded PostgreSQL and measures the ceiling (durable single-row
     INSERTs/s at the same concurrency) while nothing else runs;
  2. starts the finance service (`python -m partia_finance serve`) on it, and seeds the
     organisation tree finance learns from the registry's events (a party, regional branches,
     territorial branches under them) directly, as the finance tests do (tests/finance/support.py);
  3. warms up with a few donations (reported, not the goal);
  4. TIMED: POSTs N donations, `clients` requests in flight, each decided as it is recorded:
     mostly documented citizens and resident organisations (accepted), some foreign citizens and
     non-resident companies (rejected), some anonymous (rejected); each rejection opens a return
     obligation;
  5. stops the service and measures the ceiling again.
Every response is checked against the status (and obligation) its donor must get.
The goal (issue 11): >= 1,000 donations/s with p99 <= 100 ms at 32 clients.

Exit status: 0 on a clean run (goal met or not, unless --check), 1 when any request failed or
a response was wrong, 2 with --check when the goal was not met, 130 when interrupted.
"""

from __future__ import annotations

import argparse
import base64
import contextlib
import hashlib
import json
import math
import os
import subprocess
import sys
import tempfile
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from itertools import chain, islice
from pathlib import Path
from typing import Any
from uuid import UUID

import httpx

from bench.admissions import (
    HOST,
    CpuMeter,
    adult_iins,
    check_load,
    free_port,
    postmaster_pid,
    server_memory_line,
    stop,
    wal_lsn,
)
from bench.ceiling import CeilingResult, insert_ceiling
from bench.cli import BenchmarkFailed, add_output_arguments, finish
from bench.loadgen import LoadResult, Request, percentile, run_async, run_load
from bench.postgres import throwaway_postgres

GOAL_RATE = 1_000.0  # donations per second
GOAL_P99_MS = 100.0
TOKEN = "bench-token"
SCHEMA = "finance"
PARTY = "baytaq"
REPO_ROOT = Path(__file__).resolve().parent.parent


# --- the finance process ------------------------------------------------------------------------


@dataclass
class Service:
    process: subprocess.Popen[bytes]
    port: int
    log_path: Path

    def log_tail(self, lines: int = 40) -> str:
        try:
            text = self.log_path.read_text(errors="replace")
        except OSError:
            return "(no log)"
        return "\n".join(text.splitlines()[-lines:])


@contextlib.contextmanager
def finance_server(
    database_url: str, workdir: Path, startup_timeout: float, workers: int = 1
) -> Iterator[Service]:
    """Run `python -m partia_finance serve` on a free port until the block ends."""
    env = dict(os.environ)
    env["PARTIA_DATABASE_URL"] = database_url
    env["PARTIA_DATABASE_SCHEMA"] = SCHEMA
    env["PARTIA_PARTY"] = PARTY
    env["PARTIA_API_TOKENS"] = f"bench={TOKEN}"  # development token: every role, whole party
    # one token does the work of a whole party's treasurers: its rate is counted, never reached
    env["PARTIA_TOKEN_REQUEST_LIMIT"] = "1000000/second"
    env["PARTIA_MASTER_KEY"] = base64.b64encode(os.urandom(32)).decode()
    port = free_port()
    log_path = workdir / "finance.log"
    command = [sys.executable, "-m", "partia_finance", "serve", "--host", HOST]
    command += ["--port", str(port), "--workers", str(workers)]
    with log_path.open("wb") as log:
        # its own session, and the throwaway directory as cwd (no developer's .env applies)
        process = subprocess.Popen(
            command,
            env=env,
            cwd=workdir,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    service = Service(process, port, log_path)
    try:
        wait_until_healthy(service, startup_timeout)
        yield service
    finally:
        stop(process)


def wait_until_healthy(service: Service, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    url = f"http://{HOST}:{service.port}/health"
    last = "no answer"
    while time.monotonic() < deadline:
        if service.process.poll() is not None:
            raise BenchmarkFailed(
                f"the finance service exited with status {service.process.returncode} during"
                f" start-up; its log ends:\n{service.log_tail()}"
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
        f"the finance service's log ends:\n{service.log_tail()}"
    )


# --- the organisation tree ----------------------------------------------------------------------


def seed_tree(database_url: str, receiving: int) -> list[UUID]:
    """The party, four regional branches and territorial branches under them, as finance's
    consumer of the registry's organisation events leaves them; returns `receiving`
    organisations to spread donations over (branches of both levels, and the party)."""
    import psycopg
    from psycopg.sql import SQL, Identifier

    from partia_kit.auth.scope import bootstrapped_organisation_id, party_root

    party = party_root(PARTY)
    regions = ("almaty-city", "astana", "shymkent-city", "karaganda")
    rows: list[tuple[UUID, UUID | None, str]] = [(party, None, "party")]
    regionals = [bootstrapped_organisation_id(PARTY, r) for r in regions]
    rows += [(r, party, "regional_branch") for r in regionals]
    territorials = [uuid.uuid4() for _ in range(max(0, receiving - len(regionals) - 1))]
    rows += [
        (t, regionals[n % len(regionals)], "territorial_branch") for n, t in enumerate(territorials)
    ]
    with psycopg.connect(database_url, autocommit=True) as conn:
        conn.execute(
            SQL(
                "INSERT INTO {} (organisation_id, parent_id, kind, registry_position)"
                " SELECT * FROM unnest(%s::uuid[], %s::uuid[], %s::text[], %s::int8[])"
            ).format(Identifier(SCHEMA, "finance_organisations")),
            ([r[0] for r in rows], [r[1] for r in rows], [r[2] for r in rows], [0] * len(rows)),
        )
    return [organisation for organisation, _, _ in rows][:receiving]


# --- the workload -------------------------------------------------------------------------------


def sha(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def valid_bins(entity_type: str) -> Iterator[str]:
    """Distinct valid BINs registered in 2009-2019; digit 5 = 4 resident, 5 non-resident."""
    from partia_kit.iin import check_digit

    for serial in range(100_000):
        for year in range(9, 20):
            prefix = f"{year:02d}{serial % 12 + 1:02d}{entity_type}0{serial:05d}"
            digit = check_digit(prefix)
            if digit is not None:
                yield f"{prefix}{digit}"


_SURNAMES = ("Абенова", "Сейтказиев", "Нұрланова", "Жумабаев", "Ivanova", "Ким", "Омаров")
_GIVEN = ("Айгерим", "Ерлан", "Динара", "Тимур", "Әсел", "Arman", "Гүлнар")


@dataclass(frozen=True)
class Donors:
    """Pools of donors, each giving more than once over the run."""

    citizens: list[str]  # IINs
    foreigners: list[str]  # IINs of people declaring another citizenship
    companies: list[str]  # resident BINs
    foreign_companies: list[str]  # non-resident BINs

    @classmethod
    def make(cls, size: int) -> Donors:
        iins = adult_iins(first_serial=6_000)
        return cls(
            citizens=list(islice(iins, size)),
            foreigners=list(islice(iins, max(1, size // 10))),
            companies=list(islice(valid_bins("4"), max(1, size // 4))),
            foreign_companies=list(islice(valid_bins("5"), max(1, size // 20))),
        )


# n % 20: 14 citizens, 3 resident companies (accepted); 1 foreign citizen, 1 non-resident
# company, 1 anonymous (rejected, each opening a return obligation)
MIX = ("citizen",) * 14 + ("company",) * 3 + ("foreigner", "foreign_company", "anonymous")
EXPECTED = {
    "citizen": "accepted",
    "company": "accepted",
    "foreigner": "rejected",
    "foreign_company": "rejected",
    "anonymous": "rejected",
}


def donor_kind(n: int) -> str:
    return MIX[n % len(MIX)]


def donor(n: int, donors: Donors) -> dict[str, Any]:
    kind = donor_kind(n)
    if kind in ("citizen", "foreigner"):
        pool = donors.citizens if kind == "citizen" else donors.foreigners
        return {
            "kind": "person",
            "iin": pool[n % len(pool)],
            "surname": _SURNAMES[n % len(_SURNAMES)],
            "given_name": _GIVEN[n % len(_GIVEN)],
            "citizenship": "KZ" if kind == "citizen" else "RU",
            "receives_foreign_grants": False,
        }
    if kind in ("company", "foreign_company"):
        pool = donors.companies if kind == "company" else donors.foreign_companies
        return {
            "kind": "organisation",
            "bin": pool[n % len(pool)],
            "name": f"ТОО «Жасыл Дала {n % 97}»",
            "foreign_participation": False,
            "state_body_or_organisation": False,
            "religious_association": False,
            "charitable_organisation": False,
            "receives_foreign_grants": False,
        }
    return {"kind": "anonymous"}


def donation(n: int, organisation: UUID, donors: Donors, run: str) -> Request:
    reference = f"PP-{run}-{n}"
    evidence = [{"kind": "payment", "reference": f"{reference}.pdf", "sha256": sha(reference)}]
    if donor_kind(n) != "anonymous":
        evidence.append(
            {"kind": "declaration", "reference": f"decl-{n}.pdf", "sha256": sha(f"decl-{n}")}
        )
    document = {
        "amount_tiyn": 100_000 + (n * 7_919) % 4_900_000,
        "currency": "KZT",
        "credited_on": f"2026-03-{n % 28 + 1:02d}",
        "bank_document": reference,
        "organisation_id": str(organisation),
        "purpose": {"kind": "party_funds"},
        "donor": donor(n, donors),
        "evidence": evidence,
    }
    headers = {
        "Authorization": f"Bearer {TOKEN}",
        "Idempotency-Key": str(uuid.uuid4()),
        "Content-Type": "application/json",
    }
    return Request("POST", "/donations", headers, json.dumps(document, ensure_ascii=False).encode())


def check_donations(result: LoadResult, first: int) -> Counter[str]:
    """Every donation answered 201 with the status its donor must get, a rejection with the
    obligation it opened, an acceptance with none; no donation id twice. Returns the statuses."""
    assert result.responses is not None
    ids, seen = set(), Counter[str]()
    for n, response in enumerate(result.responses, start=first):
        try:
            receipt = json.loads(response.body)
            status, obligation = receipt["status"], receipt.get("obligation_id")
            ids.add(receipt["donation_id"])
        except (ValueError, KeyError, TypeError) as exc:
            raise BenchmarkFailed(
                f"a donation answered {response.status} without a receipt: {response.body[:300]!r}"
            ) from exc
        expected = EXPECTED[donor_kind(n)]
        if (
            response.status != 201
            or status != expected
            or (obligation is None) != (expected == "accepted")
        ):
            raise BenchmarkFailed(
                f"donation {n} ({donor_kind(n)}) answered {response.status} {status!r} with"
                f" obligation {obligation!r}; expected 201 {expected!r}: {response.body[:300]!r}"
            )
        seen[status] += 1
    if len(ids) != len(result.responses):
        raise BenchmarkFailed(f"{len(result.responses) - len(ids)} donation ids were issued twice")
    return seen


# --- the run --------------------------------------------------------------------------------------


@dataclass
class Figures:
    donations: int
    clients: int
    organisations: int
    warmup: LoadResult
    timed: LoadResult
    ceilings: list[CeilingResult]
    cpu_ms_per_donation: dict[str, float]
    statuses: dict[str, int]
    problems: list[str]
    wal_bytes_per_donation: float = math.nan
    server_memory: str = ""

    @property
    def ceiling_rate(self) -> float:
        return sum(c.rate for c in self.ceilings) / len(self.ceilings)

    def ceiling_percentile(self, p: float) -> float:
        return percentile(sorted(chain.from_iterable(c.latencies_ms for c in self.ceilings)), p)

    @property
    def ratio(self) -> float:
        return self.timed.throughput / self.ceiling_rate

    @property
    def goal_met(self) -> bool:
        return (
            not self.problems
            and self.timed.throughput >= GOAL_RATE
            and self.timed.p99 <= GOAL_P99_MS
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
            "donations": self.donations,
            "clients": self.clients,
            "organisations": self.organisations,
            "goal": {"per_second": GOAL_RATE, "p99_ms": GOAL_P99_MS, "met": self.goal_met},
            "warmup": load(self.warmup),
            "donations_timed": load(self.timed),
            "statuses": self.statuses,
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
            "cpu_ms_per_donation": self.cpu_ms_per_donation,
            "wal_bytes_per_donation": self.wal_bytes_per_donation,
            "server_memory": self.server_memory,
            "load_average": os.getloadavg(),
        }


def print_report(f: Figures) -> None:
    timed = f.timed
    verdict = "INVALID (errors)" if f.problems else "MET" if f.goal_met else "NOT MET"
    settings = f.ceilings[0].settings
    runs = " / ".join(f"{c.rate:.0f}" for c in f.ceilings)
    width = 40
    print()
    print(
        f"Partia finance write benchmark: {f.donations} donations to {f.organisations}"
        f" organisations, {f.clients} clients, {os.cpu_count()} CPUs,"
        f" PostgreSQL {settings.get('server_version', '?')}"
    )
    print(
        "  durability: "
        + ", ".join(f"{k}={v}" for k, v in settings.items() if k != "server_version")
    )
    if f.server_memory:
        print(f"  memory: {f.server_memory}")
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    print(f"  load average at the end: {load} (other processes share the machine if > ~2)")
    print()
    w = f.warmup
    print(
        f"{'warm-up: donations via HTTP':<{width}}{w.throughput:7.0f} /s   "
        f"p50 {w.p50:5.1f}  p99 {w.p99:6.1f} ms   ({w.count} in {w.elapsed:.1f} s)"
    )
    print(
        f"{f'donations via HTTP ({f.clients} clients)':<{width}}{timed.throughput:7.0f} /s   "
        f"p50 {timed.p50:5.1f}  p99 {timed.p99:6.1f} ms   "
        f"goal >= {GOAL_RATE:.0f}/s, p99 <= {GOAL_P99_MS:.0f} ms   {verdict}"
    )
    print(
        f"{'':<{width}}        p90 {timed.p90:5.1f}  max {timed.max:6.1f} ms   "
        f"({timed.count} in {timed.elapsed:.1f} s)"
    )
    decided = ", ".join(f"{status} {count}" for status, count in sorted(f.statuses.items()))
    print(f"{'  decided at receipt':<{width}}{decided}")
    print(
        f"{f'ceiling: durable INSERTs ({f.clients} conns)':<{width}}{f.ceiling_rate:7.0f} /s   "
        f"p50 {f.ceiling_percentile(50):5.1f}  p99 {f.ceiling_percentile(99):6.1f} ms   "
        f"(mean of runs before / after: {runs})"
    )
    print(f"{'ratio donations / ceiling':<{width}}{f.ratio:7.2f}")
    if f.cpu_ms_per_donation:
        parts = ", ".join(f"{name} {ms:.2f}" for name, ms in f.cpu_ms_per_donation.items())
        print(f"{'CPU ms per donation':<{width}}{parts}")
    print(f"{'WAL per donation':<{width}}{f.wal_bytes_per_donation / 1024:7.2f} KiB")
    print()


@dataclass
class HttpPhase:
    warmup: LoadResult
    timed: LoadResult
    cpu_ms_per_donation: dict[str, float]
    statuses: dict[str, int]
    problems: list[str]
    wal_bytes_per_donation: float


def http_phase(service: Service, dsn: str, args: argparse.Namespace) -> HttpPhase:
    organisations = seed_tree(dsn, args.organisations)
    print(f"setup: {len(organisations)} receiving organisations", flush=True)
    donors = Donors.make(args.donors)
    total = args.warmup + args.donations
    run_id = uuid.uuid4().hex[:8]
    requests = [
        donation(n, organisations[n % len(organisations)], donors, run_id) for n in range(total)
    ]
    port = service.port
    warm = run_async(run_load(HOST, port, requests[: args.warmup], args.clients))
    print(f"warm-up: {warm.summary()}", flush=True)
    check_load("warm-up", warm)

    # Everything is encoded before the clock starts; CPU is read around the timed run only.
    meters = {"finance": CpuMeter(service.process.pid)}
    if (pg_pid := postmaster_pid(dsn)) is not None:
        meters["postgres"] = CpuMeter(pg_pid)
    wal_before = wal_lsn(dsn)
    before = {name: meter.read() for name, meter in meters.items()}
    timed = run_async(
        run_load(HOST, port, requests[args.warmup :], args.clients, collect_bodies=True)
    )
    wal_per_donation = (wal_lsn(dsn) - wal_before) / timed.count
    cpu = {
        name: CpuMeter.used(before[name], meter.read()) * 1000 / timed.count
        for name, meter in meters.items()
    }
    cpu["load generator"] = timed.client_cpu_seconds * 1000 / timed.count
    print(f"donations: {timed.summary()}", flush=True)

    # A wrong answer spoils the figure but not the run: finish, then say so loudly.
    problems: list[str] = []
    statuses: Counter[str] = Counter()
    try:
        check_load("donations", timed)
        statuses = check_donations(timed, first=args.warmup)
    except BenchmarkFailed as exc:
        problems.append(str(exc))
    return HttpPhase(warm, timed, cpu, dict(statuses), problems, wal_per_donation)


def run(args: argparse.Namespace) -> Figures:
    with (
        tempfile.TemporaryDirectory(prefix="partia-bench-") as tmp,
        throwaway_postgres(sized=not args.postgres_defaults) as dsn,
    ):
        memory = server_memory_line(dsn)
        ceilings = [run_async(insert_ceiling(dsn, args.clients, args.ceiling_seconds))]
        print(f"ceiling (before): {ceilings[0].summary()}", flush=True)

        with finance_server(dsn, Path(tmp), args.startup_timeout, args.workers) as service:
            http = http_phase(service, dsn, args)

        # The service has stopped: PostgreSQL has the machine to itself again.
        ceilings.append(run_async(insert_ceiling(dsn, args.clients, args.ceiling_seconds)))
        print(f"ceiling (after): {ceilings[-1].summary()}", flush=True)

    return Figures(
        donations=args.donations,
        clients=args.clients,
        organisations=args.organisations,
        warmup=http.warmup,
        timed=http.timed,
        ceilings=ceilings,
        cpu_ms_per_donation=http.cpu_ms_per_donation,
        statuses=http.statuses,
        problems=http.problems,
        wal_bytes_per_donation=http.wal_bytes_per_donation,
        server_memory=memory,
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bench.finance_write",
        description="Donations/s received and decided through the finance service's HTTP API,"
        " next to PostgreSQL's durable INSERT ceiling, measured in one run.",
    )
    parser.add_argument(
        "--donations",
        type=int,
        default=10_000,
        help="timed donations (default 10000: ~10 s at the goal rate)",
    )
    parser.add_argument("--warmup", type=int, default=1_000, help="untimed donations first")
    parser.add_argument("--clients", type=int, default=32, help="concurrent clients/connections")
    parser.add_argument(
        "--organisations", type=int, default=16, help="receiving organisations (>= 5)"
    )
    parser.add_argument("--donors", type=int, default=2_000, help="citizens giving (pool size)")
    parser.add_argument("--workers", type=int, default=1, help="the service's HTTP processes")
    parser.add_argument("--ceiling-seconds", type=float, default=4.0, help="per ceiling run")
    parser.add_argument("--startup-timeout", type=float, default=60.0)
    parser.add_argument(
        "--postgres-defaults",
        action="store_true",
        help="PostgreSQL's default memory and checkpoint settings instead of the machine-sized ones",
    )
    add_output_arguments(parser)
    args = parser.parse_args(argv)
    if args.organisations < 5:
        parser.error("--organisations: at least 5 (the party and four regional branches)")
    return finish(
        args,
        run,
        print_report,
        lambda f: f.goal_met,
        stopped="the finance service and PostgreSQL were stopped",
    )


if __name__ == "__main__":
    sys.exit(main())
