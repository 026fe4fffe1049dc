"""Registry processes for tests that drive the service as its users do: `python -m partia_registry`
started for real on the test's database and schema, stopped with SIGTERM as an operator would."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx

from partia_registry.settings import RegistrySettings


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def environment(settings: RegistrySettings, tokens: str, **extra: str) -> dict[str, str]:
    """The settings of a test as the environment of a process (`tokens`: `user=token,...`)."""
    assert settings.master_key is not None
    return {
        **os.environ,
        "PARTIA_DATABASE_URL": str(settings.database_url),
        "PARTIA_DATABASE_SCHEMA": settings.database_schema,
        "PARTIA_MASTER_KEY": settings.master_key.get_secret_value(),
        "PARTIA_API_TOKENS": tokens,
        **extra,
    }


@contextmanager
def registry_process(
    settings: RegistrySettings, *args: str, tokens: str, log: Path | None = None, **env: str
) -> Iterator[subprocess.Popen[str]]:
    """`python -m partia_registry <args>` until the block ends (then SIGTERM, and SIGKILL after
    30 s). Its output goes to a file, `child.stdout`: `log` if given, else a temporary one (a pipe
    could be held open by its own children, or fill up unread and stall it)."""
    output = log.open("w+") if log else tempfile.TemporaryFile("w+")  # noqa: SIM115
    child = subprocess.Popen(
        [sys.executable, "-m", "partia_registry", *args],
        env=environment(settings, tokens, **env),
        stdout=output,
        stderr=subprocess.STDOUT,
        text=True,
    )
    child.stdout = output
    try:
        yield child
    finally:
        if child.poll() is None:
            child.terminate()
        try:
            child.wait(timeout=30)
        except subprocess.TimeoutExpired:
            child.kill()
            child.wait()
        output.close()


def output_of(child: subprocess.Popen[str]) -> str:
    assert child.stdout is not None
    child.stdout.flush()
    child.stdout.seek(0)
    return child.stdout.read()


@contextmanager
def served(
    settings: RegistrySettings, *args: str, tokens: str, log: Path | None = None, **env: str
) -> Iterator[str]:
    """`serve` on a free port; yields its base URL once `/health` answers."""
    port = free_port()
    with registry_process(
        settings, "serve", "--port", str(port), *args, tokens=tokens, log=log, **env
    ) as child:
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 60
        while not healthy(base):
            if child.poll() is not None or time.monotonic() > deadline:
                raise AssertionError(f"the registry did not start:\n{output_of(child)}")
            time.sleep(0.1)
        yield base


def healthy(base: str) -> bool:
    try:
        return httpx.get(f"{base}/health").status_code == 200
    except httpx.TransportError:
        return False
