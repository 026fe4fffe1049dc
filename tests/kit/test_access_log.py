"""The shared access log (partia_kit.access_log) on a real PostgreSQL: append-only, written in
batches off the request path, surviving a lost connection, queried per person and per user."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import psycopg
import pytest
from psycopg.sql import SQL, Identifier

from partia_kit.access_log import AccessLog, AccessQuery, AccessRecord, create_statements, query
from partia_kit.testing import new_schema

TABLE = "test_access_log"


@pytest.fixture
def schema(database_url: str) -> str:
    name = new_schema()
    with psycopg.connect(database_url, autocommit=True) as conn:
        conn.execute(SQL("CREATE SCHEMA {}").format(Identifier(name)))
        for statement in create_statements(name, TABLE):
            conn.execute(statement.encode())
    return name


@pytest.fixture
def conn(database_url: str) -> Iterator[psycopg.Connection[Any]]:
    with psycopg.connect(database_url, autocommit=True) as connection:
        yield connection


@pytest.fixture
def writer(database_url: str, schema: str) -> Iterator[AccessLog]:
    log = AccessLog(
        lambda: psycopg.connect(database_url, autocommit=True, application_name=schema),
        schema,
        TABLE,
        retry_after=0.05,
    )
    log.start()
    try:
        yield log
    finally:
        log.stop()


def record(user: str = "clerk", *members: uuid.UUID, at: datetime | None = None) -> AccessRecord:
    return AccessRecord(
        user=user,
        operation="get_member",
        route="GET /members/{member_id}",
        member_ids=list(members) or [uuid.uuid4()],
        fields=("iin", "surname"),
        roles=("clerk",),
        read_at=at or datetime.now(UTC),
    )


def rows(conn: psycopg.Connection[Any], schema: str) -> list[tuple[Any, ...]]:
    return conn.execute(
        SQL("SELECT user_name, operation, route, member_ids, fields, roles FROM {}").format(
            Identifier(schema, TABLE)
        )
    ).fetchall()


@pytest.mark.parametrize(
    "change",
    ["UPDATE {} SET user_name = 'someone else'", "DELETE FROM {}", "TRUNCATE {}"],
)
def test_the_access_log_refuses_every_change_but_adding_a_record(
    writer: AccessLog, conn: psycopg.Connection[Any], schema: str, change: str
) -> None:
    writer.record(record("clerk"), wait=True)

    with pytest.raises(psycopg.errors.InsufficientPrivilege, match="append-only"):
        conn.execute(SQL(change).format(Identifier(schema, TABLE)))

    assert [r[0] for r in rows(conn, schema)] == ["clerk"]


def test_a_waiting_record_is_stored_when_record_returns(
    writer: AccessLog, conn: psycopg.Connection[Any], schema: str
) -> None:
    member = uuid.uuid4()
    writer.record(record("clerk", member), wait=True)

    assert rows(conn, schema) == [
        ("clerk", "get_member", "GET /members/{member_id}", [member], ["iin", "surname"], ["clerk"])
    ]


def test_records_queued_together_are_written_in_few_round_trips_and_all_kept(
    writer: AccessLog, conn: psycopg.Connection[Any], schema: str
) -> None:
    for n in range(2000):
        writer.record(record(f"user-{n}"))
    writer.flush()

    assert len(rows(conn, schema)) == 2000
    assert writer.batches < 2000 / 10  # many records per COPY, not one round trip each


def test_a_lost_database_connection_costs_no_record(
    writer: AccessLog, conn: psycopg.Connection[Any], schema: str
) -> None:
    writer.record(record("before"), wait=True)
    killed = conn.execute(
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = %s",
        (schema,),
    ).fetchall()
    assert killed == [(True,)]  # the writer's connection is gone

    writer.record(record("after"))
    writer.flush()

    assert sorted(r[0] for r in rows(conn, schema)) == ["after", "before"]


def test_stopping_writes_what_is_still_queued(
    database_url: str, conn: psycopg.Connection[Any], schema: str
) -> None:
    log = AccessLog(lambda: psycopg.connect(database_url, autocommit=True), schema, TABLE)
    log.start()
    for n in range(50):
        log.record(record(f"user-{n}"))
    log.stop()

    assert len(rows(conn, schema)) == 50


def test_the_log_is_queried_per_person_per_user_and_period_newest_first_in_pages(
    writer: AccessLog, conn: psycopg.Connection[Any], schema: str
) -> None:
    alma, bolat = uuid.uuid4(), uuid.uuid4()
    start = datetime(2026, 3, 1, tzinfo=UTC)
    for hour, user, members in [
        (1, "clerk", [alma]),
        (2, "clerk", [alma, bolat]),
        (3, "auditor", [bolat]),
        (4, "clerk", [bolat]),
    ]:
        writer.record(record(user, *members, at=start + timedelta(hours=hour)))
    writer.flush()

    def users(q: AccessQuery) -> tuple[list[tuple[str, int]], int]:
        items, total = query(conn, schema, TABLE, q)
        return [(i["user_name"], i["read_at"].hour) for i in items], total

    assert users(AccessQuery(member_id=alma)) == ([("clerk", 2), ("clerk", 1)], 2)
    assert users(AccessQuery(user="auditor")) == ([("auditor", 3)], 1)
    assert users(AccessQuery(member_id=bolat, user="clerk")) == ([("clerk", 4), ("clerk", 2)], 2)
    assert users(AccessQuery(start=start + timedelta(hours=2), end=start + timedelta(hours=4))) == (
        [("auditor", 3), ("clerk", 2)],
        2,
    )
    assert users(AccessQuery(limit=2, offset=1)) == ([("auditor", 3), ("clerk", 2)], 4)
