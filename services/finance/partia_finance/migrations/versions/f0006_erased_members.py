"""The members whose personal data the registry erased, as finance learnt it from
`registry.member.personal_data_erased` (decision 298): written by the members' consumer in the
transaction that destroys the member's key, so finance refuses to seal new personal data of
theirs (a dues category) and its reads can say the data was erased. Ids and dates only.

Revision ID: f0006
Revises: f0005
"""

from __future__ import annotations

from alembic import op

from partia_kit.migrate import quote

revision = "f0006"
down_revision = "f0005"
branch_labels = None
depends_on = None


def upgrade(schema: str) -> None:
    s = quote(schema)
    op.execute(
        f"CREATE TABLE IF NOT EXISTS {s}.finance_erased_members ("
        " member_id uuid PRIMARY KEY, erased_on date NOT NULL)"
    )


def downgrade(schema: str) -> None:
    op.execute(f"DROP TABLE IF EXISTS {quote(schema)}.finance_erased_members")
