"""Who may do what, for every Partia service: the `Principal` behind a request's bearer token (an
OIDC JWT from the configured issuer, or in development a static token), the `Role`s, and the
`Permission` each operation declares (decisions 140-144)."""

from partia_kit.auth.authenticator import AuthConfigurationError, Authenticator
from partia_kit.auth.permissions import PUBLIC, Permission, authorise
from partia_kit.auth.principal import Grant, Principal, Role, development_principal
from partia_kit.auth.scope import WHOLE_PARTY, Scope

__all__ = [
    "PUBLIC",
    "WHOLE_PARTY",
    "AuthConfigurationError",
    "Authenticator",
    "Grant",
    "Permission",
    "Principal",
    "Role",
    "Scope",
    "authorise",
    "development_principal",
]
