"""Names in the member index are sealed with the person's key; older installations are sealed on
start (decision 021)."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import psycopg
from psycopg.sql import SQL, Identifier

from partia_registry.adapters.postgres.indexes import MEMBER_INDEX
from partia_registry.adapters.postgres.sealing import seal_clear_names
from partia_registry.application import commands as c
from partia_registry.composition import Registry, open_registry
from partia_registry.domain.decisions import BodyKind
from tests.registry.builders import admit, apply, build_tree, decided, make_iin, ok, person


def test_the_member_index_holds_no_name_in_the_clear(registry: Registry) -> None:
    tree = build_tree(registry)
    member = apply(registry, tree.ppo, person(make_iin(date(1982, 2, 2)), surname="Сейітқали"))
    admit(registry, member, tree.ppo)

    with psycopg.connect(str(registry.settings.database_url)) as conn:
        stored = conn.execute(
            SQL("SELECT * FROM {}").format(Identifier(registry.store.schema, MEMBER_INDEX))
        ).fetchall()
    rows, _ = registry.queries.organisation_members(tree.ppo, status="member", limit=5, offset=0)

    on_disk = b"".join(raw(value) for row in stored for value in row)
    for part in ("Сейітқали", "Айгерім", "Серікқызы"):
        assert part.encode("utf-8") not in on_disk, part
    assert rows[0]["full_name"] == "Сейітқали Айгерім Серікқызы"


def raw(value: object) -> bytes:
    """A column's value as the bytes PostgreSQL keeps: a bytea as is, text in UTF-8 (the
    database's encoding). `repr()` would escape non-ASCII bytes and hide a clear name in a bytea."""
    if isinstance(value, bytes | bytearray | memoryview):
        return bytes(value)
    return str(value).encode("utf-8")


def as_an_older_version_left_it(registry: Registry, names: dict[Any, str]) -> None:
    """The member index as versions before decision 021 wrote it: names in a text column."""
    members = Identifier(registry.store.schema, MEMBER_INDEX)
    with psycopg.connect(str(registry.settings.database_url), autocommit=True) as conn:
        conn.execute(SQL("ALTER TABLE {} DROP COLUMN sealed_name").format(members))
        conn.execute(SQL("ALTER TABLE {} ADD COLUMN full_name text").format(members))
        for member_id, name in names.items():
            conn.execute(
                SQL("UPDATE {} SET full_name = %s WHERE member_id = %s").format(members),
                (name, member_id),
            )


def table_file(registry: Registry) -> bytes:
    """The member index's table file as on disk (after a checkpoint has written it out)."""
    with psycopg.connect(str(registry.settings.database_url), autocommit=True) as conn:
        conn.execute("CHECKPOINT")
        directory = conn.execute("SHOW data_directory").fetchone()
        relative = conn.execute(
            "SELECT pg_relation_filepath(%s::regclass)",
            (f"{registry.store.schema}.{MEMBER_INDEX}",),
        ).fetchone()
    assert directory is not None
    assert relative is not None
    return (Path(directory[0]) / relative[0]).read_bytes()


def test_an_older_installation_has_its_clear_names_sealed_on_start_and_erased_ones_blanked(
    registry: Registry, settings: Any
) -> None:
    tree = build_tree(registry)
    stays = apply(registry, tree.ppo, person(make_iin(date(1983, 3, 3)), surname="Қалиева"))
    admit(registry, stays, tree.ppo)
    erased = apply(registry, tree.ppo, person(make_iin(date(1984, 4, 4)), surname="Бөкейхан"))
    ok(
        registry.writer.execute(
            c.RejectApplication(
                actor="registrar",
                member_id=erased,
                decision=decided(BodyKind.PPO_BUREAU, tree.ppo, date(2026, 3, 5)),
                reason="incomplete application",
            )
        )
    )
    ok(
        registry.writer.execute(
            c.ErasePersonalData(
                actor="registrar", member_id=erased, legal_basis="request", request_reference="R"
            )
        )
    )
    as_an_older_version_left_it(
        registry, {stays: "Қалиева Айгерім Серікқызы", erased: "Бөкейхан Айгерім Серікқызы"}
    )
    assert "Қалиева".encode() in table_file(registry)

    restarted = open_registry(settings)
    try:
        members, _ = restarted.queries.organisation_members(
            tree.ppo, status="member", limit=5, offset=0
        )
        rejected, _ = restarted.queries.organisation_members(
            tree.ppo, status="rejected", limit=5, offset=0
        )
        again = seal_clear_names(
            restarted.events.datastore, restarted.store.schema, restarted.events.vault
        )
    finally:
        restarted.close()

    assert [m["full_name"] for m in members] == ["Қалиева Айгерім Серікқызы"]
    assert [m["full_name"] for m in rejected] == [None]
    assert again == 0  # a second start (or a second process) finds nothing to do
    written = table_file(registry)
    assert "Қалиева".encode() not in written
    assert "Бөкейхан".encode() not in written
