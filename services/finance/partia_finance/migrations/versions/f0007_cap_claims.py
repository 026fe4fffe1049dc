"""The versions of each donor's capped total (decision 312): a unit of work that read a donor's
accepted total for a capped fund and period writes the version it read + 1 in its commit, so a
second writer that read the same total collides on the key and decides again. Keyed digests,
funds and dates only.

Revision ID: f0007
Revises: f0006
"""

from __future__ import annotations

from alembic import op

from partia_kit.migrate import quote

revision = "f0007"
down_revision = "f0006"
branch_labels = None
depends_on = None


def upgrade(schema: str) -> None:
    s = quote(schema)
    op.execute(
        f"CREATE TABLE IF NOT EXISTS {s}.finance_cap_claims ("
        " donor_digest bytea NOT NULL, fund text NOT NULL, period_start date NOT NULL,"
        " version int8 NOT NULL, PRIMARY KEY (donor_digest, fund, period_start, version))"
    )


def downgrade(schema: str) -> None:
    op.execute(f"DROP TABLE IF EXISTS {quote(schema)}.finance_cap_claims")
