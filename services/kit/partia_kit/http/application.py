"""The FastAPI application each service's API starts from (decision 158): the docs pages load
their scripts and styles from the service itself (a kept package bundles them), not from a public
CDN, since a party's server behind a firewall has no internet; with `PARTIA_API_DOCS=false` there
are no docs pages and no /openapi.json."""

from __future__ import annotations

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
