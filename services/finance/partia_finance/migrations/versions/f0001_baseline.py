"""The finance service's first tables: the donors' personal-data keys (`partia_kit.vault`), the
idempotency records of its POSTs, the donation and obligation indexes kept with the events, and the registry's organisation tree as
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
        # written with the events (adapters/postgres/store.py): what lists and totals read
        f"CREATE TABLE IF NOT EXISTS {s}.finance_donation_index ("
        " donation_id uuid PRIMARY KEY, organisation_id uuid NOT NULL, fund text NOT NULL,"
        " donor_kind text NOT NULL, donor_digest bytea, amount_tiyn bigint NOT NULL,"
        " accepted_tiyn bigint NOT NULL, status text NOT NULL, credited_on date NOT NULL,"
        " decided_on date, rule text, flagged_on date)",
        f"CREATE INDEX IF NOT EXISTS finance_donation_index_donor"
        f" ON {s}.finance_donation_index (donor_digest, fund, credited_on)",
        f"CREATE INDEX IF NOT EXISTS finance_donation_index_credited"
        f" ON {s}.finance_donation_index (credited_on, organisation_id)",
        f"CREATE TABLE IF NOT EXISTS {s}.finance_obligation_index ("
        " obligation_id uuid PRIMARY KEY, donation_id uuid NOT NULL,"
        " organisation_id uuid NOT NULL, fund text NOT NULL, amount_tiyn bigint NOT NULL,"
        " cause text NOT NULL, rule text NOT NULL, clause text NOT NULL,"
        " disposition text NOT NULL, opened_on date NOT NULL, deadline date NOT NULL,"
        " settled_on date, payment_reference text, overdue_on date)",
        f"CREATE INDEX IF NOT EXISTS finance_obligation_index_deadline"
        f" ON {s}.finance_obligation_index (deadline) WHERE settled_on IS NULL",
        f"CREATE TABLE IF NOT EXISTS {s}.finance_organisations ("
        " organisation_id uuid PRIMARY KEY, parent_id uuid, kind text NOT NULL,"
        " dissolved_on date, registry_position bigint NOT NULL)",
    ):
        op.execute(statement)


def downgrade(schema: str) -> None:
    raise NotImplementedError("the first revision is not undone: restore a backup instead")
