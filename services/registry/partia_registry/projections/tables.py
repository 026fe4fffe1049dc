"""The read model's tables, one set per generation, so a rebuild can fill a new set while the old
one keeps answering, and a single pointer switches reads over when the new set has caught up."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from typing import Any
from uuid import UUID

from psycopg import Connection
from psycopg.rows import dict_row
from psycopg.sql import SQL, Composed, Identifier
from psycopg.types.json import Jsonb

from partia_registry.projections.ledger import (
    Changes,
    Fact,
    MembershipLedger,
    OrganisationSpell,
    Spell,
    _Person,
)

POINTER = "registry_read_model"
NUMBERS = "registry_read_model_generations"
"""The sequence generation numbers come from: two rebuilds never share a number, so one that
failed can drop its own tables without touching another's (decision 085)."""
TABLES = ("spells", "organisations", "facts", "people", "current", "tracking")
KEYS = (
    ("spells_key", "spells", "spell_id"),
    ("organisations_key", "organisations", "spell_id"),
    ("people_key", "people", "member_id"),
    ("current_key", "current", "organisation_id, sex, birth_year"),
)
SPELL_COLUMNS = (
    "spell_id",
    "member_id",
    "organisation_id",
    "card_number",
    "valid_from",
    "valid_to",
    "end_reason",
    "admitted_on",
    "sex",
    "birth_year",
)
ORGANISATION_COLUMNS = (
    "spell_id",
    "organisation_id",
    "kind",
    "parent_id",
    "valid_from",
    "valid_to",
)
FACT_COLUMNS = ("kind", "member_id", "organisation_id", "on_date", "reason")


@dataclass(frozen=True)
class Generation:
    """One set of read-model tables: rm<n>_spells, rm<n>_organisations, rm<n>_facts, rm<n>_people."""

    schema: str
    number: int

    def table(self, name: str) -> Identifier:
        return Identifier(self.schema, f"rm{self.number}_{name}")

    def create(self, conn: Connection[Any]) -> None:
        """The tables, without their keys and indexes (`index_statements`): a rebuild fills them
        first, which is faster than keeping indexes up to date row by row."""
        t = self.table
        for statement in (
            SQL(
                "CREATE TABLE IF NOT EXISTS {} (spell_id bigint NOT NULL, member_id uuid NOT NULL,"
                " organisation_id uuid NOT NULL, card_number text NOT NULL, valid_from date NOT NULL,"
                " valid_to date, end_reason text, admitted_on date NOT NULL, sex text NOT NULL,"
                " birth_year int NOT NULL)"
            ).format(t("spells")),
            SQL(
                "CREATE TABLE IF NOT EXISTS {} (spell_id bigint NOT NULL,"
                " organisation_id uuid NOT NULL, kind text NOT NULL, parent_id uuid,"
                " valid_from date NOT NULL, valid_to date)"
            ).format(t("organisations")),
            SQL(
                "CREATE TABLE IF NOT EXISTS {} (kind text NOT NULL, member_id uuid NOT NULL,"
                " organisation_id uuid NOT NULL, on_date date NOT NULL, reason text)"
            ).format(t("facts")),
            SQL(
                "CREATE TABLE IF NOT EXISTS {} (member_id uuid NOT NULL, sex text NOT NULL,"
                " birth_year int NOT NULL)"
            ).format(t("people")),
            SQL(
                "CREATE TABLE IF NOT EXISTS {} (organisation_id uuid NOT NULL, sex text NOT NULL,"
                " birth_year int NOT NULL, n bigint NOT NULL)"
            ).format(t("current")),
            SQL(
                "CREATE TABLE IF NOT EXISTS {} (position bigint NOT NULL, next_spell_id bigint NOT"
                " NULL, next_organisation_spell_id bigint NOT NULL)"
            ).format(t("tracking")),
        ):
            conn.execute(statement)

    def create_indexes(self, conn: Connection[Any]) -> None:
        for statement in self.index_statements():
            conn.execute(statement)

    def index_statements(self) -> list[Composed]:
        """The keys (the live read model's upserts need them) and the queries' indexes; each can
        be built on a connection of its own."""
        n, t = f"rm{self.number}_", self.table
        statements = [
            SQL("CREATE {}INDEX IF NOT EXISTS {} ON {} ({})").format(
                SQL("UNIQUE " if name.endswith("_key") else ""),
                Identifier(n + name),
                t(table),
                SQL(columns),
            )
            for name, table, columns in (
                *KEYS,
                ("spells_roll", "spells", "organisation_id, valid_from"),
                ("organisations_id", "organisations", "organisation_id, valid_from"),
                ("spells_member", "spells", "member_id"),
                ("facts_on", "facts", "on_date"),
            )
        ]
        statements.append(
            SQL(
                "CREATE INDEX IF NOT EXISTS {} ON {} (organisation_id, card_number)"
                " WHERE valid_to IS NULL"
            ).format(Identifier(n + "spells_current_by_card"), t("spells"))
        )
        statements.append(SQL("ANALYZE {}").format(t("spells")))
        return statements

    def drop(self, conn: Connection[Any]) -> None:
        for name in (*TABLES, "steps", "member_steps"):  # and a rebuild's scratch tables
            conn.execute(SQL("DROP TABLE IF EXISTS {}").format(self.table(name)))


