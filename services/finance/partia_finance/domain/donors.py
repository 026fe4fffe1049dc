"""Who gave the money, as far as the party can know it (DOMAIN §6, §8, §9).

Four kinds of donor: a person (IIN), an organisation registered in Kazakhstan (BIN), a foreign
state, foreign legal entity or international organisation without a Kazakh BIN, and nobody known
(anonymous). An IIN does not prove citizenship and a BIN does not prove ownership, so what decides
permissibility is the donor's declaration; `None` in a declaration means "not declared yet".

A person's names and IIN are personal data: they live in `DonorPersonalData` alone, which an event
carries as its own field so that the service can seal it with a key of its own and erase it later,
while the declarations, the amount and the decision stay readable.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import ClassVar

KAZAKHSTAN = "KZ"
STATELESS = "stateless"
"""Declared citizenship is an ISO 3166-1 alpha-2 code, or this word for a stateless person."""


class DonorKind(StrEnum):
    PERSON = "person"
    ORGANISATION = "organisation"
    FOREIGN_ENTITY = "foreign_entity"
    ANONYMOUS = "anonymous"


@dataclass(frozen=True, slots=True)
class DonorPersonalData:
    """A person donor's names and IIN: personal data (Constitution Art. 21), sealed when stored."""

    iin: str
    surname: str
    given_name: str
    patronymic: str | None = None

    @property
    def full_name(self) -> str:
        return " ".join(part for part in (self.surname, self.given_name, self.patronymic) if part)


@dataclass(frozen=True, slots=True)
class PersonDeclarations:
    """What a person declares, since the IIN cannot tell it. `None` = not declared."""

    citizenship: str | None = None
    receives_foreign_grants: bool | None = None


@dataclass(frozen=True, slots=True)
class OrganisationDeclarations:
    """What an organisation declares, since the BIN cannot tell it. `None` = not declared."""

    foreign_participation: bool | None = None
    state_body_or_organisation: bool | None = None
    religious_association: bool | None = None
    charitable_organisation: bool | None = None
    receives_foreign_grants: bool | None = None


@dataclass(frozen=True, slots=True)
class PersonDonor:
    """A natural person. The names and IIN travel beside it, as `DonorPersonalData`."""

    declarations: PersonDeclarations = PersonDeclarations()

    kind: ClassVar[DonorKind] = DonorKind.PERSON


@dataclass(frozen=True, slots=True)
class OrganisationDonor:
    """A legal entity or other organisation with a BIN (not personal data)."""

    bin: str
    name: str
    declarations: OrganisationDeclarations = OrganisationDeclarations()

    kind: ClassVar[DonorKind] = DonorKind.ORGANISATION


class ForeignEntityKind(StrEnum):
    FOREIGN_STATE = "foreign_state"
    FOREIGN_LEGAL_ENTITY = "foreign_legal_entity"
    INTERNATIONAL_ORGANISATION = "international_organisation"


@dataclass(frozen=True, slots=True)
class ForeignEntityDonor:
    """A foreign state, foreign legal entity or international organisation known as such (e.g. a
    transfer from abroad): always a prohibited source."""

    name: str
    entity: ForeignEntityKind
    country: str | None = None

    kind: ClassVar[DonorKind] = DonorKind.FOREIGN_ENTITY


@dataclass(frozen=True, slots=True)
class AnonymousDonor:
    """Nobody identifiable: the bank document names no payer the party can identify."""

    kind: ClassVar[DonorKind] = DonorKind.ANONYMOUS


Donor = PersonDonor | OrganisationDonor | ForeignEntityDonor | AnonymousDonor

Declarations = PersonDeclarations | OrganisationDeclarations


def identification_number(donor: Donor, personal: DonorPersonalData | None) -> str | None:
    """The IIN or BIN that identifies the donor across branches (the service keys its per-donor
    totals by a digest of it), or None for a donor without one."""
    if isinstance(donor, PersonDonor):
        return None if personal is None else personal.iin
    if isinstance(donor, OrganisationDonor):
        return donor.bin
    return None
