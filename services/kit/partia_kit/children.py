"""Child processes a service command runs beside itself: `serve`'s projection runner (the
registry's) and writer process (decision 313). Each is started, restarted if it dies, stopped
when the command ends, and stops by itself if the command is killed outright."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager

STOP_SECONDS = 30.0
"""How long a child may take to finish what it is doing once asked to stop."""


@contextmanager
def supervised(
    command: Sequence[str],
    *,
    name: str,
    env: Mapping[str, str] | None = None,
    own_session: bool = False,
    started: Callable[[subprocess.Popen[bytes]], None] | None = None,
) -> Iterator[None]:
    """`command` running until the block ends, restarted (checked each second) if it exits.
    `started` is called with the first process before the block begins (e.g. to wait until it
    answers). `own_session`: a terminal's Ctrl-C does not reach it, so the parent stops it after
    itself."""

    def start() -> subprocess.Popen[bytes]:
        return subprocess.Popen(list(command), env=env, start_new_session=own_session)

    stopping = threading.Event()
    child = [start()]
    if started is not None:
        try:
            started(child[0])
        except BaseException:
            stop(child[0])
            raise

    def supervise() -> None:
        while not stopping.wait(1.0):
            if child[-1].poll() is not None and not stopping.is_set():
                print(f"{name} exited; restarting it", file=sys.stderr, flush=True)
                child.append(start())

    supervisor = threading.Thread(target=supervise, name=f"{name}-supervisor", daemon=True)
    supervisor.start()
    try:
        yield
    finally:
        stopping.set()
        supervisor.join(timeout=5)
        stop(child[-1])


def stop(process: subprocess.Popen[bytes] | subprocess.Popen[str]) -> None:
    """SIGTERM, then SIGKILL if it has not exited within STOP_SECONDS."""
    if process.poll() is None:
        process.terminate()
    try:
        process.wait(timeout=STOP_SECONDS)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def when_parent_gone(parent: int, then: Callable[[], None]) -> None:
    """Call `then` once this process's parent is no longer `parent` (it was killed outright and
    the child was handed to another); in a daemon thread of its own."""

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(1.0)
        then()

    threading.Thread(target=watch, name="parent-watch", daemon=True).start()


def free_port(host: str = "127.0.0.1") -> int:
    """A port free on `host` now, for a child (or a test's server) to listen on."""
    with socket.socket() as s:
        s.bind((host, 0))
        return int(s.getsockname()[1])
