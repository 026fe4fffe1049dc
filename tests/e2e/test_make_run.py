"""`make run` (`python -m partia_kit.run`): the whole system from one command, on free ports and a
data directory of the test's own, stopped the way people stop it."""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import httpx
import pytest

from partia_kit.auth.scope import bootstrapped_organisation_id
from partia_kit.testing import read_topic, wait_for
from tests.e2e.test_registry_service import application, decision
from tests.registry.builders import make_iin

pytestmark = pytest.mark.e2e

TOKEN = "run-token"
MEMBERS_TOPIC = "partia.registry.members.v1"
FINANCE_TOPIC = "partia.finance.donations.v1"


@dataclass
class System:
    supervisor: subprocess.Popen[bytes]
    log: Path
    data_dir: Path
    api: str
    bootstrap: str
    ports: list[int]
    finance: str = ""

    def output(self) -> str:
        return self.log.read_text(errors="replace")

    def started(self) -> dict[str, int]:
        """Each process honcho started and its pid, from its log lines."""
        return {
            name: int(pid)
            for name, pid in re.findall(r"\| (\S+) started \(pid=(\d+)\)", self.output())
        }

    def postgres(self) -> list[int]:
        """The embedded PostgreSQL server and its own processes."""
        first = (self.data_dir / "pgdata" / "postmaster.pid").read_text().split("\n")[0]
        return [int(first), *descendants(int(first))]


def descendants(pid: int) -> list[int]:
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                parent = int((entry / "stat").read_text().rpartition(")")[2].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            children.setdefault(parent, []).append(int(entry.name))
    found, todo = [], [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            found.append(child)
            todo.append(child)
    return found


def alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()[0]
    except OSError:
        return False
    return state != "Z"


def port_free(port: int) -> bool:
    with socket.socket() as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


SERVICE_PORTS = (0, 1, 2, 10, 11, 12, 20, 21, 22, 25, 32, -6975)
"""Offsets from the base port: the registry's, finance's and notifications' APIs, runners' and
relays' metrics, the mail catcher's listing, the sender's metrics and the catcher's SMTP port."""


def free_base_port() -> int:
    """A port P with every service's ports free (`SERVICE_PORTS`)."""
    for _ in range(100):
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            base = int(s.getsockname()[1])
        if (
            base > 8000
            and base + 25 < 65536
            and all(port_free(base + offset) for offset in SERVICE_PORTS)
        ):
            return base
    raise AssertionError("no free ports")


@contextmanager
def whole_system(tmp_path: Path) -> Iterator[System]:
    base = free_base_port()
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        broker_port = int(s.getsockname()[1])
    data_dir = tmp_path / "partia"
    log = tmp_path / "run.log"
    env = {
        **os.environ,
        "PARTIA_API_TOKENS": f"tester={TOKEN}",
        "PARTIA_KEY_DIR": str(tmp_path / "keys"),
    }
    env.pop("PARTIA_DATABASE_URL", None)
    env.pop("PARTIA_MASTER_KEY", None)
    with log.open("wb") as out:
        supervisor = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "partia_kit.run",
                "--data-dir",
                str(data_dir),
                "--base-port",
                str(base),
                "--broker-port",
                str(broker_port),
            ],
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group, as a terminal's foreground job
        )
    system = System(
        supervisor,
        log,
        data_dir,
        f"http://127.0.0.1:{base}",
        f"127.0.0.1:{broker_port}",
        [*(base + offset for offset in SERVICE_PORTS), broker_port],
    )
    system.finance = f"http://127.0.0.1:{base + 1}"
    try:
        wait_for(lambda: _ready(system), limit=120, what=f"/ready:\n{system.output()}")
        yield system
    finally:
        if supervisor.poll() is None:
            supervisor.terminate()  # the orderly stop, PostgreSQL included
            try:
                supervisor.wait(60)
            except subprocess.TimeoutExpired:
                os.killpg(supervisor.pid, signal.SIGKILL)
                supervisor.wait()
                for pid in system.started().values():
                    if alive(pid):
                        os.kill(pid, signal.SIGKILL)


