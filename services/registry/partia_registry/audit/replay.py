"""Rebuilding rolls and the structure report from an export alone, as of any business date.

The replay uses nothing but the file: events are decoded without keys (personal data stays
sealed, so the auditor never needs nor sees it), folded by the same pure `MembershipLedger` the
service's read model uses, and the report is built by the same `build_structure_report`. If the
service's figures differ from these, either its read model or its history differs from the export
(which `verify-db` tells apart).

The file is verified in the same pass and a replay of a file that does not verify is refused:
a report built from unvouched events would be no evidence.
"""

from __future__ import annotations

import dataclasses
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any
from uuid import UUID

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from eventsourcing.persistence import StoredEvent

from partia_kit.audit.findings import Report
from partia_kit.audit.progress import Progress
from partia_kit.audit.replay import ReplayRefused, sealed_transcoder, verified, whole_history
from partia_registry.adapters.postgres.personal_data import PersonalDataMapper
from partia_registry.adapters.postgres.transcodings import register_registry_transcodings
from partia_registry.domain.organisations import Organisation
from partia_registry.projections.ledger import Changes, MembershipLedger
from partia_registry.projections.reports import build_structure_report

DOMAIN_TOPICS = "partia_registry.domain."
"""Decoding a topic imports its module: only the registry's own event classes are resolved, so a
doctored file cannot make the auditor's machine import anything else."""


__all__ = ["History", "ReplayRefused", "event_decoder", "replay_export", "replay_output"]


def event_decoder() -> PersonalDataMapper:
    """The event store's mapper without its key vault: facts decoded, personal data left sealed."""
    mapper = PersonalDataMapper(transcoder=sealed_transcoder(register_registry_transcodings))
    mapper.open_personal_data = False
    return mapper


@dataclass
class History:
    """The fold of a whole export: every membership and organisation spell, and each
    organisation's latest names and code (what the service's organisation index holds)."""

    path: Path
    ledger: MembershipLedger
    names: dict[UUID, dict[str, str]] = field(default_factory=dict)
    codes: dict[UUID, str | None] = field(default_factory=dict)
    events: int = 0
    last_position: int | None = None
    head: str = ""
    skipped_topics: Counter[str] = field(default_factory=Counter)
    verification: Report | None = None

    # --- views on a date ---------------------------------------------------------------------

    def units_on(self, on: date) -> dict[UUID, dict[str, Any]]:
        """The organisations in existence on the date, as the report's `units` input."""
        units = {}
        for spell in self.ledger.all_organisation_spells:
            if spell.valid_from <= on and (spell.valid_to is None or spell.valid_to > on):
                units[spell.organisation_id] = {
                    "organisation_id": spell.organisation_id,
                    "kind": spell.kind,
                    "parent_id": spell.parent_id,
                    "names": self.names.get(spell.organisation_id, {}),
                    "code": self.codes.get(spell.organisation_id),
                }
        return units

    def spells_on(self, on: date) -> list[Any]:
        return [
            s
            for s in self.ledger.all_spells
            if s.valid_from <= on and (s.valid_to is None or s.valid_to > on)
        ]

    def structure_on(self, on: date) -> dict[str, Any]:
        """The structure and composition report as of the date, built as the service builds it."""
        counts: Counter[tuple[UUID, str, int]] = Counter(
            (s.organisation_id, s.sex, s.birth_year) for s in self.spells_on(on)
        )
        groups = [
            {"organisation_id": o, "sex": sex, "birth_year": year, "n": n}
            for (o, sex, year), n in counts.items()
        ]
        return build_structure_report(self.units_on(on), groups, on, on)

    def roll_on(
        self, organisation_id: UUID, on: date, *, subtree: bool = True
    ) -> list[dict[str, Any]]:
        """Who was on the organisation's roll (or anywhere below it) on the date, by card number;
        the service's roll without names (the replay has no keys)."""
        wanted = {organisation_id}
        if subtree:
            children: defaultdict[UUID, list[UUID]] = defaultdict(list)
            for unit in self.units_on(on).values():
                if unit["parent_id"] is not None:
                    children[unit["parent_id"]].append(unit["organisation_id"])
            stack = [organisation_id]
            while stack:
                for child in children[stack.pop()]:
                    if child not in wanted:
                        wanted.add(child)
                        stack.append(child)
        rows = [
            {
                "member_id": s.member_id,
                "organisation_id": s.organisation_id,
                "card_number": s.card_number,
                "admitted_on": s.admitted_on,
                "on_roll_since": s.valid_from,
                "sex": s.sex,
                "birth_year": s.birth_year,
            }
            for s in self.spells_on(on)
            if s.organisation_id in wanted
        ]
        return sorted(rows, key=lambda r: r["card_number"])

    def party_root(self) -> UUID | None:
        for spell in self.ledger.all_organisation_spells:
            if spell.parent_id is None:
                return spell.organisation_id
        return None


def replay_export(
    path: Path,
    *,
    public_key: Ed25519PublicKey | None = None,
    progress: Progress | None = None,
) -> History:
    """Verify and fold the whole export. Raises ReplayRefused when it cannot be trusted or is not
    the whole history."""
    started = time.perf_counter()
    reader = whole_history(path)
    mapper = event_decoder()
    history = History(path, MembershipLedger(keep_all=True))
    ledger = history.ledger
    for batch in reader.read(progress=progress):
        changes = Changes()  # what the fold reports per batch; the replay keeps the spells instead
        for _position, originator_id, version, topic_bytes, state, _prev, _link in batch:
            topic = topic_bytes.decode("utf-8")
            if not topic.startswith(DOMAIN_TOPICS):
                history.skipped_topics[topic] += 1
                continue
            event = mapper.to_domain_event(
                StoredEvent(UUID(bytes=originator_id), version, topic, state)
            )
            ledger.apply(event, changes)
            if isinstance(event, Organisation.Created | Organisation.Renamed):
                history.names[event.originator_id] = dataclasses.asdict(event.names)
                if isinstance(event, Organisation.Created):
                    history.codes[event.originator_id] = event.code
    if progress is not None:
        progress.close()
    history.verification = verified(reader, path, public_key, started)
    history.events = reader.count
    history.last_position = reader.last_position
    history.head = reader.head.hex()
    return history


def replay_output(
    history: History, on: date, organisation_id: UUID | None = None
) -> dict[str, Any]:
    """What `replay` writes: the report as of the date and, if asked, one roll."""
    out: dict[str, Any] = {
        "on": on,
        "source": {
            "export": str(history.path),
            "events": history.events,
            "last_position": history.last_position,
            "head": history.head,
        },
        "structure": history.structure_on(on),
    }
    if organisation_id is not None:
        items = history.roll_on(organisation_id, on)
        out["roll"] = {
            "organisation_id": organisation_id,
            "on": on,
            "subtree": True,
            "total": len(items),
            "items": items,
        }
    return out
