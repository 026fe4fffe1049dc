"""The finance service's settings: the shared ones (`partia_kit.settings`) and its own, read from
PARTIA_* environment variables (or a .env file)."""

from __future__ import annotations

from pydantic import Field

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