def _ready(system: System) -> bool:
    if system.supervisor.poll() is not None:
        raise AssertionError(f"make run exited:\n{system.output()}")
    try:
        return all(
            httpx.get(f"{api}/ready").status_code == 200 for api in (system.api, system.finance)
        )
    except httpx.TransportError:
        return False


IIN = make_iin(date(1985, 5, 5))
"""The member `admit_a_member` admits: a bank line names it for their dues."""


def admit_a_member(api: str) -> str:
    client = httpx.Client(base_url=api, headers={"Authorization": f"Bearer {TOKEN}"}, timeout=30)

    def post(path: str, body: dict[str, Any]) -> dict[str, Any]:
        response = client.post(path, json=body, headers={"Idempotency-Key": str(uuid.uuid4())})
        assert response.status_code in (200, 201), response.text
        result: dict[str, Any] = response.json()
        return result

    with client:
        regions = client.get("/organisations", params={"kind": "regional_branch"}).json()
        astana = next(r for r in regions["items"] if r["code"] == "astana")["organisation_id"]
        district = post(
            "/organisations",
            {
                "kind": "territorial_branch",
                "parent_id": astana,
                "names": {"kk": "Есіл", "ru": "Есиль", "en": "Yesil"},
                "decision": decision("branch_bureau", astana, "2026-01-10"),
            },
        )["organisation_id"]
        ppo = post(
            "/organisations",
            {
                "kind": "primary_organisation",
                "parent_id": district,
                "names": {"kk": "№1", "ru": "№1", "en": "No. 1"},
                "decision": decision("branch_bureau", district, "2026-01-20"),
            },
        )["organisation_id"]
        person = application(ppo, IIN, "Run")
        person["person"]["email"] = "run@example.kz"  # for the notices (issue 13)
        member: str = post("/applications", person)["member_id"]
        post(
            f"/members/{member}/admission", {"decision": decision("ppo_meeting", ppo, "2026-03-10")}
        )
        return member


def _an_expulsion_puts_an_email_with_the_appeal_deadline_in_the_catcher(
    system: System, member: str
) -> None:
    """Issue 13 'done when', Ch. 5.1: expelled on 30 November, appealable up to 28 February; the
    email is in the local catcher within seconds, in the member's language."""
    headers = {"Authorization": f"Bearer {TOKEN}", "Idempotency-Key": str(uuid.uuid4())}
    ppo = httpx.get(f"{system.api}/members/{member}", headers=headers).json()["organisation_id"]
    expelled = httpx.post(
        f"{system.api}/members/{member}/sanctions",
        json={
            "kind": "expulsion",
            "grounds": ["discrediting_the_party"],
            "decision": decision("ppo_meeting", ppo, "2026-11-30"),
        },
        headers=headers,
        timeout=30,
    )
    assert expelled.status_code == 200, expelled.text
    listing = f"http://127.0.0.1:{system.ports[0] + 25}/messages"

    def sanction_mail() -> list[dict[str, Any]]:
        caught = httpx.get(listing, timeout=10).json()
        return [m for m in caught if "жаза" in m["subject"] and "run@example.kz" in m["rcpt_to"]]

    wait_for(lambda: len(sanction_mail()) == 1, limit=60, what="the sanction's email")
    # no language stated: the registry's default, Kazakh (decision 266)
    assert "2027\u202fж. 28 ақпан" in sanction_mail()[0]["text"]


