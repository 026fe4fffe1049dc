"""The embedded PostgreSQL is sized to the machine's memory (decision 050)."""

from __future__ import annotations

from pathlib import Path

import psycopg

from partia_kit.postgres.embedded import start_embedded_postgres
from partia_kit.postgres.embedded_settings import (
    CONF_NAME,
    GIB,
    machine_memory,
    server_settings,
    write_server_settings,
)


def test_a_quarter_of_memory_goes_to_shared_buffers_up_to_a_cap() -> None:
    assert server_settings(16 * GIB)["shared_buffers"] == "4096MB"
    assert server_settings(256 * GIB)["shared_buffers"] == "8192MB"
    assert server_settings(256 * 2**20)["shared_buffers"] == "128MB"  # never below the default


def test_checkpoints_are_spaced_further_apart_than_postgresqls_defaults() -> None:
    settings = server_settings(8 * GIB)
    assert settings["max_wal_size"] == "2048MB"  # default 1 GB
    assert settings["checkpoint_timeout"] == "15min"  # default 5 min


def test_settings_are_written_once_and_included_from_postgresql_conf(tmp_path: Path) -> None:
    (tmp_path / "postgresql.conf").write_text("port = 5432\n")
    settings = server_settings(4 * GIB)
    assert write_server_settings(tmp_path, settings) is True
    assert write_server_settings(tmp_path, settings) is False  # unchanged: no restart needed
    conf = (tmp_path / "postgresql.conf").read_text()
    assert conf.count(f"include_if_exists = '{CONF_NAME}'") == 1
    assert "shared_buffers = '1024MB'" in (tmp_path / CONF_NAME).read_text()
    assert write_server_settings(tmp_path, server_settings(8 * GIB)) is True  # resized


def test_a_sized_embedded_server_runs_with_the_machines_settings(tmp_path: Path) -> None:
    server, url = start_embedded_postgres(tmp_path / "pgdata", throwaway=True, sized=True)
    try:
        with psycopg.connect(url) as conn:
            shown = {
                name: conn.execute(f"SHOW {name}").fetchone()[0]  # type: ignore[index]
                for name in ("shared_buffers", "checkpoint_timeout")
            }
    finally:
        server.cleanup()
    expected = server_settings(machine_memory())
    assert shown == {
        "shared_buffers": expected["shared_buffers"],
        "checkpoint_timeout": expected["checkpoint_timeout"],
    }
