"""Two writers on one database (two service instances): a writer decides on the records as it
last knew them and no longer asks the log before every batch, so its commits and its refusals
must still come out as if it had."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from typing import Any

import pytest

from partia_registry.application import commands as c
from partia_registry.composition import Registry, open_registry
from partia_registry.domain.decisions import BodyKind
from partia_registry.domain.members import TransferReason
from partia_registry.domain.rules import RuleViolation
from tests.registry.builders import admit, apply, build_tree, decided, ok


@pytest.fixture
def second(settings: Any) -> Iterator[Registry]:
    other = open_registry(settings)
    try:
        yield other
    finally:
        other.close()


def test_an_admission_into_a_ppo_another_instance_dissolved_meanwhile_is_refused(
    registry: Registry, second: Registry
) -> None:
    """Ch. 9.8: nobody is admitted into a dissolved organisation. The first writer holds the PPO
    as it was when the application came in; its commit finds the newer version and the admission
    is decided again on it."""
    tree = build_tree(registry)
    applicant = apply(registry, tree.ppo)  # the first writer now holds the PPO, not dissolved
    ok(
        second.writer.execute(
            c.DissolveOrganisation(
                actor="registrar",
                organisation_id=tree.ppo,
                decision=decided(BodyKind.BRANCH_BUREAU, tree.district, date(2026, 3, 5)),
            )
        )
    )

    outcome = registry.writer.execute(
        c.AdmitMember(
            actor="registrar",
            member_id=applicant,
            decision=decided(BodyKind.PPO_MEETING, tree.ppo, date(2026, 3, 10)),
        )
    )

    assert isinstance(outcome.error, RuleViolation), outcome
    assert registry.queries.member(applicant)["status"] == "applicant"


def test_a_request_refused_on_an_outdated_record_is_decided_again_on_the_current_one(
    registry: Registry, second: Registry
) -> None:
    """The first writer still holds the applicant; the second admitted them. A transfer request
    through the first writer is accepted, not refused as if they were still an applicant."""
    home, away = build_tree(registry), build_tree(registry, name="Saryarka")
    applicant = apply(registry, home.ppo)
    admit(second, applicant, home.ppo)

    outcome = registry.writer.execute(
        c.RequestTransfer(
            actor="registrar",
            member_id=applicant,
            to_organisation_id=away.ppo,
            requested_on=date(2026, 3, 20),
            reason=TransferReason.OTHER,
        )
    )

    assert outcome.error is None, outcome.error
