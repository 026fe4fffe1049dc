"""The settings of the HTTP guards every service's API has (`partia_kit.http.guards`): body size,
rate limits, the docs pages, HSTS. `ServiceSettings` inherits them, so each is a PARTIA_* variable
(decisions 155-158)."""

from __future__ import annotations

from limits import parse
from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


class HttpSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="PARTIA_", env_file=".env", extra="ignore")

    max_body_bytes: int = Field(
        default=1_048_576,
        ge=1,
        description="the largest request body accepted (bytes); a larger one is refused with 413"
        " before it is read",
    )
    auth_failure_limit: str = Field(
        default="20/minute",
        description="refused tokens allowed per client address (`N/second`, `N/minute`,"
        " `N/hour`); past it every request from that address gets 429 with Retry-After until"
        " the window ends; counted per API process (decision 156)",
    )
    token_request_limit: str = Field(
        default="6000/minute",
        description="requests allowed per bearer token (same notation); past it 429 with"
        " Retry-After; counted per API process (decision 156)",
    )
    api_docs: bool = Field(
        default=True,
        description="serve /docs, /redoc and /openapi.json; turn off in production"
        " (docs/production.md)",
    )
    hsts_max_age: int = Field(
        default=0,
        ge=0,
        description="seconds for Strict-Transport-Security; set (e.g. 31536000) only when the API"
        " is reached over HTTPS, at the service or at the proxy in front of it; 0 sends none",
    )

    @field_validator("auth_failure_limit", "token_request_limit")
    @classmethod
    def _a_rate(cls, value: str) -> str:
        parse(value)  # ValueError names what it could not read
        return value
