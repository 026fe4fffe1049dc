"""The relay keeps two batches in flight (decision 130): a failed delivery in one batch while the
next is already on its way must neither move the stored position past the failure nor lose
anything once deliveries work again."""

from __future__ import annotations

import threading
from dataclasses import replace
from pathlib import Path
from typing import Any

import psycopg
from psycopg.sql import SQL, Identifier

from partia_kit.broker import start_broker
from partia_kit.messages import OutboundMessage
from partia_kit.relay import Relay, RelayConfig, StoredRecord, create_position_table
from partia_kit.testing import read_topic, running, wait_for
from partia_registry.composition import Registry
from partia_registry.relay import MEMBERS_TOPIC, registry_messages
from partia_registry.settings import RegistrySettings
from tests.registry.builders import build_tree
from tests.registry.relay.support import admissions, caught_up, logged, published, relay_config

BATCH = 10
NOWHERE = "partia.registry.nowhere"  # never created: the broker can never acknowledge it


def _stored_positions(conn: psycopg.Connection[Any], schema: str) -> list[int]:
    """Every position the relay has stored so far (a trigger records each update)."""
    table = Identifier(schema, "positions_stored")
    return [row[0] for row in conn.execute(SQL("SELECT position FROM {}").format(table))]


def _record_stored_positions(conn: psycopg.Connection[Any], schema: str) -> None:
    create_position_table(conn, schema, "registry")
    conn.execute(
        SQL(
            "CREATE TABLE {log} (position bigint NOT NULL);"
            " CREATE FUNCTION {fn}() RETURNS trigger LANGUAGE plpgsql AS"
            " $$ BEGIN INSERT INTO {log} VALUES (NEW.position); RETURN NEW; END $$;"
            " CREATE TRIGGER remember AFTER UPDATE ON {table}"
            " FOR EACH ROW EXECUTE FUNCTION {fn}()"
        ).format(
            log=Identifier(schema, "positions_stored"),
            fn=Identifier(schema, "remember_position"),
            table=Identifier(schema, "registry_relay_position"),
        )
    )


def test_a_failed_delivery_while_the_next_batch_is_in_flight_never_stores_a_position_past_it_and_loses_nothing(
    registry: Registry, settings: RegistrySettings, tmp_path: Path
) -> None:
    own = start_broker(log=tmp_path / "broker.log")
    try:
        tree = build_tree(registry)
        admissions(registry, tree.ppo, 30)
        events = logged(registry)
        # batches of 10 from the start of the log: the event at index 25 sits in the third
        # (batch N), the fourth (N+1) is produced while N waits for its acknowledgements
        failing = events[25].position
        next_batch = {str(e.event_id) for e in events[30:40]}
        assert failing is not None
        config: RelayConfig = replace(
            relay_config(settings, registry, own.bootstrap), batch_size=BATCH
        )
        mapped = registry_messages(registry.events.vault_mapper().without_personal_data())
        broken = threading.Event()
        broken.set()
        attempts: list[int] = []

        def to_messages(record: StoredRecord) -> list[OutboundMessage]:
            messages = list(mapped(record))
            if record.position != failing or not broken.is_set():
                return messages
            attempts.append(record.position)
            return [OutboundMessage(NOWHERE, m.key, m.headers, m.value) for m in messages]

        with psycopg.connect(config.database_url, autocommit=True) as conn:
            _record_stored_positions(conn, config.schema)

            def next_batch_arrived() -> bool:
                if not attempts:  # N not even mapped yet (the topics may not exist yet)
                    return False
                arrived = read_topic(own.bootstrap, MEMBERS_TOPIC, quiet=0.3)
                return bool(next_batch & {r.headers["ce_id"].decode() for r in arrived})

            with running(Relay(config, to_messages).run, "relay"):
                wait_for(next_batch_arrived, what="batch N+1 on the broker")
                wait_for(lambda: len(attempts) >= 2, what="the relay to publish N again")
            assert _stored_positions(conn, config.schema), "batches before N were stored"
            assert max(_stored_positions(conn, config.schema)) < failing, (
                "no position at or past the event whose delivery failed"
            )

            broken.clear()  # deliveries work again; a new relay takes over
            with running(Relay(config, to_messages).run, "relay"):
                wait_for(lambda: caught_up(settings, registry), what="the relay to catch up")
        arrived = published(own.bootstrap, registry)
    finally:
        own.stop()
    ids = {r.headers["ce_id"].decode() for records in arrived.values() for r in records}
    assert ids == {str(e.event_id) for e in events}, "every event arrived"
