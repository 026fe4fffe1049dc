"""The roll as CSV (issue 10 item 3, property level): the whole roll or subtree, names and cards
only, streamed as it is read from one snapshot, each chunk on the access log before it is sent
(decisions 170, 171)."""

from __future__ import annotations

import csv
import io
import logging
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import Future
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any
from uuid import UUID

import httpx
import psycopg
import pytest
import uvicorn
from fastapi.testclient import TestClient
from psycopg.sql import SQL, Identifier

from partia_kit.access_log import AccessRecord
from partia_kit.testing import free_port, wait_for
from partia_registry.api import reports as reports_api
from partia_registry.api.app import create_app
from partia_registry.application import commands as c
from partia_registry.application.batches import Outcome
from partia_registry.composition import ACCESS_LOG_TABLE, Registry
from partia_registry.domain.decisions import BodyKind
from partia_registry.domain.people import PersonalData
from partia_registry.projections import runner
from partia_registry.projections.runner import CHECK_EVERY
from partia_registry.settings import RegistrySettings
from tests.registry.builders import (
    ALMATY_CITY_ID,
    ASTANA_ID,
    PARTY_ID,
    admit,
    apply,
    build_tree,
    citizen,
    decided,
    make_iin,
    ok,
    signed,
)

CHUNK = 64
"""A small export chunk, so that a few hundred members make several chunks."""
FIRST_ADMISSION = date(2026, 3, 10)
COLUMNS = reports_api.ROLL_COLUMNS


@dataclass
class Party:
    ppos: list[UUID]
    members: list[UUID]  # admitted, on a roll
    applicants: list[UUID]  # applied only: on no roll
    people: list[PersonalData]  # everyone's personal data, as given


def seed(registry: Registry, n: int, applicants: int = 5) -> Party:
    """`n` members admitted over 15 days in three PPOs of two regions, and a few applicants, each
    with personal data of their own (IIN, address, phone, email) to look for in the outputs."""
    ppos = [
        build_tree(registry, ASTANA_ID, "Yesil").ppo,
        build_tree(registry, ASTANA_ID, "Saryarka").ppo,
        build_tree(registry, ALMATY_CITY_ID, "Medeu").ppo,
    ]
    people = [
        PersonalData(
            iin=make_iin(date(1960 + i % 40, 1 + i % 12, 1 + i % 28), female=i % 2 == 1),
            surname=f"Surname{i:03d}",
            given_name="Name",
            patronymic=None,
            address=f"Mangilik El {i}, flat {i + 7}",
            phone=f"+7701{i:07d}",
            email=f"member{i}@example.kz",
        )
        for i in range(n + applicants)
    ]
    applied = _all(
        [
            registry.writer.submit(
                c.SubmitApplication(
                    actor="registrar",
                    organisation_id=ppos[i % 3],
                    person=who,
                    declarations=citizen(),
                    application_document=signed(date(2026, 3, 1)),
                )
            )
            for i, who in enumerate(people)
        ]
    )
    ids = [UUID(str(receipt["member_id"])) for receipt in applied]
    _all(
        [
            registry.writer.submit(
                c.AdmitMember(
                    actor="registrar",
                    member_id=member,
                    decision=decided(
                        BodyKind.PPO_MEETING, ppos[i % 3], FIRST_ADMISSION + timedelta(i % 15)
                    ),
                )
            )
            for i, member in enumerate(ids[:n])
        ]
    )
    assert registry.read_model.wait_for(registry.read_model.status().head, timeout=60)
    return Party(ppos, ids[:n], ids[n:], people)


def _all(futures: list[Future[Outcome]]) -> list[dict[str, object]]:
    return [ok(f.result(60)) for f in futures]


def the_registry(client: TestClient) -> Registry:
    app: Any = client.app
    return app.state.registry  # type: ignore[no-any-return]


