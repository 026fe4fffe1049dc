"""The registry's member events on Kafka (`partia.registry.members.v1`), through the kit's consumer
toolkit: each event's notices are written to the delivery log in the transaction that records the
event as applied (`partia_kit.consumer`), and the log's UNIQUE (event_id, template, recipient)
stands behind it. However often Kafka redelivers an event, its notices are queued once; the
sender (`partia_notifications.application.sending`) delivers what is queued."""

from __future__ import annotations

import json
import threading
import uuid
from collections.abc import Iterable, Sequence
from typing import Any

import psycopg
from psycopg.sql import SQL

from partia_contracts.topics import REGISTRY
from partia_kit.consumer import Consumer, Handler, consumer_for
from partia_kit.messages import IncomingEvent
from partia_kit.postgres.statements import table
from partia_notifications.adapters import bodies
from partia_notifications.adapters.deliveries import TABLE
from partia_notifications.domain import reminders
from partia_notifications.domain.bodies import KNOWN
from partia_notifications.domain.notices import cancel_keys_for, handled_types, notices_for

TOPIC = REGISTRY.channel("members").topic
CONSUMER_NAME = "notifications_members"
ERASED = "partia.registry.member.personal_data_erased"
SANCTION = "partia.registry.member.sanction_imposed"
SANCTIONS = "notifications_sanctions"
PREFERENCES = "notifications_preferences"


def handlers(schema: str) -> dict[str, Handler]:
    """A handler for each member event that causes notices, and one for an erasure."""
    deliveries = table(schema, TABLE)
    # a reminder's first attempt is its date; a notice for now, now
    queue = SQL(
        "INSERT INTO {} (notice_id, event_id, event_type, template, recipient, member_id,"
        " category, context, status, next_attempt_at, cancel_key, digest)"
        " VALUES (%s, %s, %s, %s, %s, %s, %s, %s, 'queued', COALESCE(%s, now()), %s, %s)"
        " ON CONFLICT (event_id, template, recipient) DO NOTHING"
    ).format(deliveries)
    call_off = SQL(
        "UPDATE {} SET status = 'cancelled', last_error = %s, updated_at = now()"
        " WHERE cancel_key = ANY(%s) AND status = 'queued'"
    ).format(deliveries)

    sanctions = table(schema, SANCTIONS)
    remember = SQL(
        "INSERT INTO {} (sanction_id, member_id, kind, organisation_id, card_number)"
        " VALUES (%s, %s, %s, %s, %s) ON CONFLICT (sanction_id) DO NOTHING"
    ).format(sanctions)
    recall = SQL("SELECT kind, organisation_id, card_number FROM {} WHERE sanction_id = %s").format(
        sanctions
    )
    sanctions_of = SQL("SELECT sanction_id::text FROM {} WHERE member_id = %s").format(sanctions)

    def sanction(conn: psycopg.Connection[Any], data: dict[str, Any]) -> dict[str, Any] | None:
        """What this service saw of the sanction an appeal or a restoration names."""
        if data.get("sanction_id") is None:
            return None
        row = conn.execute(recall, (data["sanction_id"],)).fetchone()
        return None if row is None else {
            "kind": row[0], "organisation_id": str(row[1]), "card_number": row[2]
        }  # fmt: skip

    def notify(conn: psycopg.Connection[Any], event: IncomingEvent) -> None:
        data = event.data
        # what later notices to bodies say of the member, mandate or obligation; then this one's
        bodies.keep(conn, schema, event.type_name, data)
        data = {**data, KNOWN: bodies.known(conn, schema, event.type_name, data)}
        if event.type_name == SANCTION:
            conn.execute(
                remember,
                (data["sanction_id"], data["member_id"], data["kind"], data["organisation_id"],
                 data["card_number"]),
            )  # fmt: skip
        if event.type_name == reminders.ENDED:  # the event names no sanction: what was seen
            seen = conn.execute(sanctions_of, (data["member_id"],)).fetchall()
            data = {**data, reminders.SANCTIONS_OF_MEMBER: [row[0] for row in seen]}
        cancelled = cancel_keys_for(event.type_name, data)
        if cancelled:
            # before queueing: an event may call off an earlier reminder and schedule its own
            conn.execute(call_off, (f"cancelled-by:{event.type_name}:{event.id}", cancelled))
        for notice in notices_for(event.type_name, data, sanction(conn, data)):
            conn.execute(
                queue,
                (uuid.uuid4(), event.id, event.type, notice.template, notice.recipient,
                 notice.member_id, notice.category, json.dumps(notice.context),
                 notice.not_before, notice.cancel_key, notice.digest),
            )  # fmt: skip

    def erased(conn: psycopg.Connection[Any], event: IncomingEvent) -> None:
        # nothing more goes to a person whose data was erased (the registry answers 410 too)
        conn.execute(
            SQL(
                "UPDATE {} SET status = 'withheld', last_error = 'personal-data-erased',"
                " updated_at = now() WHERE member_id = %s AND status = 'queued'"
            ).format(deliveries),
            (event.data["member_id"],),
        )
        forgetting = (PREFERENCES, *bodies.FORGOTTEN_ON_ERASURE)
        for forgotten in (sanctions, *(table(schema, name) for name in forgetting)):
            conn.execute(
                SQL("DELETE FROM {} WHERE member_id = %s").format(forgotten),
                (event.data["member_id"],),
            )

    return {
        **{f"{name}.v1": notify for name in handled_types() | bodies.KEPT},
        f"{ERASED}.v1": erased,
    }


def consumer(
    database_url: str,
    schema: str,
    bootstrap: str,
    topics: Sequence[str] = (TOPIC,),
    name: str = CONSUMER_NAME,
    types: Iterable[str] | None = None,
) -> Consumer:
    """`name`: the consumer group, and the prefix of its tracking tables. `types` (`ce_type`s):
    only these are handled, for a consumer of another topic (finance's dues or obligations);
    None: all of the registry's."""
    every = handlers(schema)
    return consumer_for(
        name,
        topics,
        every if types is None else {t: every[t] for t in types},
        database_url=database_url,
        schema=schema,
        bootstrap_servers=bootstrap,
    )


def follow(
    database_url: str,
    schema: str,
    bootstrap: str,
    stop: threading.Event,
    topics: Sequence[str] = (TOPIC,),
    name: str = CONSUMER_NAME,
) -> None:
    """Queue the notices of the registry's member events until `stop` is set."""
    consumer(database_url, schema, bootstrap, topics, name).run(stop)
