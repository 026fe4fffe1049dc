"""From the registry's (and finance's dues) integration events to the text a member reads (decision 275): every event
type that causes a notice, in the forms the contract's EXAMPLES give, goes through `notices_for`,
JSON (as the delivery log stores it) and `worded` to `render` in kk, ru and en without a missing
key; organisations are named in the reader's language, falling back rather than left blank."""

from __future__ import annotations

import json
import uuid
from typing import Any
from uuid import UUID

import pytest

from partia_contracts.finance.v1 import FINANCE_EVENTS
from partia_contracts.registry.v1 import REGISTRY_EVENTS, SanctionImposed
from partia_contracts.topics import ce_type
from partia_notifications.application.ports import Organisation
from partia_notifications.application.wording import NotYetKnown, worded
from partia_notifications.domain.notices import RULES, notices_for
from partia_notifications.domain.rendering import LANGUAGES, render

PARTY = UUID("0b6f3c1a-5d2e-4f7a-8c9b-1a2b3c4d5e6f")
BRANCH = UUID("6a1d2e3f-4b5c-4d6e-8f70-8192a3b4c5d6")
PPO = UUID("c4e5f6a7-b8c9-4dae-8bf0-0123456789ab")
OTHER_PPO = UUID("d5f6a7b8-c9da-4ebf-9c01-123456789abc")
"""The organisations the contract's examples name."""


def names(stem: str) -> dict[str, str]:
    return {"kk": f"{stem} (kk)", "ru": f"{stem} (ru)", "en": f"{stem} (en)"}


class Tree:
    """The organisation table as the organisations topic would have filled it."""

    def __init__(self) -> None:
        self.rows: dict[UUID, tuple[UUID | None, Organisation]] = {
            PARTY: (None, Organisation(PARTY, "party", names("Baytaq"))),
            BRANCH: (PARTY, Organisation(BRANCH, "regional_branch", names("Astana"))),
            PPO: (BRANCH, Organisation(PPO, "primary_organisation", names("PPO 7"))),
            OTHER_PPO: (BRANCH, Organisation(OTHER_PPO, "primary_organisation", names("PPO 9"))),
        }

    def chain(self, organisation_id: UUID) -> list[Organisation]:
        chain: list[Organisation] = []
        current: UUID | None = organisation_id
        while current is not None and current in self.rows:
            parent, organisation = self.rows[current]
            chain.append(organisation)
            current = parent
        return chain


def examples() -> list[tuple[str, dict[str, Any]]]:
    """(ce_type without version, body) of every contract example of a type that causes notices."""
    found = []
    for model in (*REGISTRY_EVENTS, *FINANCE_EVENTS):
        for example in model.EXAMPLES:
            type_name = ce_type(example["event_type"], 1).removesuffix(".v1")
            if type_name in RULES:
                found.append((type_name, example))
    return found


EXPULSION = next(e for e in SanctionImposed.EXAMPLES if e["kind"] == "expulsion")
SEEN_SANCTION = {"kind": "expulsion", "organisation_id": str(PPO), "card_number": "0012345"}


def test_every_event_type_that_causes_a_notice_has_an_example() -> None:
    assert {type_name for type_name, _ in examples()} == set(RULES)


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize(
    ("type_name", "example"), examples(), ids=[f"{t}-{i}" for i, (t, _) in enumerate(examples())]
)
def test_every_example_event_renders_its_notice_in_every_language(
    type_name: str, example: dict[str, Any], language: str
) -> None:
    [notice] = notices_for(type_name, example, SEEN_SANCTION)
    stored = json.loads(json.dumps(notice.context))  # as the delivery log keeps it
    text = render(notice.template, language, {**worded(stored, language, Tree()), "name": "A"})
    assert text.subject
    assert "None" not in text.text


def test_an_expulsion_names_the_deciding_and_the_appeal_organisation_in_the_readers_language() -> (
    None
):
    """Ch. 5.1: a PPO's decision is appealed to the bureau of the branch above the PPO."""
    data = {**EXPULSION, "decision": {**EXPULSION["decision"],
            "body": {"kind": "ppo_meeting", "organisation_id": str(PPO)}}}  # fmt: skip
    [notice] = notices_for("partia.registry.member.sanction_imposed", data)
    context = worded(json.loads(json.dumps(notice.context)), "kk", Tree())
    assert context["organisation"] == "PPO 7 (kk)"
    assert context["appeal_organisation"] == "Astana (kk)"
    text = render(notice.template, "kk", {**context, "name": "Айгерім"}).text
    assert "2025\u202fж. 12 маусым" in text  # the deadline, in Kazakh (CLDR: a narrow space)
    assert "Astana (kk)" in text


def test_a_name_missing_in_the_readers_language_falls_back_to_another_never_a_blank() -> None:
    tree = Tree()
    tree.rows[PPO] = (BRANCH, Organisation(PPO, "primary_organisation", {"ru": "ППО 7", "kk": ""}))
    data = {"member_id": str(uuid.uuid4()), "organisation_id": str(PPO),
            "effective_on": "2025-03-01", "application_document": None}  # fmt: skip
    [notice] = notices_for("partia.registry.member.application_submitted", data)
    assert worded(notice.context, "kk", tree)["organisation"] == "ППО 7"


def test_an_organisation_not_heard_of_yet_makes_the_notice_wait() -> None:
    data = {"member_id": str(uuid.uuid4()), "organisation_id": str(uuid.uuid4()),
            "effective_on": "2025-03-01", "application_document": None}  # fmt: skip
    [notice] = notices_for("partia.registry.member.application_submitted", data)
    with pytest.raises(NotYetKnown):
        worded(notice.context, "ru", Tree())


def test_the_decision_on_an_appeal_names_the_sanction_the_service_saw_imposed() -> None:
    appeal = next(
        e for m in REGISTRY_EVENTS for e in m.EXAMPLES
        if e["event_type"] == "registry.member.appeal_decided" and e["outcome"] == "annulled"
    )  # fmt: skip
    [notice] = notices_for("partia.registry.member.appeal_decided", appeal, SEEN_SANCTION)
    text = render(notice.template, "ru", {**worded(notice.context, "ru", Tree()), "name": "A"})
    assert "исключение из партии" in text.text.lower()
