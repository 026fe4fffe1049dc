"""`partia-auth`: the local issuer's command line (development and tests; decision 144).

    partia-auth mint --user aigerim --role clerk --organisation <uuid> [--expires 8h]
    partia-auth mint --user ops --role operations
    partia-auth mint --user asel --role member --member-id <uuid>
    partia-auth mint --user finance --role service --service finance
    partia-auth jwks          # the public keys, for PARTIA_AUTH_JWKS_FILE

Several `--role`s pair with the `--organisation`s in order (one organisation serves them all).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
from pathlib import Path
from uuid import UUID

from partia_kit.auth.issuer import LocalIssuer
from partia_kit.auth.principal import Grant, Role

_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


def duration(text: str) -> float:
    """`8h`, `30m`, `90s`, `2d`."""
    match = re.fullmatch(r"(\d+)([smhd])", text.strip())
    if match is None:
        raise argparse.ArgumentTypeError(f"{text!r}: a number and a unit (s, m, h, d), e.g. 8h")
    return int(match[1]) * _UNITS[match[2]]


def grants(roles: list[Role], organisations: list[UUID]) -> list[Grant]:
    if len(organisations) > 1 and len(organisations) != len(roles):
        raise ValueError("give one --organisation for all roles, or one per --role")
    if len(organisations) <= 1:
        return [Grant(role, organisations[0] if organisations else None) for role in roles]
    return [
        Grant(role, organisation) for role, organisation in zip(roles, organisations, strict=True)
    ]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="partia-auth",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "--data-dir", type=Path, default=Path(os.environ.get("PARTIA_DATA_DIR", ".partia"))
    )
    parser.add_argument("--key-dir", type=Path, default=_env_path("PARTIA_KEY_DIR"))
    sub = parser.add_subparsers(dest="command", required=True)
    mint = sub.add_parser("mint", help="print a token signed by the local issuer")
    mint.add_argument("--user", required=True)
    mint.add_argument(
        "--role", type=Role, action="append", required=True, help=", ".join(r.value for r in Role)
    )
    mint.add_argument("--organisation", type=UUID, action="append", default=[])
    mint.add_argument("--member-id", type=UUID)
    mint.add_argument("--service")
    mint.add_argument("--expires", type=duration, default=duration("8h"))
    sub.add_parser("jwks", help="print the local issuer's public keys (JWKS)")
    args = parser.parse_args(argv)
    issuer = LocalIssuer.of_installation(args.data_dir, args.key_dir)
    if args.command == "jwks":
        print(json.dumps(issuer.jwks(), indent=2))
        return 0
    try:
        held = grants(args.role, args.organisation)
    except ValueError as error:
        parser.error(str(error))
    token = issuer.mint(
        args.user, held, member_id=args.member_id, service=args.service, expires_in=args.expires
    )
    print(token)
    return 0


def _env_path(name: str) -> Path | None:
    value = os.environ.get(name)
    return Path(value) if value else None


if __name__ == "__main__":
    sys.exit(main())
