"""The auditor's session at the command line: keys, export, verify, verify-db, replay."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from partia_registry.audit.__main__ import main
from partia_registry.composition import Registry
from tests.registry.audit.support import Story, caught_up, lines, rows, tamper
from tests.registry.builders import PARTY_ID


def database_args(registry: Registry) -> list[str]:
    return [
        "--database-url",
        str(registry.settings.database_url),
        "--schema",
        registry.settings.database_schema,
    ]


def test_an_auditors_session_from_keygen_to_replay(
    registry: Registry, story: Story, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    key, export, report = tmp_path / "auditor.key", tmp_path / "h.jsonl", tmp_path / "r.json"

    assert main(["keygen", "--out", str(key)]) == 0
    assert (tmp_path / "auditor.key.pub").exists()
    assert key.stat().st_mode & 0o077 == 0  # the private key is the owner's alone
    assert main(["keygen", "--out", str(key)]) == 2  # never overwritten by accident

    assert (
        main(["export", *database_args(registry), "--out", str(export), "--signing-key", str(key)])
        == 0
    )
    assert f"exported {len(rows(registry))} events" in capsys.readouterr().out

    assert main(["verify", str(export), "--public-key", f"{key}.pub"]) == 0
    assert "OK: export" in capsys.readouterr().out

    assert (
        main(
            [
                "verify-db",
                *database_args(registry),
                "--against",
                str(export),
                "--public-key",
                f"{key}.pub",
            ]
        )
        == 0
    )
    assert "OK: database" in capsys.readouterr().out

    caught_up(registry)
    assert (
        main(
            [
                "replay",
                str(export),
                "--on",
                "2025-09-01",
                "--organisation",
                str(story.yesil.ppo),
                "--out",
                str(report),
            ]
        )
        == 0
    )
    replayed = json.loads(report.read_text())
    assert replayed["structure"]["members"] == registry.reports.structure(on=None)["members"]
    assert {r["member_id"] for r in replayed["roll"]["items"]} == {
        str(story.members["yesil0"]),
        str(story.members["yesil3"]),
    }


def test_verify_exits_non_zero_and_names_each_problem(
    exported: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    content = lines(exported)
    content[2], content[3] = content[3], content[2]
    del content[10]
    exported.write_bytes(b"".join(content))

    assert main(["verify", str(exported)]) == 1

    out = capsys.readouterr().out
    assert "REORDERED: event at line 3" in out
    assert "REMOVED: events were removed between position" in out
    assert "FAILED" in out


def test_verify_db_exits_non_zero_on_a_deleted_row(
    registry: Registry, exported: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    position = rows(registry)[7][0]
    tamper(registry, "DELETE FROM {} WHERE notification_id = %s", position)

    assert main(["verify-db", *database_args(registry), "--against", str(exported)]) == 1
    assert f"REMOVED: event at position {position}" in capsys.readouterr().out


def test_a_period_can_be_exported_by_recording_date(
    registry: Registry, story: Story, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    today = json.loads(rows(registry)[-1][4])["timestamp"]["_data_"][:10]
    path = tmp_path / "today.jsonl"

    assert (
        main(
            [
                "export",
                *database_args(registry),
                "--recorded-from",
                today,
                "--recorded-to",
                today,
                "--out",
                str(path),
            ]
        )
        == 0
    )
    assert (
        main(
            [
                "export",
                *database_args(registry),
                "--recorded-to",
                "2001-01-01",
                "--out",
                str(tmp_path / "none.jsonl"),
            ]
        )
        == 0
    )

    header = json.loads(lines(path)[0])
    assert header["range"]["recorded_from"].startswith(today)
    assert len(lines(path)) - 2 == len(rows(registry))  # everything was recorded today
    assert len(lines(tmp_path / "none.jsonl")) == 2
    assert main(["verify", str(path)]) == 0


def test_the_progress_bar_goes_to_stderr_only_when_asked(
    exported: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["verify", str(exported), "--progress"]) == 0
    shown = capsys.readouterr()
    assert "events/s" in shown.err
    assert "%" in shown.err
    assert "events/s" not in shown.out.split("\n")[0]

    assert main(["verify", str(exported)]) == 0
    assert capsys.readouterr().err == ""  # not a terminal: quiet


def test_what_the_tool_cannot_do_exits_with_two(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("PARTIA_DATABASE_URL", raising=False)
    assert main(["verify", str(tmp_path / "missing.jsonl")]) == 2
    (tmp_path / "junk.jsonl").write_text("hello\n")
    assert main(["verify", str(tmp_path / "junk.jsonl")]) == 2
    assert main(["export", "--out", str(tmp_path / "x.jsonl")]) == 2
    assert "no database" in capsys.readouterr().err
    with pytest.raises(SystemExit) as bad:
        main(["replay", "x", "--on", "yesterday"])
    assert bad.value.code == 2


def test_the_tool_runs_as_a_module_and_as_an_installed_script(tmp_path: Path) -> None:
    module = subprocess.run(
        [sys.executable, "-m", "partia_registry.audit", "keygen", "--out", str(tmp_path / "k")],
        capture_output=True,
        text=True,
        check=False,
    )
    assert module.returncode == 0, module.stderr
    script = Path(sys.executable).with_name("partia-audit")
    installed = subprocess.run([str(script), "--help"], capture_output=True, text=True, check=False)
    assert installed.returncode == 0
    assert "verify-db" in installed.stdout


def test_replay_to_stdout_includes_the_partys_roll(
    registry: Registry, exported: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert (
        main(["replay", str(exported), "--on", "2026-01-01", "--organisation", str(PARTY_ID)]) == 0
    )

    out = json.loads(capsys.readouterr().out)
    assert out["roll"]["total"] == out["structure"]["members"] == 6
    assert out["source"]["events"] == len(rows(registry))
