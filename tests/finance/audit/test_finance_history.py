"""The auditor's toolkit on the finance service's history (issue 11 item 7): the same export with
a hash chain and a signed checkpoint, the same verification of a file and of the live table, read
from `<schema>.finance_events` on the real database. A donor's data erased after the retention
period (issue 11 item 6) destroys a key and appends an event: the verified history is undisturbed."""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Any
from uuid import UUID

import psycopg
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from psycopg.sql import SQL, Identifier

from partia_finance.application import commands as c
from partia_finance.composition import Finance
from partia_finance.domain.donations import Donation
from partia_kit.audit.findings import Report
from partia_kit.audit.signing import load_private_key, load_public_key
from partia_kit.audit.verify import verify_export
from partia_kit.audit.verify_db import verify_database
from partia_registry.audit.__main__ import main
from tests.finance.audit.conftest import AFTER_RETENTION, audited_table, database_url_of


def _rows(finance: Finance) -> list[tuple[int, UUID, int, str, bytes]]:
    with psycopg.connect(database_url_of(finance)) as conn:
        return [
            (r[0], r[1], r[2], r[3], bytes(r[4]))
            for r in conn.execute(
                SQL(
                    "SELECT notification_id, originator_id, originator_version, topic, state"
                    " FROM {} ORDER BY notification_id"
                ).format(Identifier(*audited_table(finance)))
            )
        ]


def _tamper(finance: Finance, sql: str, *params: Any) -> None:
    with psycopg.connect(database_url_of(finance), autocommit=True) as conn:
        conn.execute(SQL(sql).format(Identifier(*audited_table(finance))), params)


def _check(finance: Finance, against: Path, keys: tuple[Path, Path]) -> Report:
    return verify_database(
        database_url_of(finance),
        audited_table(finance),
        against,
        public_key=load_public_key(keys[1]),
    )


def test_the_finance_history_exports_every_event_and_verifies_with_the_auditors_key(
    finance: Finance, exported: Path, keys: tuple[Path, Path]
) -> None:
    stored = _rows(finance)
    header = json.loads(exported.read_bytes().splitlines()[0])

    report = verify_export(exported, public_key=load_public_key(keys[1]))

    assert report.clean, report.render()
    assert report.events == len(stored) > 4
    assert header["source"]["table"] == "finance_events"
    assert header["source"]["schema"] == finance.settings.database_schema
    assert any(topic.startswith("partia_finance.domain.") for _, _, _, topic, _ in stored)


def test_the_live_finance_table_matches_its_untouched_export(
    finance: Finance, exported: Path, keys: tuple[Path, Path]
) -> None:
    report = _check(finance, exported, keys)

    assert report.clean, report.render()
    assert report.events == len(_rows(finance))


def test_a_donations_event_changed_in_the_table_is_named_by_position(
    finance: Finance, exported: Path, keys: tuple[Path, Path]
) -> None:
    position, donation, version, _, state = _rows(finance)[1]
    _tamper(
        finance,
        "UPDATE {} SET state = %s WHERE notification_id = %s",
        state.replace(b'"timestamp"', b'"timestamp" '),
        position,
    )

    report = _check(finance, exported, keys)

    assert report.kinds() == {"changed"}
    [finding] = report.findings
    assert finding.position == position
    assert f"{donation} version {version}" in finding.message


def test_a_donations_event_deleted_from_the_table_is_reported_removed(
    finance: Finance, exported: Path, keys: tuple[Path, Path]
) -> None:
    position, donation, version, _, _ = _rows(finance)[2]
    _tamper(finance, "DELETE FROM {} WHERE notification_id = %s", position)

    report = _check(finance, exported, keys)

    assert report.kinds() == {"removed"}
    [finding] = report.findings
    assert finding.position == position
    assert f"{donation} version {version}" in finding.message


def test_a_changed_amount_in_the_export_file_is_named_by_line_and_position(
    finance: Finance, exported: Path
) -> None:
    content = exported.read_bytes().splitlines(keepends=True)
    target = content[1]
    b64 = target.split(b'"state":"')[1].split(b'"')[0]
    state = base64.b64decode(b64)
    forged = state.replace(b"5000000", b"5000001") if b"5000000" in state else state + b" "
    content[1] = target.replace(b64, base64.b64encode(forged))
    exported.write_bytes(b"".join(content))

    report = verify_export(exported)

    assert report.kinds() == {"changed"}
    assert report.findings[0].line == 2


def test_erasing_a_donors_data_after_retention_leaves_the_verified_history_intact(
    finance: Finance, history: list[UUID], exported: Path, keys: tuple[Path, Path]
) -> None:
    """Ch. 12.9: kept for the retention period, then erasable; erasure destroys the donation's key
    and appends an event, so every exported row stays as it was."""
    outcome = finance.writer.execute(
        c.EraseDonorData(actor="tolkyn", donation_id=history[0], erased_on=AFTER_RETENTION)
    )
    assert outcome.error is None
    donation: Donation = finance.events.repository.get(history[0])
    assert donation.personal is None

    report = _check(finance, exported, keys)

    assert report.clean, report.render()
    assert report.events == len(_rows(finance)) - 1  # the erasure itself, after the export


def test_partia_audit_exports_and_verifies_the_finance_service_when_asked_by_name(
    finance: Finance, history: list[UUID], keys: tuple[Path, Path], tmp_path: Path
) -> None:
    out = tmp_path / "cli.jsonl"
    database = ["--database-url", database_url_of(finance), "--service", "finance"]
    schema = ["--schema", finance.settings.database_schema]
    signing = ["--signing-key", str(keys[0])]

    exported = main(["export", *database, *schema, "--out", str(out), *signing, "--no-progress"])
    verified = main(["verify", str(out), "--public-key", str(keys[1]), "--no-progress"])
    against = ["--against", str(out), "--public-key", str(keys[1])]
    checked = main(["verify-db", *database, *schema, *against, "--no-progress"])

    assert (exported, verified, checked) == (0, 0, 0)
    assert json.loads(out.read_bytes().splitlines()[0])["source"]["table"] == "finance_events"
    assert _signing_key_is_ed25519(keys[0])


def _signing_key_is_ed25519(path: Path) -> bool:
    return isinstance(load_private_key(path), Ed25519PrivateKey)
