"""Transfers, mandates and discipline: the rules within each event, and what they publish."""

from typing import Any

import pytest
from pydantic import ValidationError

from partia_contracts.registry import (
    AppealDecided,
    AppealOutcome,
    ExclusionGround,
    IntegrationEvent,
    MandateRecorded,
    MemberTransferred,
    NationalMandateAtStake,
    SanctionImposed,
    SanctionKind,
    parse_registry_event,
)
from partia_contracts.schemas import schema_for


def example(model: type[IntegrationEvent], number: int = 0, **changes: Any) -> dict[str, Any]:
    return {**model.EXAMPLES[number], **changes}


REPRIMAND = example(SanctionImposed, 0)
EXPULSION = example(SanctionImposed, 1)


def test_a_member_is_transferred_somewhere_else() -> None:
    transfer = example(MemberTransferred)

    with pytest.raises(ValidationError, match="must differ"):
        MemberTransferred.model_validate(
            {**transfer, "to_organisation_id": transfer["from_organisation_id"]}
        )


def test_a_mandate_cannot_end_before_it_starts() -> None:
    ended = example(MandateRecorded, 1)

    assert MandateRecorded.model_validate({**ended, "ended_on": ended["started_on"]})
    with pytest.raises(ValidationError, match="cannot end"):
        MandateRecorded.model_validate({**ended, "ended_on": "2020-12-31"})


def test_a_mandate_level_is_one_of_the_maslikhat_levels() -> None:
    with pytest.raises(ValidationError, match="level"):
        MandateRecorded.model_validate(example(MandateRecorded, 1, level="village"))


def test_an_expulsion_rests_on_one_or_more_grounds() -> None:
    with pytest.raises(ValidationError, match="one or more grounds"):
        SanctionImposed.model_validate({**EXPULSION, "grounds": []})


@pytest.mark.parametrize("kind", [SanctionKind.WARNING, SanctionKind.REPRIMAND])
def test_a_warning_or_reprimand_may_name_no_ground(kind: SanctionKind) -> None:
    event = SanctionImposed.model_validate({**REPRIMAND, "kind": kind, "grounds": []})

    assert event.grounds == []


def test_the_ground_other_says_which_provision() -> None:
    with pytest.raises(ValidationError, match="needs other_ground"):
        SanctionImposed.model_validate({**EXPULSION, "other_ground": None})
    with pytest.raises(ValidationError, match="other_ground"):
        SanctionImposed.model_validate({**EXPULSION, "other_ground": ""})


def test_grounds_are_those_of_the_charter() -> None:
    with pytest.raises(ValidationError, match="grounds"):
        SanctionImposed.model_validate({**EXPULSION, "grounds": ["bad_attitude"]})
    assert {ground.value for ground in ExclusionGround} >= set(EXPULSION["grounds"])


def test_a_replacement_is_given_when_the_sanction_is_replaced_and_only_then() -> None:
    annulled, replaced = example(AppealDecided, 0), example(AppealDecided, 1)

    with pytest.raises(ValidationError, match="only then"):
        AppealDecided.model_validate({**replaced, "replacement": None})
    with pytest.raises(ValidationError, match="only then"):
        AppealDecided.model_validate({**annulled, "replacement": "warning"})
    with pytest.raises(ValidationError, match="only then"):
        AppealDecided.model_validate(
            {**annulled, "outcome": AppealOutcome.UPHELD, "replacement": "warning"}
        )


def test_nothing_is_replaced_by_an_expulsion() -> None:
    with pytest.raises(ValidationError, match="milder"):
        AppealDecided.model_validate(example(AppealDecided, 1, replacement="expulsion"))


def test_a_national_mandate_is_at_stake_only_on_withdrawal_or_exclusion() -> None:
    for reason in ("withdrawal", "exclusion"):
        event = parse_registry_event(example(NationalMandateAtStake, reason=reason))
        assert isinstance(event, NationalMandateAtStake)
    with pytest.raises(ValidationError, match="reason"):
        parse_registry_event(example(NationalMandateAtStake, reason="death"))


def test_the_mandate_at_stake_tells_consumers_to_act() -> None:
    description = " ".join(schema_for(NationalMandateAtStake)["description"].split())

    assert "Constitution" in description
    assert "downstream systems must act" in description


def test_an_expulsion_is_documented_as_the_end_of_membership() -> None:
    description = " ".join(schema_for(SanctionImposed)["description"].split())

    assert "ends the membership from the decision date" in description
    assert "No `membership_ended` is published" in description
