"""A throwaway embedded PostgreSQL for one benchmark run."""

from __future__ import annotations

import contextlib
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any


@contextlib.contextmanager
def throwaway_postgres(parent: Path | None = None, *, sized: bool = True) -> Iterator[str]:
    """Start a fresh PostgreSQL in a temporary directory; yield its URI; stop and delete it.

    The URI names a unix socket, e.g. `postgresql://postgres:@/postgres?host=/tmp/x/pgdata`;
    asyncpg and psycopg both read the socket directory from the `host` query parameter. The
    server keeps PostgreSQL's default durability settings (fsync and synchronous_commit on) and
    has the memory and checkpoint settings `make run` gives the embedded server on this machine
    (`partia_kit.postgres.embedded_settings`), so the figures are the service's;
    `sized=False` keeps PostgreSQL's defaults instead (128 MB shared buffers), for comparison.
    """
    from partia_kit.postgres.embedded import start_embedded_postgres

    workdir = Path(tempfile.mkdtemp(prefix="partia-bench-", dir=parent))
    server: Any = None
    try:
        server, uri = start_embedded_postgres(workdir / "pgdata", throwaway=True, sized=sized)
        yield uri
    finally:
        try:
            if server is not None:
                server.cleanup()
        finally:
            shutil.rmtree(workdir, ignore_errors=True)
