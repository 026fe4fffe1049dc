"""python -m partia_finance.audit: replay a verified finance export into the annual statement.

  python -m partia_finance.audit statement finance.jsonl --year 2026 --as-of 2026-12-31
         [--public-key auditor.key.pub] [--service http://host:8001 --token T]

The export comes from `partia-audit export --service finance ...`. Without --service it prints the
replayed statement (JSON); with it, it compares the replay with the service's
GET /reports/annual-statement and names every fund and source that differs.
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
    statement.add_argument("--public-key", type=Path, help="the auditor's public key (KEY.pub)")
    statement.add_argument("--service", help="the finance service's base URL, to compare with")
    statement.add_argument("--token", default=os.environ.get("PARTIA_AUDIT_TOKEN"))
    return parser


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    import httpx

    from partia_finance.audit.replay import (
        ReplayRefused,
        published_statement,
        replay_export,
        statement_differences,
    )
    from partia_kit.audit.findings import AuditError
    from partia_kit.audit.signing import load_public_key

    try:
        key = load_public_key(args.public_key) if args.public_key else None
        history = replay_export(args.file, public_key=key)
        replayed = history.annual_statement(args.year, args.as_of)
        if args.service is None:
            out = {"year": args.year, "as_of": args.as_of.isoformat(), "items": replayed}
            print(json.dumps(out, ensure_ascii=False, indent=2))
            return CLEAN
        published = published_statement(args.service, args.token, args.year, args.as_of)
    except ReplayRefused as refused:
        print(f"replay refused: {refused}", file=sys.stderr)
        if refused.report is not None:
            print(refused.report.render(), file=sys.stderr)
        return PROBLEMS
    except (AuditError, OSError, httpx.HTTPError) as e:
        print(f"python -m partia_finance.audit: {e}", file=sys.stderr)
        return FAILED
    differences = statement_differences(replayed, published)
    for line in differences:
        print(line)
    print(
        f"{len(differences)} difference(s) between the replay of {history.events:,} events"
        f" (head {history.head}) and the service's statement for {args.year} as of {args.as_of}"
    )
    return PROBLEMS if differences else CLEAN


if __name__ == "__main__":
    sys.exit(main())
