"""Exporting the event log (all of it, a period, or up to a position) to a self-verifying file.

The file is JSON lines: a header (where the events came from, which range, what the chain starts
from), one line per event in position order, and a checkpoint (count, positions, head link, a
digest of the header), signed with the auditor's Ed25519 key. Everything is read from one database
snapshot, so the export is one consistent cut of the log. It is written to a temporary name and
renamed at the end: a file under the final name is always complete.
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from partia_kit.audit import source
from partia_kit.audit.chain import FORMAT, GENESIS, format_event_line, next_link
from partia_kit.audit.progress import Progress
from partia_kit.audit.signing import sign_checkpoint
from partia_kit.audit.source import EventTable

LINK_DEFINITION = (
    "link = SHA-256(prev || be64(position) || originator_id (16 bytes) || be64(version)"
    " || be32(len(topic)) || topic (UTF-8) || be64(len(state)) || state); first prev = start_link"
)


@dataclass(frozen=True)
class ExportRange:
    """Which events to export. Times are UTC; `recorded_to` is exclusive."""

    recorded_from: datetime | None = None
    recorded_to: datetime | None = None
    up_to_position: int | None = None

    @property
    def by_time(self) -> bool:
        return self.recorded_from is not None or self.recorded_to is not None


@dataclass(frozen=True)
class ExportSummary:
    path: Path
    count: int
    first_position: int | None
    last_position: int | None
    starts_after_position: int
    head: str
    signed: bool


def export_history(
    database_url: str,
    table: EventTable,
    out: Path,
    *,
    wanted: ExportRange = ExportRange(),
    signing_key: Ed25519PrivateKey | None = None,
    progress: Progress | None = None,
) -> ExportSummary:
    """Write the export of `wanted` to `out` (atomically), signed when a key is given."""
    progress = progress or Progress("export", enabled=False)
    with source.connect(database_url) as conn:
        database = source.describe_database(conn)
        _, highest = source.bounds(conn, table)
        last = highest if wanted.up_to_position is None else min(highest, wanted.up_to_position)
        after = 0
        if wanted.by_time:
            found = source.positions_recorded_between(
                conn, table, wanted.recorded_from, wanted.recorded_to, last
            )
            if found is None:
                after, last = last, last  # nothing recorded in the period: an empty export
            else:
                after, last = source.position_before(conn, table, found[0]), found[1]
        start_link = _link_up_to(
            conn,
            table,
            after,
            Progress("hashing the history before the range", enabled=progress.enabled),
        )
        header = _header(database, table, wanted, after, last, start_link)
        header_line = json.dumps(header, ensure_ascii=False, separators=(",", ":")).encode()
        partial = out.with_name(out.name + ".partial")
        try:
            link, count, first_position, last_position = _write(
                partial,
                conn,
                table,
                header,
                header_line,
                start_link,
                after,
                last,
                signing_key,
                progress,
            )
        except BaseException:
            partial.unlink(missing_ok=True)
            raise
        conn.rollback()
    os.replace(partial, out)
    progress.close()
    return ExportSummary(
        out, count, first_position, last_position, after, link.hex(), signing_key is not None
    )


def _write(
    partial: Path,
    conn: Any,
    table: EventTable,
    header: dict[str, Any],
    header_line: bytes,
    start_link: bytes,
    after: int,
    last: int,
    signing_key: Ed25519PrivateKey | None,
    progress: Progress,
) -> tuple[bytes, int, int | None, int | None]:
    """Header, event lines, signed checkpoint; returns the head, count and positions."""
    link, count, first_position, last_position = start_link, 0, None, None
    span = max(last - after, 1)
    with open(partial, "wb") as f:
        f.write(header_line + b"\n")
        for rows in source.read_rows(conn, table, after, last):
            lines = []
            for position, originator_id, version, topic, state in rows:
                prev, link = (
                    link,
                    next_link(link, position, originator_id, version, topic, state),
                )
                lines.append(
                    format_event_line(position, originator_id, version, topic, state, prev, link)
                )
            f.write(b"".join(lines))
            count += len(rows)
            if first_position is None:
                first_position = rows[0][0]
            last_position = rows[-1][0]
            progress.update(count, (last_position - after) / span)
        signed = {
            "format": FORMAT,
            "schema": table.schema,
            "database": header["source"]["database"]["name"],
            "created_at": header["created_at"],
            "header_sha256": hashlib.sha256(header_line).hexdigest(),
            "starts_after_position": after,
            "start_link": start_link.hex(),
            "count": count,
            "first_position": first_position,
            "last_position": last_position,
            "head": link.hex(),
        }
        checkpoint: dict[str, Any] = {"kind": "checkpoint", "signed": signed}
        if signing_key is not None:
            checkpoint.update(sign_checkpoint(signed, signing_key))
        else:
            checkpoint.update({"signature": None, "public_key": None})
        f.write(json.dumps(checkpoint, separators=(",", ":")).encode() + b"\n")
        f.flush()
        os.fsync(f.fileno())
    return link, count, first_position, last_position


def _link_up_to(conn: Any, table: EventTable, position: int, progress: Progress) -> bytes:
    """The chain's link after every event up to `position`: where a range export starts, so its
    chain continues the chain of an export of everything before it."""
    link = GENESIS
    if position <= 0:
        return link
    hashed, sha256 = 0, hashlib.sha256
    for rows in source.read_encoded(conn, table, 0, position):
        for _, encoded in rows:
            link = sha256(link + encoded).digest()
        hashed += len(rows)
        progress.update(hashed, rows[-1][0] / position)
    progress.close()
    return link


def _header(
    database: dict[str, Any],
    table: EventTable,
    wanted: ExportRange,
    after: int,
    last: int,
    start_link: bytes,
) -> dict[str, Any]:
    return {
        "kind": "header",
        "format": FORMAT,
        "tool": "partia-audit",
        "created_at": datetime.now(UTC).isoformat(),
        "source": {"database": database, "schema": table.schema, "table": table.name},
        "range": {
            "recorded_from": wanted.recorded_from.isoformat() if wanted.recorded_from else None,
            "recorded_to_exclusive": wanted.recorded_to.isoformat() if wanted.recorded_to else None,
            "up_to_position": wanted.up_to_position,
            "positions": {"after": after, "up_to": last},
            "rule": "every event with after < position <= up_to, in position order",
        },
        "chain": {
            "starts_after_position": after,
            "start_link": start_link.hex(),
            "start": "genesis (32 zero bytes)"
            if after == 0
            else f"the link after every event up to position {after}, computed from the database"
            " at export time; it equals the head of an export that ends at that position",
        },
        "link": LINK_DEFINITION,
    }
