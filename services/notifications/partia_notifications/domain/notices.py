"""Which notices an integration event causes (issue 13 item 2), decided from the event alone.

Integration events carry no personal data, and neither does a notice: it names its recipient by
member id and carries the event's facts (dates, card number, organisation ids, body kinds); the
person's name, address and language are asked of the registry when it is sent.

Context keys per template (what the i18n slice's templates may use, besides `full_name` which the
sender adds at send time and `legally_significant`):
- application_received: organisation_id, signed_on
- admitted: card_number, organisation_id, decided_on, decided_by
- application_rejected: reason, organisation_id, decided_on, decided_by
- membership_ended: reason, card_number, organisation_id, effective_on
- transfer_registered: from_organisation_id, to_organisation_id, decided_on, decided_by
- sanction_imposed: kind, grounds, decided_on, decided_by, decided_by_organisation_id,
  appeal_deadline, appeal_body (None after a Congress decision), card_number, expulsion
- appeal_decided: outcome, replacement, decided_on, decided_by
- membership_restored: effective_on
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any
from uuid import UUID

from partia_notifications.domain.policies.appeals import appeal_body

LEGAL = "legal"
"""Decisions, sanctions, appeal deadlines: always sent, whatever the person's preferences."""
INFORMATION = "information"
"""Routine news about one's own record (an application received)."""

Context = dict[str, Any]


@dataclass(frozen=True)
class Notice:
    """One notice to one recipient, caused by one event."""

    template: str
    member_id: UUID
    category: str
    context: Context = field(default_factory=dict)

    @property
    def recipient(self) -> str:
        """How the delivery log names the recipient: no address, no name."""
        return f"member:{self.member_id}"


def _decision(data: Mapping[str, Any]) -> Context:
    decision = data.get("decision") or {}
    body = decision.get("body") or {}
    return {"decided_on": decision.get("decided_on"), "decided_by": body.get("kind")}


def _application_received(data: Mapping[str, Any]) -> Context:
    document = data.get("application_document") or {}
    return {"organisation_id": data["organisation_id"], "signed_on": document.get("signed_on")}


def _admitted(data: Mapping[str, Any]) -> Context:
    return {
        "card_number": data["card_number"],
        "organisation_id": data["organisation_id"],
        **_decision(data),
    }


def _rejected(data: Mapping[str, Any]) -> Context:
    return {"reason": data["reason"], "organisation_id": data["organisation_id"], **_decision(data)}


def _ended(data: Mapping[str, Any]) -> Context:
    return {
        "reason": data["reason"],
        "card_number": data["card_number"],
        "organisation_id": data["organisation_id"],
        "effective_on": data["effective_on"],
    }


def _transferred(data: Mapping[str, Any]) -> Context:
    return {
        "from_organisation_id": data["from_organisation_id"],
        "to_organisation_id": data["to_organisation_id"],
        **_decision(data),
    }


def _sanction(data: Mapping[str, Any]) -> Context:
    decision = _decision(data)
    return {
        "kind": data["kind"],
        "grounds": list(data.get("grounds") or []),
        **decision,
        "decided_by_organisation_id": data["decision"]["body"]["organisation_id"],
        # the registry computed the deadline (Ch. 5.1) and the contract carries it
        "appeal_deadline": data["appeal_deadline"],
        "appeal_body": appeal_body(str(decision["decided_by"])),
        "card_number": data.get("card_number"),
        "expulsion": data["kind"] == "expulsion",
    }


def _appeal_decided(data: Mapping[str, Any]) -> Context:
    return {"outcome": data["outcome"], "replacement": data.get("replacement"), **_decision(data)}


def _restored(data: Mapping[str, Any]) -> Context:
    return {"effective_on": data["effective_on"]}


RULES: dict[str, tuple[str, str, Callable[[Mapping[str, Any]], Context]]] = {
    "partia.registry.member.application_submitted": (
        "application_received",
        INFORMATION,
        _application_received,
    ),
    "partia.registry.member.admitted": ("admitted", LEGAL, _admitted),
    "partia.registry.member.application_rejected": ("application_rejected", LEGAL, _rejected),
    "partia.registry.member.membership_ended": ("membership_ended", LEGAL, _ended),
    "partia.registry.member.transferred": ("transfer_registered", LEGAL, _transferred),
    "partia.registry.member.sanction_imposed": ("sanction_imposed", LEGAL, _sanction),
    "partia.registry.member.appeal_decided": ("appeal_decided", LEGAL, _appeal_decided),
    "partia.registry.member.membership_restored": ("membership_restored", LEGAL, _restored),
}
"""By `ce_type` without its version: template, category, the facts the template gets."""

TEMPLATES = tuple(sorted({template for template, _, _ in RULES.values()}))


def notices_for(type_name: str, data: Mapping[str, Any]) -> list[Notice]:
    """The notices an event of this type causes: one to the member it concerns, for the types in
    `RULES`; none for the others."""
    rule = RULES.get(type_name)
    if rule is None:
        return []
    template, category, facts = rule
    context = {**facts(data), "legally_significant": category == LEGAL}
    return [Notice(template, UUID(str(data["member_id"])), category, context)]
