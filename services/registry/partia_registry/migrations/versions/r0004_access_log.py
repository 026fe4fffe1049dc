"""The access log: every look at personal data on record (issue 10, decision 150).

Append-only: a trigger refuses UPDATE, DELETE and TRUNCATE (`partia_kit.access_log`). It holds
member ids, never names or IINs, so erasing a person leaves it as it is.

Revision ID: 0004
Revises: 0003
"""

from __future__ import annotations

from alembic import op

from partia_kit.access_log import create_statements

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

TABLE = "registry_access_log"


def upgrade(schema: str) -> None:
    for statement in create_statements(schema, TABLE):
        op.execute(statement)


def downgrade(schema: str) -> None:
    raise NotImplementedError("the access log is kept: an auditor's record is not undone")
