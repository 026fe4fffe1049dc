"""The finance service's settings: the shared ones (`partia_kit.settings`) and its own, read from
PARTIA_* environment variables (or a .env file)."""

from __future__ import annotations

from pydantic import Field, SecretStr

from partia_kit.settings import ServiceSettings


class FinanceSettings(ServiceSettings):
    database_schema: str = Field(
        default="finance",
        description="the finance service's own schema in the shared PostgreSQL (issue 11 item 1)",
    )
    party: str = Field(
        default="baytaq",
        description="the party whose organisation tree scopes treasurers (its id is the root's)",
    )
    registry_url: str = Field(
        default="http://127.0.0.1:8000",
        description="the registry's API, asked whose record holds an IIN a dues credit names",
    )
    registry_token: SecretStr = Field(
        default=SecretStr(""),
        description="the finance service account's bearer token at the registry (role `service`,"
        " service `finance`: the only account that may look a member up by IIN); empty: bank"
        " lines naming an IIN stay unmatched",
    )
    registry_timeout: float = Field(default=10.0, gt=0, description="seconds per registry call")
