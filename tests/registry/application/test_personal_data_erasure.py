"""Erasing a person's data without editing a stored event (DOMAIN §8, Constitution Art. 21)."""

from __future__ import annotations

import base64
import random
from collections.abc import Iterator
from dataclasses import replace
from datetime import date
from pathlib import Path
from typing import Any

import psycopg
import pytest

from partia_registry.adapters.postgres.store import derive_pepper
from partia_registry.application import commands as c
from partia_registry.composition import Registry
from partia_registry.domain.decisions import BodyKind
from partia_registry.domain.members import TerminationGround
from partia_registry.domain.rules import StateConflict
from tests.registry.builders import (
    admit,
    apply,
    build_tree,
    decided,
    formalised,
    make_iin,
    ok,
    person,
    signed,
)


def everything_stored(registry: Registry) -> bytes:
    """Every row of every table in the registry's schema, as raw bytes: what someone with a copy of
    the database (and without the master key) could read."""
    url = registry.settings.database_url
    assert url is not None
    schema = registry.settings.database_schema
    dump = bytearray()
    with psycopg.connect(url) as conn:
        tables = conn.execute(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = %s", (schema,)
        ).fetchall()
        for (name,) in tables:
            for row in conn.execute(f'SELECT * FROM "{schema}"."{name}"').fetchall():
                for value in row:
                    dump += value if isinstance(value, bytes | memoryview) else str(value).encode()
                    dump += b"\x00"
    return bytes(dump)


def former_member(registry: Registry, iin: str) -> Any:
    tree = build_tree(registry)
    member = apply(registry, tree.ppo, person(iin, surname="Жұмабекова", given_name="Гүлназ"))
    admit(registry, member, tree.ppo)
    ok(
        registry.writer.execute(
            c.WithdrawMember(
                actor="registrar",
                member_id=member,
                application_document=signed(date(2026, 6, 1), "W-9"),
                effective_on=date(2026, 6, 1),
                decision=formalised(date(2026, 6, 1)),
            )
        )
    )
    return tree, member


def test_after_erasure_the_database_holds_no_readable_personal_data(registry: Registry) -> None:
    iin = make_iin(date(1979, 11, 3), female=True)
    tree, member = former_member(registry, iin)
    # Before: the data is there to be read through the registry, but not in the clear on disk.
    assert registry.queries.member(member)["person"]["iin"] == iin
    assert iin.encode() not in everything_stored(registry)

    ok(
        registry.writer.execute(
            c.ErasePersonalData(
                actor="registrar",
                member_id=member,
                legal_basis="Law on Personal Data, Art. 18",
                request_reference="REQ-2026-17",
            )
        )
    )

    stored = everything_stored(registry)
    for secret in (
        iin,
        "Жұмабекова",
        "Гүлназ",
        "Мәңгілік Ел",
        "+77011234567",
        "aigerim@example.kz",
    ):
        assert secret.encode() not in stored, secret
    # The stored events themselves were not edited (same count, same versions) ...
    history = registry.queries.member_history(member)
    assert [h["event"] for h in history] == [
        "ApplicationSubmitted",
        "Admitted",
        "Withdrew",
        "PersonalDataErased",
    ]
    # ... and the non-personal facts stay: dates, organisation, card, reason.
    state = registry.queries.member(member)
    assert state["person"] is None
    assert state["personal_data_erased"] is True
    assert (state["organisation_id"], state["end_reason"], state["ended_on"]) == (
        tree.ppo,
        "withdrawal",
        date(2026, 6, 1),
    )
    assert history[0]["details"]["personal"] == "erased"


def test_erasure_is_refused_for_a_current_member(registry: Registry) -> None:
    tree = build_tree(registry)
    member = apply(registry, tree.ppo)
    admit(registry, member, tree.ppo)
    outcome = registry.writer.execute(
        c.ErasePersonalData(
            actor="registrar", member_id=member, legal_basis="request", request_reference="R"
        )
    )
    assert isinstance(outcome.error, StateConflict)
    assert outcome.error.rule == "erasure-while-active"


def test_an_erased_person_may_later_apply_again_as_a_new_record(registry: Registry) -> None:
    iin = make_iin(date(1975, 4, 4))
    tree, member = former_member(registry, iin)
    ok(
        registry.writer.execute(
            c.ErasePersonalData(
                actor="registrar", member_id=member, legal_basis="request", request_reference="R"
            )
        )
    )

    again = apply(registry, tree.ppo, person(iin), on=date(2026, 9, 1))

    assert again != member
    assert registry.queries.member(again)["person"]["iin"] == iin


