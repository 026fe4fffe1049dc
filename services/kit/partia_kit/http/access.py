"""Function-level access for every service's HTTP API, from its one permission table (decision
142; moved here from the registry by decision 190): the table type, the look-up of an operation's
permission, the request's check (`authorised`), and the OpenAPI document that says, for every
operation, the permission and the roles holding it (and refuses to build with an operation the
table does not declare)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from fastapi import FastAPI, Request

from partia_kit.auth import Authenticator, Permission, Principal, Scope, authorise

Operations = Mapping[tuple[str, str], Permission]
"""(method, path template as the OpenAPI document writes it) -> the permission it needs."""

UNDECLARED = Permission("undeclared", frozenset())
"""What an operation missing from the table gets: nobody may use it."""

PRINCIPAL = "partia.principal"
"""Where the request's principal is kept in its ASGI scope, for whatever needs it after the check
(the access log)."""
SCOPE = "partia.scope"
"""Where the principal may use the operation's permission (`partia_kit.auth.Scope`)."""


def permission_in(operations: Operations, method: str, path: str) -> Permission:
    """`path`: the route's template, as the OpenAPI document writes it (HEAD as GET)."""
    return operations.get((method, path)) or operations.get(
        ("GET" if method == "HEAD" else method, path), UNDECLARED
    )


async def authorised(request: Request, operations: Operations) -> Principal:
    """The request's principal, once it is known to hold the permission the operation declares
    (401 without a valid token, 403 naming the permission without it). Needs
    `app.state.authenticator` and `app.state.party_id` (the party's own organisation, whose grants
    cover everything)."""
    authenticator: Authenticator = request.app.state.authenticator
    principal = await authenticator.authenticate_on_loop(request)
    route = request.scope["route"]
    permission = permission_in(operations, request.method, route.path)
    scope = authorise(principal, permission, request.path_params, request.app.state.party_id)
    request.scope[PRINCIPAL] = principal
    request.scope[SCOPE] = scope
    return principal


def scope_of(request: Request) -> Scope:
    scope: Scope = request.scope[SCOPE]
    return scope


def declare_bearer_security(app: FastAPI, operations: Operations, table: str) -> None:
    """Every endpoint but the public ones needs `Authorization: Bearer <token>`: say so in the
    OpenAPI document (so the docs page offers "Authorize"), and give each operation its permission
    and the roles that hold it (`x-permission`, `x-roles`) from the one table (`table` names its
    module, for the refusal), refusing an operation the table does not declare."""

    generate = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            schema = generate()
            schema.setdefault("components", {})["securitySchemes"] = {
                "bearerAuth": {
                    "type": "http",
                    "scheme": "bearer",
                    "bearerFormat": "JWT",
                    "description": "a JWT from the identity provider (PARTIA_AUTH_ISSUER; claims"
                    " layout in decision 140), or in development a token from PARTIA_API_TOKENS",
                }
            }
            schema["security"] = [{"bearerAuth": []}]
            _declare_permissions(schema, operations, table)
            app.openapi_schema = schema
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]


def _declare_permissions(schema: dict[str, Any], operations: Operations, table: str) -> None:
    undeclared = []
    for path, methods in schema["paths"].items():
        for method, operation in methods.items():
            permission = operations.get((method.upper(), path))
            if permission is None:
                undeclared.append(f"{method.upper()} {path}")
                continue
            operation["x-permission"] = permission.name
            operation["x-roles"] = permission.describe()
    if undeclared:
        raise RuntimeError(
            f"operations without a declared permission ({table}): " + ", ".join(undeclared)
        )