def upgrade(conn: Connection[Any], generation: Generation) -> None:
    """Bring a generation made by an older version up to date (tables added since)."""
    exists = conn.execute(
        "SELECT to_regclass(%s)", (f'"{generation.schema}"."rm{generation.number}_current"',)
    ).fetchone()
    if exists and exists[0] is None:
        generation.create(conn)
        conn.execute(
            SQL(
                "INSERT INTO {} SELECT organisation_id, sex, birth_year, count(*) FROM {}"
                " WHERE valid_to IS NULL GROUP BY 1, 2, 3"
            ).format(generation.table("current"), generation.table("spells"))
        )
        generation.create_indexes(conn)  # the new table's key (the others exist already)


class PositionMoved(Exception):
    """Another runner moved the read model's position: this one's batch is not applied."""


def lock_key(schema: str) -> str:
    """The advisory lock held by the active runner of a schema's read model (one per schema)."""
    return f"partia-read-model:{schema}"


def prepare(conn: Connection[Any], schema: str) -> Generation:
    """A first generation, if missing; idempotent, and safe when several processes start at once
    (a transaction lock serialises them). Returns the current one. The pointer table and the
    sequence of generation numbers are the migrations' (`partia_registry.migrations`); the
    generations' tables, named at run time, are made here (decision 117)."""
    with conn.transaction():
        # Not the runner's lock (held for as long as a runner is active): one for this alone.
        conn.execute(
            "SELECT pg_advisory_xact_lock(hashtextextended(%s, 0))",
            (f"{lock_key(schema)}:prepare",),
        )
        number = current_generation(conn, schema)
        if number is None:
            number = next_generation(conn, schema)
            Generation(schema, number).create(conn)
            Generation(schema, number).create_indexes(conn)
            point_to(conn, schema, number)
        generation = Generation(schema, number)
        upgrade(conn, generation)
        start_tracking(conn, generation)
    return generation


def next_generation(conn: Connection[Any], schema: str) -> int:
    """A generation number no other generation or rebuild has had or will have."""
    row = conn.execute("SELECT nextval(%s::regclass)", (f'"{schema}"."{NUMBERS}"',)).fetchone()
    assert row is not None
    return int(row[0])


def current_generation(conn: Connection[Any], schema: str) -> int | None:
    row = conn.execute(
        SQL("SELECT generation FROM {} WHERE id = 1").format(Identifier(schema, POINTER))
    ).fetchone()
    return None if row is None else int(row[0])


def point_to(conn: Connection[Any], schema: str, number: int) -> None:
    conn.execute(
        SQL(
            "INSERT INTO {} (id, generation) VALUES (1, %s) ON CONFLICT (id) DO UPDATE"
            " SET generation = EXCLUDED.generation"
        ).format(Identifier(schema, POINTER)),
        (number,),
    )


def generations_present(conn: Connection[Any], schema: str) -> set[int]:
    """The numbers of every generation some of whose tables exist in the schema."""
    rows = conn.execute(
        "SELECT DISTINCT substring(c.relname FROM '^rm([0-9]+)_')::int FROM pg_class c"
        " JOIN pg_namespace n ON n.oid = c.relnamespace"
        " WHERE n.nspname = %s AND c.relkind = 'r' AND c.relname ~ '^rm[0-9]+_'",
        (schema,),
    ).fetchall()
    return {int(number) for (number,) in rows}


def switch(conn: Connection[Any], schema: str, old: int, new: int) -> None:
    """Point reads at the new generation, only if they still read the old one; the old one is
    retired, not dropped: processes that looked up the pointer a moment ago may still read it."""
    moved = conn.execute(
        SQL(
            "UPDATE {} SET generation = %s, retired = %s, retired_at = now()"
            " WHERE id = 1 AND generation = %s"
        ).format(Identifier(schema, POINTER)),
        (new, old, old),
    ).rowcount
    if moved != 1:
        raise PositionMoved(f"the read model no longer reads generation {old}")


