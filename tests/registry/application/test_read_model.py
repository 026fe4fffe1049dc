"""Rolls on any date, the structure report, and a read model that survives restarts and rebuilds."""

from __future__ import annotations

import threading
from datetime import date
from typing import Any
from uuid import UUID

import psycopg
import pytest
from psycopg.sql import SQL, Identifier

from partia_kit import migrate
from partia_kit.testing import wait_for
from partia_registry.application import commands as c
from partia_registry.composition import (
    EVENTS_TABLE,
    Registry,
    open_registry,
    projection_runner,
)
from partia_registry.domain.decisions import BodyKind
from partia_registry.domain.discipline import AppealOutcome, ExclusionGround, SanctionKind
from partia_registry.domain.members import TransferReason
from partia_registry.migrations import for_schema
from partia_registry.projections import tables
from partia_registry.projections.ledger import Changes, MembershipLedger
from partia_registry.projections.runner import ProjectionRunner
from tests.registry.builders import (
    ALMATY_CITY_ID,
    ASTANA_ID,
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


def caught_up(registry: Registry, receipt_positions: Any = None) -> None:
    head = registry.read_model.status().head
    assert registry.read_model.wait_for(head, timeout=10)


def runner_of(registry: Registry) -> ProjectionRunner:
    """The read-model runner the test's registry runs in its own process."""
    assert registry.projection is not None
    return registry.projection


def member(registry: Registry, ppo: UUID, born: date, admitted: date, female: bool = False) -> UUID:
    someone = apply(registry, ppo, person(make_iin(born, female=female)), on=admitted)
    admit(registry, someone, ppo, on=admitted)
    return someone


def roll_ids(
    registry: Registry, organisation: UUID, on: date | None = None, subtree: bool = False
) -> list[UUID]:
    rows, total = registry.reports.roll(
        organisation, on=on, subtree=subtree, sort="card_number", limit=None, offset=0
    )
    assert total == len(rows)
    return [r["member_id"] for r in rows]


def test_a_roll_on_a_past_date_follows_admissions_transfers_and_exits(registry: Registry) -> None:
    """Ch. 4.2: each organisation keeps its list; a transfer moves a member between lists."""
    yesil, medeu = build_tree(registry), build_tree(registry, region=ALMATY_CITY_ID, name="Medeu")
    stays = member(registry, yesil.ppo, date(1980, 1, 1), date(2025, 1, 10))
    moves = member(registry, yesil.ppo, date(1981, 1, 1), date(2025, 1, 10))
    leaves = member(registry, yesil.ppo, date(1982, 1, 1), date(2025, 2, 1))
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
    ok(
        registry.writer.execute(
            c.WithdrawMember(
                actor="registrar",
                member_id=leaves,
                application_document=signed(date(2025, 8, 1), "W"),
                effective_on=date(2025, 8, 1),
                decision=formalised(date(2025, 8, 1)),
            )
        )
    )
    caught_up(registry)

    assert set(roll_ids(registry, yesil.ppo, date(2025, 1, 31))) == {stays, moves}
    assert set(roll_ids(registry, yesil.ppo, date(2025, 5, 9))) == {stays, moves, leaves}
    assert set(roll_ids(registry, yesil.ppo, date(2025, 5, 10))) == {stays, leaves}
    assert set(roll_ids(registry, medeu.ppo, date(2025, 5, 10))) == {moves}
    assert set(roll_ids(registry, yesil.ppo)) == {stays}
    # The whole party never shows anyone twice, on any day.
    party = build_tree.__globals__["PARTY_ID"]
    for day in (date(2025, 1, 10), date(2025, 5, 9), date(2025, 5, 10), date(2025, 12, 31)):
        everyone = roll_ids(registry, party, day, subtree=True)
        assert len(everyone) == len(set(everyone))
    assert set(roll_ids(registry, ASTANA_ID, date(2025, 5, 10), subtree=True)) == {stays, leaves}


def test_an_annulled_expulsion_puts_the_member_back_on_past_rolls_too(registry: Registry) -> None:
    """Ch. 5.1: restored as if the membership had not ended."""
    tree = build_tree(registry)
    someone = member(registry, tree.ppo, date(1975, 3, 3), date(2025, 1, 10))
    expelled = ok(
        registry.writer.execute(
            c.ImposeSanction(
                actor="registrar",
                member_id=someone,
                kind=SanctionKind.EXPULSION,
                decision=decided(BodyKind.PPO_MEETING, tree.ppo, date(2025, 3, 1)),
                grounds=(ExclusionGround.DISCREDITING_THE_PARTY,),
            )
        )
    )
    caught_up(registry)
    assert roll_ids(registry, tree.ppo, date(2025, 4, 1)) == []

    sanction = UUID(str(expelled["sanction_id"]))
    ok(
        registry.writer.execute(
            c.FileAppeal(
                actor="registrar",
                member_id=someone,
                sanction_id=sanction,
                filed_on=date(2025, 4, 1),
                body=decided(BodyKind.BRANCH_BUREAU, tree.district).body,
                document_reference="A",
            )
        )
    )
    ok(
        registry.writer.execute(
            c.DecideAppeal(
                actor="registrar",
                member_id=someone,
                sanction_id=sanction,
                outcome=AppealOutcome.ANNULLED,
                decision=decided(BodyKind.BRANCH_BUREAU, tree.district, date(2025, 5, 1)),
            )
        )
    )
    caught_up(registry)
    assert roll_ids(registry, tree.ppo, date(2025, 4, 1)) == [someone]


def test_the_structure_report_counts_levels_and_names_the_branches_below_the_threshold(
    registry: Registry,
) -> None:
    """Ch. 4.3 (the report), Ch. 6.6 (three members), registration thresholds (seeds/004)."""
    small = build_tree(registry)
    members = [
        member(registry, small.ppo, date(1990 + i, 1, 1), date(2025, 1, 10), female=i % 2 == 0)
        for i in range(2)
    ]
    caught_up(registry)

    report = registry.reports.structure(on=None)

    assert report["members"] == len(members)
    assert report["organisations"]["regional_branch"] == 20
    assert [u["organisation_id"] for u in report["findings"]["ppos_below_three"]] == [small.ppo]
    assert report["thresholds"]["party_meets_minimum"] is False
    assert len(report["thresholds"]["regional_branches_short"]) == 20
    astana = next(u for u in report["units"] if u["organisation_id"] == ASTANA_ID)
    assert (astana["members"], astana["direct_members"]) == (2, 0)
    assert report["composition"]["by_sex"] == {"female": 1, "male": 1}
    assert sum(report["composition"]["by_age_band"].values()) == 2
    before = registry.reports.structure(on=date(2024, 12, 31))
    assert before["members"] == 0


def test_movements_over_a_period_count_admissions_exits_and_transfers(registry: Registry) -> None:
    tree, other = build_tree(registry), build_tree(registry, name="Saryarka")
    a = member(registry, tree.ppo, date(1970, 1, 1), date(2025, 2, 1))
    member(registry, tree.ppo, date(1971, 1, 1), date(2025, 3, 1))
    ok(
        registry.writer.execute(
            c.RequestTransfer(
                actor="registrar",
                member_id=a,
                to_organisation_id=other.ppo,
                requested_on=date(2025, 4, 1),
                reason=TransferReason.OTHER,
            )
        )
    )
    ok(
        registry.writer.execute(
            c.RegisterTransfer(
                actor="registrar",
                member_id=a,
                decision=decided(BodyKind.PPO_BUREAU, other.ppo, date(2025, 4, 2)),
            )
        )
    )
    ok(
        registry.writer.execute(
            c.WithdrawMember(
                actor="registrar",
                member_id=a,
                application_document=signed(date(2025, 6, 1), "W"),
                effective_on=date(2025, 6, 1),
                decision=formalised(date(2025, 6, 1)),
            )
        )
    )
    caught_up(registry)

    q1 = registry.reports.movements(start=date(2025, 1, 1), end=date(2025, 3, 31))
    year = registry.reports.movements(start=date(2025, 1, 1), end=date(2025, 12, 31))
    assert (q1["admissions"], q1["exits"], q1["transfers_in"]) == (2, 0, 0)
    assert (year["transfers_in"], year["transfers_out"], year["exits_by_reason"]) == (
        1,
        1,
        {"withdrawal": 1},
    )


def test_a_restarted_read_model_continues_without_losing_or_double_counting(
    registry: Registry,
    settings: Any,
) -> None:
    tree = build_tree(registry)
    first = member(registry, tree.ppo, date(1960, 1, 1), date(2025, 1, 10))
    caught_up(registry)
    runner_of(registry).stop()  # as if the process died here
    second = member(registry, tree.ppo, date(1961, 1, 1), date(2025, 1, 11))

    restarted = open_registry(settings)
    try:
        assert restarted.read_model.wait_for(restarted.read_model.status().head, timeout=10)
        rows, total = restarted.reports.roll(
            tree.ppo, on=None, subtree=False, sort="card_number", limit=None, offset=0
        )
        assert total == 2
        assert {r["member_id"] for r in rows} == {first, second}
        assert (
            restarted.reports.movements(start=date(2025, 1, 1), end=date(2025, 12, 31))[
                "admissions"
            ]
            == 2
        )
    finally:
        restarted.close()


def test_a_rebuild_gives_the_same_answers_and_switches_generations(registry: Registry) -> None:
    tree = build_tree(registry)
    for i in range(4):
        member(registry, tree.ppo, date(1960 + i, 1, 1), date(2025, 1, 10 + i))
    caught_up(registry)
    before = registry.reports.structure(on=date(2025, 1, 12))
    generation = registry.read_model.generation.number

    registry.read_model.rebuild(wait=True)

    assert registry.read_model.generation.number == generation + 1
    assert registry.reports.structure(on=date(2025, 1, 12)) == before
    assert len(roll_ids(registry, tree.ppo)) == 4


def test_a_second_rebuild_while_a_read_holds_the_retired_generation_fails_neither(
    registry: Registry, settings: Any
) -> None:
    """Two rebuilds within the grace period (issue 8, item 1): the second switch used to drop the
    first's retired tables in its own transaction, waiting behind every read of them and
    deadlocking with a read that locks them in another order (the roll's page and total lock
    `current`, then `spells`): a 500 for the read, or a failed rebuild. The switch now leaves
    them; they go, without waiting, once nobody reads them."""
    tree = build_tree(registry)
    member(registry, tree.ppo, date(1960, 1, 1), date(2025, 1, 10))
    caught_up(registry)
    first = registry.read_model.generation.number
    registry.read_model.rebuild(wait=True)
    url, schema = str(settings.database_url), settings.database_schema
    old = tables.Generation(schema, first)

    with psycopg.connect(url) as reader:  # one transaction, as a read of the roll is
        reader.execute(SQL("SELECT count(*) FROM {}").format(old.table("current")))
        second = threading.Thread(target=registry.read_model.rebuild, kwargs={"wait": True})
        second.start()
        second.join(60)
        assert not second.is_alive()
        # the read goes on to its next table (it used to deadlock with the DROP here)
        reader.execute(SQL("SELECT count(*) FROM {}").format(old.table("spells")))
        assert first in present(url, schema)  # still read: not dropped under the read

    with psycopg.connect(url) as conn:
        row = tables.state(conn, schema)
    assert row["last_rebuild"]["outcome"] == "succeeded"
    assert row["generation"] == registry.read_model.refresh().number > first + 1
    wait_for(lambda: first not in present(url, schema), what="the unread generation's drop")
    assert len(roll_ids(registry, tree.ppo)) == 1


def present(url: str, schema: str) -> set[int]:
    with psycopg.connect(url) as conn:
        return tables.generations_present(conn, schema)


def test_the_fast_reader_of_stored_events_agrees_with_the_domain_events(registry: Registry) -> None:
    """The read model reads stored JSON directly for speed; it must mean what the events mean."""
    from eventsourcing.persistence import StoredEvent
    from psycopg.sql import SQL, Identifier

    from partia_registry.projections.ledger import steps_from_event
    from partia_registry.projections.stored import steps_from_stored

    every_kind_of_step(registry)

    rows = registry.store.query(
        SQL("SELECT originator_id, originator_version, topic, state FROM {}").format(
            Identifier(registry.store.schema, "registry_events")
        )
    )
    mapper = registry.events.vault_mapper().without_personal_data()
    kinds = set()
    for r in rows:
        stored = StoredEvent(
            r["originator_id"], r["originator_version"], r["topic"], bytes(r["state"])
        )
        expected = steps_from_event(mapper.to_domain_event(stored))
        assert steps_from_stored(stored.topic, stored.state, stored.originator_id) == expected
        kinds.update(type(step).__name__ for step in expected)
    assert kinds == {
        "Applied",
        "Admitted",
        "Moved",
        "Left",
        "Restored",
        "UnitFounded",
        "UnitMoved",
        "UnitDissolved",
    }


def every_kind_of_step(registry: Registry) -> None:
    """A history with every kind of step on the rolls: admission, transfer, expulsion annulled
    on appeal (a restoration), withdrawal; an organisation founded, moved and dissolved."""
    home, away = build_tree(registry), build_tree(registry, name="Saryarka")
    someone = member(registry, home.ppo, date(1977, 7, 7), date(2025, 1, 10))
    ok(
        registry.writer.execute(
            c.RequestTransfer(
                actor="registrar",
                member_id=someone,
                to_organisation_id=away.ppo,
                requested_on=date(2025, 2, 1),
                reason=TransferReason.RESIDENCE_CHANGE,
            )
        )
    )
    ok(
        registry.writer.execute(
            c.RegisterTransfer(
                actor="registrar",
                member_id=someone,
                decision=decided(BodyKind.PPO_BUREAU, away.ppo, date(2025, 2, 2)),
            )
        )
    )
    expelled = ok(
        registry.writer.execute(
            c.ImposeSanction(
                actor="registrar",
                member_id=someone,
                kind=SanctionKind.EXPULSION,
                decision=decided(BodyKind.PPO_MEETING, away.ppo, date(2025, 3, 1)),
                grounds=(ExclusionGround.CORRUPTION_OFFENCE,),
            )
        )
    )
    sanction = UUID(str(expelled["sanction_id"]))
    ok(
        registry.writer.execute(
            c.FileAppeal(
                actor="registrar",
                member_id=someone,
                sanction_id=sanction,
                filed_on=date(2025, 3, 5),
                body=decided(BodyKind.BRANCH_BUREAU, away.district).body,
                document_reference="A",
            )
        )
    )
    ok(
        registry.writer.execute(
            c.DecideAppeal(
                actor="registrar",
                member_id=someone,
                sanction_id=sanction,
                outcome=AppealOutcome.ANNULLED,
                decision=decided(BodyKind.BRANCH_BUREAU, away.district, date(2025, 3, 9)),
            )
        )
    )
    ok(
        registry.writer.execute(
            c.WithdrawMember(
                actor="registrar",
                member_id=someone,
                application_document=signed(date(2025, 4, 1), "W"),
                effective_on=date(2025, 4, 1),
                decision=formalised(date(2025, 4, 1)),
            )
        )
    )
    ok(
        registry.writer.execute(
            c.MoveOrganisation(
                actor="registrar",
                organisation_id=home.ppo,
                to_parent_id=away.district,
                decision=decided(BodyKind.BRANCH_BUREAU, home.region, date(2025, 5, 1)),
            )
        )
    )
    ok(
        registry.writer.execute(
            c.DissolveOrganisation(
                actor="registrar",
                organisation_id=home.ppo,
                decision=decided(BodyKind.BRANCH_BUREAU, away.district, date(2025, 6, 1)),
            )
        )
    )


def test_someone_who_applies_again_in_one_batch_of_the_read_model_does_not_stall_it(
    registry: Registry,
) -> None:
    """A rejected applicant may apply again; while the read model was behind, both applications
    reach it in one batch (found by the rebuild's comparison with a generated party)."""
    tree = build_tree(registry)
    runner_of(registry).stop()
    who = person(make_iin(date(1985, 2, 2)))
    first = apply(registry, tree.ppo, who, on=date(2025, 3, 1))
    ok(
        registry.writer.execute(
            c.RejectApplication(
                actor="registrar",
                member_id=first,
                decision=decided(BodyKind.PPO_MEETING, tree.ppo, date(2025, 3, 5)),
                reason="the applicant did not attend the meeting",
            )
        )
    )
    again = apply(registry, tree.ppo, who, on=date(2025, 4, 1))
    admit(registry, again, tree.ppo, on=date(2025, 4, 10))

    assert runner_of(registry).catch_up() > 0

    assert again == first
    assert roll_ids(registry, tree.ppo) == [first]


def test_todays_roll_by_pages_agrees_with_the_whole_roll_after_an_exit(registry: Registry) -> None:
    """Today's roll by card number is read page by page off its own index, its total from
    today's counts; it must say what the whole roll says."""
    tree = build_tree(registry)
    people = [member(registry, tree.ppo, date(1970 + i, 1, 1), date(2025, 1, 10)) for i in range(5)]
    ok(
        registry.writer.execute(
            c.WithdrawMember(
                actor="registrar",
                member_id=people[2],
                application_document=signed(date(2025, 3, 1), "W"),
                effective_on=date(2025, 3, 1),
                decision=formalised(date(2025, 3, 1)),
            )
        )
    )
    caught_up(registry)

    pages = [
        registry.reports.roll(
            tree.ppo, on=None, subtree=False, sort="card_number", limit=3, offset=offset
        )
        for offset in (0, 3, 6)
    ]

    assert [total for _, total in pages] == [4, 4, 4]
    paged = [row["member_id"] for rows, _ in pages for row in rows]
    assert paged == roll_ids(registry, tree.ppo)
    assert people[2] not in paged
    assert len(paged) == 4


def test_the_composition_names_every_sex_with_its_count_even_zero_after_a_rebuild(
    registry: Registry,
) -> None:
    """Ch. 4.3's composition: a spreadsheet reading `female` must find it, also at zero."""
    tree = build_tree(registry)
    for i in range(2):
        member(registry, tree.ppo, date(1960 + i, 1, 1), date(2025, 1, 10 + i))
    caught_up(registry)
    expected = {"female": 0, "male": 2}
    assert registry.reports.structure(on=None)["composition"]["by_sex"] == expected

    registry.read_model.rebuild(wait=True)

    assert registry.reports.structure(on=None)["composition"]["by_sex"] == expected
    assert registry.reports.structure(on=date(2025, 6, 1))["composition"]["by_sex"] == expected


def test_a_second_runner_stands_by_and_takes_over_only_when_the_first_stops(
    registry: Registry, settings: Any
) -> None:
    tree = build_tree(registry)
    member(registry, tree.ppo, date(1960, 1, 1), date(2025, 1, 10))
    caught_up(registry)
    second = projection_runner(settings, str(settings.database_url))

    member(registry, tree.ppo, date(1961, 1, 1), date(2025, 1, 11))
    assert second.catch_up() == 0  # the registry's own runner holds the lock
    assert not second.active
    caught_up(registry)
    runner_of(registry).stop()
    member(registry, tree.ppo, date(1962, 1, 1), date(2025, 1, 12))
    try:
        assert second.catch_up() > 0
        assert second.active
    finally:
        second.stop()

    assert len(roll_ids(registry, tree.ppo)) == 3
    assert registry.reports.structure(on=None)["members"] == 3


def test_a_batch_from_a_stale_position_is_refused_and_changes_nothing(
    registry: Registry, settings: Any
) -> None:
    """The guard behind the lock: a runner that lost its lock without noticing cannot apply a
    batch that another runner applied already."""
    tree = build_tree(registry)
    someone = member(registry, tree.ppo, date(1960, 1, 1), date(2025, 1, 10))
    caught_up(registry)
    generation = registry.read_model.generation
    position = registry.read_model.position()
    again = Changes()
    again.current[(tree.ppo, "male", 1960)] += 1

    with (
        psycopg.connect(str(settings.database_url), autocommit=True) as conn,
        pytest.raises(tables.PositionMoved),
        conn.transaction(),
    ):
        tables.write_changes(
            conn, generation, again, [], position, MembershipLedger(), previous=position - 1
        )

    assert registry.read_model.position() == position
    assert roll_ids(registry, tree.ppo) == [someone]
    assert registry.reports.structure(on=None)["members"] == 1


class HeldConnect:
    """A runner's `connect` that, once armed, holds its `skip`+1-th caller until released (and
    then fails it, if told to): lets a test stop a rebuild thread at a known point."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.countdown: int | None = None
        self.reached, self.released = threading.Event(), threading.Event()
        self.fail = False

    def arm(self, skip: int = 0) -> None:
        self.countdown = skip

    def __call__(self) -> psycopg.Connection[Any]:
        if self.countdown is not None:
            if self.countdown == 0:
                self.countdown = None
                self.reached.set()
                assert self.released.wait(60)
                if self.fail:
                    raise psycopg.OperationalError("the connection broke")
            else:
                self.countdown -= 1
        return psycopg.connect(self.url, autocommit=True)


def test_a_stale_runners_failed_rebuild_leaves_the_new_active_runners_rebuild_alone(
    registry: Registry, settings: Any
) -> None:
    """A runner that lost its lock mid-rebuild (its session broke) must not clear the rebuild
    state nor drop the tables of the rebuild the runner that took over is doing."""
    tree = build_tree(registry)
    member(registry, tree.ppo, date(1960, 1, 1), date(2025, 1, 10))
    caught_up(registry)
    runner_of(registry).stop()
    url, schema = str(settings.database_url), settings.database_schema
    stale_connect, new_connect = HeldConnect(url), HeldConnect(url)
    stale = ProjectionRunner(stale_connect, schema, EVENTS_TABLE)
    new = ProjectionRunner(new_connect, schema, EVENTS_TABLE)
    assert stale.catch_up() == 0
    assert stale.active

    stale_connect.arm()  # the stale rebuild's first connection waits
    stale.rebuild()
    stale_thread = stale._rebuild
    assert stale_connect.reached.wait(60)
    with stale._lock:
        stale._step_down()  # what `_follow` does after any exception: the lock is gone
    new.catch_up()
    assert new.active
    new_connect.arm(skip=1)  # the new rebuild creates its tables, then waits
    new.rebuild()
    new_thread = new._rebuild
    assert new_connect.reached.wait(60)
    with psycopg.connect(url, autocommit=True) as conn:
        building = tables.state(conn, schema)["rebuilding"]["generation"]

    stale_connect.fail = True
    stale_connect.released.set()  # the stale rebuild fails now
    assert stale_thread is not None
    stale_thread.join(60)

    with psycopg.connect(url, autocommit=True) as conn:
        assert tables.state(conn, schema)["rebuilding"]["generation"] == building
    new_connect.released.set()
    assert new_thread is not None
    new_thread.join(60)
    try:
        with psycopg.connect(url, autocommit=True) as conn:
            row = tables.state(conn, schema)
        assert row["last_rebuild"]["outcome"] == "succeeded"
        assert row["generation"] == building
        assert registry.reports.structure(on=None)["members"] == 1
    finally:
        new.stop()
        stale.stop()


def test_starting_another_process_takes_no_exclusive_lock_on_the_read_models_pointer(
    registry: Registry, settings: Any
) -> None:
    """Every process start and every take-over prepares the read model; when its columns exist
    that must not lock the pointer row's table against every process's generation look-up."""
    with psycopg.connect(str(settings.database_url), autocommit=True) as conn:
        with conn.transaction():
            tables.prepare(conn, settings.database_schema)
            locks = conn.execute(
                "SELECT l.mode FROM pg_locks l JOIN pg_class c ON c.oid = l.relation"
                " WHERE l.pid = pg_backend_pid() AND c.relname = %s",
                (tables.POINTER,),
            ).fetchall()
        assert "AccessExclusiveLock" not in {mode for (mode,) in locks}


def test_a_database_from_before_the_generation_sequence_numbers_rebuilds_past_every_generation(
    registry: Registry, settings: Any
) -> None:
    """An older version numbered rebuilds current + 1 and kept no sequence (nor versioned
    migrations): the sequence the first migration makes must begin after every generation whose
    tables exist, retired ones included."""
    url, schema = str(settings.database_url), settings.database_schema
    runner_of(registry).stop()
    with psycopg.connect(url, autocommit=True) as conn:
        current = tables.state(conn, schema)["generation"]
        conn.execute(SQL("DROP SEQUENCE {}").format(Identifier(schema, tables.NUMBERS)))
        conn.execute(SQL("DROP TABLE {}").format(Identifier(schema, "alembic_version_registry")))
        tables.Generation(schema, current + 3).create(conn)  # e.g. a failed rebuild's, left behind
        migrate.upgrade(url, for_schema(schema))
        tables.prepare(conn, schema)
        assert tables.next_generation(conn, schema) == current + 4


def test_a_runner_asked_to_stop_before_it_runs_does_not_run_on(registry: Registry) -> None:
    """`serve` killed outright while its `project` child was still starting: the child's watch
    asks for a stop before the runner runs, and the runner must return, not outlive them both."""
    assert registry.settings.database_url is not None
    runner = projection_runner(registry.settings, registry.settings.database_url)
    runner.request_stop()
    follower = threading.Thread(target=runner.run, daemon=True)
    follower.start()
    follower.join(timeout=30)
    try:
        assert not follower.is_alive()
    finally:
        runner.stop()


def test_a_stop_asked_for_while_the_stop_events_lock_is_held_does_not_hang(
    registry: Registry,
) -> None:
    """SIGTERM's handler runs on the main thread, which may be inside the runner's wait holding
    the stop event's lock: asking for the stop there must return, and the stop must still come
    (an orphaned `project` was found deadlocked exactly so)."""
    assert registry.settings.database_url is not None
    runner = projection_runner(registry.settings, registry.settings.database_url)
    event = runner._stop
    asked = threading.Thread(target=runner.request_stop, daemon=True)
    with event._cond:  # type: ignore[attr-defined]
        asked.start()
        asked.join(timeout=5)
        assert not asked.is_alive()
    assert event.wait(timeout=5)
    runner.stop()
