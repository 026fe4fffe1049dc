"""The registry, asked for a person's contact at send time (`GET /members/{id}/contact`), with
the notifications service account's token: the only account the registry lets read it. What it
answers is used for one message and not kept."""

from __future__ import annotations

from dataclasses import dataclass
from uuid import UUID

import httpx

from partia_notifications.application.ports import Contact, Erased, Unknown, Unreachable


@dataclass
class RegistryContacts:
    base_url: str
    token: str
    timeout: float = 10.0
    default_language: str = "ru"

    def __post_init__(self) -> None:
        self._client = httpx.Client(
            base_url=self.base_url,
            headers={"Authorization": f"Bearer {self.token}"},
            timeout=self.timeout,
        )

    def contact(self, member_id: UUID) -> Contact | Erased | Unknown:
        """Raises `Unreachable` when the registry cannot answer now (down, 5xx, our token
        refused): the notice waits and is tried again."""
        try:
            response = self._client.get(f"/members/{member_id}/contact")
        except httpx.HTTPError as error:
            raise Unreachable(f"registry: {type(error).__name__}") from error
        if response.status_code == 410:
            return Erased()
        if response.status_code == 404:
            return Unknown()
        if response.status_code != 200:
            raise Unreachable(f"registry answered {response.status_code}")
        body = response.json()
        language = body.get("preferred_language") or self.default_language
        return Contact(
            full_name=str(body.get("full_name") or ""),
            email=body.get("email") or None,
            language=str(language),
        )

    def close(self) -> None:
        self._client.close()
