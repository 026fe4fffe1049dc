"""deploy/compose-secrets.sh makes every secret file the compose files mount, once."""

from __future__ import annotations

import base64
import shutil
import stat
import subprocess
from pathlib import Path

import pytest
import yaml

from partia_registry.settings import RegistrySettings
from tests.deploy.support import ROOT


def run_script(checkout: Path) -> str:
    done = subprocess.run(
        ["sh", str(checkout / "deploy" / "compose-secrets.sh")],
        capture_output=True,
        text=True,
        check=True,
        timeout=30,
    )
    return done.stdout


def test_the_script_makes_every_secret_the_compose_files_mount_and_keeps_them_on_a_rerun(
    tmp_path: Path,
) -> None:
    (tmp_path / "deploy").mkdir()
    shutil.copy(ROOT / "deploy" / "compose-secrets.sh", tmp_path / "deploy")
    files = ("docker-compose.yml", "docker-compose.override.yml", "docker-compose.production.yml")
    mounted = [yaml.safe_load((ROOT / name).read_text()).get("secrets", {}) for name in files]

    run_script(tmp_path)
    made = {p.name: p.read_text() for p in (tmp_path / "secrets").iterdir()}
    second = run_script(tmp_path)

    wanted = {Path(s["file"]).name for secrets in mounted for s in secrets.values()}
    assert set(made) == wanted
    assert "created" not in second  # a new master key would make every sealed name unreadable
    assert {p.name: p.read_text() for p in (tmp_path / "secrets").iterdir()} == made
    assert stat.S_IMODE((tmp_path / "secrets").stat().st_mode) == 0o700
    password = made["postgres_password"].strip()
    assert f"partia:{password}@postgres:5432/partia" in made["partia_database_url"]
    assert len(base64.b64decode(made["partia_master_key"])) == 32


def test_the_files_it_makes_are_read_by_the_settings(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "deploy").mkdir()
    shutil.copy(ROOT / "deploy" / "compose-secrets.sh", tmp_path / "deploy")
    run_script(tmp_path)
    for name in ("PARTIA_MASTER_KEY", "PARTIA_API_TOKENS", "PARTIA_DATABASE_URL"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("PARTIA_SECRETS_DIR", str(tmp_path / "secrets"))

    settings = RegistrySettings()

    assert len(settings.master_key_bytes()) == 32
    assert list(settings.tokens().values()) == ["admin"]
    assert settings.database_url is not None
    assert settings.database_url.startswith("postgresql://partia:")
