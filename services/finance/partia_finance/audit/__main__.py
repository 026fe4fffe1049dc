"""python -m partia_finance.audit: replay a verified finance export into the annual statement or
the register of return obligations.

  python -m partia_finance.audit statement finance.jsonl --year 2026 --as-of 2026-12-31
         [--public-key auditor.key.pub] [--service http://host:8001 --token T]
  python -m partia_finance.audit obligations finance.jsonl --as-of 2026-12-31 [same options]

The export comes from `partia-audit export --service finance ...`. Without --service it prints the
replay (JSON); with it, it compares the replay with the service's GET /reports/annual-statement
(or GET /obligations) and names every fund and source (or obligation) that differs.
Exit status: 0 clean, 1 differences (or the export does not verify), 2 the tool could not work.
The token may also come from PARTIA_AUDIT_TOKEN (one on the command line is visible to `ps`).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from datetime import date
from pathlib import Path

CLEAN, PROBLEMS, FAILED = 0, 1, 2


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m partia_finance.audit",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    sub = parser.add_subparsers(dest="command", required=True)
    statement = sub.add_parser("statement", help="the annual statement replayed from an export")
    statement.add_argument("file", type=Path)
    statement.add_argument("--year", type=int, required=True)
    statement.add_argument(
        "--as-of", type=date.fromisoformat, required=True, help="decided by, YYYY-MM-DD"
    )
    obligations = sub.add_parser(
        "obligations", help="the return obligations and their status, replayed from an export"
    )
    obligations.add_argument("file", type=Path)
    obligations.add_argument(
        "--as-of", type=date.fromisoformat, required=True, help="status on, YYYY-MM-DD"
    )
    for command in (statement, obligations):
        command.add_argument("--public-key", type=Path, help="the auditor's public key (KEY.pub)")
        command.add_argument("--service", help="the finance service's base URL, to compare with")
        command.add_argument("--token", default=os.environ.get("PARTIA_AUDIT_TOKEN"))
    return parser


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    import httpx

    from partia_finance.audit.replay import (
        ReplayRefused,
        obligation_differences,
        published_obligations,
        published_statement,
        replay_export,
        statement_differences,
    )
    from partia_kit.audit.findings import AuditError
    from partia_kit.audit.signing import load_public_key

    try:
        key = load_public_key(args.public_key) if args.public_key else None
        history = replay_export(args.file, public_key=key)
        if args.command == "obligations":
            replayed = history.obligations_on(args.as_of)
        else:
            replayed = history.annual_statement(args.year, args.as_of)
        if args.service is None:
            heading = {} if args.command == "obligations" else {"year": args.year}
            out = {**heading, "as_of": args.as_of.isoformat(), "items": replayed}
            print(json.dumps(out, ensure_ascii=False, indent=2, default=str))
            return CLEAN
        if args.command == "obligations":
            published = published_obligations(args.service, args.token, args.as_of)
        else:
            published = published_statement(args.service, args.token, args.year, args.as_of)
    except ReplayRefused as refused:
        print(f"replay refused: {refused}", file=sys.stderr)
        if refused.report is not None:
            print(refused.report.render(), file=sys.stderr)
        return PROBLEMS
    except (AuditError, OSError, httpx.HTTPError) as e:
        print(f"python -m partia_finance.audit: {e}", file=sys.stderr)
        return FAILED
    if args.command == "obligations":
        differences = obligation_differences(replayed, published)
        what = f"the service's obligations as of {args.as_of}"
    else:
        differences = statement_differences(replayed, published)
        what = f"the service's statement for {args.year} as of {args.as_of}"
    for line in differences:
        print(line)
    print(
        f"{len(differences)} difference(s) between the replay of {history.events:,} events"
        f" (head {history.head}) and {what}"
    )
    return PROBLEMS if differences else CLEAN


if __name__ == "__main__":
    sys.exit(main())
