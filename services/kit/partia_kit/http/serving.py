"""`serve`: a service's FastAPI app under uvicorn, in one or more worker processes (moved from the
registry, decision 195), or as a read front with its writer process behind it (decision 313)."""

from __future__ import annotations

import http.client
import os
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager

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
    """The writer first (the front answers only once writes can be relayed), then the front here
    until Ctrl-C or SIGTERM, then the writer stopped, finishing the writes in flight."""
    import uvicorn
    from uvicorn.importer import import_from_string

    from partia_kit.http.front import Upstream, WritesToWriter

    writer_port = _free_local_port()
    with _writer_process(app_factory, writer_port):
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


@contextmanager
def _writer_process(app_factory: str, port: int) -> Iterator[None]:
    """Started, waited for, restarted if it dies while the front serves, stopped at the end."""
    command = [
        sys.executable,
        "-m",
        "partia_kit.http.writer_process",
        app_factory,
        str(port),
        str(os.getpid()),
    ]
    stopping = threading.Event()

    def start() -> subprocess.Popen[bytes]:
        # Its own session: a terminal's Ctrl-C reaches the front, which stops the writer after
        # itself, so that no write in flight is cut off and none is restarted meanwhile.
        return subprocess.Popen(command, start_new_session=True)

    child = [start()]
    _wait_until_answering(child[0], port)

    def supervise() -> None:
        while not stopping.wait(1.0):
            if child[-1].poll() is not None and not stopping.is_set():
                print("the writer process exited; restarting it", file=sys.stderr, flush=True)
                child.append(start())

    supervisor = threading.Thread(target=supervise, name="writer-supervisor", daemon=True)
    supervisor.start()
    try:
        yield
    finally:
        stopping.set()
        supervisor.join(timeout=5)
        process = child[-1]
        if process.poll() is None:
            process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()


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
    process.kill()
    raise SystemExit(f"the writer process did not answer within {WRITER_START_SECONDS:.0f} s")


def _free_local_port() -> int:
    with socket.socket() as s:
        s.bind((PRIVATE_HOST, 0))
        return int(s.getsockname()[1])
