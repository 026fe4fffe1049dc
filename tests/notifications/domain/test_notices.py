"""Which notices an event causes, where an appeal goes, how long a failed delivery waits: pure."""

from __future__ import annotations

import uuid

import pytest

from partia_notifications.domain.backoff import gives_up, retry_delay
from partia_notifications.domain.notices import LEGAL, notices_for
from partia_notifications.domain.policies.appeals import appeal_body
from tests.notifications.support import sanction_data

SANCTION = "partia.registry.member.sanction_imposed"


def test_an_expulsion_tells_the_member_the_last_day_to_appeal_and_the_body_to_appeal_to() -> None:
    """Ch. 5.1: three months to appeal to a higher body."""
    member = uuid.uuid4()
    [notice] = notices_for(SANCTION, sanction_data(member))
    assert notice.member_id == member
    assert notice.recipient == f"member:{member}"
    assert notice.template == "sanction_imposed"
    assert notice.category == LEGAL
    assert notice.context["appeal_deadline"] == "2026-02-28"
    assert notice.context["appeal_body"] == "branch_bureau"
    assert notice.context["body"] == "ppo_meeting"
    assert notice.context["sanction"] == "expulsion"


def test_a_notice_carries_no_personal_data_only_the_events_facts() -> None:
    [notice] = notices_for(SANCTION, sanction_data(uuid.uuid4()))
    assert not {"full_name", "email", "phone", "iin", "address"} & set(notice.context)


@pytest.mark.parametrize(
    ("type_name", "template"),
    [
        ("partia.registry.member.admitted", "admitted"),
        ("partia.registry.member.application_rejected", "application_rejected"),
        ("partia.registry.member.membership_ended", "membership_ended"),
        ("partia.registry.member.transferred", "transfer_registered"),
        ("partia.registry.member.appeal_decided", "appeal_decided"),
        ("partia.registry.member.membership_restored", "membership_restored"),
    ],
)
def test_each_decision_about_a_member_causes_one_legal_notice_to_them(
    type_name: str, template: str
) -> None:
    member = uuid.uuid4()
    decision = {
        "body": {"kind": "ppo_meeting", "organisation_id": str(uuid.uuid4())},
        "decided_on": "2026-03-10",
        "reference": "Minutes 1",
    }
    data = {
        "member_id": str(member),
        "organisation_id": str(uuid.uuid4()),
        "from_organisation_id": str(uuid.uuid4()),
        "to_organisation_id": str(uuid.uuid4()),
        "card_number": "0000007",
        "decision": decision,
        "reason": "withdrawal",
        "outcome": "annulled",
        "effective_on": "2026-03-10",
    }
    [notice] = notices_for(type_name, data)
    assert (notice.template, notice.member_id, notice.category) == (template, member, LEGAL)


def test_an_event_about_no_ones_rights_causes_no_notice() -> None:
    data = {"member_id": str(uuid.uuid4()), "mandate_id": str(uuid.uuid4())}
    assert notices_for("partia.registry.member.mandate_ended", data) == []


@pytest.mark.parametrize(
    ("decided_by", "appeal_to"),
    [
        ("ppo_meeting", "branch_bureau"),
        ("ppo_chair", "branch_bureau"),
        ("branch_bureau", "branch_political_council"),
        ("branch_conference", "party_bureau"),
        ("party_bureau", "party_political_council"),
        ("party_political_council", "party_congress"),
        ("party_congress", None),
    ],
)
def test_an_appeal_goes_to_the_nearest_higher_body(decided_by: str, appeal_to: str | None) -> None:
    """Ch. 5.1: to a higher party body; nothing stands above the Congress."""
    assert appeal_body(decided_by) == appeal_to


def test_a_failed_delivery_waits_twice_as_long_each_time_up_to_the_cap() -> None:
    assert [retry_delay(n, 30, 3600) for n in (1, 2, 3, 7, 8, 50)] == [
        30,
        60,
        120,
        1920,
        3600,
        3600,
    ]
    assert not gives_up(11, 12)
    assert gives_up(12, 12)