def _the_printed_tokens_work_as_their_roles(system: System) -> None:
    """`make run` prints tokens of its local issuer: clerks of the central office and of two
    regional branches, an auditor and operations (decision 144), each allowed what its role may
    do where its grant lies, and nothing else (issue 10's "done when")."""
    found = re.findall(r"^  ([\w-]+) .*\n {16}(\S+)$", system.output(), re.M)
    tokens = dict(found)
    assert set(tokens) == {
        "clerk",
        "clerk-almaty",
        "clerk-astana",
        "treasurer",
        "treasurer-almaty",
        "auditor",
        "operations",
    }
    for user, token in tokens.items():  # and in files, for a shell
        assert (system.data_dir / "tokens" / user).read_text().strip() == token

    def call(who: str, method: str, path: str, body: Any = None) -> httpx.Response:
        headers = {"Authorization": f"Bearer {tokens[who]}", "Idempotency-Key": str(uuid.uuid4())}
        if method == "POST" and body is None:
            body = {}
        return httpx.request(method, system.api + path, json=body, headers=headers, timeout=30)

    assert call("clerk", "GET", "/organisations").status_code == 200
    assert call("auditor", "GET", "/organisations").status_code == 200
    refused = call("auditor", "POST", "/applications")
    assert (refused.status_code, refused.json()["permission"]) == (403, "record-decisions")
    assert call("operations", "GET", "/read-model").status_code == 200
    assert call("operations", "GET", "/organisations").status_code == 403
    _a_regional_clerk_admits_there_and_gets_404_elsewhere(call)


def _a_regional_clerk_admits_there_and_gets_404_elsewhere(call: Any) -> None:
    def made(answer: httpx.Response, key: str) -> str:
        assert answer.status_code in (200, 201), answer.text
        return str(answer.json()[key])

    regions = call("clerk-almaty", "GET", "/organisations").json()["items"]
    almaty = next(o["organisation_id"] for o in regions if o["code"] == "almaty-city")
    district = made(
        call(
            "clerk-almaty",
            "POST",
            "/organisations",
            {
                "kind": "territorial_branch",
                "parent_id": almaty,
                "names": {"kk": "Медеу", "ru": "Медеу", "en": "Medeu"},
                "decision": decision("branch_bureau", almaty, "2026-01-10"),
            },
        ),
        "organisation_id",
    )
    ppo = made(
        call(
            "clerk-almaty",
            "POST",
            "/organisations",
            {
                "kind": "primary_organisation",
                "parent_id": district,
                "names": {"kk": "№7", "ru": "№7", "en": "No. 7"},
                "decision": decision("branch_bureau", district, "2026-01-20"),
            },
        ),
        "organisation_id",
    )
    applicant = made(
        call(
            "clerk-almaty",
            "POST",
            "/applications",
            application(ppo, make_iin(date(1987, 7, 7)), "Almaty"),
        ),
        "member_id",
    )
    admitted = call(
        "clerk-almaty",
        "POST",
        f"/members/{applicant}/admission",
        {"decision": decision("ppo_meeting", ppo, "2026-03-10")},
    )
    assert (admitted.status_code, admitted.json()["status"]) == (200, "member")
    for path in (f"/members/{applicant}", f"/organisations/{ppo}/roll"):
        hidden = call("clerk-astana", "GET", path)
        assert (hidden.status_code, hidden.json()["rule"]) == (404, "not-found")
        assert call("auditor", "GET", path).status_code == 200
    astana_ids = [
        o["organisation_id"] for o in call("clerk-astana", "GET", "/organisations").json()["items"]
    ]
    assert almaty not in astana_ids
    assert district not in astana_ids


