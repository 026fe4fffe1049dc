"""Verifying an export file on its own: is it exactly what was signed, and if not, what changed?

The verdict is sound by construction. Every line's link must be the hash of its own prev and
content, every prev the link of the line before (the first one, the header's start link), and the
last link the head the checkpoint states, with the count and positions it states; the checkpoint
must carry a valid signature (by the trusted key, when one is given) and cover the header. That is
exactly the chain recomputed from the start, but checkable in chunks on several cores
(`parallel`). Anything else fails.

Saying *what* changed is a second, slower pass that runs only on failure. It uses the `prev` link
each line carries, so every line can be checked on its own and against its neighbours:
- a line whose own link does not match its content was changed;
- a line placed before the line it follows, or after a higher position, was reordered;
- a line that nothing in the chain follows and that follows nothing was inserted;
- a line that follows a link no line has means events were removed just before it.
An attacker who recomputes every link after an edit leaves no line inconsistent; the head then
differs from the signed one and the report says the chain was rewritten (and where it cannot say
more, says so).
"""

from __future__ import annotations

import time
from binascii import hexlify
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from partia_kit.audit.chain import (
    BadLine,
    EventTuple,
    describe,
    line_link_matches,
    parse_event_line,
)
from partia_kit.audit.exportfile import ExportReader, is_checkpoint
from partia_kit.audit.findings import Report
from partia_kit.audit.parallel import MIN_PARALLEL_BYTES
from partia_kit.audit.progress import Progress
from partia_kit.audit.signing import check_signature, fingerprint, raw_public_key


def verify_export(
    path: Path,
    *,
    public_key: Ed25519PublicKey | None = None,
    progress: Progress | None = None,
    jobs: int | None = None,
    min_parallel_bytes: int = MIN_PARALLEL_BYTES,
) -> Report:
    """Check the file; `jobs` worker processes for a large one (default: one per core)."""
    started = time.perf_counter()
    reader = ExportReader(path)
    reader.check(jobs=jobs, progress=progress, min_parallel_bytes=min_parallel_bytes)
    if progress is not None:
        progress.close()
    report = Report(f"export {path}")
    check_reader(reader, report, public_key)
    report.events = reader.count
    report.seconds = time.perf_counter() - started
    return report


def check_reader(reader: ExportReader, report: Report, public_key: Ed25519PublicKey | None) -> None:
    """Everything about a file that was read to the end: checkpoint, signature, and the line-level
    diagnosis when the chain does not hold."""
    check_checkpoint(reader, report, public_key)
    signed = reader.signed()
    head_ok = signed.get("head") == reader.head.hex()
    if reader.anomalies or (signed and not head_ok):
        before = len(report.findings)
        diagnose(reader, report, signed)
        if len(report.findings) == before and signed and not head_ok:
            report.add(
                "changed",
                "the events do not lead to the signed head: lines were changed and every link"
                " after them recomputed (the file alone cannot show which; compare it with the"
                " database using verify-db)",
            )


def check_checkpoint(
    reader: ExportReader, report: Report, public_key: Ed25519PublicKey | None
) -> None:
    if reader.truncated_line is not None:
        report.add(
            "truncated",
            f"the file ends in the middle of line {reader.truncated_line}",
            line=reader.truncated_line,
        )
    if reader.checkpoint_line is None:
        report.add(
            "truncated",
            f"the file ends at line {reader.lines} without its checkpoint: it was cut short or"
            " the checkpoint was removed",
        )
        return
    if reader.checkpoint is None:
        report.add(
            "checkpoint",
            f"the checkpoint (line {reader.checkpoint_line}) cannot be read",
            line=reader.checkpoint_line,
        )
        return
    if reader.lines_after_checkpoint:
        report.add(
            "inserted",
            f"{reader.lines_after_checkpoint} line(s) follow the checkpoint (line"
            f" {reader.checkpoint_line})",
        )
    signed = reader.signed()
    _check_signature(reader, report, public_key)
    if signed.get("header_sha256") != reader.header_sha256:
        report.add("header", "the header (line 1) was changed after the export was signed", line=1)
    if (
        signed.get("start_link") != reader.start_link.hex()
        or signed.get("starts_after_position") != reader.starts_after_position
    ):
        report.add("header", "the header's chain start differs from the signed one", line=1)
    count = signed.get("count")
    if isinstance(count, int) and count != reader.count:
        if count > reader.count:
            report.add(
                "removed",
                f"the checkpoint counts {count:,} events and the file holds {reader.count:,}:"
                f" {count - reader.count:,} missing",
            )
        else:
            report.add(
                "inserted",
                f"the checkpoint counts {count:,} events and the file holds {reader.count:,}:"
                f" {reader.count - count:,} too many",
            )
    for key, actual in (
        ("first_position", reader.first_position),
        ("last_position", reader.last_position),
    ):
        if signed.get(key) != actual and count == reader.count:
            report.add(
                "changed",
                f"the checkpoint's {key.replace('_', ' ')} is {signed.get(key)}, the file's is"
                f" {actual}",
            )


