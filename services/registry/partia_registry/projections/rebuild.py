"""Rebuilding a generation inside PostgreSQL: the fold of `ledger.py`, as a few set operations.

Folding millions of events one at a time in Python costs ~25 µs each (reading the row, parsing its
JSON, the fold, writing the result). Here PostgreSQL reads the same JSON paths (`stored.SOURCES`)
in C, on one connection per core, into a scratch table of steps; the fold's rules then become
window functions over each member's steps in log order. They are the rules of
`MembershipLedger.record`, restated for sets:

- every admission and every transfer opens a spell; spells are numbered in log order;
- a spell ends at the member's next transfer or exit, unless that exit was annulled by the
  restoration right after it (the spell then goes on to the next transfer or exit);
- a spell carries the card and admission date of the admission it descends from, and the sex and
  birth year of the latest application before it;
- facts: each admission; each exit, annulled ones too (they happened); a transfer out of the
  previous roll and into the next; a restoration, dated on the exit it annuls;
- a founding or a move opens an organisation spell, the next move or the dissolution ends it;
  the kind is the founding's.

A test runs both folds over the same history and compares every table row by row.
"""

from __future__ import annotations

import itertools
import logging
import threading
import time
from collections.abc import Callable
from typing import Any

from psycopg import Connection
from psycopg.sql import SQL, Composable, Composed, Identifier, Literal

from partia_registry.domain.members import EXCLUSION
from partia_registry.projections import stored
from partia_registry.projections.ledger import (
    TRANSFER,
    Admitted,
    Applied,
    Left,
    Moved,
    Restored,
    UnitDissolved,
    UnitFounded,
    UnitMoved,
)
from partia_registry.projections.tables import Generation

log = logging.getLogger(__name__)

WORK_MEM = "256MB"  # the window functions sort every step; in memory rather than on disk

APPLIED, ADMITTED, LEFT, MOVED, RESTORED = (
    stored.STEP_CODES[s] for s in (Applied, Admitted, Left, Moved, Restored)
)
FOUNDED, UNIT_MOVED, DISSOLVED = (
    stored.STEP_CODES[s] for s in (UnitFounded, UnitMoved, UnitDissolved)
)
STEP_COLUMNS = {"pos": "bigint", "id": "uuid", "step": "smallint", **stored.COLUMN_TYPES}

Connect = Callable[[], Connection[Any]]


def rebuild_tables(
    connect: Connect, events: Identifier, generation: Generation, head: int, parallel: int
) -> None:
    """Fill the generation's (empty) tables with the fold of the log up to `head`."""
    steps, member_steps = generation.table("steps"), generation.table("member_steps")
    with connect() as conn:
        _drop_scratch(conn, generation)
        columns = ", ".join(f"{name} {kind}" for name, kind in STEP_COLUMNS.items())
        conn.execute(SQL("CREATE UNLOGGED TABLE {} ({})").format(steps, SQL(columns)))
    started = time.perf_counter()
    _extract_steps(connect, events, steps, head, parallel)
    log.info("rebuild: steps read from %s events in %.1f s", head, time.perf_counter() - started)
    with connect() as conn, conn.transaction():
        conn.execute(SQL("SET LOCAL work_mem = {}").format(Literal(WORK_MEM)))
        for statement in _fold_statements(generation, steps, member_steps, head):
            started = time.perf_counter()
            conn.execute(statement)
            log.info(
                "rebuild: %.1f s for %s",
                time.perf_counter() - started,
                _first_words(statement, conn),
            )
    with connect() as conn:
        _drop_scratch(conn, generation)


def _drop_scratch(conn: Connection[Any], generation: Generation) -> None:
    for name in ("steps", "member_steps"):
        conn.execute(SQL("DROP TABLE IF EXISTS {}").format(generation.table(name)))


# --- reading the steps out of the stored events -------------------------------------------------


