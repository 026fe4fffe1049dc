"""Rotating the master key without downtime (decision 160): every person's data key is re-wrapped
with the new master key while the registry serves with both configured; erased persons stay
erased; once the old key is removed from the configuration, it opens nothing."""

from __future__ import annotations

import base64
import os
import subprocess
import sys
from contextlib import closing
from datetime import date
from pathlib import Path
from typing import Any
from uuid import UUID

import psycopg
import pytest
from pydantic import SecretStr

from partia_kit.keyrotation import remaining, rotate
from partia_kit.masterkeys import MasterKeyMissing, MasterKeys, key_id
from partia_kit.testing import environment
from partia_registry.adapters.postgres.personal_data import KEY_TABLE
from partia_registry.application import commands as c
from partia_registry.composition import Registry, open_registry
from partia_registry.domain.rules import StateConflict
from partia_registry.settings import RegistrySettings
from tests.registry.builders import (
    admit,
    apply,
    build_tree,
    formalised,
    make_iin,
    ok,
    person,
    signed,
)

PARTIA_REGISTRY = Path(sys.executable).parent / "partia-registry"


def configured(settings: RegistrySettings, current: bytes, *previous: bytes) -> RegistrySettings:
    return settings.model_copy(
        update={
            "master_key": SecretStr(base64.b64encode(current).decode()),
            "previous_master_keys": SecretStr(
                ",".join(base64.b64encode(k).decode() for k in previous)
            ),
        }
    )


def opened(settings: RegistrySettings) -> closing[Registry]:
    return closing(open_registry(settings))


def members(registry: Registry, count: int) -> dict[UUID, str]:
    """`count` applicants, by id, with their IINs."""
    tree = build_tree(registry)
    made = {}
    for i in range(count):
        iin = make_iin(date(1980 + i, 1, 2))
        made[apply(registry, tree.ppo, person(iin))] = iin
    return made


def erase(registry: Registry, member: UUID) -> None:
    """The member is admitted, withdraws, and asks for their data to be erased."""
    ppo = UUID(str(registry.queries.member(member)["organisation_id"]))
    admit(registry, member, ppo)
    ok(
        registry.writer.execute(
            c.WithdrawMember(
                actor="registrar",
                member_id=member,
                application_document=signed(date(2026, 6, 1), "W-1"),
                effective_on=date(2026, 6, 1),
                decision=formalised(date(2026, 6, 1)),
            )
        )
    )
    ok(
        registry.writer.execute(
            c.ErasePersonalData(
                actor="registrar", member_id=member, legal_basis="request", request_reference="R"
            )
        )
    )


def stored_keys(settings: RegistrySettings) -> list[tuple[Any, ...]]:
    with psycopg.connect(str(settings.database_url)) as conn:
        return conn.execute(
            f'SELECT owner_id, wrapped_key, key_id FROM "{settings.database_schema}".{KEY_TABLE}'
            " ORDER BY owner_id"
        ).fetchall()


def rotation(settings: RegistrySettings, **options: Any) -> Any:
    return rotate(
        str(settings.database_url),
        settings.database_schema,
        KEY_TABLE,
        settings.master_keys(),
        **options,
    )


def iin_of(registry: Registry, member: UUID) -> str | None:
    found = registry.queries.member(member)["person"]
    return None if found is None else str(found["iin"])


def test_after_rotation_every_persons_data_opens_with_only_the_new_key(
    settings: RegistrySettings,
) -> None:
    old = settings.master_key_bytes()
    new = os.urandom(32)
    with opened(settings) as registry:
        people = members(registry, 5)
        erased = next(iter(people))
        erase(registry, erased)

    done = rotation(configured(settings, new, old), batch_size=2)

    assert done.complete
    assert done.rewrapped == len(stored_keys(settings))
    assert {row[2] for row in stored_keys(settings)} == {key_id(new)}
    with opened(configured(settings, new)) as registry:
        for member, iin in people.items():
            assert iin_of(registry, member) == (None if member == erased else iin)
        assert registry.queries.member(erased)["personal_data_erased"] is True
        # The IIN index still finds a member: its digest key outlived the rotation.
        ppo = UUID(str(registry.queries.member(erased)["organisation_id"]))
        with pytest.raises(StateConflict):
            apply(registry, ppo, person(list(people.values())[1]))
    # The old key alone opens no stored key, and a service given only it refuses to start.
    for owner, wrapped, wrapped_by in stored_keys(settings):
        with pytest.raises(MasterKeyMissing):
            MasterKeys(old).unwrap(owner, bytes(wrapped), wrapped_by)
    with pytest.raises(MasterKeyMissing, match=f"master key {key_id(new)}"):
        open_registry(configured(settings, old))