@pytest.fixture
def small_chunks(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(reports_api, "EXPORT_CHUNK", CHUNK)


def json_pages(client: TestClient, organisation: UUID, **params: Any) -> list[dict[str, str]]:
    """Every item of the roll's JSON pages, as a spreadsheet would show it."""
    items: list[dict[str, Any]] = []
    while True:
        page = client.get(
            f"/organisations/{organisation}/roll",
            params={**params, "limit": 100, "offset": len(items)},
        )
        assert page.status_code == 200, page.text
        items.extend(page.json()["items"])
        if len(items) >= page.json()["total"]:
            return [{k: "" if i[k] is None else str(i[k]) for k in COLUMNS} for i in items]


def exported(client: TestClient, organisation: UUID, **params: Any) -> list[dict[str, str]]:
    answer = client.get(f"/organisations/{organisation}/roll", params={**params, "format": "csv"})
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(answer.text)))
    assert answer.headers["x-roll-total"] == str(len(rows))
    return rows


def test_a_subtrees_roll_as_csv_holds_the_same_members_in_the_same_order_as_its_json_pages(
    client: TestClient, small_chunks: None
) -> None:
    party = seed(the_registry(client), 300)

    for params in (
        {"subtree": True},
        {"subtree": True, "sort": "admitted_on"},
        {"subtree": True, "sort": "name"},
        {"subtree": True, "on": str(FIRST_ADMISSION + timedelta(6))},
        {"subtree": True, "on": str(FIRST_ADMISSION + timedelta(6)), "sort": "admitted_on"},
    ):
        rows = exported(client, ASTANA_ID, **params)
        assert list(rows[0]) == COLUMNS
        assert rows == json_pages(client, ASTANA_ID, **params), params
    in_astana = [m for i, m in enumerate(party.members) if i % 3 != 2]
    assert sorted(r["member_id"] for r in exported(client, ASTANA_ID, subtree=True)) == sorted(
        map(str, in_astana)
    )
    assert len(exported(client, ASTANA_ID, subtree=True, on="2026-03-14")) == sum(
        1 for i in range(300) if i % 3 != 2 and i % 15 <= 4
    )


def test_the_whole_partys_roll_exported_holds_every_member_once_and_no_applicant(
    client: TestClient, small_chunks: None
) -> None:
    party = seed(the_registry(client), 300)

    rows = exported(client, PARTY_ID, subtree=True)

    ids = [r["member_id"] for r in rows]
    assert len(ids) == len(set(ids)) == 300
    assert set(ids) == set(map(str, party.members))
    assert not set(ids) & set(map(str, party.applicants))
    assert [r["card_number"] for r in rows] == sorted(r["card_number"] for r in rows)


def test_no_iin_address_phone_or_email_appears_in_any_roll_as_json_or_csv(
    client: TestClient, small_chunks: None
) -> None:
    party = seed(the_registry(client), 60, applicants=0)
    answers = [
        client.get(f"/organisations/{PARTY_ID}/roll", params={**params, "format": form})
        for form in ("json", "csv")
        for params in (
            {"subtree": True, "limit": 1000},
            {"subtree": True, "sort": "name", "limit": 1000},
            {"subtree": True, "on": "2026-03-20", "limit": 1000},
        )
    ]

    assert all(a.status_code == 200 for a in answers)
    text = "\n".join(a.text for a in answers)
    assert all(p.full_name in text for p in party.people)  # the names are there, nothing else
    for p in party.people:
        for value in (p.iin, p.address, p.phone, p.email):
            assert value
            assert value not in text, value


def test_every_exported_member_is_on_the_access_log_one_record_per_chunk_with_the_name_field(
    client: TestClient, small_chunks: None
) -> None:
    registry = the_registry(client)
    seed(registry, 300)

    rows = exported(client, PARTY_ID, subtree=True)

    records = access_records(registry)  # stored before the answer ended, none waits for a batch
    assert [(r["operation"], r["fields"]) for r in records] == [("roll", ["full_name"])] * 5
    assert [len(r["member_ids"]) for r in records] == [CHUNK] * 4 + [300 - 4 * CHUNK]
    assert [str(m) for r in records for m in r["member_ids"]] == [r["member_id"] for r in rows]


def access_records(registry: Registry) -> list[dict[str, Any]]:
    with psycopg.connect(
        registry.settings.database_url or "", row_factory=psycopg.rows.dict_row
    ) as conn:
        return conn.execute(
            SQL("SELECT * FROM {} ORDER BY id").format(
                Identifier(registry.store.schema, ACCESS_LOG_TABLE)
            )
        ).fetchall()


