"""Where a principal may act: the whole party, or the subtrees of the organisations their grants
name (issue 10, object level; decision 165).

A clerk of the Almaty regional branch holds `Scope({almaty})`: every organisation under Almaty is
covered, Astana's are not. A service asks `covers` with an organisation's chain up to the party
(the organisation itself first); how it finds the chain is its own business (the registry reads
its organisation index)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from uuid import NAMESPACE_URL, UUID, uuid5


@dataclass(frozen=True, slots=True)
class Scope:
    organisations: frozenset[UUID] | None = None
    """The roots of the subtrees the principal may act in; None: the whole party."""

    @property
    def whole_party(self) -> bool:
        return self.organisations is None

    def covers(self, chain: Iterable[UUID]) -> bool:
        """Whether an organisation lies in scope, given its chain: itself, its parent, ... the party."""
        if self.organisations is None:
            return True
        return any(organisation in self.organisations for organisation in chain)

    def describe(self) -> str:
        if self.organisations is None:
            return "the whole party"
        return "the organisations under " + ", ".join(sorted(map(str, self.organisations)))


WHOLE_PARTY = Scope()


def bootstrapped_organisation_id(party_code: str, code: str) -> UUID:
    """The stable id of an organisation the registry bootstraps (the party, its regional branches):
    every service derives the party's root the same way, without asking the registry."""
    return uuid5(NAMESPACE_URL, f"partia:{party_code}/{code}")


def party_root(party_code: str) -> UUID:
    """The party's own organisation (the central office's): a grant there covers the whole party."""
    return bootstrapped_organisation_id(party_code, "party")
