"""The registry, asked whose record holds an IIN a bank line names (`POST /members/lookup`,
decision 296), with the finance service account's token: the only account the registry lets
ask. The IIN goes in the body; what the registry answers (an id) is all finance keeps."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from uuid import UUID

import httpx

from partia_finance.application.ports import RegistryUnavailable


@dataclass
class RegistryMembers:
    base_url: str
    token: str
    timeout: float = 10.0

    def __post_init__(self) -> None:
        self._client = httpx.Client(
            base_url=self.base_url,
            headers={"Authorization": f"Bearer {self.token}"},
            timeout=self.timeout,
        )

    def member_with_iin(self, iin: str) -> UUID | None:
        """Raises `RegistryUnavailable` when the registry cannot answer now (down, 5xx, our
        token refused, or no registry configured)."""
        if not self.token:
            raise RegistryUnavailable("no registry token is configured (PARTIA_REGISTRY_TOKEN)")
        try:
            response = self._client.post(
                "/members/lookup",
                json={"iin": iin},
                headers={"Idempotency-Key": str(uuid.uuid4())},  # asked of every POST
            )
        except httpx.HTTPError as error:
            raise RegistryUnavailable(f"registry: {type(error).__name__}") from error
        if response.status_code == 404:
            return None
        if response.status_code != 200:
            raise RegistryUnavailable(f"registry answered {response.status_code}")
        return UUID(response.json()["member_id"])

    def close(self) -> None:
        self._client.close()
