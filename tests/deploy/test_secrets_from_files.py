"""Secrets mounted as files (Docker `secrets:`, Kubernetes Secret volumes) reach the settings
through PARTIA_SECRETS_DIR, so no secret has to sit in a container's environment."""

from __future__ import annotations

import base64
import os
from pathlib import Path

import pytest

from partia_registry.settings import RegistrySettings

SECRET_VARIABLES = ("PARTIA_MASTER_KEY", "PARTIA_API_TOKENS", "PARTIA_DATABASE_URL")


@pytest.fixture
def secrets_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    for name in SECRET_VARIABLES:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)  # no .env file of the developer's
    directory = tmp_path / "secrets"
    directory.mkdir()
    monkeypatch.setenv("PARTIA_SECRETS_DIR", str(directory))
    return directory


def test_the_master_key_tokens_and_database_url_are_read_from_files_in_the_secrets_dir(
    secrets_dir: Path,
) -> None:
    key = os.urandom(32)
    (secrets_dir / "partia_master_key").write_text(base64.b64encode(key).decode() + "\n")
    (secrets_dir / "partia_api_tokens").write_text("registrar=s3cret\n")
    (secrets_dir / "partia_database_url").write_text("postgresql://partia:pw@db:5432/partia\n")

    settings = RegistrySettings()

    assert settings.master_key_bytes() == key  # the trailing newline of `echo >file` is dropped
    assert settings.tokens() == {"s3cret": "registrar"}
    assert settings.database_url == "postgresql://partia:pw@db:5432/partia"


def test_a_variable_that_is_set_wins_over_the_file(
    secrets_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (secrets_dir / "partia_api_tokens").write_text("registrar=from-file")
    monkeypatch.setenv("PARTIA_API_TOKENS", "registrar=from-env")

    assert RegistrySettings().tokens() == {"from-env": "registrar"}


def test_a_secrets_dir_that_does_not_exist_is_refused_by_name(
    secrets_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    missing = secrets_dir / "absent"
    monkeypatch.setenv("PARTIA_SECRETS_DIR", str(missing))

    with pytest.raises(ValueError, match=f"PARTIA_SECRETS_DIR {missing} is not a directory"):
        RegistrySettings()


def test_without_a_secrets_dir_files_in_the_working_directory_are_not_read(
    secrets_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("PARTIA_SECRETS_DIR")
    monkeypatch.chdir(secrets_dir)
    (secrets_dir / "partia_api_tokens").write_text("registrar=stray")

    assert RegistrySettings().tokens() == {}
