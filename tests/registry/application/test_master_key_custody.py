"""The development master key is never kept in the data directory (decision 022): a copy of the
directory (the database's files, its WAL) opens no person's data and checks no IIN digest."""

from __future__ import annotations

import base64
import os
from pathlib import Path

import pytest

from partia_registry.settings import RegistrySettings


def embedded(data_dir: Path, key_dir: Path | None) -> RegistrySettings:
    return RegistrySettings(database_url=None, master_key=None, data_dir=data_dir, key_dir=key_dir)


def everything_in(directory: Path) -> bytes:
    return b"".join(p.read_bytes() for p in sorted(directory.rglob("*")) if p.is_file())


def test_the_development_key_is_made_outside_the_data_directory_and_kept(tmp_path: Path) -> None:
    data_dir, key_dir = tmp_path / "partia", tmp_path / "config" / "keys"

    key = embedded(data_dir, key_dir).master_key_bytes()
    again = embedded(data_dir, key_dir).master_key_bytes()

    assert len(key) == 32
    assert again == key
    assert base64.b64encode(key) not in everything_in(data_dir)
    assert base64.b64encode(key) in everything_in(key_dir)


def test_the_data_directory_may_be_moved_and_keeps_its_key(tmp_path: Path) -> None:
    key_dir = tmp_path / "keys"
    key = embedded(tmp_path / "partia", key_dir).master_key_bytes()
    (tmp_path / "partia").rename(tmp_path / "moved")

    assert embedded(tmp_path / "moved", key_dir).master_key_bytes() == key
    assert embedded(tmp_path / "another", key_dir).master_key_bytes() != key


def test_a_key_an_older_version_kept_in_the_data_directory_is_moved_out(tmp_path: Path) -> None:
    data_dir, key_dir = tmp_path / "partia", tmp_path / "keys"
    data_dir.mkdir()
    old_key = os.urandom(32)
    (data_dir / "master.key").write_text(base64.b64encode(old_key).decode())

    key = embedded(data_dir, key_dir).master_key_bytes()

    assert key == old_key  # the installation's data stays readable
    assert not (data_dir / "master.key").exists()
    assert base64.b64encode(old_key) not in everything_in(data_dir)


def test_by_default_the_key_goes_to_the_users_configuration_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))

    key = embedded(tmp_path / "partia", None).master_key_bytes()

    assert base64.b64encode(key) in everything_in(tmp_path / "config" / "partia" / "keys")


def test_a_key_directory_inside_the_data_directory_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="inside the data directory"):
        embedded(tmp_path / "partia", tmp_path / "partia" / "keys").master_key_bytes()


def test_the_service_lowers_its_writer_by_default() -> None:
    """Decision 071: the registry's writer thread yields the cores to its request threads."""
    assert RegistrySettings().writer_nice > 0