def test_an_empty_roll_exports_its_header_and_an_unknown_organisation_is_not_found(
    client: TestClient,
) -> None:
    tree = build_tree(the_registry(client), ASTANA_ID, "Empty")

    empty = client.get(f"/organisations/{tree.ppo}/roll", params={"format": "csv"})
    unknown = client.get(f"/organisations/{UUID(int=7)}/roll", params={"format": "csv"})

    assert empty.status_code == 200
    assert empty.text.splitlines() == [",".join(COLUMNS)]
    assert empty.headers["x-roll-total"] == "0"
    assert unknown.status_code == 404
    assert unknown.headers["content-type"].startswith("application/problem+json")


# --- served over HTTP: what a client of a streamed download sees -------------------------------


@dataclass
class Served:
    base: str
    registry: Registry


@contextmanager
def serving(settings: RegistrySettings) -> Iterator[Served]:
    """The app served by uvicorn in this process (a thread), so a test can watch a download
    arrive part by part and hold the server between two parts."""
    server = uvicorn.Server(
        uvicorn.Config(
            create_app(settings), host="127.0.0.1", port=free_port(), log_level="warning"
        )
    )
    thread = threading.Thread(target=server.run, name="uvicorn", daemon=True)
    thread.start()
    try:
        wait_for(lambda: server.started, limit=60, what="the server to start")
        app: Any = server.config.app
        yield Served(f"http://127.0.0.1:{server.config.port}", app.state.registry)
    finally:
        server.should_exit = True
        thread.join(30)


@pytest.fixture
def served(settings: RegistrySettings, small_chunks: None) -> Iterator[Served]:
    with serving(settings) as running:
        yield running


class Gate:
    """Holds the export before it records its second chunk (as a slow client or a slow access
    log would), and runs `at_gate` there first."""

    def __init__(self, registry: Registry, at_gate: Callable[[], object] = lambda: None) -> None:
        self.open = threading.Event()
        self.reached = threading.Event()
        self._record = registry.access_log.record
        self._at_gate = at_gate
        self._waited = 0
        registry.access_log.record = self._held  # type: ignore[method-assign]

    def _held(self, record: AccessRecord, *, wait: bool = False, timeout: float = 10.0) -> None:
        if wait and record.operation == "roll":
            self._waited += 1
            if self._waited == 2:
                self.reached.set()
                assert self.open.wait(60)
                self._at_gate()
        self._record(record, wait=wait, timeout=timeout)


def stream(
    served: Served, organisation: UUID, **params: Any
) -> AbstractContextManager[httpx.Response]:
    return httpx.stream(
        "GET",
        f"{served.base}/organisations/{organisation}/roll",
        params={**params, "format": "csv"},
        headers={"Authorization": "Bearer registrar-token"},
        timeout=60,
    )


def test_the_first_rows_of_an_export_arrive_before_the_rest_of_the_roll_is_read(
    served: Served,
) -> None:
    party = seed(served.registry, 300)
    gate = Gate(served.registry)

    with stream(served, PARTY_ID, subtree=True) as answer:
        assert answer.headers["x-roll-total"] == "300"
        assert "content-length" not in answer.headers
        lines = answer.iter_lines()
        first = [next(lines) for _ in range(1 + CHUNK)]  # the header and the first chunk
        assert gate.reached.wait(30)  # the server is held before its second chunk
        assert len(access_records(served.registry)) == 1
        gate.open.set()
        rest = list(lines)

    rows = list(csv.DictReader([*first, *rest]))
    assert sorted(r["member_id"] for r in rows) == sorted(map(str, party.members))


def test_an_export_whose_next_chunk_cannot_be_put_on_record_is_cut_off_and_not_sent(
    served: Served,
) -> None:
    """Once the download has started it cannot become a 503: the server closes the connection
    without the last chunk of the chunked encoding, which the client reports as an error."""
    seed(served.registry, 300)
    schema = served.registry.store.schema
    received: list[str] = []

    with psycopg.connect(served.registry.settings.database_url or "", autocommit=True) as db:
        rename = SQL("ALTER TABLE {} RENAME TO {}")
        gate = Gate(
            served.registry,  # the access log's table gone when the second chunk is recorded
            at_gate=lambda: db.execute(
                rename.format(Identifier(schema, ACCESS_LOG_TABLE), Identifier("gone"))
            ),
        )
        gate.open.set()
        with (
            stream(served, PARTY_ID, subtree=True) as answer,
            pytest.raises(httpx.RemoteProtocolError),
        ):
            received.extend(answer.iter_lines())  # what came before the failure stays
        db.execute(rename.format(Identifier(schema, "gone"), Identifier(ACCESS_LOG_TABLE)))

    rows = list(csv.DictReader(received))
    assert len(rows) < 300  # short of X-Roll-Total: incomplete
    recorded = [str(m) for r in access_records(served.registry) for m in r["member_ids"]]
    assert {r["member_id"] for r in rows} <= set(recorded)  # no one sent who is not on record
    assert len(recorded) == CHUNK


