"""Membership dues (issue 12): finance's view of who was a member of which primary organisation
when (from the registry's member events), the dues categories members declared, and the dues
payments. The tables are read models: the facts are the registry's events and finance's own.

Revision ID: f0003
Revises: f0002
"""

from __future__ import annotations

from alembic import op

from partia_kit.migrate import quote

revision = "f0003"
down_revision = "f0002"
branch_labels = None
depends_on = None


def upgrade(schema: str) -> None:
    s = quote(schema)
    for statement in (
        # One row per stint of a member in one primary organisation, half-open [from_on,
        # until_on): an admission, a transfer or a re-admission opens one; a transfer or the end
        # of the membership closes it (until_on = the effective date). `opened_by` 'admission'
        # marks where an entrance fee arises. Written by adapters/memberships.py.
        f"CREATE TABLE IF NOT EXISTS {s}.finance_membership_spells ("
        " member_id uuid NOT NULL, organisation_id uuid NOT NULL, from_on date NOT NULL,"
        " until_on date, opened_by text NOT NULL, closed_by text, card_number text NOT NULL,"
        " registry_position bigint NOT NULL,"
        " PRIMARY KEY (member_id, from_on, organisation_id))",
        f"CREATE INDEX IF NOT EXISTS finance_membership_spells_organisation"
        f" ON {s}.finance_membership_spells (organisation_id, from_on)",
        f"CREATE INDEX IF NOT EXISTS finance_membership_spells_card"
        f" ON {s}.finance_membership_spells (card_number)",
        # A member's dues category from a date (Ch. 12.2); monthly_tiyn is a voluntary higher
        # monthly amount, if declared. Written with the declaration's event.
        f"CREATE TABLE IF NOT EXISTS {s}.finance_dues_categories ("
        " member_id uuid NOT NULL, effective_from date NOT NULL, category text NOT NULL,"
        " monthly_tiyn bigint, evidence_reference text, declared_on date NOT NULL,"
        " PRIMARY KEY (member_id, effective_from))",
        # Each dues payment (cash collected by a PPO bureau with its receipt number, or a bank
        # credit matched from a statement); reversed_on set by the reversal's event.
        f"CREATE TABLE IF NOT EXISTS {s}.finance_dues_payments ("
        " payment_id uuid PRIMARY KEY, member_id uuid NOT NULL, organisation_id uuid NOT NULL,"
        " paid_on date NOT NULL, amount_tiyn bigint NOT NULL, channel text NOT NULL,"
        " reference text NOT NULL, reversed_on date)",
        f"CREATE INDEX IF NOT EXISTS finance_dues_payments_member"
        f" ON {s}.finance_dues_payments (member_id, paid_on)",
        f"CREATE INDEX IF NOT EXISTS finance_dues_payments_paid"
        f" ON {s}.finance_dues_payments (paid_on, organisation_id)",
        # --- slices add their statements below, each under a comment naming it ---
        # dues slice: one row per dues account (the member's id), written with its events:
        # whether arrears stand at or over the threshold since `threshold_reached_on`, so the
        # daily clock looks only at accounts whose state may change.
        f"CREATE TABLE IF NOT EXISTS {s}.finance_dues_accounts ("
        " member_id uuid PRIMARY KEY, threshold_reached_on date)",
    ):
        op.execute(statement)


def downgrade(schema: str) -> None:
    s = quote(schema)
    for name in (
        "finance_dues_accounts",  # dues slice
        "finance_dues_payments",
        "finance_dues_categories",
        "finance_membership_spells",
    ):
        op.execute(f"DROP TABLE IF EXISTS {s}.{name}")
