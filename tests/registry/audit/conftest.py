from __future__ import annotations

from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from partia_kit.audit.export import ExportSummary, export_history
from partia_kit.audit.signing import generate_keypair, load_private_key
from partia_registry.composition import Registry
from tests.registry.audit.support import Story, audited_table, build_history


@pytest.fixture
def keys(tmp_path: Path) -> tuple[Path, Path]:
    """The auditor's signing key and its public half."""
    return generate_keypair(tmp_path / "auditor.key")


@pytest.fixture
def signing_key(keys: tuple[Path, Path]) -> Ed25519PrivateKey:
    return load_private_key(keys[0])


@pytest.fixture
def story(registry: Registry) -> Story:
    return build_history(registry)


def export(registry: Registry, out: Path, key: Ed25519PrivateKey | None) -> ExportSummary:
    url = registry.settings.database_url
    assert url is not None
    return export_history(url, audited_table(registry), out, signing_key=key)


@pytest.fixture
def exported(
    registry: Registry, story: Story, tmp_path: Path, signing_key: Ed25519PrivateKey
) -> Path:
    """A signed export of the whole history."""
    path = tmp_path / "history.jsonl"
    export(registry, path, signing_key)
    return path
