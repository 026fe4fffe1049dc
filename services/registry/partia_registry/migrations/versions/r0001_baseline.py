"""The registry's tables as of commit 26c28f3, the last version that made them with ad-hoc
`CREATE ... IF NOT EXISTS` on start (decision 116).

Every statement is conditional, so this revision is also how an installation made by that code
(or an older one) comes under versioned migrations: what exists is kept, what is missing is
added. Not here: the event store's tables (the `eventsourcing` library's), the read model's
generations `rm<n>_*` (named at run time, decision 117), and the sealing of clear names left by
versions before decision 021 (it needs the master key: `adapters/postgres/sealing.py`).

Revision ID: 0001
Revises: (none)
"""

from __future__ import annotations

from alembic import op
from sqlalchemy import text

from partia_kit.migrate import quote

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade(schema: str) -> None:
    s = quote(schema)
    for statement in _write_side(s) + _read_model_pointer(s) + _relay(s):
        op.execute(statement)
    _generation_numbers(schema)


def downgrade(schema: str) -> None:
    raise NotImplementedError("the first revision is not undone: restore a backup instead")


def _write_side(s: str) -> list[str]:
    """The indexes kept with the events (adapters/postgres/indexes.py), the idempotency records,
    the card serial and the per-person keys."""
    return [
        f"CREATE TABLE IF NOT EXISTS {s}.registry_personal_data_keys (owner_id uuid PRIMARY KEY,"
        " wrapped_key bytea NOT NULL, created_at timestamptz NOT NULL DEFAULT now())",
        f"CREATE TABLE IF NOT EXISTS {s}.registry_member_index ("
        " member_id uuid PRIMARY KEY,"
        " iin_digest bytea UNIQUE,"
        " status text NOT NULL,"
        " organisation_id uuid NOT NULL,"
        " card_number text UNIQUE,"
        " sealed_name bytea,"
        " applied_on date, admitted_on date, ended_on date, end_reason text)",
        f"CREATE INDEX IF NOT EXISTS registry_member_index_roll"
        f" ON {s}.registry_member_index (organisation_id, status)",
        f"CREATE TABLE IF NOT EXISTS {s}.registry_organisation_index ("
        " organisation_id uuid PRIMARY KEY, kind text NOT NULL, parent_id uuid,"
        " names jsonb NOT NULL, code text, founded_on date, dissolved_on date)",
        f"CREATE INDEX IF NOT EXISTS registry_organisation_index_parent"
        f" ON {s}.registry_organisation_index (parent_id)",
        f"CREATE INDEX IF NOT EXISTS registry_organisation_index_kind"
        f" ON {s}.registry_organisation_index (kind)",
        f"CREATE TABLE IF NOT EXISTS {s}.registry_idempotency (actor text NOT NULL,"
        " key text NOT NULL, fingerprint text NOT NULL, result jsonb NOT NULL,"
        " created_at timestamptz NOT NULL DEFAULT now(), PRIMARY KEY (actor, key))",
        f"CREATE SEQUENCE IF NOT EXISTS {s}.registry_card_serial",
        f"ALTER TABLE {s}.registry_member_index ADD COLUMN IF NOT EXISTS residence_deadline date",
        f"CREATE TABLE IF NOT EXISTS {s}.registry_sanction_index ("
        " sanction_id uuid PRIMARY KEY, member_id uuid NOT NULL, organisation_id uuid NOT NULL,"
        " kind text NOT NULL, decided_on date NOT NULL, appeal_deadline date NOT NULL,"
        " status text NOT NULL, appeal_status text, appeal_filed_on date,"
        " appeal_body_kind text, appeal_body_organisation_id uuid)",
        f"CREATE INDEX IF NOT EXISTS registry_sanction_index_organisation"
        f" ON {s}.registry_sanction_index (organisation_id)",
        f"CREATE TABLE IF NOT EXISTS {s}.registry_case_index ("
        " case_id uuid PRIMARY KEY, member_id uuid NOT NULL, organisation_id uuid NOT NULL,"
        " opened_on date NOT NULL, reference text NOT NULL, closed_on date, outcome text)",
        f"CREATE INDEX IF NOT EXISTS registry_case_index_organisation"
        f" ON {s}.registry_case_index (organisation_id)",
    ]


def _read_model_pointer(s: str) -> list[str]:
    """The read model's pointer row's table (projections/tables.py), columns added over time."""
    columns = (
        ("rebuild_requested", "timestamptz"),
        ("rebuilding", "jsonb"),
        ("last_rebuild", "jsonb"),
        ("last_failure", "jsonb"),
        ("retired", "int"),
        ("retired_at", "timestamptz"),
    )
    return [
        f"CREATE TABLE IF NOT EXISTS {s}.registry_read_model (id int PRIMARY KEY"
        " CHECK (id = 1), generation int NOT NULL)",
        *(
            f"ALTER TABLE {s}.registry_read_model ADD COLUMN IF NOT EXISTS {name} {kind}"
            for name, kind in columns
        ),
    ]


def _relay(s: str) -> list[str]:
    """The registry relay's position (partia_kit/relay.py, relay name `registry`)."""
    return [
        f"CREATE TABLE IF NOT EXISTS {s}.registry_relay_position (only_row boolean PRIMARY KEY"
        " DEFAULT true CHECK (only_row), position bigint NOT NULL, broker jsonb NOT NULL,"
        " updated_at timestamptz NOT NULL DEFAULT now())",
        f"INSERT INTO {s}.registry_relay_position (position, broker) VALUES (0, '{{}}')"
        " ON CONFLICT DO NOTHING",
    ]


def _generation_numbers(schema: str) -> None:
    """The sequence of read-model generation numbers, started after every generation whose tables
    exist (versions before the sequence numbered them current + 1; decision 085)."""
    conn = op.get_bind()
    numbers = f"{quote(schema)}.registry_read_model_generations"
    exists = conn.execute(text("SELECT to_regclass(:n)"), {"n": numbers}).scalar()
    if exists is not None:
        return
    conn.execute(text(f"CREATE SEQUENCE {numbers} AS int"))
    found = conn.execute(
        text(
            "SELECT max(substring(tablename FROM '^rm([0-9]+)_')::int) FROM pg_tables"
            " WHERE schemaname = :schema AND tablename ~ '^rm[0-9]+_'"
        ),
        {"schema": schema},
    ).scalar()
    pointed = conn.execute(
        text(f"SELECT generation FROM {quote(schema)}.registry_read_model WHERE id = 1")
    ).scalar()
    highest = max(found or 0, pointed or 0)
    if highest > 0:
        conn.execute(text("SELECT setval(CAST(:n AS regclass), :v)"), {"n": numbers, "v": highest})
