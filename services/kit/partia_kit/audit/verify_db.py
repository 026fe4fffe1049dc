"""Checking the live event table against a trusted export: was anything changed since?

The export's lines and the table's rows are read in position order and merged on position:
- same position, same event, different bytes: changed;
- an exported event no longer at its position but found at another: reordered (moved);
- an exported event found nowhere: removed (the report names the positions around the gap);
- a row inside the exported range that the export lacks: inserted;
- rows after the export's last position: recorded after the export (information, not tampering).

Erasing a person's data destroys their key and appends an event; it edits no stored event, so an
erasure after the export shows only as an event recorded after it.

For an export of a later range, the events before it are checked too: they must still hash to the
link the export's chain starts from (which says *that* something before the range changed; an
export of that part says *what*).

The export must verify (chain, checkpoint, signature) or nothing it says is evidence; that is
checked in the same pass, with the rows as the preimages of the links (see `_Merge`), so the
export's base64 is decoded only for lines the database does not match. This proves the database
holds exactly the signed history; it does not re-check the file's own copy of the states, which
`verify` does (and `replay`, which uses them).
"""

from __future__ import annotations

import hashlib
import time
from binascii import hexlify, unhexlify
from collections.abc import Iterator
from itertools import chain
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from partia_kit.audit import source
from partia_kit.audit.chain import (
    GENESIS,
    BadLine,
    EventTuple,
    content_digest,
    decode_event,
    describe_key,
    event_key,
    line_link_matches,
    parse_event_line,
)
from partia_kit.audit.exportfile import ExportReader, LinkTuple
from partia_kit.audit.findings import Report
from partia_kit.audit.progress import Progress
from partia_kit.audit.source import EventTable
from partia_kit.audit.verify import check_reader

Encoded = tuple[int, bytes]
"""position, canonical encoding (`source.read_encoded`)"""


def verify_database(
    database_url: str,
    table: EventTable,
    against: Path,
    *,
    public_key: Ed25519PublicKey | None = None,
    progress: Progress | None = None,
) -> Report:
    started = time.perf_counter()
    progress = progress or Progress("verify-db", enabled=False)
    reader = ExportReader(against)
    after = reader.starts_after_position
    upper = int(((reader.header.get("range") or {}).get("positions") or {}).get("up_to") or 0)
    with source.connect(database_url) as conn:
        database = source.describe_database(conn)["name"]
        report = Report(f"database {database}, table {table}, against {against}")
        _, highest = source.bounds(conn, table)
        if after > 0:
            _check_before_range(conn, table, reader, report)
        span = max(highest - after, 1)
        counter = [0]

        def pages() -> Iterator[list[Encoded]]:
            for batch in source.prefetched(source.read_encoded(conn, table, after, highest)):
                counter[0] += len(batch)
                progress.update(counter[0], (batch[-1][0] - after) / span)
                yield batch

        merge = _Merge(report, reader)
        merge.run(chain.from_iterable(reader.read_links()), chain.from_iterable(pages()), upper)
        conn.rollback()
    progress.close()
    export_report = Report(f"export {against}")
    check_reader(reader, export_report, public_key)
    if not export_report.clean:
        report.findings[:0] = [
            type(f)(
                f.kind,
                "the export itself does not verify, so it is no evidence of what the database"
                f" held: {f.message}",
                f.line,
                f.position,
            )
            for f in export_report.findings
        ]
    report.notes[:0] = export_report.notes
    merge.conclude()
    report.events = merge.compared
    report.seconds = time.perf_counter() - started
    return report


def _check_before_range(conn: Any, table: EventTable, reader: ExportReader, report: Report) -> None:
    link, sha256 = GENESIS, hashlib.sha256
    for batch in source.read_encoded(conn, table, 0, reader.starts_after_position):
        for _, encoded in batch:
            link = sha256(link + encoded).digest()
    if link != reader.start_link:
        report.add(
            "changed",
            f"the events up to position {reader.starts_after_position}, before the export's range,"
            " no longer hash to the link the export starts from: an event at or before that"
            " position was changed, removed, inserted or moved (export that part to see which)",
        )


