"""The registry's organisations as notices name them (decision 276): the registry's events on
`partia.registry.organisations.v1`, applied with the kit's consumer toolkit (each once, in one
transaction with its offset) into `notifications_organisations`: the tree (to find the body an
appeal goes to) and the official names in kk, ru and en (created and renamed carry all three).
The notifications service account may read only contacts at the registry, so names come this
way, not over HTTP; they are public facts, not personal data."""

from __future__ import annotations

import json
import threading
from typing import Any
from uuid import UUID

import psycopg
from psycopg.sql import SQL
from psycopg_pool import ConnectionPool

from partia_contracts.topics import REGISTRY, ce_type
from partia_kit.consumer import Consumer, ConsumerConfig, Handler
from partia_kit.messages import IncomingEvent
from partia_kit.postgres.statements import table
from partia_notifications.application.ports import Organisation

TOPIC = REGISTRY.channel("organisations").topic
TABLE = "notifications_organisations"
CONSUMER_NAME = "notifications_organisations"


def handlers(schema: str) -> dict[str, Handler]:
    """Created, renamed and moved change what a notice says; an event older than what the row
    already reflects (`registry_position`) changes nothing. A dissolved organisation keeps its
    name: a notice about a decision it took still names it."""
    organisations = table(schema, TABLE)

    def created(conn: psycopg.Connection[Any], event: IncomingEvent) -> None:
        data = event.data
        conn.execute(
            SQL(
                "INSERT INTO {} (organisation_id, parent_id, kind, names, registry_position)"
                " VALUES (%s, %s, %s, %s, %s) ON CONFLICT (organisation_id) DO NOTHING"
            ).format(organisations),
            (data["organisation_id"], data["parent_id"], data["kind"],
             json.dumps(data["names"]), _position(event)),
        )  # fmt: skip

    def renamed(conn: psycopg.Connection[Any], event: IncomingEvent) -> None:
        conn.execute(
            SQL(
                "UPDATE {} SET names = %s, registry_position = %s"
                " WHERE organisation_id = %s AND registry_position < %s"
            ).format(organisations),
            (json.dumps(event.data["names"]), _position(event), event.data["organisation_id"],
             _position(event)),
        )  # fmt: skip

    def moved(conn: psycopg.Connection[Any], event: IncomingEvent) -> None:
        conn.execute(
            SQL(
                "UPDATE {} SET parent_id = %s, registry_position = %s"
                " WHERE organisation_id = %s AND registry_position < %s"
            ).format(organisations),
            (event.data["to_parent_id"], _position(event), event.data["organisation_id"],
             _position(event)),
        )  # fmt: skip

    return {
        ce_type("registry.organisation.created", 1): created,
        ce_type("registry.organisation.renamed", 1): renamed,
        ce_type("registry.organisation.moved", 1): moved,
    }


def _position(event: IncomingEvent) -> int:
    position = event.data.get("position")
    return int(position) if position is not None else 0


def consumer(database_url: str, schema: str, bootstrap: str, topic: str = TOPIC) -> Consumer:
    return Consumer(
        ConsumerConfig(
            name=CONSUMER_NAME,
            database_url=database_url,
            schema=schema,
            bootstrap_servers=bootstrap,
            topics=[topic],
        ),
        handlers(schema),
    )


def follow(database_url: str, schema: str, bootstrap: str, stop: threading.Event) -> None:
    """Apply the registry's organisation events until `stop` is set."""
    consumer(database_url, schema, bootstrap).run(stop)


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
