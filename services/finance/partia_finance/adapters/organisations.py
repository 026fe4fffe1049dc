"""The registry's organisation tree as finance knows it (decision 191): the registry's integration
events on `partia.registry.organisations.v1`, applied with the kit's consumer toolkit (each once,
with its offset, in one transaction) into `finance_organisations`; and the questions finance asks
of it: does an organisation exist, and which organisations is it under (a treasurer's scope,
decision 165)."""

from __future__ import annotations

import threading
from collections.abc import Callable, Collection
from contextlib import AbstractContextManager
from typing import Any
from uuid import UUID

import psycopg
from psycopg.sql import SQL

from partia_contracts.topics import REGISTRY, ce_type
from partia_kit.consumer import Consumer, ConsumerConfig, Handler
from partia_kit.messages import IncomingEvent
from partia_kit.postgres.statements import table

TOPIC = REGISTRY.channel("organisations").topic
TABLE = "finance_organisations"
CONSUMER_NAME = "finance_organisations"


def handlers(schema: str) -> dict[str, Handler]:
    """Founded, moved and dissolved change the tree; a renaming does not concern finance. An
    event older than what the row already reflects (`registry_position`) changes nothing."""
    organisations = table(schema, TABLE)

    def created(conn: psycopg.Connection[Any], event: IncomingEvent) -> None:
        data = event.data
        conn.execute(
            SQL(
                "INSERT INTO {} (organisation_id, parent_id, kind, registry_position)"
                " VALUES (%s, %s, %s, %s) ON CONFLICT (organisation_id) DO NOTHING"
            ).format(organisations),
            (data["organisation_id"], data["parent_id"], data["kind"], _position(event)),
        )

    def moved(conn: psycopg.Connection[Any], event: IncomingEvent) -> None:
        conn.execute(
            SQL(
                "UPDATE {} SET parent_id = %s, registry_position = %s"
                " WHERE organisation_id = %s AND registry_position < %s"
            ).format(organisations),
            (event.data["to_parent_id"], _position(event), event.data["organisation_id"],
             _position(event)),
        )  # fmt: skip

    def dissolved(conn: psycopg.Connection[Any], event: IncomingEvent) -> None:
        conn.execute(
            SQL(
                "UPDATE {} SET dissolved_on = %s, registry_position = %s"
                " WHERE organisation_id = %s AND registry_position < %s"
            ).format(organisations),
            (event.data["effective_on"], _position(event), event.data["organisation_id"],
             _position(event)),
        )  # fmt: skip

    return {
        ce_type("registry.organisation.created", 1): created,
        ce_type("registry.organisation.moved", 1): moved,
        ce_type("registry.organisation.dissolved", 1): dissolved,
    }


def _position(event: IncomingEvent) -> int:
    position = event.data.get("position")
    return int(position) if position is not None else 0


def consumer(database_url: str, schema: str, bootstrap: str) -> Consumer:
    return Consumer(
        ConsumerConfig(
            name=CONSUMER_NAME,
            database_url=database_url,
            schema=schema,
            bootstrap_servers=bootstrap,
            topics=[TOPIC],
        ),
        handlers(schema),
    )


def follow(database_url: str, schema: str, bootstrap: str, stop: threading.Event) -> None:
    """Apply the registry's organisation events until `stop` is set."""
    consumer(database_url, schema, bootstrap).run(stop)


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
