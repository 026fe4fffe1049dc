"""The finance history replayed from an export alone into the register of return obligations
(Law Art. 18(2); issue 11 items 4 and 7; decision 249), each obligation's status on a date as the
service gives it, and into an annual statement (Ch. 12.10) that leaves out a donation once it is
found impermissible, as the service's does."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path
from uuid import UUID

import pytest

from partia_finance.application import commands as c
from partia_finance.audit.__main__ import main
from partia_finance.audit.replay import obligation_differences, replay_export
from partia_finance.composition import Finance
from partia_finance.domain.obligations import ObligationCause, obligation_id
from partia_kit import testing
from partia_kit.audit.export import export_history
from partia_kit.audit.signing import load_private_key, load_public_key
from partia_kit.auth.scope import WHOLE_PARTY
from partia_kit.batches import Outcome
from tests.finance.audit.conftest import CREDITED, audited_table, database_url_of
from tests.finance.domain.support import DECLARATION

TOKEN = "auditor-token"
FOUND_ON = date(2026, 4, 10)
SETTLED_ON = date(2026, 4, 20)


def execute(finance: Finance, command: c.Command) -> Outcome:
    outcome = finance.writer.execute(command)
    if outcome.error is not None:
        raise outcome.error
    return outcome


@pytest.fixture
def later_history(finance: Finance, history: list[UUID]) -> list[UUID]:
    """On top of the shared history: the first accepted donation found impermissible on 10 April
    (a second obligation), the refused one's return settled on 20 April, and the clock run on
    15 April (nothing else overdue yet: the refusal's deadline passed on 1 April)."""
    accepted, refused = history[0], history[1]
    execute(
        finance,
        c.FindImpermissible(
            actor="tolkyn",
            donation_id=accepted,
            rule="foreigner-or-stateless-person",
            reason="the donor's passport shows another citizenship",
            documents=(DECLARATION,),
            found_on=FOUND_ON,
        ),
    )
    refusal = obligation_id(refused, ObligationCause.REJECTED)
    execute(
        finance,
        c.MarkObligationOverdue(actor="finance-clock", obligation_id=refusal, on=date(2026, 4, 15)),
    )
    execute(
        finance,
        c.SettleObligation(
            actor="tolkyn",
            obligation_id=refusal,
            payment_reference="PP-RET-1",
            settled_on=SETTLED_ON,
        ),
    )
    return history


@pytest.fixture
def exported_later(
    finance: Finance, later_history: list[UUID], keys: tuple[Path, Path], tmp_path: Path
) -> Path:
    out = tmp_path / "finance-later.jsonl"
    export_history(
        database_url_of(finance), audited_table(finance), out, signing_key=load_private_key(keys[0])
    )
    return out


DAYS = [CREDITED - timedelta(days=1), CREDITED, date(2026, 4, 1), date(2026, 4, 2), FOUND_ON,
        SETTLED_ON - timedelta(days=1), SETTLED_ON, date(2026, 12, 31)]  # fmt: skip


def test_the_replayed_obligations_are_the_services_register_on_every_date(
    finance: Finance, exported_later: Path, keys: tuple[Path, Path]
) -> None:
    replayed = replay_export(exported_later, public_key=load_public_key(keys[1]))
    for day in DAYS:
        ours = replayed.obligations_on(day)
        theirs = finance.queries.obligations(WHOLE_PARTY, as_of=day, status=None)
        assert obligation_differences(ours, theirs) == [], day
    statuses = {r["cause"]: r["status"] for r in replayed.obligations_on(date(2026, 4, 15))}
    assert statuses == {"rejected": "overdue", "found_impermissible": "open"}
    [settled] = [r for r in replayed.obligations_on(SETTLED_ON) if r["status"] == "settled"]
    assert (settled["settled_on"], settled["payment_reference"]) == (SETTLED_ON, "PP-RET-1")


def test_the_replayed_statement_leaves_out_a_donation_from_the_day_it_is_found_impermissible(
    finance: Finance, exported_later: Path
) -> None:
    """Ch. 12.10 as of a date: accepted in March, found on 10 April; the replay agrees with the
    service before and after."""
    replayed = replay_export(exported_later)
    for day in (FOUND_ON - timedelta(days=1), FOUND_ON, date(2026, 12, 31)):
        ours = replayed.annual_statement(2026, day)
        assert ours == finance.queries.annual_statement(WHOLE_PARTY, 2026, day), day
    person = {r["donor_kind"]: r for r in replayed.annual_statement(2026, FOUND_ON)}["person"]
    assert person["accepted"] == 1


def test_a_difference_names_the_obligation_the_field_and_both_values() -> None:
    row = {"obligation_id": "o-1", "status": "open", "amount_tiyn": 100, "cause": "rejected",
           "disposition": "return_to_donor", "deadline": date(2026, 4, 1),
           "opened_on": date(2026, 3, 2), "settled_on": None, "payment_reference": None}  # fmt: skip
    assert obligation_differences([row], [{**row, "status": "overdue"}]) == [
        "obligation o-1: status is overdue in the service's register, open in the replayed history"
    ]
    assert obligation_differences([row], []) == ["obligation o-1: only in the replayed history"]


@pytest.fixture
def served(finance: Finance) -> Iterator[str]:
    with testing.served("partia_finance", finance.settings, tokens=f"ainur={TOKEN}") as base:
        yield base


@pytest.mark.e2e
def test_the_obligations_replay_matches_the_served_register_until_one_is_settled_later(
    finance: Finance,
    later_history: list[UUID],
    exported_later: Path,
    keys: tuple[Path, Path],
    served: str,
    capsys: pytest.CaptureFixture[str],
) -> None:
    compare = ["obligations", str(exported_later), "--as-of", "2026-12-31"]
    compare += ["--public-key", str(keys[1]), "--service", served, "--token", TOKEN]
    assert main(compare) == 0, capsys.readouterr().out
    assert "0 difference(s)" in capsys.readouterr().out

    found = obligation_id(later_history[0], ObligationCause.FOUND_IMPERMISSIBLE)
    execute(  # recorded after the export: the service now says more
        finance,
        c.SettleObligation(
            actor="tolkyn", obligation_id=found, payment_reference="PP-RET-2", settled_on=SETTLED_ON
        ),
    )
    assert main(compare) == 1
    out = capsys.readouterr().out
    said = f"obligation {found}: status is settled in the service's register, overdue in the"
    assert said in out  # its deadline, 10 May, had passed unsettled in the exported history


def test_the_obligations_replay_prints_the_register_without_a_service(
    exported_later: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["obligations", str(exported_later), "--as-of", "2026-12-31"]) == 0
    printed = json.loads(capsys.readouterr().out)
    assert printed["as_of"] == "2026-12-31"
    assert sorted(r["status"] for r in printed["items"]) == ["overdue", "settled"]
