"""The embedded PostgreSQL's memory and checkpoint settings, sized to the machine it runs on.

PostgreSQL's defaults (128 MB of shared buffers, a checkpoint every 5 minutes or 1 GB of WAL) fit
a laptop's first try. A registry of a million members keeps indexes of several hundred MB; with
128 MB they are evicted and re-read, and every checkpoint makes the next change of each page write
a full-page image to the WAL (measured: WAL per admission 2.8 -> 6.4 KB at 1M members). The
settings are written to `partia.conf` in the data directory (included by `postgresql.conf`) and
recomputed at every start, so moving the data to a bigger machine sizes them anew.
"""

from __future__ import annotations

import os
from pathlib import Path

MIB = 2**20
GIB = 2**30
CONF_NAME = "partia.conf"
_INCLUDE = f"include_if_exists = '{CONF_NAME}'"


def machine_memory() -> int:
    """Bytes of memory this process may use: physical memory, or a lower cgroup limit."""
    total = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    for limit_file in ("/sys/fs/cgroup/memory.max", "/sys/fs/cgroup/memory/memory.limit_in_bytes"):
        try:
            text = Path(limit_file).read_text().strip()
        except OSError:
            continue
        if text.isdigit():
            total = min(total, int(text))
    return total


def _clamp(value: int, low: int, high: int) -> int:
    return max(low, min(high, value))


def server_settings(memory_bytes: int) -> dict[str, str]:
    """Settings for a server that shares a machine of `memory_bytes` with the registry.

    A quarter of memory for shared buffers (PostgreSQL's own guidance), at most 8 GiB: the rest
    is the OS page cache, which PostgreSQL also reads through, and the registry's processes.
    """
    shared = _clamp(memory_bytes // 4, 128 * MIB, 8 * GIB)
    return {
        "shared_buffers": f"{shared // MIB}MB",
        "effective_cache_size": f"{_clamp(memory_bytes * 3 // 4, 512 * MIB, 64 * GIB) // MIB}MB",
        # Index builds of a rebuild and VACUUM; one or two run at a time.
        "maintenance_work_mem": f"{_clamp(memory_bytes // 32, 64 * MIB, 1 * GIB) // MIB}MB",
        # Per sort or hash of a query; reports aggregate over all members.
        "work_mem": f"{_clamp(memory_bytes // 512, 4 * MIB, 32 * MIB) // MIB}MB",
        # Fewer checkpoints: fewer full-page images (the first change of a page after each
        # checkpoint writes the whole 8 kB page). Recovery after a crash replays up to
        # max_wal_size of WAL: a minute or two at worst on a small machine. wal_compression
        # stays off: this build has only pglz, which costs CPU the 2-core machine lacks.
        "max_wal_size": f"{_clamp(memory_bytes // 4, 1 * GIB, 16 * GIB) // MIB}MB",
        "min_wal_size": "256MB",
        "checkpoint_timeout": "15min",
        "checkpoint_completion_target": "0.9",
    }


def render(settings: dict[str, str]) -> str:
    lines = [
        "# Written by partia at every start of the embedded server; edits are lost.",
        "# Sized to this machine's memory: see partia_kit/postgres/embedded_settings.py.",
    ]
    lines += [f"{name} = '{value}'" for name, value in settings.items()]
    return "\n".join(lines) + "\n"


def write_server_settings(pgdata: Path, settings: dict[str, str]) -> bool:
    """Write `settings` for the server on `pgdata` (which initdb has made); True when they changed,
    i.e. the server must (re)start to use them all (shared_buffers is read only at start)."""
    conf = pgdata / "postgresql.conf"
    text = conf.read_text()
    if _INCLUDE not in text.splitlines():
        conf.write_text(text.rstrip("\n") + f"\n\n{_INCLUDE}\n")
    path = pgdata / CONF_NAME
    wanted = render(settings)
    try:
        if path.read_text() == wanted:
            return False
    except OSError:
        pass
    path.write_text(wanted)
    return True