class _Merge:
    """The merge of the export's lines with the table's rows, both in position order.

    A row (read as its canonical encoding) matches the line at its position when hashing the
    encoding after the line's prev gives the line's link: the row is then exactly the exported
    event (position, originator, version, topic and bytes are all in the encoding), and the
    line's link is proven with the row as its preimage, so the line's fields need not even be
    read. Only lines without such a row are read in full, to say what happened (moved, removed,
    changed; bytes 8 to 32 of an encoding are its originator and version) and to check the line
    itself."""

    def __init__(self, report: Report, reader: ExportReader) -> None:
        self.report = report
        self.reader = reader
        self.compared = 0
        self.after_export: list[int] = []
        self.after_count = 0
        # Mismatches, kept until the end to tell moved from removed and inserted:
        self.missing: dict[bytes, tuple[int, int, bytes, bytes, int | None, int | None]] = {}
        self.extra: dict[bytes, tuple[int, bytes, bytes]] = {}
        self.changed: list[tuple[int, bytes, bytes, bytes, bytes]] = []
        self.exported_digests: dict[bytes, int] = {}

    def run(self, exported: Iterator[LinkTuple], stored: Iterator[Encoded], upper: int) -> None:
        sha256 = hashlib.sha256
        f = next(exported, None)
        d = next(stored, None)
        index = 0  # of the exported event, to name its line
        last_stored = None
        compared = 0
        while f is not None and d is not None:
            fp, dp = f[0], d[0]
            if fp == dp:
                if hexlify(sha256(unhexlify(f[1]) + d[1]).digest()) != f[2]:
                    self._mismatch(f, d, index)
                compared += 1
                index += 1
                last_stored = dp
                f = next(exported, None)
                d = next(stored, None)
            elif fp < dp:
                self._missing(f, index, last_stored, dp)
                index += 1
                f = next(exported, None)
            else:
                self._extra(d)
                last_stored = dp
                d = next(stored, None)
        while f is not None:
            self._missing(f, index, last_stored, None)
            index += 1
            f = next(exported, None)
        end = max(upper, self.reader.last_position or self.reader.starts_after_position)
        while d is not None:
            if d[0] <= end:
                self._extra(d)
            else:
                if not self.after_count:
                    self.after_export = [d[0], d[0]]
                self.after_export[1] = d[0]
                self.after_count += 1
            d = next(stored, None)
        self.compared = compared

    def _exported(self, f: LinkTuple) -> EventTuple | None:
        """The line in full, its own link checked: a line that fails is a change to the export
        itself, which the export's verification then reports."""
        try:
            event = parse_event_line(f[3])
        except BadLine:
            self.reader.anomalies = True
            return None
        if not line_link_matches(event):
            self.reader.anomalies = True
        return event

    def _mismatch(self, f: LinkTuple, d: Encoded, index: int) -> None:
        """The row at a line's position is not the exported event: another event (moved or
        inserted there), or the same event with other bytes."""
        event = self._exported(f)
        if event is None or event_key(event[1], event[2]) != d[1][8:32]:
            self._missing(f, index, d[0], d[0], event)  # its position holds another event
            self._extra(d)
            return
        topic, state = event[3], event[4]
        exported = content_digest(topic, state)
        self.exported_digests[exported] = f[0]
        _, _, _, stored_topic, stored_state = decode_event(d[1])
        self.changed.append(
            (
                f[0],
                event_key(event[1], event[2]),
                topic,
                exported,
                content_digest(stored_topic, stored_state),
            )
        )

    def _missing(
        self,
        f: LinkTuple,
        index: int,
        before: int | None,
        after: int | None,
        event: EventTuple | None = None,
    ) -> None:
        event = event or self._exported(f)
        if event is None:
            return  # an unreadable line: the export's own verification reports it
        digest = content_digest(event[3], event[4])
        key = event_key(event[1], event[2])
        self.missing[key] = (f[0], index + 2, event[3], digest, before, after)
        self.exported_digests[digest] = f[0]

    def _extra(self, d: Encoded) -> None:
        position, _, _, topic, state = decode_event(d[1])
        self.extra[d[1][8:32]] = (position, topic, content_digest(topic, state))

    def conclude(self) -> None:
        """Turn the mismatches into findings, in position order."""
        found: list[tuple[int, str, str]] = []
        for key, (position, line, topic, digest, before, after) in self.missing.items():
            what = describe_key(key, topic)
            moved = self.extra.pop(key, None)
            if moved is not None:
                now, _, stored_digest = moved
                also = "" if stored_digest == digest else ", and its content was changed"
                found.append(
                    (
                        position,
                        "reordered",
                        f"event {what} was at position {position} (export line {line}) and is now"
                        f" at position {now}{also}",
                    )
                )
            elif before is not None and before == after == position:
                found.append(
                    (
                        position,
                        "removed",
                        f"event at position {position} (export line {line}, {what}) was removed:"
                        " its position now holds another event",
                    )
                )
            else:
                gap = (
                    f"{'the start' if before is None else f'position {before}'} and"
                    f" {'the end' if after is None else f'position {after}'}"
                )
                found.append(
                    (
                        position,
                        "removed",
                        f"event at position {position} (export line {line}, {what}) was removed:"
                        f" the database has nothing for it between {gap}",
                    )
                )
        for key, (position, topic, _digest) in self.extra.items():
            found.append(
                (
                    position,
                    "inserted",
                    f"row at position {position} ({describe_key(key, topic)}) is not in the"
                    " export: it was inserted",
                )
            )
        for position, key, topic, _exported, stored in self.changed:
            source_position = self.exported_digests.get(stored)
            swapped = (
                f"; it now holds the content exported at position {source_position} (contents"
                " swapped or copied between rows)"
                if source_position is not None and source_position != position
                else ""
            )
            found.append(
                (
                    position,
                    "changed",
                    f"event at position {position} ({describe_key(key, topic)}) was"
                    f" changed: its stored bytes differ from the export{swapped}",
                )
            )
        for position, kind, message in sorted(found):
            self.report.add(kind, message, position=position)
        if self.after_count:
            first, last = self.after_export
            self.report.notes.append(
                f"{self.after_count:,} event(s) recorded after the export (positions {first} to"
                f" {last}): not covered by it"
            )
