"""The FastAPI application each service's API starts from (decision 158): the docs pages load
their scripts and styles from the service itself (a kept package bundles them), not from a public
CDN, since a party's server behind a firewall has no internet; with `PARTIA_API_DOCS=false` there
are no docs pages and no /openapi.json."""

from __future__ import annotations

import gc
import sys
from typing import Any

from fastapi import FastAPI
from fastapi_offline import FastAPIOffline

DOCS_PATHS = ("/docs", "/redoc")
"""The docs pages, their assets (/docs-assets) and Swagger UI's /docs/oauth2-redirect."""


def service_application(
    title: str, description: str, lifespan: Any, *, api_docs: bool, version: str = "0.1.0"
) -> FastAPI:
    common: dict[str, Any] = {
        "title": title,
        "version": version,
        "description": description,
        "lifespan": lifespan,
    }
    if not api_docs:
        return FastAPI(**common, docs_url=None, redoc_url=None, openapi_url=None)
    return FastAPIOffline(**common, static_url="/docs-assets")


def tune_for_serving() -> None:
    """Settle a service process once its long-lived objects are loaded (from a lifespan, never at
    import; decision 311).

    Long-lived objects (the app, cached records, keys) are frozen out of the collector, and young
    collections run every 50,000 allocations instead of 700: each full collection walked them
    all and stalled every request in flight (finance: p99 132 -> 42 ms at 32 clients). A
    service's writer thread and its event loop share the GIL; with the default 5 ms switch
    interval the writer waits up to 5 ms for it after each database round trip."""
    gc.freeze()
    gc.set_threshold(50_000, 20, 100)
    sys.setswitchinterval(0.0005)
