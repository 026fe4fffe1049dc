"""Which rule a finding about an accepted donation may name (issue 11 item 2): only the prohibited
sources of Constitution Art. 6(4) and Law "On Political Parties" Art. 18(2), the ones a false
declaration can hide. A number's validity or a missing document was settled when the donation was
accepted, and anonymity cannot turn up afterwards."""

from __future__ import annotations

from partia_finance.domain.policies.permissibility import PROHIBITED_SOURCES
from partia_kit.rules import RuleViolation

FINDABLE_RULES = (
    "foreign-state-or-legal-entity",
    "foreigner-or-stateless-person",
    "foreign-participation",
    "state-body-or-organisation",
    "religious-or-charitable-organisation",
    "foreign-grants",
)


def finding_clause(rule: str) -> str:
    """The clause an accepted donation is found to break under `rule`, or a refusal naming
    `rule` when it is not a prohibited source (Constitution Art. 6(4), Law Art. 18(2))."""
    if rule not in FINDABLE_RULES:
        raise RuleViolation(
            "finding-names-a-prohibited-source",
            PROHIBITED_SOURCES,
            f"a finding names one of the prohibited sources ({', '.join(FINDABLE_RULES)});"
            f" {rule!r} is not one",
            field="rule",
        )
    return PROHIBITED_SOURCES
