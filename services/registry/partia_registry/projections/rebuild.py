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
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
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
Statement = Composed | tuple[Composed, tuple[Any, ...]]  # with its parameters, if any


def rebuild_tables(
    connect: Connect, events: Identifier, generation: Generation, head: int, parallel: int
) -> None:
    """Fill the generation's (empty) tables with the fold of the log up to `head`, using up to
    `parallel` connections at once. Nothing reads a generation before the switch
    to it, so each step commits on its own; a failed rebuild leaves only tables to drop."""
    steps, member_steps = generation.table("steps"), generation.table("member_steps")
    with connect() as conn:
        _drop_scratch(conn, generation)
        columns = ", ".join(f"{name} {kind}" for name, kind in STEP_COLUMNS.items())
        conn.execute(SQL("CREATE UNLOGGED TABLE {} ({})").format(steps, SQL(columns)))
    extract = _extract_statement(events, steps)
    parts = parallel * 4  # smaller ranges balance the connections (the log is not uniform)
    bounds = [head * i // parts for i in range(parts + 1)]
    lanes = [[(extract, (a, b))] for a, b in itertools.pairwise(bounds) if b > a]
    _run_lanes(connect, lanes, parallel)
    fold = _fold_statements(generation, steps, member_steps, head)
    # Each stage's lanes read only what earlier stages wrote.
    _run_lanes(connect, [[fold["member_steps"]], [fold["people"], fold["organisations"]]], parallel)
    _run_lanes(connect, [[fold["spells"], fold["current"]], [fold["facts"]]], parallel)
    _run_lanes(connect, [[fold["tracking"]]], parallel)
    with connect() as conn:
        _drop_scratch(conn, generation)


def index_tables(connect: Connect, generation: Generation, parallel: int) -> None:
    """Build a rebuilt generation's keys and indexes (the caller may load its state meanwhile)."""
    indexes = generation.index_statements()
    _run_lanes(connect, [indexes[0::2], indexes[1::2]], parallel)


def _run_lanes(connect: Connect, lanes: Sequence[Sequence[Statement]], parallel: int) -> None:
    """Run each lane's statements in order on a connection of its own, up to `parallel` lanes at
    a time (PostgreSQL does the work; these threads only wait)."""

    def run(lane: Sequence[Statement]) -> None:
        with connect() as conn:
            conn.execute(SQL("SET work_mem = {}").format(Literal(WORK_MEM)))
            for statement in lane:
                sql, params = statement if isinstance(statement, tuple) else (statement, None)
                started = time.perf_counter()
                conn.execute(sql, params)
                took = time.perf_counter() - started
                log.info("rebuild: %.1f s for %s", took, " ".join(sql.as_string(conn).split()[:4]))

    with ThreadPoolExecutor(max(1, parallel), thread_name_prefix="rebuild") as pool:
        for done in [pool.submit(run, lane) for lane in lanes if lane]:
            done.result()  # the first failure, raised here


def _drop_scratch(conn: Connection[Any], generation: Generation) -> None:
    for name in ("steps", "member_steps"):
        conn.execute(SQL("DROP TABLE IF EXISTS {}").format(generation.table(name)))


# --- reading the steps out of the stored events -------------------------------------------------


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
    # jsonb cannot hold the escape \u0000 (text cannot hold NUL), which json.dumps writes for a
    # NUL character: older versions accepted one in free-text fields (a document's or decision's
    # reference, a mandate's territory), and events are forever. In the rows that contain the
    # escape (the check is cheap; the others are cast as they are) it becomes \ufffd, the
    # replacement character, before the cast. That cannot change what the fold reads: its fields
    # are UUIDs, dates, codes and numbers, and a card number the registry made itself, none of
    # which can hold a NUL. Replacing the six characters keeps the JSON valid even where they
    # follow an escaped backslash (a literal "\u0000" in a text then reads "\ufffd").
    return SQL(
        "INSERT INTO {steps} ({columns}) SELECT pos, id, {step}, {values} FROM ("
        " SELECT pos, id, topic, CASE WHEN strpos(t, {nul}) = 0 THEN t::jsonb"
        "  ELSE replace(t, {nul}, {replacement})::jsonb END AS s FROM ("
        "  SELECT notification_id AS pos, originator_id AS id, topic,"
        "  convert_from(state, 'UTF8') AS t FROM {log}"
        "  WHERE notification_id > %s AND notification_id <= %s AND topic = ANY({topics})"
        "  OFFSET 0) raw OFFSET 0) e WHERE {narrowed}"
    ).format(
        nul=Literal("\\u0000"),
        replacement=Literal("\\ufffd"),
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
) -> dict[str, Composed]:
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
    return {
        # A member's steps but applications, each with what it inherits from earlier ones: sex and
        # birth year from the latest application, card and admission date from the latest
        # admission (found by numbering them and joining on the number: cheaper than a window
        # partitioned by it); then the next step (is this exit annulled?), the previous date (the
        # annulled exit's), and which spell the step belongs to.
        "member_steps": SQL(
            "CREATE UNLOGGED TABLE {member_steps} AS"
            " WITH numbered AS MATERIALIZED (SELECT *,"
            "  count(*) FILTER (WHERE step = {applied}) OVER w AS applications,"
            "  count(*) FILTER (WHERE step = {admitted}) OVER w AS admissions"
            "  FROM {steps} WHERE step <= {restored} WINDOW w AS (PARTITION BY id ORDER BY pos))"
            " SELECT n.pos, n.id, n.step, n.organisation, n.on_date, n.reason, a.sex, a.birth_year,"
            " m.card_number, m.on_date AS admitted_on,"
            " lead(n.step) OVER w AS next_step, lag(n.on_date) OVER w AS previous_on,"
            " count(*) FILTER (WHERE n.step IN ({admitted}, {moved})) OVER w AS spell_number"
            " FROM numbered n"
            " LEFT JOIN numbered a"
            "  ON a.id = n.id AND a.step = {applied} AND a.applications = n.applications"
            " LEFT JOIN numbered m"
            "  ON m.id = n.id AND m.step = {admitted} AND m.admissions = n.admissions"
            " WHERE n.step <> {applied}"
            " WINDOW w AS (PARTITION BY n.id ORDER BY n.pos)"
        ).format(member_steps=member_steps, steps=steps, **codes),
        # Spells: each opening step, ended by the next transfer or exit that was not annulled.
        "spells": SQL(
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
        "facts": SQL(
            "INSERT INTO {facts} (kind, member_id, organisation_id, on_date, reason)"
            " WITH s AS MATERIALIZED ("
            "  SELECT *, lag(on_roll) OVER (PARTITION BY id ORDER BY pos) AS previous_roll"
            "  FROM (SELECT *, first_value(organisation)"
            "   OVER (PARTITION BY id, spell_number ORDER BY pos) AS on_roll"
            "   FROM {member_steps}) rolls)"
            " SELECT * FROM ("
            "  SELECT 'admitted', id, organisation, on_date, NULL FROM s WHERE step = {admitted}"
            "  UNION ALL SELECT 'ended', id, on_roll, on_date, reason FROM s WHERE step = {left}"
            "  UNION ALL SELECT 'transfer_out', id, previous_roll, on_date, NULL"
            "   FROM s WHERE step = {moved}"
            "  UNION ALL SELECT 'transfer_in', id, organisation, on_date, NULL"
            "   FROM s WHERE step = {moved}"
            "  UNION ALL SELECT 'restored', id, on_roll, previous_on, {exclusion}"
            "   FROM s WHERE step = {restored}"
            " ) AS f (kind, member_id, organisation_id, on_date, reason)"
            " ORDER BY on_date"  # a period's facts on adjacent pages
        ).format(facts=t("facts"), member_steps=member_steps, **codes),
        "organisations": SQL(
            "INSERT INTO {organisations} (spell_id, organisation_id, kind, parent_id, valid_from,"
            " valid_to)"
            " SELECT row_number() OVER (ORDER BY pos), id, founded_as, organisation, on_date, ends_on"
            " FROM (SELECT *, first_value(kind) OVER w AS founded_as,"
            "  lead(on_date) OVER w AS ends_on FROM {steps} WHERE step >= {founded}"
            "  WINDOW w AS (PARTITION BY id ORDER BY pos)) units"
            " WHERE step IN ({founded}, {unit_moved})"
        ).format(organisations=t("organisations"), steps=steps, **codes),
        "current": SQL(
            "INSERT INTO {current} (organisation_id, sex, birth_year, n)"
            " SELECT organisation_id, sex, birth_year, count(*) FROM {spells}"
            " WHERE valid_to IS NULL GROUP BY 1, 2, 3"
        ).format(current=t("current"), spells=t("spells")),
        "people": SQL(
            "INSERT INTO {people} (member_id, sex, birth_year)"
            " SELECT DISTINCT ON (id) id, sex, birth_year FROM {steps}"
            " WHERE step = {applied} ORDER BY id, pos DESC"
        ).format(people=t("people"), steps=steps, **codes),
        "tracking": SQL(
            "INSERT INTO {tracking} (position, next_spell_id, next_organisation_spell_id)"
            " SELECT {head}, (SELECT coalesce(max(spell_id), 0) + 1 FROM {spells}),"
            " (SELECT coalesce(max(spell_id), 0) + 1 FROM {organisations})"
        ).format(
            tracking=t("tracking"),
            head=Literal(head),
            spells=t("spells"),
            organisations=t("organisations"),
        ),
    }
