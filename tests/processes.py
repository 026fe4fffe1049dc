"""Registry processes for tests that drive the service as its users do: `python -m partia_registry`
started for real on the test's database and schema, stopped with SIGTERM as an operator would
(`partia_kit.testing.service_process`)."""

from __future__ import annotations

import subprocess
from contextlib import AbstractContextManager
from pathlib import Path

from partia_kit import testing
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