def _a_treasurer_sees_a_credit_checked_and_it_reaches_kafka(system: System) -> None:
    """Issue 11's "done when", in part: the Almaty treasurer's token from `make run` records a
    donation to the Almaty branch (finance learned the branch from the registry's events on
    Kafka, decision 191); a foreign donor is refused with the rule and the clause, and the
    finance relay publishes it."""
    tokens = dict(re.findall(r"^  ([\w-]+) .*\n {16}(\S+)$", system.output(), re.M))
    almaty = str(bootstrapped_organisation_id("baytaq", "almaty-city"))
    body = {
        "amount_tiyn": 1_000_000,
        "credited_on": "2026-03-02",
        "bank_document": "PP-1",
        "organisation_id": almaty,
        "donor": {
            "kind": "person",
            "iin": make_iin(date(1980, 1, 1)),
            "surname": "Smith",
            "given_name": "John",
            "citizenship": "GB",
            "receives_foreign_grants": False,
        },
        "evidence": [
            {"kind": "declaration", "reference": "d-1.pdf", "sha256": "a" * 64},
            {"kind": "payment", "reference": "p-1.pdf", "sha256": "b" * 64},
        ],
    }
    made: list[httpx.Response] = []

    def recorded() -> bool:  # a refused request records nothing: ask again until finance knows
        answer = httpx.post(
            f"{system.finance}/donations",
            json=body,
            headers={
                "Authorization": f"Bearer {tokens['treasurer-almaty']}",
                "Idempotency-Key": str(uuid.uuid4()),
            },
            timeout=30,
        )
        made.append(answer)
        return answer.status_code == 201

    wait_for(recorded, limit=60, what="finance knows the Almaty branch")
    receipt = made[-1].json()
    assert receipt["status"] == "rejected"  # a foreigner: Constitution Art. 6(4), Law Art. 18(2)
    key = receipt["donation_id"].encode()

    def published(records: list[Any]) -> bool:
        return any(r.key == key and b"rejected" in r.headers["ce_type"] for r in records)

    assert published(read_topic(system.bootstrap, FINANCE_TOPIC, until=published, limit=60))


STATEMENT_HEADER = "credited_on,amount,currency,document,payer_kind,payer_id,payer_name,purpose"


def _a_new_members_dues_appear_in_finance_and_a_payment_clears_them(
    system: System, member: str
) -> None:
    """Issue 12's "done when" (Ch. 12.2, decision 216): the member admitted over the registry's
    API on 10 March 2026 reaches finance through Kafka within seconds, owing the entrance fee and
    each month from March at 0.1 MCI (4,325 KZT in 2026: 432.50 KZT); the central treasurer
    records the bureau's cash receipt for four of it and imports a bank line naming the member's
    IIN for the fifth, and the arrears are zero."""
    tokens = dict(re.findall(r"^  ([\w-]+) .*\n {16}(\S+)$", system.output(), re.M))
    treasurer = {"Authorization": f"Bearer {tokens['treasurer']}"}
    arrears_url = f"{system.finance}/members/{member}/dues/arrears"
    as_of = {"as_of": "2026-07-01"}  # March to June fall due before 1 July

    def known() -> bool:
        return httpx.get(arrears_url, params=as_of, headers=treasurer).status_code == 200

    wait_for(known, limit=60, what="finance learns of the admission from Kafka")
    owed = httpx.get(arrears_url, params=as_of, headers=treasurer).json()
    assert (owed["months_owed"], owed["amount_tiyn"]) == (4, 5 * 43_250)  # 4 months + the fee
    paid = httpx.post(
        f"{system.finance}/members/{member}/dues/payments",
        json={
            "paid_on": "2026-06-30",
            "amount_tiyn": 4 * 43_250,
            "channel": "cash",
            "reference": "Receipt 0001",
        },
        headers={**treasurer, "Idempotency-Key": str(uuid.uuid4())},
        timeout=30,
    )
    assert paid.status_code in (200, 201), paid.text
    # the last month by bank, the line naming the member's IIN: finance asks the registry whose
    # it is with the account `make run` gave it (issue 12 item 5, decision 296)
    regions = httpx.get(f"{system.api}/organisations", params={"kind": "regional_branch"},
                        headers={"Authorization": f"Bearer {TOKEN}"}).json()  # fmt: skip
    astana = next(r for r in regions["items"] if r["code"] == "astana")["organisation_id"]
    line = f"2026-06-30,432.50,KZT,BANK-0001,person,,Run,мүшелік жарна ЖСН {IIN}"
    imported = httpx.post(
        f"{system.finance}/statements",
        json={"organisation_id": astana, "csv": f"{STATEMENT_HEADER}\n{line}"},
        headers={**treasurer, "Idempotency-Key": str(uuid.uuid4())},
        timeout=30,
    )
    assert imported.status_code == 200, imported.text
    [outcome] = imported.json()["lines"]
    assert (outcome["outcome"], outcome["member_id"]) == ("dues_recorded", member), outcome
    cleared = httpx.get(arrears_url, params=as_of, headers=treasurer).json()
    assert (cleared["months_owed"], cleared["amount_tiyn"]) == (0, 0)


