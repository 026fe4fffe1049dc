"""Function-level access control checked the same way for every service (issue 10 item 1,
decision 142): each operation of the OpenAPI document declares its permission, and each role is
refused (403, naming the rule and the permission) or allowed each operation as the table says."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import httpx

from partia_kit.auth import Permission, Role

PUBLIC_OPERATIONS = {("GET", "/health"), ("GET", "/ready"), ("GET", "/metrics")}

Operations = Mapping[tuple[str, str], Permission]
Representative = Callable[[str, str], tuple[str, dict[str, Any]]]
"""(method, path template) -> (url, extra request arguments) for a request to the operation."""


def check_declared(spec: dict[str, Any], operations: Operations) -> None:
    """Every operation of the OpenAPI document names its permission from the table, the public
    ones are exactly /health, /ready and /metrics, and the table names no missing operation."""
    found = {
        (method.upper(), path): operation
        for path, methods in spec["paths"].items()
        for method, operation in methods.items()
    }
    for (method, path), operation in found.items():
        declared = operations.get((method, path))
        assert declared is not None, f"{method} {path} declares no permission"
        assert operation["x-permission"] == declared.name
    assert {op for op in found if operations[op].public} == PUBLIC_OPERATIONS
    assert set(operations) == set(found)
    assert spec["components"]["securitySchemes"]["bearerAuth"]["bearerFormat"] == "JWT"


def holds(who: str, permission: Permission) -> bool:
    """Whether the token `who` (a role's name, "service" for the finance service's account,
    "notifications" for that service's, "nobody") holds the permission."""
    if permission.public:
        return True
    if who == "notifications":
        return Role.SERVICE in permission.roles and "notifications" in permission.services
    if who == "service":
        return Role.SERVICE in permission.roles and "finance" in permission.services
    role = who.partition("-")[0]  # "treasurer-almaty" is a treasurer
    return role != "nobody" and Role(role) in permission.roles | permission.own_record


def walk(
    base: str, operations: Operations, who: str, token: str, representative: Representative
) -> set[tuple[str, str]]:
    """Call every operation as `who`; assert each refusal is 403 naming the permission; return
    the operations that were allowed."""
    allowed = set()
    for (method, path), permission in operations.items():
        url, extra = representative(method, path)
        headers = {"Authorization": f"Bearer {token}", **extra.pop("headers", {})}
        answer = httpx.request(method, base + url, headers=headers, timeout=30, **extra)
        if holds(who, permission):
            assert answer.status_code not in (401, 403), (who, method, path, answer.text)
            allowed.add((method, path))
            continue
        assert answer.status_code == 403, (who, method, path, answer.text)
        assert answer.headers["content-type"] == "application/problem+json"
        problem = answer.json()
        assert (problem["rule"], problem["permission"]) == ("permission-required", permission.name)
        assert permission.name in problem["detail"]
    return allowed


def anonymous_calls(base: str, operations: Operations, representative: Representative) -> None:
    """Without a token every operation but /health, /ready and /metrics answers 401."""
    for (method, path), permission in operations.items():
        url, extra = representative(method, path)
        answer = httpx.request(method, base + url, timeout=30, **extra)
        if permission.public:
            assert answer.status_code in (200, 503), (method, path)
        else:
            assert (answer.status_code, answer.json()["rule"]) == (401, "authentication-required")
            assert answer.headers["www-authenticate"] == "Bearer"
