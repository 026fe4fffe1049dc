"""The open disciplinary cases of a member found by an index, not by reading every case.

When a membership ends, every case still open for that member is closed as moot (`CASES_MOOT` in
adapters/postgres/indexes.py: `WHERE member_id = ... AND closed_on IS NULL`). The case index had
no index on `member_id`, so each withdrawal, termination or expulsion read the whole case index
inside the writer's transaction. Only open cases are indexed: closed ones are never looked up so.

Revision ID: 0002
Revises: 0001
"""

from __future__ import annotations

from alembic import op
from sqlalchemy import text

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade(schema: str) -> None:
    op.create_index(
        "registry_case_index_open_by_member",
        "registry_case_index",
        ["member_id"],
        schema=schema,
        postgresql_where=text("closed_on IS NULL"),
        if_not_exists=True,
    )


def downgrade(schema: str) -> None:
    op.drop_index("registry_case_index_open_by_member", schema=schema, if_exists=True)