def all_gone(pids: list[int], ports: list[int]) -> bool:
    return not any(alive(pid) for pid in pids) and all(port_free(port) for port in ports)


def test_make_run_starts_the_system_an_admission_reaches_kafka_and_ctrl_c_stops_everything(
    tmp_path: Path,
) -> None:
    with whole_system(tmp_path) as system:
        assert {"broker", "registry-api", "registry-project", "registry-relay"} <= set(
            system.started()
        )
        # issue 13: the notifications service on base+2, its consumer and sender, a mail catcher
        notifications = {"notifications-api", "notifications-project", "notifications-send"}
        notifications |= {"notifications-relay"}
        assert notifications | {"mail-catcher"} <= set(system.started())
        # issue 11 item 1: the finance service on base+1 (8001 under `make run`)
        assert {"finance-api", "finance-project", "finance-relay"} <= set(system.started())
        assert httpx.get(f"{system.finance}/health").json() == {"status": "ok"}
        _a_treasurer_sees_a_credit_checked_and_it_reaches_kafka(system)
        assert TOKEN in system.output()  # the token to call the API with is printed
        member = admit_a_member(system.api)
        _the_printed_tokens_work_as_their_roles(system)

        def admitted(records: list[Any]) -> bool:
            return any(
                r.key == member.encode() and b"admitted" in r.headers.get("ce_type", b"")
                for r in records
            )

        assert admitted(read_topic(system.bootstrap, MEMBERS_TOPIC, until=admitted, limit=60))
        _a_new_members_dues_appear_in_finance_and_a_payment_clears_them(system, member)
        _an_expulsion_puts_an_email_with_the_appeal_deadline_in_the_catcher(system, member)
        processes = [*system.started().values(), *system.postgres()]

        os.killpg(system.supervisor.pid, signal.SIGINT)  # Ctrl-C in the terminal
        assert system.supervisor.wait(60) == 0  # a stop that was asked for
        wait_for(lambda: all_gone(processes, system.ports), limit=30, what="every process gone")
        assert not (system.data_dir / "pgdata" / "postmaster.pid").exists()


def test_a_process_that_dies_is_reported_and_the_whole_system_stops_with_postgres(
    tmp_path: Path,
) -> None:
    with whole_system(tmp_path) as system:
        processes = [*system.started().values(), *system.postgres()]
        os.kill(system.started()["registry-relay"], signal.SIGKILL)

        assert system.supervisor.wait(60) == 1
        output = system.output()
        assert "REGISTRY-RELAY STOPPED (RC=-9) WITHOUT BEING ASKED" in output
        wait_for(lambda: all_gone(processes, system.ports), limit=30, what="every process gone")
        assert not (system.data_dir / "pgdata" / "postmaster.pid").exists()


def test_sigterm_stops_the_whole_system_with_postgres(tmp_path: Path) -> None:
    with whole_system(tmp_path) as system:
        processes = [*system.started().values(), *system.postgres()]
        system.supervisor.terminate()
        assert system.supervisor.wait(60) == 0
        wait_for(lambda: all_gone(processes, system.ports), limit=30, what="every process gone")
        assert not (system.data_dir / "pgdata" / "postmaster.pid").exists()
