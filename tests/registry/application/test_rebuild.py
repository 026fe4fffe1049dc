"""A rebuild folds the log inside PostgreSQL (projections/rebuild.py) while the live read model
folds it event by event in Python (projections/ledger.py): both must write exactly the same rows,
or a rebuild would quietly change what the rolls and the structure report say."""

from __future__ import annotations

import random
from collections import Counter
from datetime import date
from typing import Any
from uuid import UUID, uuid4

import psycopg
import pytest
from psycopg.sql import SQL, Identifier

from bench import party
from partia_registry.composition import Registry
from partia_registry.projections.tables import Generation
from tests.registry.application.test_read_model import (
    caught_up,
    every_kind_of_step,
    member,
    roll_ids,
)
from tests.registry.builders import build_tree


def contents(registry: Registry, generation: Generation) -> dict[str, Any]:
    """Every row of a generation's tables, in a form that compares regardless of row order."""

    def rows(sql: str, table: str) -> list[tuple[Any, ...]]:
        found = registry.store.query(SQL(sql).format(generation.table(table)))
        return [tuple(row.values()) for row in found]

    return {
        "spells": rows("SELECT * FROM {} ORDER BY spell_id", "spells"),
        "organisations": rows("SELECT * FROM {} ORDER BY spell_id", "organisations"),
        "facts": Counter(rows("SELECT * FROM {}", "facts")),
        "people": sorted(rows("SELECT * FROM {}", "people")),
        # The live fold keeps a count that went back to zero; a rebuild has no row for it.
        "current": sorted(rows("SELECT * FROM {} WHERE n <> 0", "current")),
        "tracking": rows("SELECT * FROM {}", "tracking"),
    }


def rebuilt_matches_live(registry: Registry) -> dict[str, Any]:
    caught_up(registry)
    live = contents(registry, registry.read_model.generation)
    before = registry.read_model.generation.number
    registry.read_model.rebuild(wait=True)
    assert registry.read_model.generation.number == before + 1, "the rebuild did not switch"
    rebuilt = contents(registry, registry.read_model.generation)
    for table in live:
        assert rebuilt[table] == live[table], f"the rebuilt {table} differ from the live ones"
    return rebuilt


def test_a_rebuild_writes_what_the_live_fold_wrote_for_every_kind_of_step(
    registry: Registry,
) -> None:
    every_kind_of_step(registry)

    rebuilt = rebuilt_matches_live(registry)

    kinds = {fact[0] for fact in rebuilt["facts"]}
    assert kinds == {"admitted", "ended", "transfer_in", "transfer_out", "restored"}
    assert any(spell[6] == "transfer" for spell in rebuilt["spells"])


@pytest.mark.parametrize("seed", [7, 2026])
def test_a_rebuild_writes_what_the_live_fold_wrote_for_a_generated_party(
    registry: Registry, seed: int
) -> None:
    """The benchmark's generator: admissions, rejections, transfers, sanctions with appeals (some
    annulled: restorations), withdrawals, terminations and re-applications, made by the domain's
    own commands and saved through the registry's store."""
    tree = party.build_tree(12, seed)
    cumulative = [sum(tree.ppo_weights[: i + 1]) for i in range(len(tree.ppo_weights))]
    save_in_batches(registry, tree.organisations)
    job = party.ChunkJob(
        chunk=0,
        first=0,
        count=400,
        members_total=400,
        seed=seed,
        past=date(2025, 6, 30),
        outdir="",
        ppos=tree.ppos,
        cum_weights=cumulative,
        ancestry=tree.ancestry,
    )
    rng = random.Random(seed)
    members = [party.GeneratedPerson(job, i, rng).build() for i in range(job.count)]
    save_in_batches(registry, members)

    rebuilt = rebuilt_matches_live(registry)

    assert len(rebuilt["spells"]) > len(members) / 2
    assert {"admitted", "ended", "transfer_in"} <= {fact[0] for fact in rebuilt["facts"]}


def save_in_batches(registry: Registry, aggregates: list[Any], size: int = 100) -> None:
    for start in range(0, len(aggregates), size):
        uow = registry.store.unit_of_work()
        for aggregate in aggregates[start : start + size]:
            uow.add(aggregate)
        uow.commit()


def copy_member_with_nul_references(registry: Registry, member: UUID) -> UUID:
    """Store a member's events once more under a new id, as an older version stored them: with
    a NUL character (the JSON escape \\u0000) in the application's and the admission's
    references. Inserted straight into the log, bypassing today's validation."""
    twin = uuid4()
    log = Identifier(registry.store.schema, registry.store.events_table)
    text = SQL("convert_from(state, 'UTF8')")
    assert registry.settings.database_url is not None
    with psycopg.connect(registry.settings.database_url, autocommit=True) as conn:
        conn.execute(
            SQL(
                "INSERT INTO {log} (originator_id, originator_version, topic, state)"
                " SELECT %s, originator_version, topic,"
                " convert_to(replace(replace({text}, 'APP-1', %s), 'Minutes 1', %s), 'UTF8')"
                " FROM {log} WHERE originator_id = %s ORDER BY originator_version"
            ).format(log=log, text=text),
            (twin, "Ref\\u0000X", "Minutes\\u0000 1", member),
        )
    stored = registry.store.query(
        SQL("SELECT count(*) AS n FROM {} WHERE originator_id = %s AND strpos({}, %s) > 0").format(
            log, text
        ),
        (twin, "\\u0000"),
    )
    assert stored[0]["n"] == 2, "the copies do not hold the escape"
    return twin


def test_a_rebuild_copes_with_a_nul_character_stored_by_an_older_version(
    registry: Registry,
) -> None:
    tree = build_tree(registry)
    original = member(registry, tree.ppo, date(1970, 5, 5), date(2025, 2, 1), female=True)
    twin = copy_member_with_nul_references(registry, original)

    rebuilt_matches_live(registry)

    assert set(roll_ids(registry, tree.ppo)) == {original, twin}
    assert registry.read_model.status().last_failure is None