def _check_signature(
    reader: ExportReader, report: Report, public_key: Ed25519PublicKey | None
) -> None:
    assert reader.checkpoint is not None
    signature = reader.checkpoint.get("signature")
    embedded = reader.checkpoint.get("public_key")
    trusted = raw_public_key(public_key) if public_key is not None else None
    if not signature:
        if trusted is not None:
            report.add(
                "signature", "the checkpoint is not signed, but a trusted public key was given"
            )
        else:
            report.notes.append(
                "the checkpoint is not signed: the chain shows the file is intact, not who made it"
            )
        return
    try:
        embedded_raw = bytes.fromhex(str(embedded))
    except ValueError:
        embedded_raw = b""
    key = trusted if trusted is not None else embedded_raw
    if not check_signature(reader.signed(), str(signature), key):
        if trusted is not None and embedded_raw != trusted:
            report.add(
                "signature",
                f"checkpoint signature invalid: it was not signed with the trusted key"
                f" {fingerprint(trusted)} (the file names key {fingerprint(embedded_raw)})",
            )
        else:
            report.add("signature", "checkpoint signature invalid")
        return
    if trusted is None:
        report.notes.append(
            f"signed by key {fingerprint(embedded_raw)}; pass --public-key to check that it is the"
            " auditor's key"
        )
    else:
        report.notes.append(f"signed by the trusted key {fingerprint(trusted)}")


@dataclass(slots=True)
class _Line:
    """What the diagnosis keeps of a line (not its state: ~200 bytes a line in all)."""

    lineno: int
    event: EventTuple | None
    own_link_ok: bool
    unreadable: str | None = None

    @property
    def position(self) -> int:
        return self.event[0] if self.event else -1

    @property
    def prev(self) -> bytes:
        return self.event[5] if self.event else b""

    @property
    def link(self) -> bytes:
        return self.event[6] if self.event else b""

    def what(self) -> str:
        if self.event is None:
            return f"line {self.lineno}"
        position, originator_id, version, topic, *_ = self.event
        return (
            f"event at line {self.lineno} (position {position},"
            f" {describe(originator_id, version, topic)})"
        )


def _lines(reader: ExportReader) -> list[_Line]:
    lines: list[_Line] = []
    with open(reader.path, "rb") as f:
        f.readline()
        lineno = 1
        for raw in f:
            lineno += 1
            if is_checkpoint(raw):
                break
            try:
                event = parse_event_line(raw)
            except BadLine as e:
                lines.append(_Line(lineno, None, False, str(e)))
                continue
            # Keep no state: only what the diagnosis needs.
            lines.append(_Line(lineno, (*event[:4], b"", *event[5:]), line_link_matches(event)))
    return lines