def _extract_steps(
    connect: Connect, events: Identifier, steps: Identifier, head: int, parts: int
) -> None:
    """Read the steps of the events (0, head] into `steps`, in `parts` position ranges at once."""
    statement = _extract_statement(events, steps)
    bounds = [head * i // parts for i in range(parts + 1)]
    failures: list[BaseException] = []

    def extract(after: int, upto: int) -> None:
        try:
            with connect() as conn:
                conn.execute(statement, (after, upto))
        except BaseException as exc:  # reported by the caller's thread
            failures.append(exc)

    workers = [
        threading.Thread(target=extract, args=(a, b), name=f"rebuild-steps-{i}")
        for i, (a, b) in enumerate(itertools.pairwise(bounds))
        if b > a
    ]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    if failures:
        raise failures[0]


def _extract_statement(events: Identifier, steps: Identifier) -> Composed:
    """INSERT INTO steps SELECT ... one row per event that is a step, its fields read from the
    JSON by the paths in `stored.SOURCES` (parsed once per event: the subquery is kept apart)."""
    sources = stored.SOURCES
    step = _by_topic({t: Literal(stored.STEP_CODES[s.step]) for t, s in sources.items()})
    values: list[Composable] = []
    for column, kind in stored.COLUMN_TYPES.items():
        found: dict[str, Composable] = {}
        for topic, source in sources.items():
            for f in source.fields:
                if f.column == column:
                    found[topic] = _field_sql(f, kind)
        values.append(_by_topic(found, SQL("NULL::{}").format(SQL(kind))))
    narrowed = [
        SQL("(topic <> {} OR s #>> {} = {})").format(
            Literal(topic), Literal(stored.sql_path(source.only_if[0])), Literal(source.only_if[1])
        )
        for topic, source in sources.items()
        if source.only_if is not None
    ]
    return SQL(
        "INSERT INTO {steps} ({columns}) SELECT pos, id, {step}, {values} FROM ("
        " SELECT notification_id AS pos, originator_id AS id, topic,"
        " convert_from(state, 'UTF8')::jsonb AS s FROM {log}"
        " WHERE notification_id > %s AND notification_id <= %s AND topic = ANY({topics})"
        " OFFSET 0) e WHERE {narrowed}"
    ).format(
        steps=steps,
        columns=SQL(", ").join(map(Identifier, STEP_COLUMNS)),
        step=step,
        values=SQL(", ").join(values),
        log=events,
        topics=Literal(list(sources)),
        narrowed=SQL(" AND ").join(narrowed) if narrowed else SQL("true"),
    )


def _field_sql(f: stored.Field, kind: str) -> Composable:
    if f.constant is not None:
        return SQL("{}::{}").format(Literal(f.constant), SQL(kind))
    return SQL("(s #>> {})::{}").format(Literal(stored.sql_path(f.path)), SQL(kind))


def _by_topic(cases: dict[str, Composable], otherwise: Composable | None = None) -> Composable:
    if not cases:
        return otherwise or SQL("NULL")
    whens = SQL(" ").join(
        SQL("WHEN {} THEN {}").format(Literal(topic), value) for topic, value in cases.items()
    )
    tail = SQL(" ELSE {}").format(otherwise) if otherwise is not None else SQL("")
    return SQL("CASE topic {}{} END").format(whens, tail)


# --- the fold ---------------------------------------------------------------------------------


def _fold_statements(
    generation: Generation, steps: Identifier, member_steps: Identifier, head: int
) -> list[Composed]:
    t = generation.table
    codes = {
        "applied": Literal(APPLIED),
        "admitted": Literal(ADMITTED),
        "left": Literal(LEFT),
        "moved": Literal(MOVED),
        "restored": Literal(RESTORED),
        "founded": Literal(FOUNDED),
        "unit_moved": Literal(UNIT_MOVED),
        "transfer": Literal(TRANSFER),
        "exclusion": Literal(EXCLUSION),
    }
    return [
        # A member's steps but applications, each with what it inherits from earlier ones: sex and
        # birth year from the latest application, card and admission date from the latest
        # admission; the next step (is this exit annulled?), the previous date (the annulled
        # exit's), and which spell the step belongs to.
        SQL(
            "CREATE UNLOGGED TABLE {member_steps} AS"
            " SELECT pos, id, step, organisation, on_date, reason, sex, birth_year, card_number,"
            " admitted_on, lead(step) OVER w AS next_step, lag(on_date) OVER w AS previous_on,"
            " count(*) FILTER (WHERE step IN ({admitted}, {moved})) OVER w AS spell_number"
            " FROM (SELECT pos, id, step, organisation, on_date, reason,"
            "  first_value(sex) OVER a AS sex, first_value(birth_year) OVER a AS birth_year,"
            "  first_value(card_number) OVER m AS card_number,"
            "  first_value(on_date) OVER m AS admitted_on"
            "  FROM (SELECT *,"
            "   count(*) FILTER (WHERE step = {applied}) OVER w AS applications,"
            "   count(*) FILTER (WHERE step = {admitted}) OVER w AS admissions"
            "   FROM {steps} WHERE step <= {restored}"
            "   WINDOW w AS (PARTITION BY id ORDER BY pos)) numbered"
            "  WINDOW a AS (PARTITION BY id, applications ORDER BY pos),"
            "   m AS (PARTITION BY id, admissions ORDER BY pos)) inherited"
            " WHERE step <> {applied}"
            " WINDOW w AS (PARTITION BY id ORDER BY pos)"
        ).format(member_steps=member_steps, steps=steps, **codes),
        # Spells: each opening step, ended by the next transfer or exit that was not annulled.
        SQL(
            "INSERT INTO {spells} (spell_id, member_id, organisation_id, card_number, valid_from,"
            " valid_to, end_reason, admitted_on, sex, birth_year)"
            " SELECT row_number() OVER (ORDER BY pos), id, organisation, card_number, on_date,"
            " ends_on, CASE WHEN ended_by = {moved} THEN {transfer} ELSE end_reason END,"
            " admitted_on, sex, birth_year"
            " FROM (SELECT *, lead(on_date) OVER w AS ends_on, lead(step) OVER w AS ended_by,"
            "  lead(reason) OVER w AS end_reason FROM {member_steps}"
            "  WHERE step IN ({admitted}, {moved})"
            "   OR (step = {left} AND next_step IS DISTINCT FROM {restored})"
            "  WINDOW w AS (PARTITION BY id ORDER BY pos)) bounded"
            " WHERE step IN ({admitted}, {moved})"
            # Stored roll by roll: a roll reads a few adjacent pages, not one page per member.
            " ORDER BY organisation, on_date"
        ).format(spells=t("spells"), member_steps=member_steps, **codes),
        # Facts, as the live fold records them.
        SQL(
            "INSERT INTO {facts} (kind, member_id, organisation_id, on_date, reason)"
            " SELECT f.kind, s.id, f.organisation_id, f.on_date, f.reason"
            " FROM (SELECT *, lag(on_roll) OVER (PARTITION BY id ORDER BY pos) AS previous_roll"
            "  FROM (SELECT *, first_value(organisation)"
            "   OVER (PARTITION BY id, spell_number ORDER BY pos) AS on_roll"
            "   FROM {member_steps}) rolls) s"
            " CROSS JOIN LATERAL (VALUES"
            "  ('admitted', s.organisation, s.on_date, NULL::text, s.step = {admitted}),"
            "  ('ended', s.on_roll, s.on_date, s.reason, s.step = {left}),"
            "  ('transfer_out', s.previous_roll, s.on_date, NULL, s.step = {moved}),"
            "  ('transfer_in', s.organisation, s.on_date, NULL, s.step = {moved}),"
            "  ('restored', s.on_roll, s.previous_on, {exclusion}, s.step = {restored})"
            " ) AS f(kind, organisation_id, on_date, reason, applies)"
            " WHERE f.applies ORDER BY f.on_date"  # periods read adjacent pages
        ).format(facts=t("facts"), member_steps=member_steps, **codes),
        SQL(
            "INSERT INTO {organisations} (spell_id, organisation_id, kind, parent_id, valid_from,"
            " valid_to)"
            " SELECT row_number() OVER (ORDER BY pos), id, founded_as, organisation, on_date, ends_on"
            " FROM (SELECT *, first_value(kind) OVER w AS founded_as,"
            "  lead(on_date) OVER w AS ends_on FROM {steps} WHERE step >= {founded}"
            "  WINDOW w AS (PARTITION BY id ORDER BY pos)) units"
            " WHERE step IN ({founded}, {unit_moved})"
        ).format(organisations=t("organisations"), steps=steps, **codes),
        SQL(
            "INSERT INTO {current} (organisation_id, sex, birth_year, n)"
            " SELECT organisation_id, sex, birth_year, count(*) FROM {spells}"
            " WHERE valid_to IS NULL GROUP BY 1, 2, 3"
        ).format(current=t("current"), spells=t("spells")),
        SQL(
            "INSERT INTO {people} (member_id, sex, birth_year)"
            " SELECT DISTINCT ON (id) id, sex, birth_year FROM {steps}"
            " WHERE step = {applied} ORDER BY id, pos DESC"
        ).format(people=t("people"), steps=steps, **codes),
        SQL("DELETE FROM {}").format(t("tracking")),
        SQL(
            "INSERT INTO {tracking} (position, next_spell_id, next_organisation_spell_id)"
            " SELECT {head}, (SELECT coalesce(max(spell_id), 0) + 1 FROM {spells}),"
            " (SELECT coalesce(max(spell_id), 0) + 1 FROM {organisations})"
        ).format(
            tracking=t("tracking"),
            head=Literal(head),
            spells=t("spells"),
            organisations=t("organisations"),
        ),
    ]


def _first_words(statement: Composed, conn: Connection[Any]) -> str:
    return " ".join(statement.as_string(conn).split()[:4])
