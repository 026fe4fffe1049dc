"""The registers of issue 11 item 7: a donation's rule and clause (rejected, or found impermissible
later) and the day of that finding kept in the donation index, so each register can be read as of
any date; an index for the per-donor register against caps and one for the rejected donations.

Revision ID: f0002
Revises: f0001
"""

from __future__ import annotations

from alembic import op

from partia_kit.migrate import quote

revision = "f0002"
down_revision = "f0001"
branch_labels = None
depends_on = None


def upgrade(schema: str) -> None:
    s = quote(schema)
    for statement in (
        f"ALTER TABLE {s}.finance_donation_index ADD COLUMN IF NOT EXISTS clause text,"
        " ADD COLUMN IF NOT EXISTS found_on date",
        # the per-donor register reads each donor's rows of a fund in order, without the heap
        f"CREATE INDEX IF NOT EXISTS finance_donation_index_register"
        f" ON {s}.finance_donation_index (fund, donor_digest)"
        " INCLUDE (donor_kind, credited_on, amount_tiyn, accepted_tiyn, status, decided_on, found_on)"
        " WHERE donor_digest IS NOT NULL",
        f"CREATE INDEX IF NOT EXISTS finance_donation_index_refused"
        f" ON {s}.finance_donation_index (credited_on)"
        " WHERE status IN ('rejected', 'found_impermissible')",
    ):
        op.execute(statement)


def downgrade(schema: str) -> None:
    s = quote(schema)
    op.execute(f"DROP INDEX IF EXISTS {s}.finance_donation_index_refused")
    op.execute(f"DROP INDEX IF EXISTS {s}.finance_donation_index_register")
    op.execute(
        f"ALTER TABLE {s}.finance_donation_index DROP COLUMN IF EXISTS clause,"
        " DROP COLUMN IF EXISTS found_on"
    )
