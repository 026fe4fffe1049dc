"""The registry's organisations as notices name them (decision 276), kept in
`notifications_organisations` by the kit's tree follower (`partia_kit.registry_tree`): the tree
(to find the body an appeal goes to) and the official names in kk, ru and en.
The notifications service account may read only contacts at the registry, so names come this
way, not over HTTP; they are public facts, not personal data."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from psycopg.sql import SQL
from psycopg_pool import ConnectionPool

from partia_kit.consumer import Consumer, Handler
from partia_kit.postgres.statements import table
from partia_kit.registry_tree import TOPIC as TOPIC
from partia_kit.registry_tree import TreeTable, tree_consumer, tree_handlers
from partia_notifications.application.ports import Organisation

TABLE = "notifications_organisations"
CONSUMER_NAME = "notifications_organisations"
TREE = TreeTable(TABLE, names=True)
"""Created, renamed and moved change what a notice says. A dissolved organisation keeps its
name: a notice about a decision it took still names it."""


def handlers(schema: str) -> dict[str, Handler]:
    return tree_handlers(schema, TREE)


def consumer(database_url: str, schema: str, bootstrap: str) -> Consumer:
    return tree_consumer(
        CONSUMER_NAME, TREE, database_url=database_url, schema=schema, bootstrap_servers=bootstrap
    )


class OrganisationDirectory:
    """Reads `notifications_organisations` for the sender."""

    def __init__(self, pool: ConnectionPool[Any], schema: str) -> None:
        self._pool = pool
        self._chain = SQL(
            "WITH RECURSIVE up(id, parent, kind, names, depth) AS ("
            " SELECT organisation_id, parent_id, kind, names, 0 FROM {t} WHERE organisation_id = %s"
            " UNION ALL SELECT o.organisation_id, o.parent_id, o.kind, o.names, up.depth + 1"
            " FROM {t} o JOIN up ON o.organisation_id = up.parent WHERE up.depth < 64)"
            " SELECT id, kind, names FROM up ORDER BY depth"
        ).format(t=table(schema, TABLE))

    def chain(self, organisation_id: UUID) -> list[Organisation]:
        with self._pool.connection() as conn:
            rows = conn.execute(self._chain, (organisation_id,)).fetchall()
        return [Organisation(id_, kind, dict(names)) for id_, kind, names in rows]