def test_erasure_survives_a_restart_of_the_registry(registry: Registry, settings: Any) -> None:
    """Keys cached in memory must not outlive the erasure: a fresh process cannot read the data."""
    from partia_registry.composition import open_registry

    iin = make_iin(date(1977, 7, 7))
    _, member = former_member(registry, iin)
    ok(
        registry.writer.execute(
            c.ErasePersonalData(
                actor="registrar", member_id=member, legal_basis="request", request_reference="R"
            )
        )
    )

    fresh = open_registry(settings)
    try:
        assert fresh.queries.member(member)["person"] is None
        assert all(iin not in str(h["details"]) for h in fresh.queries.member_history(member))
    finally:
        fresh.close()


@pytest.mark.parametrize("ground", [TerminationGround.DEATH])
def test_the_member_roll_keeps_counting_correctly_after_erasure(
    registry: Registry, ground: TerminationGround
) -> None:
    tree = build_tree(registry)
    stays = apply(registry, tree.ppo, person(make_iin(date(1980, 1, 1))))
    admit(registry, stays, tree.ppo)
    leaves = apply(registry, tree.ppo, person(make_iin(date(1981, 1, 1))))
    admit(registry, leaves, tree.ppo)
    ok(
        registry.writer.execute(
            c.TerminateMembership(
                actor="registrar",
                member_id=leaves,
                ground=ground,
                decision=decided(BodyKind.PPO_BUREAU, tree.ppo, date(2026, 7, 1)),
            )
        )
    )
    ok(
        registry.writer.execute(
            c.ErasePersonalData(
                actor="registrar",
                member_id=leaves,
                legal_basis="heirs' request",
                request_reference="R",
            )
        )
    )

    _, members = registry.queries.organisation_members(
        tree.ppo, status="member", limit=10, offset=0
    )
    former, total_former = registry.queries.organisation_members(
        tree.ppo, status="former_member", limit=10, offset=0
    )
    assert (members, total_former) == (1, 1)
    assert former[0]["full_name"] is None
    assert former[0]["end_reason"] == "death"


def every_file_of_the_database(url: str) -> Iterator[tuple[Path, bytes]]:
    """After a checkpoint, every file of the server's data directory (table files, WAL, the lot):
    what a copy of that directory holds. Read as root, as an intruder would."""
    with psycopg.connect(url, autocommit=True) as conn:
        assert conn.execute("SHOW is_superuser").fetchone() == ("on",)
        conn.execute("CHECKPOINT")
        row = conn.execute("SHOW data_directory").fetchone()
    assert row is not None
    for path in sorted(Path(row[0]).rglob("*")):
        if path.is_file():
            yield path, path.read_bytes()


def unique_letters(n: int) -> str:
    return "".join(random.choice("абвгдежзиклмнопрстуфхшыэюяәғқңөұүһі") for _ in range(n))


def test_after_erasure_no_file_of_the_database_holds_the_name_the_iin_or_a_key_to_its_digest(
    registry: Registry, settings: Any
) -> None:
    """The README's promise: gone, also from a copy of the database (its files and its WAL)."""
    surname, given, patronymic = (f"{w}{unique_letters(8)}" for w in ("Ж", "Г", "С"))
    iin = make_iin(date(1951, 2, 3), female=True, serial=random.randrange(10_000))
    who = replace(person(iin, surname=surname, given_name=given), patronymic=patronymic)
    tree = build_tree(registry)
    member = apply(registry, tree.ppo, who)
    admit(registry, member, tree.ppo)
    withdraw(registry, member)
    roll, _ = registry.queries.organisation_members(
        tree.ppo, status="former_member", limit=10, offset=0
    )
    assert roll[0]["full_name"] == f"{surname} {given} {patronymic}"  # readable until erased
    ok(
        registry.writer.execute(
            c.ErasePersonalData(
                actor="registrar", member_id=member, legal_basis="request", request_reference="R"
            )
        )
    )
    master_key = settings.master_key_bytes()
    secrets = {
        "surname": surname.encode(),
        "given name": given.encode(),
        "patronymic": patronymic.encode(),
        "IIN": iin.encode(),
        # Without these the IIN digest left in the WAL cannot be checked against any IIN.
        "master key": master_key,
        "master key (base64)": base64.b64encode(master_key),
        "IIN digest key": derive_pepper(master_key),
    }

    found = [
        f"{what} in {path}"
        for path, content in every_file_of_the_database(settings.database_url)
        for what, secret in secrets.items()
        if secret in content
    ]

    assert found == []


def withdraw(registry: Registry, member: Any) -> None:
    ok(
        registry.writer.execute(
            c.WithdrawMember(
                actor="registrar",
                member_id=member,
                application_document=signed(date(2026, 6, 1), "W-9"),
                effective_on=date(2026, 6, 1),
                decision=formalised(date(2026, 6, 1)),
            )
        )
    )
