from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from partia_registry.api.app import create_app
from partia_registry.settings import RegistrySettings


@pytest.fixture
def client(settings: RegistrySettings) -> Iterator[TestClient]:
    with TestClient(create_app(settings)) as test_client:
        test_client.headers["Authorization"] = "Bearer registrar-token"
        yield test_client
