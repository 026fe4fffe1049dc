"""The error responses each kind of endpoint declares in the OpenAPI document."""

from __future__ import annotations

from typing import Any

from partia_contracts.registry.api import Problem

_PROBLEM = {"model": Problem, "content": {"application/problem+json": {}}}

READ_ERRORS: dict[int | str, dict[str, Any]] = {
    401: {**_PROBLEM, "description": "missing or unknown bearer token"},
    404: {**_PROBLEM, "description": "no such resource"},
    422: {**_PROBLEM, "description": "invalid parameters"},
}

COMMAND_ERRORS: dict[int | str, dict[str, Any]] = {
    400: {**_PROBLEM, "description": "Idempotency-Key header missing"},
    401: {**_PROBLEM, "description": "missing or unknown bearer token"},
    404: {**_PROBLEM, "description": "the resource in the path does not exist"},
    409: {
        **_PROBLEM,
        "description": "refused by the registry's current state (e.g. already a "
        "member, organisation has members) or a concurrent change",
    },
    422: {
        **_PROBLEM,
        "description": "invalid input, or refused by a Charter rule: `rule`, `clause` "
        "and `field` say which",
    },
}
