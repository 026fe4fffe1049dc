"""Each wrapped personal-data key records which master key wrapped it (decision 160).

`key_id` names the master key (`partia_kit.masterkeys.key_id`); NULL for the keys wrapped before
this revision, all by the installation's one master key of that time (a rotation finds them by
trying the configured keys). `rotate-master-key` re-wraps every key whose id is not the current
key's.

Revision ID: 0003
Revises: 0002
"""

from __future__ import annotations

from alembic import op

from partia_kit.migrate import quote

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade(schema: str) -> None:
    op.execute(
        f"ALTER TABLE {quote(schema)}.registry_personal_data_keys"
        " ADD COLUMN IF NOT EXISTS key_id text"
    )


def downgrade(schema: str) -> None:
    op.execute(
        f"ALTER TABLE {quote(schema)}.registry_personal_data_keys DROP COLUMN IF EXISTS key_id"
    )