def state(conn: Connection[Any], schema: str) -> dict[str, Any]:
    """The pointer row as a dict, with the seconds since `retired_at`."""
    with conn.cursor(row_factory=dict_row) as curs:
        curs.execute(
            SQL(
                "SELECT *, extract(epoch FROM now() - retired_at)::float AS retired_for"
                " FROM {} WHERE id = 1"
            ).format(Identifier(schema, POINTER))
        )
        row = curs.fetchone()
    return dict(row) if row else {}


def update_state(conn: Connection[Any], schema: str, **values: Any) -> int:
    """Set columns of the pointer row (dicts are stored as JSON); returns the rows changed."""
    assignments = SQL(", ").join(SQL("{} = %s").format(Identifier(k)) for k in values)
    params = [Jsonb(v) if isinstance(v, dict) else v for v in values.values()]
    return conn.execute(
        SQL("UPDATE {} SET {} WHERE id = 1").format(Identifier(schema, POINTER), assignments),
        params,
    ).rowcount


def finish_rebuild(
    conn: Connection[Any], schema: str, number: int, outcome: dict[str, Any]
) -> bool:
    """Record the failed outcome of the rebuild into generation `number`, only if that rebuild is
    still the one in `rebuilding` (a runner that took over may have recorded it and started
    another); returns whether it was."""
    return (
        conn.execute(
            SQL(
                "UPDATE {} SET rebuilding = NULL, last_rebuild = %s, last_failure = %s"
                " WHERE id = 1 AND (rebuilding ->> 'generation')::int = %s"
            ).format(Identifier(schema, POINTER)),
            (Jsonb(outcome), Jsonb(outcome), number),
        ).rowcount
        == 1
    )


def request_rebuild(conn: Connection[Any], schema: str) -> bool:
    """Ask the active runner for a rebuild; False if one is already requested or running."""
    return (
        conn.execute(
            SQL(
                "UPDATE {} SET rebuild_requested = now() WHERE id = 1"
                " AND rebuild_requested IS NULL AND rebuilding IS NULL"
            ).format(Identifier(schema, POINTER))
        ).rowcount
        == 1
    )


def position(conn: Connection[Any], generation: Generation) -> int:
    row = conn.execute(
        SQL("SELECT position FROM {}").format(generation.table("tracking"))
    ).fetchone()
    return int(row[0]) if row else 0


def start_tracking(conn: Connection[Any], generation: Generation) -> None:
    """The tracking row of a new generation (position 0), so every batch can update it
    conditionally (`write_changes`)."""
    conn.execute(
        SQL(
            "INSERT INTO {} (position, next_spell_id, next_organisation_spell_id)"
            " SELECT 0, 1, 1 WHERE NOT EXISTS (SELECT 1 FROM {})"
        ).format(generation.table("tracking"), generation.table("tracking"))
    )


def write_changes(
    conn: Connection[Any],
    generation: Generation,
    changes: Changes,
    people: Sequence[tuple[UUID, str, int]],
    position: int,
    ledger: MembershipLedger,
    previous: int,
) -> None:
    """Upsert what changed, in one transaction with the new position (restart-safe: a batch is
    either all in, position included, or not at all). The position moves only from `previous`:
    if another runner moved it, `PositionMoved` is raised and the transaction must roll back, so a
    batch is never applied twice however many runners there are."""
    t = generation.table
    spells = {s.spell_id: s for s in [*changes.opened, *changes.closed]}
    if spells:
        conn.execute(
            _upsert(t("spells"), SPELL_COLUMNS, ("valid_to", "end_reason")),
            _columns([_spell_row(s) for s in spells.values()]),
        )
    organisations = {s.spell_id: s for s in changes.organisations}
    if organisations:
        conn.execute(
            _upsert(t("organisations"), ORGANISATION_COLUMNS, ("valid_to",)),
            _columns([_organisation_row(s) for s in organisations.values()]),
        )
    if changes.facts:
        conn.execute(
            _insert(t("facts"), FACT_COLUMNS), _columns([_fact_row(f) for f in changes.facts])
        )
    current = [(*key, n) for key, n in changes.current.items() if n]
    if current:
        conn.execute(
            SQL(
                "INSERT INTO {} SELECT * FROM unnest(%b::uuid[], %b::text[], %b::int4[], %b::int8[])"
                " ON CONFLICT (organisation_id, sex, birth_year) DO UPDATE SET n = {}.n + EXCLUDED.n"
            ).format(t("current"), t("current")),
            _columns(current),
        )
    if people:
        conn.execute(
            SQL(
                "INSERT INTO {} SELECT * FROM unnest(%b::uuid[], %b::text[], %b::int[])"
                " ON CONFLICT (member_id) DO UPDATE SET sex = EXCLUDED.sex,"
                " birth_year = EXCLUDED.birth_year"
            ).format(t("people")),
            _columns(list(people)),
        )
    moved = conn.execute(
        SQL(
            "UPDATE {} SET position = %s, next_spell_id = %s, next_organisation_spell_id = %s"
            " WHERE position = %s"
        ).format(t("tracking")),
        (position, ledger.next_spell_id, ledger.next_organisation_spell_id, previous),
    ).rowcount
    if moved != 1:
        raise PositionMoved(f"the read model is no longer at position {previous}")


