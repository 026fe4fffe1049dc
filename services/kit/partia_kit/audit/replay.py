"""What every service's replay of an export shares (the registry's rolls, finance's annual
statement): only a whole history is replayed, its events are decoded with personal data left
sealed (no key), and nothing replayed counts until the export has verified."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from eventsourcing.persistence import DatetimeAsISO, DecimalAsStr, JSONTranscoder, UUIDAsHex

from partia_kit.audit.exportfile import ExportReader
from partia_kit.audit.findings import Report
from partia_kit.audit.verify import check_reader
from partia_kit.vault import register_sealed_transcoding


class ReplayRefused(Exception):
    """The export cannot be replayed (it does not verify, or it is not the whole history)."""

    def __init__(self, message: str, report: Report | None = None) -> None:
        super().__init__(message)
        self.report = report


def sealed_transcoder(register_service: Callable[[JSONTranscoder], None]) -> JSONTranscoder:
    """The event store's transcoder (the library's, the service's value types) with sealed
    personal data decoded as it is stored: still sealed."""
    transcoder = JSONTranscoder()
    for transcoding in (UUIDAsHex(), DecimalAsStr(), DatetimeAsISO()):
        transcoder.register(transcoding)
    register_service(transcoder)
    register_sealed_transcoding(transcoder)
    return transcoder


def whole_history(path: Path) -> ExportReader:
    """The export's reader; ReplayRefused when it starts after the first event."""
    reader = ExportReader(path)
    if reader.starts_after_position != 0:
        raise ReplayRefused(
            f"{path} starts after position {reader.starts_after_position}: a replay needs the whole"
            " history from the first event"
        )
    return reader


def verified(
    reader: ExportReader, path: Path, public_key: Ed25519PublicKey | None, started: float
) -> Report:
    """The verification of the export the reader has just read through; ReplayRefused when it
    does not verify, since nothing replayed from it would be evidence."""
    report = Report(f"export {path}")
    check_reader(reader, report, public_key)
    report.events = reader.count
    report.seconds = time.perf_counter() - started
    if not report.clean:
        raise ReplayRefused(f"{path} does not verify; nothing replayed from it is evidence", report)
    return report
