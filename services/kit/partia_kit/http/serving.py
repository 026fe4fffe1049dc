"""`serve`: a service's FastAPI app under uvicorn, in one or more worker processes (moved from the
registry, decision 195), or as a read front with its writer process behind it (decision 313)."""

from __future__ import annotations

import http.client
import os
import subprocess
import sys
import time
from collections.abc import Mapping

from partia_kit.children import free_port, supervised
from partia_kit.http.writer_process import PRIVATE_HOST
from partia_kit.settings import ServiceSettings

WRITER_START_SECONDS = 120.0


def serve(
    app_factory: str,
    settings: ServiceSettings,
    *,
    host: str,
    port: int,
    workers: int,
    banner: str,
    env: Mapping[str, str] | None = None,
    read_front: bool = False,
) -> int:
    """`app_factory`: "package.module:create_app". Worker processes read their settings from the
    environment, so the prepared database URL, master key and schema (and `env`) are put there.
    `read_front` (one worker only): this process answers reads and relays writes to a writer
    process it starts on a private port (decision 313)."""
    import uvicorn

    assert settings.database_url is not None
    assert settings.master_key is not None
    os.environ["PARTIA_DATABASE_URL"] = settings.database_url
    os.environ["PARTIA_MASTER_KEY"] = settings.master_key.get_secret_value()
    os.environ["PARTIA_DATABASE_SCHEMA"] = settings.database_schema
    os.environ.update(env or {})
    if read_front and workers == 1:
        return _serve_with_front(app_factory, host, port, banner, settings.max_body_bytes)
    print(f"{banner} on http://{host}:{port}  (API docs: http://{host}:{port}/docs)", flush=True)
    uvicorn.run(
        app_factory,
        factory=True,
        host=host,
        port=port,
        workers=workers,
        log_level="warning",
        access_log=False,
    )
    return 0


def _serve_with_front(
    app_factory: str, host: str, port: int, banner: str, max_body_bytes: int
) -> int:
    """The writer process, then the front here until Ctrl-C or SIGTERM, then the writer
    stopped, finishing the writes in flight (restarted meanwhile if it dies)."""
    import uvicorn
    from uvicorn.importer import import_from_string

    from partia_kit.http.front import Upstream, WritesToWriter

    writer_port = free_port(PRIVATE_HOST)
    command = [
        sys.executable,
        "-m",
        "partia_kit.http.writer_process",
        app_factory,
        str(writer_port),
        str(os.getpid()),
    ]
    # The writer is started first (the front answers only once writes can be relayed), in its
    # own session: a terminal's Ctrl-C reaches the front, which stops the writer after itself,
    # so that no write in flight is cut off and none is restarted meanwhile.
    with supervised(
        command,
        name="the writer process",
        own_session=True,
        started=lambda process: _wait_until_answering(process, writer_port),
    ):
        app = WritesToWriter(
            import_from_string(app_factory)(), Upstream(PRIVATE_HOST, writer_port), max_body_bytes
        )
        print(
            f"{banner} on http://{host}:{port}  (API docs: http://{host}:{port}/docs; reads"
            f" answered here, writes by the writer process on {PRIVATE_HOST}:{writer_port})",
            flush=True,
        )
        uvicorn.run(app, host=host, port=port, log_level="warning", access_log=False)
    return 0


def _wait_until_answering(process: subprocess.Popen[bytes], port: int) -> None:
    deadline = time.monotonic() + WRITER_START_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"the writer process exited during start-up ({process.returncode})")
        try:
            conn = http.client.HTTPConnection(PRIVATE_HOST, port, timeout=2)
            conn.request("GET", "/health")
            if conn.getresponse().status == 200:
                return
        except OSError:
            pass
        time.sleep(0.2)
    raise SystemExit(f"the writer process did not answer within {WRITER_START_SECONDS:.0f} s")