def test_a_rebuild_switching_generations_during_an_export_neither_breaks_it_nor_stalls_the_fold(
    settings: RegistrySettings, small_chunks: None, caplog: pytest.LogCaptureFixture
) -> None:
    """The export reads one snapshot of the generation it started on; the rebuild switches, its
    grace period passes, and the runner goes on folding new events meanwhile: the retired
    generation is dropped once the export is over."""
    caplog.set_level(logging.INFO, logger=runner.__name__)
    quick = settings.model_copy(update={"read_model_grace": 0.0})
    with serving(quick) as served:
        registry = served.registry
        party = seed(registry, 300)
        old = registry.read_model.status().generation
        gate = Gate(registry)

        with stream(served, PARTY_ID, subtree=True) as answer:
            lines = answer.iter_lines()
            first = [next(lines) for _ in range(1 + CHUNK)]
            assert gate.reached.wait(30)
            registry.read_model.rebuild(wait=True)
            time.sleep(3 * CHECK_EVERY)  # the runner has looked at the retired generation by now
            latecomer = apply(registry, party.ppos[0])
            admit(registry, latecomer, party.ppos[0])
            # the fold goes on, on the new generation, while the export holds the old one
            assert registry.read_model.wait_for(registry.read_model.status().head, timeout=30)
            assert registry.read_model.status().generation != old
            assert generation_exists(registry, old)  # still read by the export
            assert "still being read" in caplog.text  # its drop was tried, and put off
            gate.open.set()
            rest = list(lines)

        rows = list(csv.DictReader([*first, *rest]))
        assert sorted(r["member_id"] for r in rows) == sorted(map(str, party.members))
        assert str(latecomer) not in {r["member_id"] for r in rows}  # after the snapshot
        wait_for(lambda: not generation_exists(registry, old), what="the old generation's drop")


def generation_exists(registry: Registry, number: int) -> bool:
    with psycopg.connect(registry.settings.database_url or "") as conn:
        found = conn.execute(
            "SELECT to_regclass(%s)", (f'"{registry.store.schema}"."rm{number}_spells"',)
        ).fetchone()
    return bool(found and found[0])


def test_exports_beyond_the_limit_are_refused_until_one_ends_even_by_the_client_going_away(
    served: Served, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Each export holds a database connection and a transaction while it lasts: a process
    sends a few at once (here one) and refuses more with a 503 to retry; an export whose client
    went away part-way gives its place and its connection back."""
    monkeypatch.setattr(reports_api, "_exports", threading.BoundedSemaphore(1))
    seed(served.registry, 300)
    gate = Gate(served.registry)
    headers = {"Authorization": "Bearer registrar-token"}
    roll = f"{served.base}/organisations/{PARTY_ID}/roll"

    with stream(served, PARTY_ID, subtree=True) as answer:
        next(answer.iter_lines())
        assert gate.reached.wait(30)
        busy = httpx.get(roll, params={"format": "csv"}, headers=headers, timeout=30)
    gate.open.set()  # the client has gone: the next chunk finds nobody to send it to

    assert busy.status_code == 503
    assert (busy.json()["rule"], busy.headers["retry-after"]) == ("exports-busy", "5")
    wait_for(
        lambda: httpx.get(roll, params={"format": "csv"}, headers=headers).status_code == 200,
        what="the export's place to be given back",
    )
    assert open_transactions(served.registry) == 0


def open_transactions(registry: Registry) -> int:
    """Sessions of the test database other than this one inside a transaction, idle or not."""
    with psycopg.connect(registry.settings.database_url or "") as conn:
        found = conn.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()"
            " AND pid <> pg_backend_pid() AND state LIKE 'idle in transaction%%'"
        ).fetchone()
    return int(found[0]) if found else 0
