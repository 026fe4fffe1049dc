"""`serve`: a service's FastAPI app under uvicorn, in one or more worker processes (moved from the
registry, decision 195)."""

from __future__ import annotations

import os
from collections.abc import Mapping

from partia_kit.settings import ServiceSettings


def serve(
    app_factory: str,
    settings: ServiceSettings,
    *,
    host: str,
    port: int,
    workers: int,
    banner: str,
    env: Mapping[str, str] | None = None,
) -> int:
    """`app_factory`: "package.module:create_app". Worker processes read their settings from the
    environment, so the prepared database URL, master key and schema (and `env`) are put there."""
    import uvicorn

    assert settings.database_url is not None
    assert settings.master_key is not None
    os.environ["PARTIA_DATABASE_URL"] = settings.database_url
    os.environ["PARTIA_MASTER_KEY"] = settings.master_key.get_secret_value()
    os.environ["PARTIA_DATABASE_SCHEMA"] = settings.database_schema
    os.environ.update(env or {})
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
