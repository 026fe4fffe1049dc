"""Issue 12 item 5 against real processes: a bank statement's dues line naming the member by IIN
becomes their dues payment. Finance keeps no IINs: the served finance process asks the served
registry (`POST /members/lookup`, with the finance service account's token) whose record holds
it (decisions 296, 297). An IIN whose check digit is wrong, one no member holds, or a card and an
IIN naming different members stay unmatched for a person, with the reason and the rule. The
members are admitted over the registry's API; finance's membership view of them is seeded as its
consumer leaves it."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import httpx
import pytest

from partia_finance.adapters.registry import RegistryMembers
from partia_finance.application.ports import RegistryUnavailable
from partia_finance.settings import FinanceSettings
from partia_kit import testing
from partia_kit.auth import Grant, Role
from partia_kit.auth.issuer import LocalIssuer, local_issuer_environment
from partia_kit.auth.scope import party_root
from partia_kit.testing import new_master_key, new_schema
from partia_registry.settings import RegistrySettings
from tests.e2e.test_registry_service import application, decision
from tests.finance.dues_support import PPO_ALMATY, seed_member_at, seed_ppos_at
from tests.finance.support import ALMATY, PARTY, seed_tree_at
from tests.processes import served
from tests.registry.builders import make_iin

pytestmark = pytest.mark.e2e

HEADER = "credited_on,amount,currency,document,payer_kind,payer_id,payer_name,purpose"


@dataclass
class Member:
    member_id: str
    iin: str
    card: str


@dataclass
class System:
    registry: str
    finance: str
    clerk: str
    treasurer: str
    auditor: str
    finance_account: str
    database_url: str
    schema: str
    ppo: str

    def registry_post(self, path: str, body: dict[str, Any]) -> dict[str, Any]:
        answer = httpx.post(
            self.registry + path,
            json=body,
            headers={"Authorization": f"Bearer {self.clerk}", "Idempotency-Key": str(uuid.uuid4())},
            timeout=30,
        )
        assert answer.status_code in (200, 201), answer.text
        result: dict[str, Any] = answer.json()
        return result

    def member(self, born: date, surname: str) -> Member:
        """Admitted over the registry's API; in finance's view of memberships from 10 March."""
        iin = make_iin(born)
        member = self.registry_post("/applications", application(self.ppo, iin, surname))
        admitted = self.registry_post(
            f"/members/{member['member_id']}/admission",
            {"decision": decision("ppo_meeting", self.ppo, "2026-03-10")},
        )
        seed_member_at(
            self.database_url,
            self.schema,
            (PPO_ALMATY, date(2026, 3, 10), None, "admission"),
            card=admitted["card_number"],
            member_id=uuid.UUID(member["member_id"]),
        )
        return Member(member["member_id"], iin, admitted["card_number"])

    def import_statement(self, *lines: str) -> list[dict[str, Any]]:
        answer = httpx.post(
            self.finance + "/statements",
            json={"organisation_id": str(ALMATY), "csv": "\n".join([HEADER, *lines])},
            headers={
                "Authorization": f"Bearer {self.treasurer}",
                "Idempotency-Key": str(uuid.uuid4()),
            },
            timeout=30,
        )
        assert answer.status_code == 200, answer.text
        result: list[dict[str, Any]] = answer.json()["lines"]
        return result

    def payments(self, member: Member) -> list[int]:
        answer = httpx.get(
            f"{self.finance}/members/{member.member_id}/dues/statement",
            params={"as_of": "2026-04-30"},
            headers={"Authorization": f"Bearer {self.auditor}"},
            timeout=30,
        )
        assert answer.status_code == 200, answer.text
        return [p["amount_tiyn"] for p in answer.json()["payments"]]


@pytest.fixture(scope="module")
def system(database_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[System]:
    issuer = LocalIssuer.generate()
    auth = local_issuer_environment(issuer, tmp_path_factory.mktemp("issuer") / "jwks.json")
    registry_settings = RegistrySettings(
        database_url=database_url,
        database_schema=new_schema(),
        master_key=new_master_key(),
        data_dir=Path("/nonexistent"),
    )
    settings = FinanceSettings(
        database_url=database_url,
        database_schema=new_schema(),
        master_key=new_master_key(),
        data_dir=Path("/nonexistent"),
    )
    finance_account = issuer.mint("finance", [Grant(Role.SERVICE)], service="finance")
    with (
        served(registry_settings, tokens="", **auth) as registry,
        testing.served(
            "partia_finance",
            settings,
            tokens="",
            PARTIA_REGISTRY_URL=registry,
            PARTIA_REGISTRY_TOKEN=finance_account,
            **auth,
        ) as finance,
    ):
        seed_tree_at(database_url, settings.database_schema)
        seed_ppos_at(database_url, settings.database_schema)
        clerk = issuer.mint("aigerim", [Grant(Role.CLERK, party_root("baytaq"))])
        made = System(
            registry=registry,
            finance=finance,
            clerk=clerk,
            treasurer=issuer.mint("erlan", [Grant(Role.TREASURER, ALMATY)]),
            auditor=issuer.mint("ainur", [Grant(Role.AUDITOR, PARTY)]),
            finance_account=finance_account,
            database_url=database_url,
            schema=settings.database_schema,
            ppo="",
        )
        made.ppo = _a_ppo(made)
        yield made


def _a_ppo(system: System) -> str:
    regions = httpx.get(
        system.registry + "/organisations",
        params={"kind": "regional_branch"},
        headers={"Authorization": f"Bearer {system.clerk}"},
    ).json()
    astana = next(r for r in regions["items"] if r["code"] == "astana")["organisation_id"]
    names = {"kk": "Тест", "ru": "Тест", "en": "Test"}
    district = system.registry_post(
        "/organisations",
        {
            "kind": "territorial_branch",
            "parent_id": astana,
            "names": names,
            "decision": decision("branch_bureau", astana, "2026-01-10"),
        },
    )["organisation_id"]
    return str(
        system.registry_post(
            "/organisations",
            {
                "kind": "primary_organisation",
                "parent_id": district,
                "names": names,
                "decision": decision("branch_bureau", district, "2026-01-20"),
            },
        )["organisation_id"]
    )


def test_a_dues_line_naming_a_members_iin_becomes_their_payment_once(system: System) -> None:
    member = system.member(date(1990, 5, 5), "Iinova")
    line = f"2026-04-03,432.50,KZT,IIN-1,person,,Иинова Айгерим,членские взносы ИИН {member.iin}"
    [first] = system.import_statement(line)
    assert (first["outcome"], first["member_id"]) == ("dues_recorded", member.member_id)
    [again] = system.import_statement(line)
    assert (again["outcome"], again["payment_id"]) == ("already_imported", first["payment_id"])
    assert system.payments(member) == [43_250]


def test_a_dues_line_whose_iin_has_a_wrong_check_digit_is_left_for_a_person(
    system: System,
) -> None:
    """DOMAIN §9: an IIN's twelfth digit checks the first eleven; a wrong one identifies
    nobody, and the line is not guessed at."""
    member = system.member(date(1991, 6, 6), "Checkova")
    wrong = member.iin[:11] + str((int(member.iin[11]) + 1) % 10)
    [line] = system.import_statement(
        f"2026-04-03,432.50,KZT,IIN-2,person,,Чекова Айгерим,мүшелік жарна ЖСН {wrong}"
    )
    assert (line["outcome"], line["rule"]) == ("unmatched", "iin-invalid")
    assert "check digit" in line["reason"]
    assert system.payments(member) == []


def test_a_dues_line_naming_an_iin_no_member_holds_is_left_for_a_person(system: System) -> None:
    [line] = system.import_statement(
        f"2026-04-03,432.50,KZT,IIN-3,person,,Нобади Нурлан,dues IIN {make_iin(date(1970, 1, 2))}"
    )
    assert (line["outcome"], line["rule"]) == ("unmatched", "dues-iin-unknown")
    assert "no member holds" in line["reason"]


def test_a_card_and_an_iin_naming_different_members_are_left_for_a_person(
    system: System,
) -> None:
    holder = system.member(date(1992, 7, 7), "Cardova")
    other = system.member(date(1993, 8, 8), "Otherova")
    serial = holder.card.split("-")[1]
    lines = system.import_statement(
        f"2026-04-03,432.50,KZT,IIN-4,person,,Картова Айгерим,взносы билет {serial} ИИН {other.iin}",
        f"2026-04-03,432.50,KZT,IIN-5,person,,Картова Айгерим,взносы билет {serial} ИИН {holder.iin}",
    )
    assert [(line["outcome"], line.get("rule")) for line in lines] == [
        ("unmatched", "dues-card-and-iin-differ"),
        ("dues_recorded", None),
    ]
    assert lines[1]["member_id"] == holder.member_id
    assert (system.payments(holder), system.payments(other)) == ([43_250], [])


def test_without_the_finance_accounts_token_the_registry_is_not_asked_and_says_nothing(
    system: System,
) -> None:
    """The lookup is the finance service account's alone; any other answer leaves the line for
    later, never a guess."""
    member = system.member(date(1994, 9, 9), "Tokenova")
    assert RegistryMembers(system.registry, system.finance_account).member_with_iin(
        member.iin
    ) == uuid.UUID(member.member_id)
    with pytest.raises(RegistryUnavailable, match="403"):
        RegistryMembers(system.registry, system.clerk).member_with_iin(member.iin)
    with pytest.raises(RegistryUnavailable, match="no registry token"):
        RegistryMembers(system.registry, "").member_with_iin(member.iin)
