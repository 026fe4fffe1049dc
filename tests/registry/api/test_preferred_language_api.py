"""Over HTTP: the language given on the application or set later is what the notifications
service reads with a person's contact; the default when they said none (issue 13 item 3)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any
from uuid import UUID

import pytest
from fastapi.testclient import TestClient

from partia_kit.auth import Role
from partia_kit.auth.issuer import LocalIssuer
from partia_kit.auth.principal import Grant
from partia_registry.api.app import create_app
from partia_registry.settings import RegistrySettings
from tests.registry.api.test_http_api import application, make_ppo, post
from tests.registry.builders import make_iin

ISSUER = LocalIssuer.generate()


def _client(settings: RegistrySettings, tmp_path: Path, **update: Any) -> TestClient:
    jwks = ISSUER.write_jwks(tmp_path / "jwks.json")
    configured = settings.model_copy(
        update={"auth_issuer": ISSUER.issuer, "auth_jwks_file": jwks, **update}
    )
    client = TestClient(create_app(configured))
    client.headers["Authorization"] = "Bearer registrar-token"
    return client


@pytest.fixture
def client(settings: RegistrySettings, tmp_path: Path) -> Iterator[TestClient]:
    with _client(settings, tmp_path) as test_client:
        yield test_client


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


NOTIFICATIONS = bearer(ISSUER.mint("notifications", [Grant(Role.SERVICE)], service="notifications"))


def contact(client: TestClient, member: str) -> dict[str, Any]:
    response = client.get(f"/members/{member}/contact", headers=NOTIFICATIONS)
    assert response.status_code == 200, response.text
    return dict(response.json())


def applicant(client: TestClient, language: str | None = None, born: int = 1990) -> str:
    body = application(make_ppo(client), make_iin(date(born, 1, 1)))
    if language is not None:
        body["person"]["preferred_language"] = language
    response = post(client, "/applications", body)
    assert response.status_code == 201, response.text
    return str(response.json()["member_id"])


def test_the_language_given_on_the_application_comes_with_the_contact(client: TestClient) -> None:
    member = applicant(client, "ru")
    reached = contact(client, member)
    assert (reached["preferred_language"], reached["language_stated"]) == ("ru", True)


def test_someone_who_named_no_language_is_written_to_in_kazakh_by_default(
    client: TestClient,
) -> None:
    reached = contact(client, applicant(client))
    assert (reached["preferred_language"], reached["language_stated"]) == ("kk", False)


def test_the_default_language_is_configurable(settings: RegistrySettings, tmp_path: Path) -> None:
    with _client(settings, tmp_path, default_language="ru") as client:
        reached = contact(client, applicant(client))
    assert (reached["preferred_language"], reached["language_stated"]) == ("ru", False)


def test_a_clerk_changes_a_persons_language_and_the_contact_follows(client: TestClient) -> None:
    member = applicant(client, "kk")
    changed = post(client, f"/members/{member}/preferred-language", {"preferred_language": "en"})
    assert changed.status_code == 200, changed.text
    assert changed.json()["preferred_language"] == "en"
    assert contact(client, member)["preferred_language"] == "en"


def test_a_member_sets_their_own_language_but_not_anyone_elses(client: TestClient) -> None:
    own, other = applicant(client, born=1991), applicant(client, born=1992)
    token = ISSUER.mint("asel", [Grant(Role.MEMBER)], member_id=UUID(own))
    for member, expected in ((own, 200), (other, 404)):
        response = client.post(
            f"/members/{member}/preferred-language",
            json={"preferred_language": "ru"},
            headers={**bearer(token), "Idempotency-Key": f"lang-{member}"},
        )
        assert response.status_code == expected, response.text
    assert contact(client, own)["preferred_language"] == "ru"
    assert contact(client, other)["preferred_language"] == "kk"


@pytest.mark.parametrize("language", ["de", "KK", "", None])
def test_a_language_the_party_does_not_write_in_is_refused_naming_the_field(
    client: TestClient, language: str | None
) -> None:
    member = applicant(client)
    refused = post(
        client, f"/members/{member}/preferred-language", {"preferred_language": language}
    )
    assert refused.status_code == 422, refused.text
    assert refused.headers["content-type"] == "application/problem+json"
    assert "preferred_language" in refused.text
    on_application = application(make_ppo(client), make_iin(date(1993, 1, 1)))
    on_application["person"]["preferred_language"] = language or "xx"
    assert post(client, "/applications", on_application).status_code == 422
