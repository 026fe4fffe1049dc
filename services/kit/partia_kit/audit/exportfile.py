"""Reading an export file in one streaming pass while checking its chain as it goes.

Every command that reads an export reads it through `ExportReader`, so none of them can use events
the chain does not vouch for without saying so. Three ways through the file, one per need:
- `check()`: the verdict only, as fast as possible (`parallel.check_chunk`, on several cores for a
  large file) - `verify`;
- `read()`: the events themselves, chain recomputed on the way - `replay`, `diff`;
- `read_links()`: positions, keys and links without decoding states, the database supplying the
  preimages - `verify-db`.
Each only notes *that* something is off (`anomalies`); `verify.diagnose` reads the file again to
say *what*, which costs more and is needed only when something is wrong.
"""

from __future__ import annotations

import hashlib
import json
import os
from binascii import hexlify, unhexlify
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from partia_kit.audit import parallel
from partia_kit.audit.chain import (
    GENESIS,
    BadLine,
    EventTuple,
    next_link,
    parse_event_line,
)
from partia_kit.audit.findings import AuditError

CHECKPOINT_START = b'{"kind":"checkpoint"'
BATCH = 10_000

LinkTuple = tuple[int, bytes, bytes, bytes]
"""position, prev (hex), link (hex), the line's bytes"""


def is_checkpoint(raw: bytes) -> bool:
    """The checkpoint line as written, or as some JSON tool rewrote it."""
    if raw.startswith(CHECKPOINT_START):
        return True
    if b'"checkpoint"' not in raw:
        return False
    try:
        value = json.loads(raw)
    except ValueError:
        return False
    return isinstance(value, dict) and value.get("kind") == "checkpoint"


class NotAnExport(AuditError, ValueError):
    """The file does not start with an export header."""


