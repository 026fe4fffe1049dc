"""The registry's settings: the shared ones (`partia_kit.settings`) and its own, read from PARTIA_*
environment variables (or a .env file)."""

from __future__ import annotations

from pydantic import Field

from partia_kit.settings import ServiceSettings
from partia_registry.domain.people import Language


class RegistrySettings(ServiceSettings):
    card_prefix: str = Field(default="BQ", pattern=r"^[A-Z]{1,4}$")
    party: str = "baytaq"
    default_language: Language = Field(
        default=Language.KAZAKH,
        description="the language notices are written in to a person who has not said which"
        " they prefer (decision 266): Kazakh, the state language (Constitution Art. 7)",
    )
    max_batch: int = 256
    writer_nice: int = Field(
        default=10,
        ge=0,
        le=19,
        description="how much lower the writer thread's OS priority is than the request threads'"
        " (Linux nice increment; 0 keeps it equal): a batch's completion then waits for a core"
        " rather than a read (decision 071)",
    )
    run_projection: bool = Field(
        default=True,
        description="fold the log into the read model in this process (while no other process"
        " does); `serve` turns it off in its API processes and runs `project` beside them",
    )
    read_model_grace: float = Field(
        default=30.0,
        ge=0,
        description="seconds a rebuilt-away generation of the read model is kept for reads that"
        " began before the switch",
    )

    name_sort_limit: int = Field(
        default=20_000,
        ge=0,
        description="the most members a roll may have to be sorted by name (each name is opened"
        " in the API process: ~30 µs and a few hundred bytes apiece); larger rolls are refused",
    )
