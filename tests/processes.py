"""Registry processes for tests that drive the service as its users do: `python -m partia_registry`
started for real on the test's database and schema, stopped with SIGTERM as an operator would
(`partia_kit.testing.service_process`)."""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path

from partia_kit import testing
from partia_kit.auth.issuer import LocalIssuer, local_issuer_environment
from partia_kit.testing import new_master_key, new_schema
from partia_registry.settings import RegistrySettings

MODULE = "partia_registry"


def registry_process(
    settings: RegistrySettings, *args: str, tokens: str, log: Path | None = None, **env: str
) -> AbstractContextManager[subprocess.Popen[str]]:
    """`python -m partia_registry <args>` until the block ends (then SIGTERM, and SIGKILL after
    30 s); its output in `child.stdout`."""
    return testing.service_process(MODULE, settings, *args, tokens=tokens, log=log, **env)


def served(
    settings: RegistrySettings, *args: str, tokens: str, log: Path | None = None, **env: str
) -> AbstractContextManager[str]:
    """`serve` on a free port; yields its base URL once `/health` answers."""
    return testing.served(MODULE, settings, *args, tokens=tokens, log=log, **env)


@contextmanager
def served_with_issuer(database_url: str, workspace: Path) -> Iterator[tuple[str, LocalIssuer]]:
    """A registry in a schema of its own that accepts only the tokens of a new local issuer (no
    static tokens): its base URL and the issuer, to mint tokens for any role and organisation."""
    issuer = LocalIssuer.generate()
    settings = RegistrySettings(
        database_url=database_url,
        database_schema=new_schema(),
        master_key=new_master_key(),
        data_dir=Path("/nonexistent"),
    )
    environment = local_issuer_environment(issuer, workspace / "jwks.json")
    with served(settings, tokens="", **environment) as base:
        yield base, issuer