def load_state(
    conn: Connection[Any], generation: Generation, ids: Collection[UUID]
) -> tuple[MembershipLedger, int]:
    """The fold's state for these members and organisations (a batch's originators) as the
    tables hold it, with the position and the next spell numbers. The runner loads what each
    batch needs, a few index lookups, rather than everybody's state at start (at 1,000,000
    members that took 20 s and 1.3 GiB)."""
    t = generation.table
    ledger = MembershipLedger()
    row = conn.execute(SQL("SELECT * FROM {}").format(t("tracking"))).fetchone()
    if row is None:
        return ledger, 0
    position, ledger.next_spell_id, ledger.next_organisation_spell_id = row
    wanted = (list(ids),)
    people = SQL("SELECT member_id, sex, birth_year FROM {} WHERE member_id = ANY(%s)")
    for member_id, sex, birth_year in conn.execute(people.format(t("people")), wanted):
        ledger.people[member_id] = _Person(sex, birth_year)
    latest = SQL(
        "SELECT DISTINCT ON (member_id) {} FROM {} WHERE member_id = ANY(%s)"
        " ORDER BY member_id, spell_id DESC"
    )
    for values in conn.execute(
        latest.format(SQL(", ").join(map(Identifier, SPELL_COLUMNS)), t("spells")), wanted
    ):
        spell = Spell(*values)
        ledger.last_spells[spell.member_id] = spell
        person = ledger.people[spell.member_id]
        person.card_number, person.admitted_on = spell.card_number, spell.admitted_on
        if spell.valid_to is None:
            ledger.open_spells[spell.member_id] = spell
    current = SQL(
        "SELECT DISTINCT ON (organisation_id) {} FROM {} WHERE organisation_id = ANY(%s)"
        " ORDER BY organisation_id, spell_id DESC"
    )
    for values in conn.execute(
        current.format(SQL(", ").join(map(Identifier, ORGANISATION_COLUMNS)), t("organisations")),
        wanted,
    ):
        unit = OrganisationSpell(*values)
        ledger.organisations[unit.organisation_id] = unit
    return ledger, int(position)


def _spell_row(s: Spell) -> tuple[Any, ...]:
    return (
        s.spell_id,
        s.member_id,
        s.organisation_id,
        s.card_number,
        s.valid_from,
        s.valid_to,
        s.end_reason,
        s.admitted_on,
        s.sex,
        s.birth_year,
    )


def _organisation_row(s: OrganisationSpell) -> tuple[Any, ...]:
    return (s.spell_id, s.organisation_id, s.kind, s.parent_id, s.valid_from, s.valid_to)


def _fact_row(f: Fact) -> tuple[Any, ...]:
    return (f.kind, f.member_id, f.organisation_id, f.on, f.reason)


def _columns(rows: list[tuple[Any, ...]]) -> list[list[Any]]:
    return [list(column) for column in zip(*rows, strict=True)]


def _insert(table: Identifier, columns: Sequence[str]) -> Composed:
    types = {
        "spell_id": "int8",
        "member_id": "uuid",
        "organisation_id": "uuid",
        "parent_id": "uuid",
        "valid_from": "date",
        "valid_to": "date",
        "on_date": "date",
        "admitted_on": "date",
        "birth_year": "int4",
    }
    arrays = ", ".join(f"%b::{types.get(c, 'text')}[]" for c in columns)
    return SQL("INSERT INTO {} ({}) SELECT * FROM unnest({})").format(
        table, SQL(", ").join(map(Identifier, columns)), SQL(arrays)
    )


def _upsert(table: Identifier, columns: Sequence[str], changing: Sequence[str]) -> Composed:
    updates = SQL(", ").join(
        SQL("{} = EXCLUDED.{}").format(Identifier(c), Identifier(c)) for c in changing
    )
    return SQL("{} ON CONFLICT (spell_id) DO UPDATE SET {}").format(
        _insert(table, columns), updates
    )
