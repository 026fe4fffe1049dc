"""`partia-registry serve` on its own embedded PostgreSQL, stopped the ways processes are stopped."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from partia_registry.__main__ import main

pytestmark = pytest.mark.e2e


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _postgres_processes(pgdata: Path) -> list[int]:
    """Live PostgreSQL servers whose command line names this data directory."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            arguments = (entry / "cmdline").read_bytes().split(b"\0")
            state = (entry / "stat").read_text().rpartition(")")[2].split()[0]
        except OSError:
            continue
        server = arguments[0].endswith(b"postgres") and os.fsencode(pgdata) in arguments
        if server and state != "Z":
            found.append(int(entry.name))
    return found


def _wait_until_gone(pgdata: Path, limit: float = 30) -> list[int]:
    deadline = time.monotonic() + limit
    while (left := _postgres_processes(pgdata)) and time.monotonic() < deadline:
        time.sleep(0.1)
    return left


class Service:
    def __init__(self, data_dir: Path) -> None:
        self.data_dir = data_dir
        self.port = _free_port()
        env = {k: v for k, v in os.environ.items() if not k.startswith("PARTIA_")}
        env |= {"PARTIA_DATA_DIR": str(data_dir), "PARTIA_API_TOKENS": "ops=ops-token"}
        self.process = subprocess.Popen(
            [sys.executable, "-m", "partia_registry", "serve", "--port", str(self.port)],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )

    @property
    def pgdata(self) -> Path:
        return (self.data_dir / "pgdata").resolve()

    def wait_until_serving(self) -> None:
        deadline = time.monotonic() + 90
        with httpx.Client(base_url=f"http://127.0.0.1:{self.port}") as client:
            while True:
                with contextlib.suppress(httpx.TransportError):
                    if client.get("/health").status_code == 200:
                        return
                if self.process.poll() is not None or time.monotonic() > deadline:
                    self.process.kill()
                    output = self.process.stdout.read() if self.process.stdout else ""
                    raise AssertionError(f"the registry did not start:\n{output}")
                time.sleep(0.2)

    def stop(self, how: signal.Signals) -> int:
        self.process.send_signal(how)
        return self.process.wait(timeout=60)


@pytest.fixture
def data_dir(tmp_path: Path) -> Iterator[Path]:
    yield tmp_path / "partia"
    for pid in _postgres_processes((tmp_path / "partia" / "pgdata").resolve()):
        os.kill(pid, signal.SIGKILL)  # never leave a server behind, whatever the test found


@pytest.mark.parametrize("how", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "Ctrl-C"])
def test_stopping_the_service_stops_its_embedded_postgres(
    data_dir: Path, how: signal.Signals
) -> None:
    service = Service(data_dir)
    service.wait_until_serving()
    assert _postgres_processes(service.pgdata), "the service runs its own PostgreSQL"

    service.stop(how)

    assert _wait_until_gone(service.pgdata) == []
    assert not (service.pgdata / "postmaster.pid").exists()


def test_after_a_kill_9_the_next_start_serves_and_then_stops_cleanly(data_dir: Path) -> None:
    crashed = Service(data_dir)
    crashed.wait_until_serving()
    crashed.process.kill()
    crashed.process.wait(timeout=30)
    assert _postgres_processes(crashed.pgdata), "SIGKILL gives no chance to stop PostgreSQL"

    restarted = Service(data_dir)
    restarted.wait_until_serving()
    restarted.stop(signal.SIGINT)

    assert _wait_until_gone(restarted.pgdata) == []


def test_the_workers_option_states_its_real_default(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main(["serve", "--help"])
    help_text = " ".join(capsys.readouterr().out.split())
    assert "(default: 1)" in help_text
    assert "up to 2" not in help_text
