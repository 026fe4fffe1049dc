"""Test data: valid IINs, people, decisions and a small organisation tree, built the way users would."""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from datetime import date
from uuid import UUID

from partia_kit.iin import check_digit
from partia_registry.application import commands as c
from partia_registry.application.batches import Outcome
from partia_registry.application.bootstrap import organisation_id
from partia_registry.composition import Registry
from partia_registry.domain.decisions import (
    ApplicationDocument,
    BodyKind,
    DecidingBody,
    Decision,
    DocumentForm,
)
from partia_registry.domain.organisations import OrganisationKind, OrganisationNames
from partia_registry.domain.people import Declarations, PersonalData

PARTY_ID = organisation_id("baytaq", "party")
ASTANA_ID = organisation_id("baytaq", "astana")
ALMATY_CITY_ID = organisation_id("baytaq", "almaty-city")

_serials = itertools.count(1)


def make_iin(born: date, *, female: bool = False, serial: int | None = None) -> str:
    """A valid IIN for someone born on `born` (digits 1-6 the date, 7 century and sex)."""
    century_digit = {1800: 1, 1900: 3, 2000: 5}[born.year // 100 * 100] + (1 if female else 0)
    while True:
        n = next(_serials) if serial is None else serial
        first = f"{born:%y%m%d}{century_digit}{n % 10000:04d}"
        digit = check_digit(first)
        if digit is not None:
            return first + str(digit)
        serial = None


def person(
    iin: str | None = None, surname: str = "Ахметова", given_name: str = "Айгерім"
) -> PersonalData:
    return PersonalData(
        iin=iin or make_iin(date(1990, 5, 17), female=True),
        surname=surname,
        given_name=given_name,
        patronymic="Серікқызы",
        address="Астана, Есіл ауданы, Мәңгілік Ел 10",
        phone="+77011234567",
        email="aigerim@example.kz",
    )


def citizen() -> Declarations:
    return Declarations(citizenship="KZ", member_of_another_party=False, barred_office=None)


def signed(on: date = date(2026, 3, 1), reference: str = "APP-1") -> ApplicationDocument:
    return ApplicationDocument(DocumentForm.ELECTRONIC_SIGNATURE, reference, on)


def decided(
    kind: BodyKind, organisation: UUID, on: date = date(2026, 3, 10), ref: str = "Minutes 1"
) -> Decision:
    return Decision(DecidingBody(kind, organisation), on, ref)


def formalised(on: date) -> Decision:
    """The party Bureau formalising a withdrawal on `on` (Ch. 3.7): competent for any member who
    holds no maslikhat mandate, for tests about something other than the body."""
    return decided(BodyKind.PARTY_BUREAU, PARTY_ID, on, "Bureau minutes")


def names(en: str) -> OrganisationNames:
    return OrganisationNames(kk=f"{en} (kk)", ru=f"{en} (ru)", en=en)


def ok(outcome: Outcome) -> dict[str, object]:
    if outcome.error is not None:
        raise outcome.error
    assert outcome.receipt is not None
    return outcome.receipt


@dataclass
class Tree:
    region: UUID
    district: UUID
    ppo: UUID


def build_tree(registry: Registry, region: UUID = ASTANA_ID, name: str = "Yesil") -> Tree:
    """A territorial branch and a PPO under a bootstrapped regional branch."""
    district = ok(
        registry.writer.execute(
            c.CreateOrganisation(
                actor="registrar",
                kind=OrganisationKind.TERRITORIAL_BRANCH,
                parent_id=region,
                names=names(f"{name} district branch"),
                decision=decided(BodyKind.BRANCH_BUREAU, region, date(2024, 1, 15)),
            )
        )
    )["organisation_id"]
    ppo = ok(
        registry.writer.execute(
            c.CreateOrganisation(
                actor="registrar",
                kind=OrganisationKind.PRIMARY_ORGANISATION,
                parent_id=UUID(str(district)),
                names=names(f"{name} PPO No. 1"),
                decision=decided(BodyKind.BRANCH_BUREAU, UUID(str(district)), date(2024, 1, 20)),
            )
        )
    )["organisation_id"]
    return Tree(region=region, district=UUID(str(district)), ppo=UUID(str(ppo)))


def apply(
    registry: Registry, ppo: UUID, who: PersonalData | None = None, on: date = date(2026, 3, 1)
) -> UUID:
    receipt = ok(
        registry.writer.execute(
            c.SubmitApplication(
                actor="registrar",
                organisation_id=ppo,
                person=who or person(),
                declarations=citizen(),
                application_document=signed(on),
            )
        )
    )
    return UUID(str(receipt["member_id"]))


def admit(
    registry: Registry, member: UUID, ppo: UUID, on: date = date(2026, 3, 10)
) -> dict[str, object]:
    return ok(
        registry.writer.execute(
            c.AdmitMember(
                actor="registrar",
                member_id=member,
                decision=decided(BodyKind.PPO_MEETING, ppo, on),
            )
        )
    )
