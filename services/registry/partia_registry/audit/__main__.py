"""partia-audit: export, verify and replay a service's event history without trusting the service.

  partia-audit keygen --out auditor.key                      (writes auditor.key and auditor.key.pub)
  partia-audit export --database-url URL [--service S] [--schema S] --out history.jsonl --signing-key auditor.key
               [--recorded-from DATE] [--recorded-to DATE] [--up-to-position N]
  partia-audit verify history.jsonl --public-key auditor.key.pub
  partia-audit verify-db --database-url URL [--service S] [--schema S] --against history.jsonl --public-key ...
  partia-audit replay history.jsonl --on 2026-03-31 [--organisation ID] [--out report.json]
  partia-audit diff history.jsonl --on 2026-03-31 --service http://host:8000 --token T

Exit status: 0 clean (no problem, no difference), 1 problems or differences found, 2 the tool could
not do its work (bad arguments, unreadable files, database or service unreachable, or the reader
of its output stopped reading, as `| head` does).
The database URL, schema and service token may also come from PARTIA_DATABASE_URL,
PARTIA_DATABASE_SCHEMA and PARTIA_AUDIT_TOKEN (a token on the command line is visible to `ps`).
--service names whose events export and verify-db read (`<service>_events`: registry, the
default, or finance); replay and diff understand the registry's events only: the finance
history is replayed by `python -m partia_finance.audit statement` (decisions 210, 213).
"""

from __future__ import annotations

import argparse
import os
import sys
from datetime import UTC, date, datetime, time
from pathlib import Path
from uuid import UUID


def _date(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a date (YYYY-MM-DD): {text!r}") from None


def _moment(text: str) -> tuple[datetime, bool]:
    """A UTC moment; True when only a date was given (meaning the whole day)."""
    try:
        if len(text) == 10:
            return datetime.combine(date.fromisoformat(text), time(), UTC), True
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a date or ISO date-time: {text!r}") from None
    return (moment if moment.tzinfo else moment.replace(tzinfo=UTC)), False


def _service(text: str) -> str:
    """A service's name, which names its event table: letters, digits and underscores."""
    if not text.isidentifier() or not text.islower():
        raise argparse.ArgumentTypeError(f"not a service name (e.g. registry, finance): {text!r}")
    return text


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="partia-audit",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    sub = parser.add_subparsers(dest="command", required=True)

    shown = argparse.ArgumentParser(add_help=False)
    group = shown.add_mutually_exclusive_group()
    group.add_argument(
        "--progress",
        dest="progress",
        action="store_true",
        default=None,
        help="show a progress bar on stderr (default: when stderr is a terminal)",
    )
    group.add_argument("--no-progress", dest="progress", action="store_false")

    database = argparse.ArgumentParser(add_help=False)
    database.add_argument(
        "--database-url",
        default=os.environ.get("PARTIA_DATABASE_URL"),
        help="postgresql://... (default: $PARTIA_DATABASE_URL)",
    )
    database.add_argument(
        "--service",
        default="registry",
        type=_service,
        help="whose event table: registry (default) or finance; reads <service>_events",
    )
    database.add_argument(
        "--schema",
        default=os.environ.get("PARTIA_DATABASE_SCHEMA"),
        help="the service's schema (default: $PARTIA_DATABASE_SCHEMA, else public for the "
        "registry and the service's name for any other: finance)",
    )

    trusted = argparse.ArgumentParser(add_help=False)
    trusted.add_argument(
        "--public-key",
        type=Path,
        help="the auditor's public key (KEY.pub): the checkpoint must be signed with it",
    )

    keygen = sub.add_parser("keygen", help="make an Ed25519 signing key (KEY and KEY.pub)")
    keygen.add_argument("--out", type=Path, required=True)
    keygen.add_argument("--force", action="store_true", help="replace existing key files")

    export = sub.add_parser(
        "export", parents=[database, shown], help="export the history with a signed hash chain"
    )
    export.add_argument("--out", type=Path, required=True)
    export.add_argument("--signing-key", type=Path, help="Ed25519 private key (from keygen)")
    export.add_argument(
        "--recorded-from",
        type=_moment,
        help="first day (UTC) or ISO date-time of the period to export",
    )
    export.add_argument(
        "--recorded-to",
        type=_moment,
        help="last day (UTC, inclusive) or ISO date-time (exclusive) of the period to export",
    )
    export.add_argument("--up-to-position", type=int, help="export nothing after this position")

    verify = sub.add_parser(
        "verify", parents=[trusted, shown], help="verify an export file's chain and signature"
    )
    verify.add_argument("file", type=Path)
    verify.add_argument(
        "--jobs", type=int, help="worker processes for a large file (default: one per core)"
    )

    verify_db = sub.add_parser(
        "verify-db",
        parents=[database, trusted, shown],
        help="compare the live event table with a trusted export",
    )
    verify_db.add_argument("--against", type=Path, required=True, help="the trusted export")

    replay = sub.add_parser(
        "replay",
        parents=[trusted, shown],
        help="rebuild the structure report (and a roll) as of a date from an export alone",
    )
    replay.add_argument("file", type=Path)
    replay.add_argument("--on", type=_date, required=True, help="business date, YYYY-MM-DD")
    replay.add_argument("--organisation", type=UUID, help="also its roll, subtree included")
    replay.add_argument("--out", type=Path, help="write the JSON here (default: stdout)")

    diff = sub.add_parser(
        "diff",
        parents=[trusted, shown],
        help="replay an export and compare it with the service's reports for a date",
    )
    diff.add_argument("file", type=Path)
    diff.add_argument("--on", type=_date, required=True, help="business date, YYYY-MM-DD")
    diff.add_argument("--service", required=True, help="the registry's base URL")
    diff.add_argument(
        "--token",
        default=os.environ.get("PARTIA_AUDIT_TOKEN"),
        help="bearer token (default: $PARTIA_AUDIT_TOKEN)",
    )
    diff.add_argument(
        "--organisation",
        type=UUID,
        action="append",
        help="compare this organisation's roll (repeatable; default: the party's, every member)",
    )
    return parser


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    from partia_registry.audit import commands

    try:
        result: int = getattr(commands, args.command.replace("-", "_"))(args)
        sys.stdout.flush()  # here, where a closed pipe can be told from a failure
    except commands.CannotRun as e:
        print(f"partia-audit {args.command}: {e}", file=sys.stderr)
        return commands.FAILED
    except BrokenPipeError:
        _discard_stdout()
        return commands.FAILED
    return result


def _discard_stdout() -> None:
    """The reader of stdout went away (`partia-audit replay ... | head`): stop quietly. Python
    would otherwise fail again flushing stdout at exit, so it is pointed at /dev/null first."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())
    os.close(devnull)


if __name__ == "__main__":
    sys.exit(main())
