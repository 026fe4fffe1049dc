"""Replaying an export alone gives the service's own rolls and structure report on any date, and
`diff` says where the service and the replay part ways."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import nullcontext
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from partia_registry.api.app import create_app
from partia_registry.audit import commands
from partia_registry.audit.__main__ import main
from partia_registry.audit.diff import diff_with_service, normalise_roll, normalise_structure
from partia_registry.audit.replay import History, ReplayRefused, replay_export
from partia_registry.composition import Registry
from partia_registry.settings import RegistrySettings
from tests.registry.audit.support import DATES, Story, caught_up, member
from tests.registry.builders import PARTY_ID


def served_roll(registry: Registry, organisation: Any, on: date) -> list[dict[str, Any]]:
    rows, _ = registry.reports.roll(
        organisation, on=on, subtree=True, sort="card_number", limit=None, offset=0
    )
    return rows


def test_the_replay_of_an_export_gives_the_read_models_report_and_rolls_on_every_date(
    registry: Registry, story: Story, exported: Path
) -> None:
    caught_up(registry)
    history = replay_export(exported)

    for on in DATES:
        assert normalise_structure(history.structure_on(on)) == normalise_structure(
            registry.reports.structure(on=on)
        ), on
        for organisation in (PARTY_ID, story.yesil.ppo, story.medeu.ppo, story.yesil.district):
            assert normalise_roll(history.roll_on(organisation, on)) == normalise_roll(
                served_roll(registry, organisation, on)
            ), (on, organisation)
    # The story is visible in the replay: a transfer on 2025-05-10, a withdrawal on 2025-08-01.
    moved = str(story.members["yesil1"])
    assert moved in normalise_roll(history.roll_on(story.yesil.ppo, date(2025, 5, 9)))
    assert moved in normalise_roll(history.roll_on(story.medeu.ppo, date(2025, 5, 10)))
    assert history.structure_on(date(2025, 9, 1))["members"] == 6


def test_the_replay_needs_no_keys_and_sees_no_personal_data(
    registry: Registry, story: Story, exported: Path
) -> None:
    history = replay_export(exported)

    roll = history.roll_on(PARTY_ID, date(2026, 1, 1))
    assert roll
    assert all("full_name" not in row for row in roll)
    assert "Ахметова" not in str(roll)


def test_a_replay_of_a_file_that_does_not_verify_is_refused(exported: Path) -> None:
    content = exported.read_bytes().splitlines(keepends=True)
    content[3], content[4] = content[4], content[3]
    exported.write_bytes(b"".join(content))

    with pytest.raises(ReplayRefused) as refused:
        replay_export(exported)
    assert refused.value.report is not None
    assert refused.value.report.kinds() == {"reordered"}


@pytest.fixture
def service(settings: RegistrySettings) -> Iterator[TestClient]:
    """The registry's HTTP API, in-process, on the same database (it opens its own registry)."""
    with TestClient(create_app(settings)) as client:
        client.headers["Authorization"] = "Bearer auditor-token"
        yield client


def test_diff_against_the_running_service_finds_no_difference(
    registry: Registry, story: Story, exported: Path, service: TestClient
) -> None:
    history: History = replay_export(exported)

    for on in (date(2025, 3, 1), date(2026, 1, 1)):
        differences, notes = diff_with_service(history, on, service, [PARTY_ID, story.medeu.ppo])
        assert differences == [], differences
        assert notes == []


def test_diff_names_the_organisation_whose_members_differ_and_exits_non_zero(
    registry: Registry,
    story: Story,
    exported: Path,
    service: TestClient,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    # Recorded after the export, effective in the past: the service now counts one more member.
    late = member(registry, story.medeu.ppo, date(1990, 1, 1), date(2025, 2, 15))
    monkeypatch.setattr(commands, "client_factory", lambda url, token: nullcontext(service))
    head = service.get("/read-model").json()["head"]  # the service's read model has `late` too
    service.get("/reports/structure", params={"min_position": head}).raise_for_status()

    status = main(
        [
            "diff",
            str(exported),
            "--on",
            "2025-03-01",
            "--service",
            "http://registry",
            "--token",
            "t",
        ]
    )

    out = capsys.readouterr().out
    assert status == 1
    assert f"({story.medeu.ppo}, primary_organisation): members: service 4, replay 3" in out
    assert f"member {late} (card" in out
    assert "only in the service's" in out
    assert "beyond the export's last" in out
    assert "DIFFERENT" in out


def test_diff_through_the_command_line_reports_the_same_figures(
    registry: Registry,
    story: Story,
    exported: Path,
    service: TestClient,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setattr(commands, "client_factory", lambda url, token: nullcontext(service))

    status = main(
        [
            "diff",
            str(exported),
            "--on",
            "2025-09-01",
            "--service",
            "http://registry",
            "--token",
            "t",
        ]
    )

    out = capsys.readouterr().out
    assert status == 0, out
    assert "SAME" in out