class ExportReader:
    def __init__(self, path: Path) -> None:
        self.path = path
        self.size = os.path.getsize(path)
        with open(path, "rb") as f:
            self.header_raw = f.readline().rstrip(b"\r\n")
        try:
            header = json.loads(self.header_raw)
        except ValueError:
            header = None
        if not isinstance(header, dict) or header.get("kind") != "header":
            raise NotAnExport(f"{path} does not start with a partia-audit export header")
        self.header: dict[str, Any] = header
        chain = header.get("chain") or {}
        try:
            self.starts_after_position = int(chain.get("starts_after_position") or 0)
            self.start_link = unhexlify(chain.get("start_link") or GENESIS.hex())
        except (ValueError, TypeError):
            raise NotAnExport(f"{path}: the header's chain start cannot be read") from None
        # Filled in by read():
        self.count = 0
        self.first_position: int | None = None
        self.last_position: int | None = None
        self.head = self.start_link  # recomputed from the events, not read from the file
        self.anomalies = False
        self.unreadable_lines = 0
        self.lines_after_checkpoint = 0
        self.truncated_line: int | None = None
        self.checkpoint: dict[str, Any] | None = None
        self.checkpoint_line: int | None = None
        self.checkpoint_unreadable = False
        self.lines = 1
        self.finished = False

    @property
    def header_sha256(self) -> str:
        return hashlib.sha256(self.header_raw).hexdigest()

    def _event_lines(self, progress: Any, batch: int = BATCH) -> Iterator[list[bytes]]:
        """The lines that should be events, a batch at a time (a list per batch, so that callers
        loop over lists rather than resume a generator per line); the header, the checkpoint and
        anything after it are dealt with here. The common line costs one slice and compare."""
        lineno = 1
        read_bytes = 0
        out: list[bytes] = []
        append = out.append
        raw = b"\n"
        with open(self.path, "rb") as f:
            read_bytes += len(f.readline())
            for raw in f:
                lineno += 1
                if raw[:12] != b'{"position":':
                    if self.checkpoint_line is not None:
                        self.lines_after_checkpoint += 1
                        self.anomalies = True
                        continue
                    if is_checkpoint(raw):
                        self.checkpoint_line = lineno
                        self._read_checkpoint(raw)
                        continue
                elif self.checkpoint_line is not None:
                    self.lines_after_checkpoint += 1
                    self.anomalies = True
                    continue
                append(raw)
                if len(out) >= batch:
                    read_bytes += sum(map(len, out))
                    if progress is not None:
                        progress.update(lineno - 1, read_bytes / max(self.size, 1))
                    yield out
                    out = []
                    append = out.append
        if out:
            yield out
        if raw[-1:] != b"\n" and lineno != self.checkpoint_line:  # the last line was cut
            self.truncated_line = lineno
            self.anomalies = True
        self.lines = lineno
        if progress is not None:
            progress.update(lineno - 1, 1.0)

    def read(self, batch: int = BATCH, progress: Any = None) -> Iterator[list[EventTuple]]:
        """The event lines, a batch at a time, in file order, with the chain recomputed as they
        go. Lines that cannot be read are skipped (and counted); anything odd sets `anomalies`."""
        running = self.start_link
        running_hex = hexlify(running)
        last_position = self.starts_after_position
        for lines in self._event_lines(progress, batch):
            out: list[EventTuple] = []
            for raw in lines:
                try:
                    event = parse_event_line(raw)
                except BadLine:
                    self.unreadable_lines += 1
                    self.anomalies = True
                    continue
                position, originator_id, version, topic, state, prev, link = event
                running = next_link(running, position, originator_id, version, topic, state)
                if prev != running_hex or position <= last_position:
                    self.anomalies = True
                running_hex = hexlify(running)
                if running_hex != link:
                    self.anomalies = True
                last_position = position
                out.append(event)
            if out:
                self._advance(out)
                yield out
        self.head = running
        self.finished = True

    def read_links(self, progress: Any = None) -> Iterator[list[LinkTuple]]:
        """The event lines without their contents read, a batch at a time: position, prev, link,
        and the line itself (to read in full when needed). Each line's prev must be the link of
        the line before (checked here); whether each link is the hash of its line is left to the
        caller, who may have a better preimage than the file's (`verify_db`: the row in the
        database, whose encoding holds position, originator and version too, so a match proves
        them all). `head` is then the last line's link, as written. Only the line's first and
        last bytes are looked at: ~3x cheaper than reading its fields."""
        last_link = hexlify(self.start_link)
        last_position = self.starts_after_position
        count = 0
        first = None
        for lines in self._event_lines(progress):
            out: list[LinkTuple] = []
            for raw in lines:
                n = len(raw)
                try:
                    if (
                        raw[:12] == b'{"position":'
                        and raw[n - 151 : n - 141] == b'","prev":"'
                        and raw[n - 77 : n - 67] == b'","link":"'
                        and raw[n - 3 :] == b'"}\n'
                    ):
                        position = int(raw[12 : raw.index(b",", 12, 40)])
                        prev, link = raw[n - 141 : n - 77], raw[n - 67 : n - 3]
                    else:
                        position, _, _, _, _, prev, link = parse_event_line(raw)
                except (BadLine, ValueError):
                    self.unreadable_lines += 1
                    self.anomalies = True
                    continue
                if prev != last_link or position <= last_position:
                    self.anomalies = True
                last_link, last_position = link, position
                out.append((position, prev, link, raw))
            if out:
                count += len(out)
                if first is None:
                    first = out[0][0]
                yield out
        self.count, self.first_position = count, first
        self.last_position = last_position if count else None
        try:
            self.head = unhexlify(last_link)
        except ValueError:
            self.anomalies = True
        self.finished = True

    def _advance(self, events: list[EventTuple]) -> None:
        self.count += len(events)
        if self.first_position is None:
            self.first_position = events[0][0]
        self.last_position = events[-1][0]

    def _read_checkpoint(self, raw: bytes) -> None:
        if raw[-1:] != b"\n":
            self.truncated_line = self.checkpoint_line
        try:
            checkpoint = json.loads(raw)
        except ValueError:
            self.checkpoint_unreadable = True
            return
        if isinstance(checkpoint, dict) and isinstance(checkpoint.get("signed"), dict):
            self.checkpoint = checkpoint
        else:
            self.checkpoint_unreadable = True

    def read_all(self, progress: Any = None) -> None:
        """A pass that only checks (for callers that need no events)."""
        for _ in self.read(progress=progress):
            pass

    def check(
        self,
        *,
        jobs: int | None = None,
        progress: Any = None,
        min_parallel_bytes: int = parallel.MIN_PARALLEL_BYTES,
    ) -> None:
        """Read to the end, checking, as fast as it goes: the lines between the header and the
        checkpoint by the tight loop of `parallel.check_chunk`, on several cores when the file is
        large enough for that to pay. When anything is wrong (or the file does not end with a
        checkpoint) the general sequential pass runs instead, to fill in what the diagnosis
        needs."""
        jobs = parallel.default_jobs() if jobs is None else jobs
        if self.size < min_parallel_bytes:
            jobs = 1
        if not self._check_fast(jobs, progress):
            self.read_all(progress)

    def _check_fast(self, jobs: int, progress: Any) -> bool:
        checkpoint_at, checkpoint_raw = self._last_line()
        if checkpoint_raw is None or not is_checkpoint(checkpoint_raw):
            return False  # no checkpoint at the end: the file is broken; let the slow pass say how
        with open(self.path, "rb") as f:
            start = len(f.readline())
        chunks = parallel.check_range(self.path, start, checkpoint_at, jobs, progress)
        link, position = hexlify(self.start_link), self.starts_after_position
        count, first = 0, None
        for chunk in chunks:
            if not chunk.count:
                continue
            if (
                not chunk.sound
                or chunk.first_prev != link
                or (chunk.first_position or 0) <= position
            ):
                return False
            assert chunk.last_link is not None
            assert chunk.last_position is not None
            first = chunk.first_position if first is None else first
            link, position, count = chunk.last_link, chunk.last_position, count + chunk.count
        self.count, self.first_position = count, first
        self.last_position = position if count else None
        self.head = unhexlify(link)
        self.lines = self.checkpoint_line = count + 2
        self._read_checkpoint(checkpoint_raw)
        self.anomalies = self.truncated_line is not None
        self.finished = True
        return True

    def _last_line(self) -> tuple[int, bytes | None]:
        """The offset and bytes of the file's last line."""
        with open(self.path, "rb") as f:
            f.seek(0, os.SEEK_END)
            size = f.tell()
            back = min(size, 65_536)
            f.seek(size - back)
            tail = f.read()
        cut = tail.rfind(b"\n", 0, len(tail) - 1)
        if cut < 0:
            return size, None
        return size - back + cut + 1, tail[cut + 1 :]

    def signed(self) -> dict[str, Any]:
        return dict(self.checkpoint["signed"]) if self.checkpoint else {}
