"""The registry's organisation tree as finance knows it (decision 191), kept in
`finance_organisations` by the kit's tree follower (`partia_kit.registry_tree`); and the questions
finance asks of it: does an organisation exist, and which organisations is it under (a treasurer's
scope, decision 165)."""

from __future__ import annotations

from collections.abc import Callable, Collection
from contextlib import AbstractContextManager
from typing import Any
from uuid import UUID

import psycopg
from psycopg.sql import SQL

from partia_kit.consumer import Consumer, Handler
from partia_kit.postgres.statements import table
from partia_kit.registry_tree import TOPIC as TOPIC
from partia_kit.registry_tree import TreeTable, tree_consumer, tree_handlers

TABLE = "finance_organisations"
CONSUMER_NAME = "finance_organisations"
TREE = TreeTable(TABLE, dissolved=True)
"""Founded, moved and dissolved change the tree; a renaming does not concern finance."""


def handlers(schema: str) -> dict[str, Handler]:
    return tree_handlers(schema, TREE)


def consumer(database_url: str, schema: str, bootstrap: str) -> Consumer:
    return tree_consumer(
        CONSUMER_NAME, TREE, database_url=database_url, schema=schema, bootstrap_servers=bootstrap
    )


Connect = Callable[[], AbstractContextManager[psycopg.Connection[Any]]]


class OrganisationTree:
    """Reads `finance_organisations`."""

    def __init__(self, connect: Connect, schema: str) -> None:
        self._connect = connect
        self._chains = SQL(
            "WITH RECURSIVE up(start, id, parent, depth) AS ("
            " SELECT organisation_id, organisation_id, parent_id, 0 FROM {t}"
            " WHERE organisation_id = ANY(%s)"
            " UNION ALL SELECT up.start, o.organisation_id, o.parent_id, up.depth + 1"
            " FROM {t} o JOIN up ON o.organisation_id = up.parent WHERE up.depth < 64)"
            " SELECT start, id FROM up ORDER BY start, depth"
        ).format(t=table(schema, TABLE))

    def chain(self, organisation_id: UUID) -> list[UUID] | None:
        """The organisation, its parent, ... the party; None for one finance has not heard of."""
        return self.chains([organisation_id]).get(organisation_id)

    def chains(self, organisation_ids: Collection[UUID]) -> dict[UUID, list[UUID]]:
        """`chain` of each organisation finance has heard of, in one round trip (a batch of
        donations asks once, not once per donation); the others are left out."""
        if not organisation_ids:
            return {}
        found: dict[UUID, list[UUID]] = {}
        with self._connect() as conn:
            for start, organisation in conn.execute(self._chains, (list(organisation_ids),)):
                found.setdefault(start, []).append(organisation)
        return found
