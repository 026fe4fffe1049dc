"""Folding a finance export into its donations and the annual statement, without the service.

The export is verified first (chain and, given the auditor's key, the signed checkpoint); every
donation is rebuilt from its own events by the domain model the service uses, with the donor's
personal data left sealed (no key is needed: the statement names no donor). The totals are then
grouped exactly as `FinanceQueries.annual_statement` groups the donation index.
"""

from __future__ import annotations

import time
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any
from uuid import UUID

import httpx
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from eventsourcing.persistence import StoredEvent

from partia_finance.adapters.postgres.event_store import DonorDataMapper
from partia_finance.adapters.postgres.transcodings import register_finance_transcodings
from partia_finance.domain.donations import Donation, DonationStatus
from partia_kit.audit.findings import AuditError
from partia_kit.audit.replay import ReplayRefused, sealed_transcoder, verified, whole_history

DONATION_TOPICS = "partia_finance.domain.donations:Donation."
"""Decoding a topic imports its module: only the donation's own event classes are resolved, so a
doctored file cannot make the auditor's machine import anything else."""

FIGURES = ("accepted", "accepted_tiyn", "rejected", "rejected_tiyn")


__all__ = ["FinanceHistory", "ReplayRefused", "replay_export", "statement_differences"]


def event_decoder() -> DonorDataMapper:
    """The finance event store's mapper without a key vault: facts decoded, names left sealed."""
    mapper = DonorDataMapper(transcoder=sealed_transcoder(register_finance_transcodings))
    mapper.open_personal_data = False
    return mapper


@dataclass
class FinanceHistory:
    """Every donation of a verified export as its events leave it."""

    path: Path
    donations: dict[UUID, Donation] = field(default_factory=dict)
    events: int = 0
    head: str = ""
    seconds: float = 0.0

    def annual_statement(self, year: int, as_of: date) -> list[dict[str, Any]]:
        """Receipts credited in `year` and decided on or before `as_of`, by fund and donor kind:
        the service's `GET /reports/annual-statement` for the whole party."""
        groups: defaultdict[tuple[str, str], dict[str, Any]] = defaultdict(
            lambda: dict.fromkeys(FIGURES, 0)
        )
        for d in self.donations.values():
            if d.credited_on.year != year or d.decided_on is None or d.decided_on > as_of:
                continue
            group = groups[(d.purpose.key, d.donor.kind.value)]
            group["accepted"] += d.accepted_tiyn > 0
            group["accepted_tiyn"] += d.accepted_tiyn
            if d.status is DonationStatus.REJECTED:
                group["rejected"] += 1
                group["rejected_tiyn"] += d.amount.tiyn
        return [
            {"fund": fund, "donor_kind": kind, **figures}
            for (fund, kind), figures in sorted(groups.items())
        ]


def replay_export(path: Path, *, public_key: Ed25519PublicKey | None = None) -> FinanceHistory:
    """Verify and fold the whole export; ReplayRefused when it cannot be trusted or is partial."""
    started = time.perf_counter()
    reader = whole_history(path)
    mapper, history = event_decoder(), FinanceHistory(path)
    for batch in reader.read():
        for _position, originator_id, version, topic_bytes, state, _prev, _link in batch:
            topic = topic_bytes.decode("utf-8")
            if topic.startswith(DONATION_TOPICS):
                stored = StoredEvent(UUID(bytes=originator_id), version, topic, state)
                event = mapper.to_domain_event(stored)
                before = history.donations.get(event.originator_id)
                history.donations[event.originator_id] = event.mutate(before)
    history.seconds = verified(reader, path, public_key, started).seconds
    history.events, history.head = reader.count, reader.head.hex()
    return history


def statement_differences(
    replayed: list[dict[str, Any]], published: list[dict[str, Any]]
) -> list[str]:
    """Each fund and source whose figures differ, named with both values."""
    ours = {(r["fund"], r["donor_kind"]): r for r in replayed}
    theirs = {(r["fund"], r["donor_kind"]): r for r in published}
    zero = dict.fromkeys(FIGURES, 0)
    found = []
    for key in sorted(ours.keys() | theirs.keys()):
        mine, said = ours.get(key, zero), theirs.get(key, zero)
        for figure in FIGURES:
            if mine[figure] != said[figure]:
                found.append(
                    f"{key[0]} / {key[1]}: {figure} is {said[figure]} in the service's statement,"
                    f" {mine[figure]} in the replayed history"
                )
    return found


def published_statement(service: str, token: str | None, year: int, as_of: date) -> Any:
    """The service's annual statement for the whole party (the token's scope decides that)."""
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    response = httpx.get(
        f"{service.rstrip('/')}/reports/annual-statement",
        params={"year": year, "as_of": as_of.isoformat()},
        headers=headers,
        timeout=60,
    )
    if response.status_code != 200:
        raise AuditError(f"the service answered {response.status_code}: {response.text[:300]}")
    return response.json()["items"]
