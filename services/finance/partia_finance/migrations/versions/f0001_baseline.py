"""The finance service's first tables: the donors' personal-data keys (`partia_kit.vault`), the
idempotency records of its POSTs, the relay's position, and the registry's organisation tree as
finance knows it (decision 191). Not here: the event store's own table (`finance_events`, the
`eventsourcing` library's).

Revision ID: f0001
Revises: (none)
"""

from __future__ import annotations

from alembic import op

from partia_kit.migrate import quote

revision = "f0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade(schema: str) -> None:
    s = quote(schema)
    op.execute(f"CREATE SCHEMA IF NOT EXISTS {s}")
    for statement in (
        f"CREATE TABLE IF NOT EXISTS {s}.finance_personal_data_keys (owner_id uuid PRIMARY KEY,"
        " wrapped_key bytea NOT NULL, key_id text,"
        " created_at timestamptz NOT NULL DEFAULT now())",
        f"CREATE TABLE IF NOT EXISTS {s}.finance_idempotency (actor text NOT NULL,"
        " key text NOT NULL, fingerprint text NOT NULL, result jsonb NOT NULL,"
        " created_at timestamptz NOT NULL DEFAULT now(), PRIMARY KEY (actor, key))",
        f"CREATE TABLE IF NOT EXISTS {s}.finance_organisations ("
        " organisation_id uuid PRIMARY KEY, parent_id uuid, kind text NOT NULL,"
        " dissolved_on date, registry_position bigint NOT NULL)",
    ):
        op.execute(statement)


def downgrade(schema: str) -> None:
    raise NotImplementedError("the first revision is not undone: restore a backup instead")