def diagnose(reader: ExportReader, report: Report, signed: dict[str, Any]) -> None:
    """Say, line by line, what was changed, removed, inserted or reordered."""
    lines = _lines(reader)
    by_link = {line.link: i for i, line in enumerate(lines) if line.event}
    followed = {line.prev for line in lines if line.event}
    flagged: set[int] = set()
    start = hexlify(reader.start_link)
    prev_link: bytes | None = start
    prev_position = reader.starts_after_position
    prev_line: _Line | None = None
    for i, line in enumerate(lines):
        if line.event is None:
            report.add(
                "changed",
                f"line {line.lineno} was changed: it is no longer a readable event line"
                f" ({line.unreadable})",
                line=line.lineno,
            )
            flagged.add(i)
            prev_link, prev_line = None, line
            continue
        if (
            prev_line is not None
            and prev_line.event is not None
            and (line.position, line.link) == (prev_line.position, prev_line.link)
        ):
            report.add(
                "inserted",
                f"{line.what()} repeats line {prev_line.lineno}",
                line=line.lineno,
                position=line.position,
            )
            flagged.add(i)
            continue
        if not line.own_link_ok:
            report.add(
                "changed",
                f"{line.what()} was changed: its content no longer matches its link",
                line=line.lineno,
                position=line.position,
            )
            flagged.add(i)
        elif line.position <= prev_position:
            report.add(
                "reordered",
                f"{line.what()} is out of order: it comes after position {prev_position}"
                + (f" (line {prev_line.lineno})" if prev_line else ""),
                line=line.lineno,
                position=line.position,
            )
            flagged.add(i)
        if line.own_link_ok and prev_link is not None and line.prev != prev_link:
            if prev_line is not None and not prev_line.own_link_ok:
                pass  # the line before was changed (its link perhaps too): already said
            elif (k := by_link.get(line.prev)) is not None:
                if k > i and i not in flagged:
                    report.add(
                        "reordered",
                        f"{line.what()} was moved: it belongs after line {lines[k].lineno}"
                        f" (position {lines[k].position})",
                        line=line.lineno,
                        position=line.position,
                    )
                    flagged.add(i)
                for m in range(k + 1, i):
                    if m in flagged or lines[m].event is None:
                        continue
                    flagged.add(m)
                    if lines[m].link in followed:
                        report.add(
                            "reordered",
                            f"{lines[m].what()} was moved: it is out of place",
                            line=lines[m].lineno,
                            position=lines[m].position,
                        )
                    else:
                        report.add(
                            "inserted",
                            f"{lines[m].what()} was inserted: it is not part of the signed chain",
                            line=lines[m].lineno,
                            position=lines[m].position,
                        )
            elif line.prev == start and i > 0:
                pass  # follows the start: it belongs first, the lines before it are out of place
            elif i + 1 < len(lines) and lines[i + 1].prev == prev_link:
                if i not in flagged:
                    report.add(
                        "inserted",
                        f"{line.what()} was inserted: it is not part of the signed chain",
                        line=line.lineno,
                        position=line.position,
                    )
                    flagged.add(i)
                continue  # the next line follows the line before this one
            else:
                where = (
                    f"position {prev_position} (line {prev_line.lineno})"
                    if prev_line is not None
                    else f"the start of the range (after position {prev_position})"
                )
                report.add(
                    "removed",
                    f"events were removed between {where} and position {line.position}"
                    f" (line {line.lineno})",
                    line=line.lineno,
                    position=line.position,
                )
        prev_link, prev_position, prev_line = line.link, line.position, line
    _diagnose_end(lines, by_link, flagged, prev_link, prev_position, signed, report)


def _diagnose_end(
    lines: list[_Line],
    by_link: dict[bytes, int],
    flagged: set[int],
    last_link: bytes | None,
    last_position: int,
    signed: dict[str, Any],
    report: Report,
) -> None:
    signed_head = signed.get("head")
    if not isinstance(signed_head, str) or last_link is None or last_link == signed_head.encode():
        return
    k = by_link.get(signed_head.encode())
    if k is not None:
        for m in range(k + 1, len(lines)):
            if m not in flagged:
                report.add(
                    "inserted",
                    f"{lines[m].what()} was appended after the signed end of the chain",
                    line=lines[m].lineno,
                    position=lines[m].position,
                )
    elif (
        lines
        and lines[-1].own_link_ok
        and len(lines) - 1 not in flagged
        and (signed.get("last_position") or 0) > last_position
    ):
        report.add(
            "removed",
            f"events were removed after position {last_position} (line {lines[-1].lineno}):"
            " the signed chain goes on beyond the last line",
            position=last_position,
        )
