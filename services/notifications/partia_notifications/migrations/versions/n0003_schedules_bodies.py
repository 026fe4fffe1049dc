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
    ):
        op.execute(statement)


def downgrade(schema: str) -> None:
    s = quote(schema)
    deliveries = f"{s}.notifications_deliveries"
    op.execute(f"DELETE FROM {deliveries} WHERE status = 'cancelled'")
    for statement in (
        f"ALTER TABLE {deliveries} DROP CONSTRAINT IF EXISTS notifications_deliveries_status_check",
        f"ALTER TABLE {deliveries} ADD CONSTRAINT notifications_deliveries_status_check"
        " CHECK (status IN ('queued', 'sent', 'failed', 'withheld'))",
        f"DROP INDEX IF EXISTS {s}.notifications_deliveries_cancel",
        f"ALTER TABLE {deliveries} DROP COLUMN IF EXISTS digest",
        f"ALTER TABLE {deliveries} DROP COLUMN IF EXISTS cancel_key",
    ):
        op.execute(statement)