def test_half_way_through_a_rotation_the_registry_reads_writes_and_erases_with_both_keys(
    settings: RegistrySettings,
) -> None:
    old = settings.master_key_bytes()
    new = os.urandom(32)
    with opened(settings) as registry:
        people = members(registry, 6)
    both = configured(settings, new, old)
    with opened(both) as registry:
        rotation(both, batch_size=3, max_batches=1)
        assert (
            0
            < remaining(str(both.database_url), both.database_schema, KEY_TABLE, both.master_keys())
            < len(stored_keys(settings))
        )
        for member, iin in people.items():
            assert iin_of(registry, member) == iin
        not_yet = [o for o, _, k in stored_keys(settings) if k != key_id(new) and o in people]
        erase(registry, not_yet[0])
        newcomer_iin = make_iin(date(1999, 9, 9))
        newcomer = apply(
            registry,
            UUID(str(registry.queries.member(not_yet[1])["organisation_id"])),
            person(newcomer_iin),
        )

        rotation(both, batch_size=3)

        assert iin_of(registry, not_yet[0]) is None
    assert {k for _, _, k in stored_keys(settings)} == {key_id(new)}
    assert not_yet[0] not in {o for o, _, _ in stored_keys(settings)}  # erased stays erased
    with opened(configured(settings, new)) as registry:
        assert iin_of(registry, newcomer) == newcomer_iin
        assert iin_of(registry, not_yet[0]) is None
        for member in people.keys() - {not_yet[0]}:
            assert iin_of(registry, member) == people[member]


def test_a_second_rotation_run_changes_nothing(settings: RegistrySettings) -> None:
    old = settings.master_key_bytes()
    both = configured(settings, os.urandom(32), old)
    with opened(settings) as registry:
        members(registry, 3)
    rotation(both)
    before = stored_keys(settings)

    again = rotation(both)

    assert (again.rewrapped, again.complete) == (0, True)
    assert stored_keys(settings) == before


def test_a_key_wrapped_by_an_unconfigured_master_key_is_reported_not_lost(
    settings: RegistrySettings,
) -> None:
    with opened(settings) as registry:
        members(registry, 2)
    before = stored_keys(settings)

    done = rotation(configured(settings, os.urandom(32), os.urandom(32)))  # the old key forgotten

    assert not done.complete
    assert done.rewrapped == 0
    assert len(done.unopened) == len(before)
    assert stored_keys(settings) == before  # nothing overwritten: the right key still opens them


def test_the_command_rotates_and_says_when_the_old_key_may_go(settings: RegistrySettings) -> None:
    old = settings.master_key_bytes()
    new = os.urandom(32)
    with opened(settings) as registry:
        people = members(registry, 2)
    both = configured(settings, new, old)
    env = environment(
        both,
        "registrar=registrar-token",
        PARTIA_PREVIOUS_MASTER_KEYS=base64.b64encode(old).decode(),
    )

    run = subprocess.run(
        [str(PARTIA_REGISTRY), "rotate-master-key", "--batch-size", "2"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )

    assert run.returncode == 0, run.stderr
    assert f"every key is wrapped by master key {key_id(new)}" in run.stdout
    with opened(configured(settings, new)) as registry:
        assert [iin_of(registry, m) for m in people] == list(people.values())


def test_a_key_an_erasure_holds_is_not_waited_for_and_stays_erased(
    settings: RegistrySettings,
) -> None:
    """The rotation skips rows another transaction holds, so it can be in no deadlock with the
    writer; the key the erasure deletes is gone, and a later run finds nothing left to do."""
    new = os.urandom(32)
    both = configured(settings, new, settings.master_key_bytes())
    with opened(settings) as registry:
        people = list(members(registry, 3))
    keys_table = f'"{settings.database_schema}".{KEY_TABLE}'
    with psycopg.connect(str(settings.database_url)) as erasure:
        erasure.execute(f"SELECT 1 FROM {keys_table} WHERE owner_id = %s FOR UPDATE", (people[0],))

        first = rotation(both)  # would wait for the erasure for ever if it took the lock

        assert people[0] not in {o for o, _, k in stored_keys(settings) if k == key_id(new)}
        erasure.execute(f"DELETE FROM {keys_table} WHERE owner_id = %s", (people[0],))
    again = rotation(both)

    assert first.complete
    assert again.rewrapped == 0
    assert people[0] not in {o for o, _, _ in stored_keys(settings)}
    assert (
        remaining(str(both.database_url), both.database_schema, KEY_TABLE, both.master_keys()) == 0
    )


def test_the_previous_keys_are_read_from_a_file_in_the_secrets_dir(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Decision 162: keys come from files a secrets manager mounts, not from the environment."""
    current, older, oldest = os.urandom(32), os.urandom(32), os.urandom(32)
    (tmp_path / "partia_master_key").write_text(base64.b64encode(current).decode() + "\n")
    (tmp_path / "partia_previous_master_keys").write_text(
        f"{base64.b64encode(older).decode()}, {base64.b64encode(oldest).decode()}\n"
    )
    monkeypatch.setenv("PARTIA_SECRETS_DIR", str(tmp_path))
    monkeypatch.delenv("PARTIA_MASTER_KEY", raising=False)
    monkeypatch.delenv("PARTIA_PREVIOUS_MASTER_KEYS", raising=False)

    keys = RegistrySettings(database_url="postgresql://db/partia").master_keys()

    assert keys.ids == [key_id(current), key_id(older), key_id(oldest)]
