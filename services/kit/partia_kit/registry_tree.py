"""The registry's organisation tree as another service keeps it: the registry's events on
`partia.registry.organisations.v1`, applied with the consumer toolkit (each once, in one
transaction with its offset) into a table of the service's own, for the questions it asks without
calling the registry (finance: which organisations a donation or a treasurer's grant lies under,
decision 191; notifications: the names a notice gives, decision 276).

Every such table has `organisation_id`, `parent_id`, `kind` and `registry_position` (the
registry's log position of the last event applied: an older event changes nothing); a service
that shows names keeps `names` (jsonb, kk/ru/en), one that needs to know when a unit ended keeps
`dissolved_on`.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import psycopg
from psycopg.sql import SQL, Identifier

from partia_contracts.topics import REGISTRY, ce_type
from partia_kit.consumer import Consumer, Handler, consumer_for
from partia_kit.messages import IncomingEvent
from partia_kit.postgres.statements import table

TOPIC = REGISTRY.channel("organisations").topic


@dataclass(frozen=True)
class TreeTable:
    """Where a service keeps the tree, and what it keeps besides the tree itself."""

    name: str
    names: bool = False
    """Keep the official names (created and renamed carry all three languages)."""
    dissolved: bool = False
    """Keep the day an organisation was dissolved."""


def tree_consumer(
    name: str, tree: TreeTable, *, database_url: str, schema: str, bootstrap_servers: str
) -> Consumer:
    """The consumer group `name` keeping `tree` in `schema` from the registry's organisations."""
    return consumer_for(
        name,
        [TOPIC],
        tree_handlers(schema, tree),
        database_url=database_url,
        schema=schema,
        bootstrap_servers=bootstrap_servers,
    )


def position(event: IncomingEvent) -> int:
    """The registry's log position of an event (0 for one that does not say)."""
    value = event.data.get("position")
    return int(value) if value is not None else 0


def tree_handlers(schema: str, tree: TreeTable) -> dict[str, Handler]:
    """Created inserts (a second delivery finds the row); moved, renamed and dissolved update a
    row only with a newer event than the one it reflects."""
    organisations = table(schema, tree.name)

    def update(column: str, value: Any) -> Handler:
        statement = SQL(
            "UPDATE {} SET {} = %s, registry_position = %s"
            " WHERE organisation_id = %s AND registry_position < %s"
        ).format(organisations, Identifier(column))

        def apply(conn: psycopg.Connection[Any], event: IncomingEvent) -> None:
            at = position(event)
            conn.execute(statement, (value(event), at, event.data["organisation_id"], at))

        return apply

    def created(conn: psycopg.Connection[Any], event: IncomingEvent) -> None:
        data = event.data
        columns = ["organisation_id", "parent_id", "kind", "registry_position"]
        values = [data["organisation_id"], data["parent_id"], data["kind"], position(event)]
        if tree.names:
            columns.append("names")
            values.append(json.dumps(data["names"]))
        conn.execute(
            SQL("INSERT INTO {} ({}) VALUES ({}) ON CONFLICT (organisation_id) DO NOTHING").format(
                organisations,
                SQL(", ").join(map(Identifier, columns)),
                SQL(", ").join(SQL("%s") for _ in columns),
            ),
            values,
        )

    found = {
        ce_type("registry.organisation.created", 1): created,
        ce_type("registry.organisation.moved", 1): update(
            "parent_id", lambda e: e.data["to_parent_id"]
        ),
    }
    if tree.names:
        found[ce_type("registry.organisation.renamed", 1)] = update(
            "names", lambda e: json.dumps(e.data["names"])
        )
    if tree.dissolved:
        found[ce_type("registry.organisation.dissolved", 1)] = update(
            "dissolved_on", lambda e: e.data["effective_on"]
        )
    return found
