"""The notifications service's first tables: the delivery log (one row per notice, unique per
causing event, template and recipient: the exactly-once of issue 13 item 5) and the idempotency
records of its POSTs. The consumer toolkit's own tables (`notifications_members_consumer_*`) are
created by the toolkit. No personal data here: a recipient is a member id, never an address or a
name (those are asked of the registry at send time and forgotten).

Revision ID: n0001
Revises: (none)
"""

from __future__ import annotations

from alembic import op

from partia_kit.migrate import quote

revision = "n0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade(schema: str) -> None:
    s = quote(schema)
    op.execute(f"CREATE SCHEMA IF NOT EXISTS {s}")
    for statement in (
        f"CREATE TABLE IF NOT EXISTS {s}.notifications_deliveries ("
        " notice_id uuid PRIMARY KEY, event_id text NOT NULL, event_type text NOT NULL,"
        " template text NOT NULL, recipient text NOT NULL, member_id uuid,"
        " category text NOT NULL, context jsonb NOT NULL,"
        " status text NOT NULL CHECK (status IN ('queued', 'sent', 'failed', 'withheld')),"
        " attempts int NOT NULL DEFAULT 0, resends int NOT NULL DEFAULT 0,"
        " next_attempt_at timestamptz NOT NULL DEFAULT now(), last_error text, language text,"
        " message_id text, queued_at timestamptz NOT NULL DEFAULT now(),"
        " sent_at timestamptz, updated_at timestamptz NOT NULL DEFAULT now(),"
        " UNIQUE (event_id, template, recipient))",
        f"CREATE INDEX IF NOT EXISTS notifications_deliveries_due"
        f" ON {s}.notifications_deliveries (next_attempt_at) WHERE status = 'queued'",
        f"CREATE INDEX IF NOT EXISTS notifications_deliveries_member"
        f" ON {s}.notifications_deliveries (member_id, queued_at)",
        f"CREATE TABLE IF NOT EXISTS {s}.notifications_idempotency (actor text NOT NULL,"
        " key text NOT NULL, fingerprint text NOT NULL, result jsonb NOT NULL,"
        " created_at timestamptz NOT NULL DEFAULT now(), PRIMARY KEY (actor, key))",
    ):
        op.execute(statement)


def downgrade(schema: str) -> None:
    raise NotImplementedError("the first revision is not undone: restore a backup instead")
