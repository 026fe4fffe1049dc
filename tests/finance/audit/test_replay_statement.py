"""The finance history replayed from an export alone into the annual statement (Ch. 12.10; issue 11
item 7): receipts by fund and source as the service publishes them, compared with the service over
HTTP, every difference named."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from uuid import UUID

import pytest

from partia_finance.audit.__main__ import main
from partia_finance.audit.replay import ReplayRefused, replay_export, statement_differences
from partia_finance.composition import Finance
from partia_kit import testing
from partia_kit.audit.signing import load_public_key
from partia_kit.auth.scope import WHOLE_PARTY
from tests.finance.audit.conftest import receive
from tests.finance.domain.support import citizen
from tests.finance.support import ALMATY

YEAR, AS_OF = 2026, date(2026, 12, 31)
TOKEN = "auditor-token"


def test_the_replayed_statement_is_the_services_statement_to_the_tiyn(
    finance: Finance, exported: Path, keys: tuple[Path, Path]
) -> None:
    replayed = replay_export(exported, public_key=load_public_key(keys[1]))

    statement = replayed.annual_statement(YEAR, AS_OF)

    assert statement == finance.queries.annual_statement(WHOLE_PARTY, YEAR, AS_OF)
    by_kind = {row["donor_kind"]: row for row in statement}
    assert by_kind["person"]["accepted"] == 2  # the one held without a declaration is not decided
    assert by_kind["organisation"]["rejected_tiyn"] == 50_000_00  # the non-resident company


def test_a_statement_as_of_a_day_before_any_decision_is_empty(exported: Path) -> None:
    assert replay_export(exported).annual_statement(YEAR, date(2026, 3, 1)) == []


def test_an_export_that_does_not_verify_is_not_replayed(exported: Path) -> None:
    content = exported.read_bytes().splitlines(keepends=True)
    del content[2]
    exported.write_bytes(b"".join(content))

    with pytest.raises(ReplayRefused, match="does not verify"):
        replay_export(exported)
    assert main(["statement", str(exported), "--year", "2026", "--as-of", "2026-12-31"]) == 1


def test_a_difference_names_the_fund_the_source_and_both_figures() -> None:
    replayed = [{"fund": "party_funds", "donor_kind": "person", "accepted": 2,
                 "accepted_tiyn": 100, "rejected": 0, "rejected_tiyn": 0}]  # fmt: skip
    published = [{**replayed[0], "accepted_tiyn": 150}]

    assert statement_differences(replayed, published) == [
        "party_funds / person: accepted_tiyn is 150 in the service's statement,"
        " 100 in the replayed history"
    ]


@pytest.fixture
def served(finance: Finance) -> Iterator[str]:
    """The finance API over the same schema, with a development token holding every role."""
    with testing.served("partia_finance", finance.settings, tokens=f"ainur={TOKEN}") as base:
        yield base


@pytest.mark.e2e
def test_the_replay_matches_the_served_statement_until_the_history_moves_on(
    finance: Finance,
    history: list[UUID],
    exported: Path,
    keys: tuple[Path, Path],
    served: str,
    capsys: pytest.CaptureFixture[str],
) -> None:
    compare = ["statement", str(exported), "--year", "2026", "--as-of", "2026-12-31"]
    compare += ["--public-key", str(keys[1]), "--service", served, "--token", TOKEN]

    assert main(compare) == 0
    assert "0 difference(s)" in capsys.readouterr().out

    receive(finance, citizen(), ALMATY)  # recorded after the export: the service now says more

    assert main(compare) == 1
    out = capsys.readouterr().out
    assert "party_funds / person: accepted_tiyn is 15000000 in the service's statement," in out
    assert "10000000 in the replayed history" in out


def test_the_replay_prints_the_statement_without_a_service(
    exported: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["statement", str(exported), "--year", "2026", "--as-of", "2026-12-31"]) == 0

    printed = json.loads(capsys.readouterr().out)
    assert printed["year"] == YEAR
    assert {row["fund"] for row in printed["items"]} == {"party_funds"}
