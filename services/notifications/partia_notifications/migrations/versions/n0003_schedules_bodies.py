"""Notices that wait for a date, notices that a later event calls off, and notices to party bodies
(issue 13 items 2 and 5):
- a reminder is a queued notice whose first attempt is its date (`next_attempt_at`), not now;
- `cancel_key` names what a later event calls off (an appeal filed: the appeal-deadline reminder
  of that sanction; a transfer registered: the residence reminders of that member); a called-off
  notice is `cancelled`, kept in the log with the event that cancelled it;
- `digest`: a routine notice to a body waits for that body's daily digest instead of going alone.
A notice to a body has `recipient` `body:<organisation id>:<role>`; its `member_id` is the member
it concerns, if any (an erasure withholds it too; the member's own preferences never stop it).

Revision ID: n0003
Revises: n0002
"""

from __future__ import annotations

from alembic import op

from partia_kit.migrate import quote

revision = "n0003"
down_revision = "n0002"
branch_labels = None
depends_on = None


def upgrade(schema: str) -> None:
    s = quote(schema)
    deliveries = f"{s}.notifications_deliveries"
    for statement in (
        f"ALTER TABLE {deliveries} DROP CONSTRAINT IF EXISTS notifications_deliveries_status_check",
        f"ALTER TABLE {deliveries} ADD CONSTRAINT notifications_deliveries_status_check"
        " CHECK (status IN ('queued', 'sent', 'failed', 'withheld', 'cancelled'))",
        f"ALTER TABLE {deliveries} ADD COLUMN IF NOT EXISTS cancel_key text",
        f"ALTER TABLE {deliveries} ADD COLUMN IF NOT EXISTS digest boolean NOT NULL DEFAULT false",
        f"CREATE INDEX IF NOT EXISTS notifications_deliveries_cancel"
        f" ON {deliveries} (cancel_key) WHERE status = 'queued' AND cancel_key IS NOT NULL",
        # --- slice reminders: add statements below this line
        # --- slice bodies: add statements below this line
        # where a body's mail goes: one office mailbox per organisation and role (decision 303)
        f"CREATE TABLE IF NOT EXISTS {s}.notifications_body_addresses ("
        " organisation_id uuid NOT NULL, role text NOT NULL, email text NOT NULL,"
        " language text NOT NULL CHECK (language IN ('kk', 'ru', 'en')),"
        " updated_by text NOT NULL, updated_at timestamptz NOT NULL DEFAULT now(),"
        " PRIMARY KEY (organisation_id, role))",
        # what body notices say of a member (card, PPO) and of a mandate, an obligation: no
        # personal data, kept from the events in the consumer's transaction (decision 304)
        f"CREATE TABLE IF NOT EXISTS {s}.notifications_members ("
        " member_id uuid PRIMARY KEY, card_number text NOT NULL, organisation_id uuid NOT NULL,"
        " active boolean NOT NULL DEFAULT true)",
        f"CREATE TABLE IF NOT EXISTS {s}.notifications_mandates ("
        " mandate_id uuid PRIMARY KEY, member_id uuid NOT NULL, kind text NOT NULL)",
        f"CREATE TABLE IF NOT EXISTS {s}.notifications_obligations ("
        " obligation_id uuid PRIMARY KEY, organisation_id uuid NOT NULL, donation_id uuid NOT NULL,"
        " amount_tiyn bigint NOT NULL, deadline date NOT NULL)",
        # one digest per body recipient per day (decision 308)
        f"CREATE TABLE IF NOT EXISTS {s}.notifications_digests ("
        " recipient text NOT NULL, day date NOT NULL, message_id text NOT NULL,"
        " items int NOT NULL, sent_at timestamptz NOT NULL DEFAULT now(),"
        " PRIMARY KEY (recipient, day))",
        f"CREATE INDEX IF NOT EXISTS notifications_deliveries_digest ON {deliveries}"
        " (recipient, next_attempt_at) WHERE status = 'queued' AND digest",
    ):
        op.execute(statement)


def downgrade(schema: str) -> None:
    s = quote(schema)
    deliveries = f"{s}.notifications_deliveries"
    op.execute(f"DELETE FROM {deliveries} WHERE status = 'cancelled'")
    # --- slice bodies
    op.execute(f"DROP INDEX IF EXISTS {s}.notifications_deliveries_digest")
    for name in ("notifications_digests", "notifications_obligations", "notifications_mandates",
                 "notifications_members", "notifications_body_addresses"):  # fmt: skip
        op.execute(f"DROP TABLE IF EXISTS {s}.{name}")
    for statement in (
        f"ALTER TABLE {deliveries} DROP CONSTRAINT IF EXISTS notifications_deliveries_status_check",
        f"ALTER TABLE {deliveries} ADD CONSTRAINT notifications_deliveries_status_check"
        " CHECK (status IN ('queued', 'sent', 'failed', 'withheld'))",
        f"DROP INDEX IF EXISTS {s}.notifications_deliveries_cancel",
        f"ALTER TABLE {deliveries} DROP COLUMN IF EXISTS digest",
        f"ALTER TABLE {deliveries} DROP COLUMN IF EXISTS cancel_key",
    ):
        op.execute(statement)
