"""Folding a finance export into its donations and obligations, and those into the annual
statement and the return obligations' register, without the service.

The export is verified first (chain and, given the auditor's key, the signed checkpoint); every
donation is rebuilt from its own events by the domain model the service uses, with the donor's
personal data left sealed (no key is needed: the statement names no donor). The totals are then
grouped exactly as `FinanceQueries.annual_statement` groups the donation index; each return
obligation is rebuilt the same way and given its status on a date as `GET /obligations` gives it
(decision 249). The per-donor register is not replayed: it is keyed by a digest the service makes
with its own key, which an auditor's machine does not hold.
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
from partia_finance.domain.obligations import ReturnObligation
from partia_kit.audit.findings import AuditError
from partia_kit.audit.replay import ReplayRefused, sealed_transcoder, verified, whole_history

DONATION_TOPICS = "partia_finance.domain.donations:Donation."
OBLIGATION_TOPICS = "partia_finance.domain.obligations:ReturnObligation."
"""Decoding a topic imports its module: only the donation's and the obligation's own event classes
are resolved, so a doctored file cannot make the auditor's machine import anything else."""

FIGURES = ("accepted", "accepted_tiyn", "rejected", "rejected_tiyn")
OBLIGATION_FIELDS = ("status", "amount_tiyn", "cause", "disposition", "deadline", "opened_on")
"""What the obligations' comparison holds equal (the settlement's date and reference as well once
settled by the date)."""


__all__ = [
    "FinanceHistory",
    "ReplayRefused",
    "obligation_differences",
    "replay_export",
    "statement_differences",
]


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
    obligations: dict[UUID, ReturnObligation] = field(default_factory=dict)
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
            still_accepted = d.found_on is None or d.found_on > as_of  # not yet found then
            group["accepted"] += d.accepted_tiyn > 0 and still_accepted
            group["accepted_tiyn"] += d.accepted_tiyn if still_accepted else 0
            if d.status is DonationStatus.REJECTED:
                group["rejected"] += 1
                group["rejected_tiyn"] += d.amount.tiyn
        return [
            {"fund": fund, "donor_kind": kind, **figures}
            for (fund, kind), figures in sorted(groups.items())
        ]

    def obligations_on(self, as_of: date) -> list[dict[str, Any]]:
        """The return obligations opened by `as_of` with their status then (settled, overdue from
        the day after the deadline, open): the service's `GET /obligations` for the whole party."""
        found = []
        for o in self.obligations.values():
            if o.opened_on > as_of:
                continue
            settled = o.settled_on is not None and o.settled_on <= as_of
            found.append(
                {
                    "obligation_id": o.id,
                    "donation_id": o.donation_id,
                    "amount_tiyn": o.amount.tiyn,
                    "cause": o.cause.value,
                    "disposition": o.disposition.value,
                    "opened_on": o.opened_on,
                    "deadline": o.deadline,
                    "status": o.status_on(as_of).value,
                    "settled_on": o.settled_on if settled else None,
                    "payment_reference": o.payment_reference if settled else None,
                }
            )
        return sorted(found, key=lambda r: (r["deadline"], r["obligation_id"]))


def replay_export(path: Path, *, public_key: Ed25519PublicKey | None = None) -> FinanceHistory:
    """Verify and fold the whole export; ReplayRefused when it cannot be trusted or is partial."""
    started = time.perf_counter()
    reader = whole_history(path)
    mapper, history = event_decoder(), FinanceHistory(path)
    for batch in reader.read():
        for _position, originator_id, version, topic_bytes, state, _prev, _link in batch:
            topic = topic_bytes.decode("utf-8")
            folded: dict[UUID, Any] | None = (
                history.donations
                if topic.startswith(DONATION_TOPICS)
                else history.obligations
                if topic.startswith(OBLIGATION_TOPICS)
                else None
            )
            if folded is not None:
                stored = StoredEvent(UUID(bytes=originator_id), version, topic, state)
                event = mapper.to_domain_event(stored)
                folded[event.originator_id] = event.mutate(folded.get(event.originator_id))
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


def obligation_differences(
    replayed: list[dict[str, Any]], published: list[dict[str, Any]]
) -> list[str]:
    """Each obligation missing on one side, or whose status, amount, cause, disposition, dates or
    (once settled by the date) settlement differ, named with both values."""
    ours = {str(r["obligation_id"]): _comparable(r) for r in replayed}
    theirs = {str(r["obligation_id"]): _comparable(r) for r in published}
    found = []
    for key in sorted(ours.keys() | theirs.keys()):
        mine, said = ours.get(key), theirs.get(key)
        if mine is None or said is None:
            where = "the replayed history" if said is None else "the service's register"
            found.append(f"obligation {key}: only in {where}")
            continue
        found += [
            f"obligation {key}: {name} is {said[name]} in the service's register,"
            f" {mine[name]} in the replayed history"
            for name in mine
            if mine[name] != said[name]
        ]
    return found


def _comparable(row: dict[str, Any]) -> dict[str, str | None]:
    """The compared fields as text (the service's JSON and the replay's dates agree so)."""
    fields = list(OBLIGATION_FIELDS)
    if row["status"] == "settled":
        fields += ["settled_on", "payment_reference"]
    return {f: None if row[f] is None else str(row[f]) for f in fields}


def published_obligations(service: str, token: str | None, as_of: date) -> Any:
    """The service's register of return obligations as of a date (the token's scope decides)."""
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    response = httpx.get(
        f"{service.rstrip('/')}/obligations",
        params={"as_of": as_of.isoformat()},
        headers=headers,
        timeout=60,
    )
    if response.status_code != 200:
        raise AuditError(f"the service answered {response.status_code}: {response.text[:300]}")
    return response.json()["items"]


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
