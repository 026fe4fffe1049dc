"""The subcommands behind the CLI: argument handling, output and exit status, nothing else.

Kept apart from `__main__` so that parsing stays importable without psycopg or httpx, and apart
from the modules that do the work so that those stay usable from Python (the tests call both).
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from partia_kit.audit.findings import AuditError, Report
from partia_kit.audit.progress import Progress

if TYPE_CHECKING:
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

    from partia_kit.audit.source import EventTable
    from partia_registry.audit.replay import History

# Each command imports what it needs when it runs: `verify` should not pay for loading psycopg,
# httpx and the domain model (~0.5 s) before checking a single line.

CLEAN, PROBLEMS, FAILED = 0, 1, 2


class CannotRun(Exception):
    """The command could not do its work (as opposed to finding problems)."""


@contextmanager
def _failures_explained() -> Iterator[None]:
    try:
        yield
    except AuditError as e:
        raise CannotRun(str(e)) from None
    except FileNotFoundError as e:
        raise CannotRun(f"no such file: {e.filename}") from None
    except OSError as e:
        raise CannotRun(str(e)) from None
    except Exception as e:
        psycopg, httpx = sys.modules.get("psycopg"), sys.modules.get("httpx")
        if psycopg is not None and isinstance(e, psycopg.Error):
            raise CannotRun(f"database: {e}".strip()) from None
        if httpx is not None and isinstance(e, httpx.HTTPError):
            raise CannotRun(f"service: {e}") from None
        raise


def dump_json(value: Any, out: Path | None) -> None:
    text = json.dumps(value, default=str, ensure_ascii=False, indent=2)
    if out is None:
        print(text)
    else:
        out.write_text(text + "\n", encoding="utf-8")


def whole_days(moment: tuple[datetime, bool] | None, *, end: bool) -> datetime | None:
    """`--recorded-to 2026-03-31` means up to the end of that day."""
    if moment is None:
        return None
    value, is_date = moment
    return value + timedelta(days=1) if end and is_date else value


def event_table(args: argparse.Namespace) -> EventTable:
    """The table export and verify-db read: `<service>_events` in the schema asked for, else the
    service's default one (the registry's `public`, any other service's own name)."""
    from partia_kit.audit.source import EventTable

    default = "public" if args.service == "registry" else args.service
    return EventTable.of_service(args.service, args.schema or default)


def _progress(args: argparse.Namespace, label: str) -> Progress:
    return Progress(label, enabled=args.progress)


def _public_key(args: argparse.Namespace) -> Ed25519PublicKey | None:
    from partia_kit.audit.signing import load_public_key

    return load_public_key(args.public_key) if args.public_key else None


def _database_url(args: argparse.Namespace) -> str:
    if not args.database_url:
        raise CannotRun("no database: pass --database-url or set PARTIA_DATABASE_URL")
    return str(args.database_url)


def _print_report(report: Report) -> int:
    print(report.render())
    return CLEAN if report.clean else PROBLEMS


def keygen(args: argparse.Namespace) -> int:
    from partia_kit.audit.signing import generate_keypair

    with _failures_explained():
        private, public = generate_keypair(args.out, force=args.force)
    print(f"private key: {private} (keep it safe)\npublic key:  {public} (give it to verifiers)")
    return CLEAN


def export(args: argparse.Namespace) -> int:
    from partia_kit.audit.export import ExportRange, export_history
    from partia_kit.audit.signing import load_private_key

    wanted = ExportRange(
        recorded_from=whole_days(args.recorded_from, end=False),
        recorded_to=whole_days(args.recorded_to, end=True),
        up_to_position=args.up_to_position,
    )
    with _failures_explained():
        key = load_private_key(args.signing_key) if args.signing_key else None
        summary = export_history(
            _database_url(args),
            event_table(args),
            args.out,
            wanted=wanted,
            signing_key=key,
            progress=_progress(args, "export"),
        )
    span = (
        f"positions {summary.first_position} to {summary.last_position}"
        if summary.count
        else "no events"
    )
    print(
        f"exported {summary.count:,} events ({span}) to {summary.path}\n"
        f"head {summary.head}" + ("" if summary.signed else "\nnote: not signed (no --signing-key)")
    )
    return CLEAN


def verify(args: argparse.Namespace) -> int:
    from partia_kit.audit.verify import verify_export

    with _failures_explained():
        report = verify_export(
            args.file,
            public_key=_public_key(args),
            progress=_progress(args, "verify"),
            jobs=args.jobs,
        )
    return _print_report(report)


def verify_db(args: argparse.Namespace) -> int:
    from partia_kit.audit.verify_db import verify_database

    with _failures_explained():
        report = verify_database(
            _database_url(args),
            event_table(args),
            args.against,
            public_key=_public_key(args),
            progress=_progress(args, "verify-db"),
        )
    return _print_report(report)


def _replayed(args: argparse.Namespace) -> History | int:
    from partia_registry.audit.replay import ReplayRefused, replay_export

    try:
        with _failures_explained():
            return replay_export(
                args.file, public_key=_public_key(args), progress=_progress(args, "replay")
            )
    except ReplayRefused as refused:
        if refused.report is not None:
            print(refused.report.render())
        print(f"partia-audit {args.command}: {refused}", file=sys.stderr)
        return PROBLEMS


def replay(args: argparse.Namespace) -> int:
    from partia_registry.audit.replay import replay_output

    history = _replayed(args)
    if isinstance(history, int):
        return history
    dump_json(replay_output(history, args.on, args.organisation), args.out)
    if args.out is not None:
        print(f"replayed {history.events:,} events; report as of {args.on} in {args.out}")
    return CLEAN


client_factory: Callable[[str, str], Any] | None = None
"""How `diff` reaches the service: by default `diff.open_client` (tests swap in an in-process
client; anything usable as `with factory(url, token) as client` with httpx.Client's `get`)."""


def diff(args: argparse.Namespace) -> int:
    from partia_registry.audit import diff as diffing

    if not args.token:
        raise CannotRun("no token: pass --token or set PARTIA_AUDIT_TOKEN")
    history = _replayed(args)
    if isinstance(history, int):
        return history
    factory = client_factory or diffing.open_client
    with _failures_explained(), factory(args.service, args.token) as client:
        differences, notes = diffing.diff_with_service(history, args.on, client, args.organisation)
    for line in differences:
        print(f"DIFF: {line}")
    for note in notes:
        print(f"note: {note}")
    verdict = "SAME" if not differences else f"DIFFERENT: {len(differences)} difference(s)"
    print(f"{verdict}: replay of {history.events:,} events vs {args.service} as of {args.on}")
    return CLEAN if not differences else PROBLEMS
