"""What the notifications service keeps besides the delivery log, none of it personal data:
- the registry's organisation tree with the official names in kk, ru and en (from
  `partia.registry.organisations.v1`), so a notice names an organisation in its reader's language
  and finds the organisation whose body hears an appeal;
- the sanctions it has seen (kind, card number, organisation), so the notice of an appeal's
  decision or of a restored membership can say which sanction and which card;
- each member's choices per category of notice (issue 13 item 5);
- the outbox of the notices' integration events (`partia.notifications.v1`, issue 13 item 7).

Revision ID: n0002
Revises: n0001
"""

from __future__ import annotations

from alembic import op

from partia_kit.migrate import quote

revision = "n0002"
down_revision = "n0001"
branch_labels = None
depends_on = None


def upgrade(schema: str) -> None:
    s = quote(schema)
    for statement in (
        f"CREATE TABLE IF NOT EXISTS {s}.notifications_organisations ("
        " organisation_id uuid PRIMARY KEY, parent_id uuid, kind text NOT NULL,"
        " names jsonb NOT NULL, registry_position bigint NOT NULL DEFAULT 0)",
        f"CREATE TABLE IF NOT EXISTS {s}.notifications_sanctions ("
        " sanction_id uuid PRIMARY KEY, member_id uuid NOT NULL, kind text NOT NULL,"
        " organisation_id uuid NOT NULL, card_number text NOT NULL)",
        f"CREATE INDEX IF NOT EXISTS notifications_sanctions_member"
        f" ON {s}.notifications_sanctions (member_id)",
        f"CREATE TABLE IF NOT EXISTS {s}.notifications_preferences ("
        " member_id uuid PRIMARY KEY, reminders boolean NOT NULL DEFAULT true,"
        " information boolean NOT NULL DEFAULT true, updated_by text NOT NULL,"
        " updated_at timestamptz NOT NULL DEFAULT now())",
        # the outbox of `partia.notifications.v1`, in the shape the kit's relay reads (an
        # eventsourcing events table): each notice's outcome as its contract event's JSON
        f"CREATE TABLE IF NOT EXISTS {s}.notifications_outbox ("
        " notification_id bigserial PRIMARY KEY, originator_id uuid NOT NULL,"
        " originator_version int NOT NULL, topic text NOT NULL, state bytea NOT NULL,"
        " UNIQUE (originator_id, originator_version))",
    ):
        op.execute(statement)


def downgrade(schema: str) -> None:
    s = quote(schema)
    for name in ("notifications_outbox", "notifications_preferences", "notifications_sanctions",
                 "notifications_organisations"):  # fmt: skip
        op.execute(f"DROP TABLE IF EXISTS {s}.{name}")
