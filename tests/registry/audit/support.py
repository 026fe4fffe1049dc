"""A small but varied history for the auditor's tools, and direct access to the stored rows."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any
from uuid import UUID

import psycopg
from psycopg.sql import SQL, Identifier

from partia_kit.audit.source import EventTable
from partia_registry.application import commands as c
from partia_registry.composition import Registry
from partia_registry.domain.decisions import BodyKind
from partia_registry.domain.discipline import AppealOutcome, ExclusionGround, SanctionKind
from partia_registry.domain.members import TransferReason
from tests.registry.builders import (
    ALMATY_CITY_ID,
    PARTY_ID,
    admit,
    apply,
    build_tree,
    decided,
    formalised,
    make_iin,
    names,
    ok,
    person,
    signed,
)

DATES = (
    date(2024, 12, 31),
    date(2025, 3, 1),
    date(2025, 5, 10),
    date(2025, 9, 1),
    date(2026, 1, 1),
)
"""Business dates on which the replay is compared with the read model: before anyone was admitted,
between admissions and transfers, on a transfer's day, after exits, and after everything."""


@dataclass
class Story:
    """What the history holds, to name in assertions."""

    yesil: Any
    medeu: Any
    members: dict[str, UUID] = field(default_factory=dict)


def member(
    registry: Registry, ppo: UUID, born: date, admitted: date, *, female: bool = False
) -> UUID:
    someone = apply(registry, ppo, person(make_iin(born, female=female)), on=admitted)
    admit(registry, someone, ppo, on=admitted)
    return someone


def build_history(registry: Registry) -> Story:
    """Organisations founded, renamed and moved; members admitted, transferred, withdrawn,
    expelled and restored on appeal, terminated; one application rejected."""
    yesil = build_tree(registry)
    medeu = build_tree(registry, region=ALMATY_CITY_ID, name="Medeu")
    story = Story(yesil, medeu)
    for i in range(4):
        story.members[f"yesil{i}"] = member(
            registry, yesil.ppo, date(1970 + i * 9, 2, 2), date(2025, 1, 10 + i), female=i % 2 == 0
        )
    for i in range(3):
        story.members[f"medeu{i}"] = member(
            registry, medeu.ppo, date(1985 + i * 6, 6, 6), date(2025, 2, 1 + i), female=i == 1
        )
    rejected = apply(registry, yesil.ppo, person(make_iin(date(1999, 9, 9))), on=date(2025, 2, 5))
    ok(
        registry.writer.execute(
            c.RejectApplication(
                actor="registrar",
                member_id=rejected,
                decision=decided(BodyKind.PPO_MEETING, yesil.ppo, date(2025, 2, 20)),
                reason="incomplete documents",
            )
        )
    )
    moves = story.members["yesil1"]
    ok(
        registry.writer.execute(
            c.RequestTransfer(
                actor="registrar",
                member_id=moves,
                to_organisation_id=medeu.ppo,
                requested_on=date(2025, 5, 1),
                reason=TransferReason.WORKPLACE,
            )
        )
    )
    ok(
        registry.writer.execute(
            c.RegisterTransfer(
                actor="registrar",
                member_id=moves,
                decision=decided(BodyKind.PPO_BUREAU, medeu.ppo, date(2025, 5, 10)),
            )
        )
    )
    withdraw(registry, story.members["yesil2"], date(2025, 8, 1))
    expelled = story.members["medeu0"]
    sanction = ok(
        registry.writer.execute(
            c.ImposeSanction(
                actor="registrar",
                member_id=expelled,
                kind=SanctionKind.EXPULSION,
                decision=decided(BodyKind.PPO_MEETING, medeu.ppo, date(2025, 3, 1)),
                grounds=(ExclusionGround.DISCREDITING_THE_PARTY,),
            )
        )
    )["sanction_id"]
    ok(
        registry.writer.execute(
            c.FileAppeal(
                actor="registrar",
                member_id=expelled,
                sanction_id=UUID(str(sanction)),
                filed_on=date(2025, 3, 10),
                body=decided(BodyKind.BRANCH_BUREAU, medeu.district).body,
                document_reference="Appeal 1",
            )
        )
    )
    ok(
        registry.writer.execute(
            c.DecideAppeal(
                actor="registrar",
                member_id=expelled,
                sanction_id=UUID(str(sanction)),
                outcome=AppealOutcome.ANNULLED,
                decision=decided(BodyKind.BRANCH_BUREAU, medeu.district, date(2025, 4, 1)),
            )
        )
    )
    ok(
        registry.writer.execute(
            c.RenameOrganisation(
                actor="registrar",
                organisation_id=yesil.ppo,
                names=names("Green Yesil PPO"),
                decision=decided(BodyKind.BRANCH_BUREAU, yesil.district, date(2025, 6, 1)),
            )
        )
    )
    other = build_tree(registry, name="Saryarka")
    ok(
        registry.writer.execute(
            c.MoveOrganisation(
                actor="registrar",
                organisation_id=other.ppo,
                to_parent_id=yesil.district,
                decision=decided(BodyKind.PARTY_BUREAU, PARTY_ID, date(2025, 7, 1)),
            )
        )
    )
    return story


def withdraw(registry: Registry, member_id: UUID, on: date) -> None:
    ok(
        registry.writer.execute(
            c.WithdrawMember(
                actor="registrar",
                member_id=member_id,
                application_document=signed(on, "W-1"),
                effective_on=on,
                decision=formalised(on),
            )
        )
    )


def caught_up(registry: Registry) -> None:
    assert registry.read_model.wait_for(registry.read_model.status().head, timeout=10)


# --- the stored rows, as someone with database access sees them ----------------------------------


@contextmanager
def database(registry: Registry) -> Iterator[psycopg.Connection[Any]]:
    url = registry.settings.database_url
    assert url is not None
    with psycopg.connect(url, autocommit=True) as conn:
        yield conn


def events_table(registry: Registry) -> Identifier:
    return Identifier(registry.settings.database_schema, "registry_events")


def audited_table(registry: Registry) -> EventTable:
    """The registry's event table, as the auditor's tool names it."""
    return EventTable.of_service("registry", registry.settings.database_schema)


def rows(registry: Registry) -> list[tuple[int, UUID, int, str, bytes]]:
    with database(registry) as conn:
        return [
            (r[0], r[1], r[2], r[3], bytes(r[4]))
            for r in conn.execute(
                SQL(
                    "SELECT notification_id, originator_id, originator_version, topic, state"
                    " FROM {} ORDER BY notification_id"
                ).format(events_table(registry))
            )
        ]


def tamper(registry: Registry, sql: str, *params: Any) -> None:
    """Run SQL on the event table ({} stands for it), as an intruder would."""
    with database(registry) as conn:
        conn.execute(SQL(sql).format(events_table(registry)), params)


def burn_position(registry: Registry) -> int:
    """Take a position from the log's sequence and never use it (as a failed insert does)."""
    with database(registry) as conn:
        row = conn.execute(
            "SELECT nextval(pg_get_serial_sequence(%s, 'notification_id'))",
            (f'"{registry.settings.database_schema}".registry_events',),
        ).fetchone()
    assert row is not None
    return int(row[0])


def lines(path: Path) -> list[bytes]:
    return path.read_bytes().splitlines(keepends=True)
