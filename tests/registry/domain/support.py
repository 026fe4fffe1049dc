"""Pure test data for the domain tests: no database, no application layer.

IINs are made by the independent check-digit oracle in `tests/kit/iin_oracle.py`.
"""

from __future__ import annotations

from datetime import date
from uuid import UUID, uuid4

from partia_registry.domain.decisions import (
    ApplicationDocument,
    BodyKind,
    DecidingBody,
    Decision,
    DocumentForm,
)
from partia_registry.domain.members import Member
from partia_registry.domain.organisations import OrganisationKind
from partia_registry.domain.people import Declarations, PersonalData
from partia_registry.domain.policies.eligibility import BarredOffice
from partia_registry.domain.policies.structure import Ancestry, OrganisationRef
from tests.kit.iin_oracle import make_iin

K = OrganisationKind

# --- people ---------------------------------------------------------------------------------------

ADULT_BIRTH_DATE = date(1990, 5, 17)


def personal(iin: str | None = None, *, born: date = ADULT_BIRTH_DATE) -> PersonalData:
    return PersonalData(
        iin=iin or make_iin(born, female=True),
        surname="Ахметова",
        given_name="Айгерім",
        patronymic="Серікқызы",
        address="Астана, Есіл ауданы, Мәңгілік Ел 10",
        phone="+77011234567",
        email="aigerim@example.kz",
    )


def citizen(
    *,
    citizenship: str = "KZ",
    other_party: bool = False,
    barred: BarredOffice | None = None,
) -> Declarations:
    return Declarations(
        citizenship=citizenship, member_of_another_party=other_party, barred_office=barred
    )


def signed(on: date = date(2026, 3, 1), reference: str = "APP-1") -> ApplicationDocument:
    return ApplicationDocument(DocumentForm.ELECTRONIC_SIGNATURE, reference, on)


def decided(kind: BodyKind, organisation_id: UUID, on: date = date(2026, 3, 10)) -> Decision:
    return Decision(DecidingBody(kind, organisation_id), on, "Minutes No. 1")


# --- a small tree ---------------------------------------------------------------------------------


class Tree:
    """party ─┬─ Astana (regional) ─┬─ Yesil (territorial) ─┬─ PPO 1 ── group
    │                     │                       └─ PPO 2
    │                     └─ Saryarka (territorial) ── PPO 3
    └─ Shymkent (regional) ── Abai district (territorial) ── PPO 4
    """

    def __init__(self) -> None:
        self.party = OrganisationRef(uuid4(), K.PARTY)
        self.region = OrganisationRef(uuid4(), K.REGIONAL_BRANCH)
        self.district = OrganisationRef(uuid4(), K.TERRITORIAL_BRANCH)
        self.ppo = OrganisationRef(uuid4(), K.PRIMARY_ORGANISATION)
        self.group = OrganisationRef(uuid4(), K.PARTY_GROUP)
        self.sibling_ppo = OrganisationRef(uuid4(), K.PRIMARY_ORGANISATION)
        self.sibling_district = OrganisationRef(uuid4(), K.TERRITORIAL_BRANCH)
        self.cousin_ppo = OrganisationRef(uuid4(), K.PRIMARY_ORGANISATION)
        self.other_region = OrganisationRef(uuid4(), K.REGIONAL_BRANCH)
        self.other_district = OrganisationRef(uuid4(), K.TERRITORIAL_BRANCH)
        self.far_ppo = OrganisationRef(uuid4(), K.PRIMARY_ORGANISATION)

    # Ancestries: an organisation, then its parent, ... up to the party.
    @property
    def party_line(self) -> Ancestry:
        return (self.party,)

    @property
    def region_line(self) -> Ancestry:
        return (self.region, self.party)

    @property
    def district_line(self) -> Ancestry:
        return (self.district, self.region, self.party)

    @property
    def ppo_line(self) -> Ancestry:
        return (self.ppo, self.district, self.region, self.party)

    @property
    def group_line(self) -> Ancestry:
        return (self.group, self.ppo, self.district, self.region, self.party)

    @property
    def sibling_ppo_line(self) -> Ancestry:
        return (self.sibling_ppo, self.district, self.region, self.party)

    @property
    def cousin_ppo_line(self) -> Ancestry:
        return (self.cousin_ppo, self.sibling_district, self.region, self.party)

    @property
    def far_ppo_line(self) -> Ancestry:
        return (self.far_ppo, self.other_district, self.other_region, self.party)


def applicant(
    tree: Tree, *, born: date = ADULT_BIRTH_DATE, applied_on: date = date(2026, 3, 1)
) -> Member:
    return Member.apply_for_membership(
        ppo=tree.ppo_line,
        personal=personal(born=born),
        declarations=citizen(),
        application_document=signed(applied_on),
        recorded_by="registrar",
    )


def member(
    tree: Tree,
    *,
    applied_on: date = date(2026, 3, 1),
    admitted_on: date = date(2026, 3, 10),
    card: str = "BQ-0000001-8",
) -> Member:
    record = applicant(tree, applied_on=applied_on)
    record.admit(
        decision=decided(BodyKind.PPO_MEETING, tree.ppo.organisation_id, admitted_on),
        issue_card=lambda: card,
        ppo=tree.ppo_line,
        recorded_by="registrar",
    )
    return record


# --- calendar months, written out from the Gregorian rules, not taken from the code under test ----


def is_leap_year(year: int) -> bool:
    """Every fourth year, except centuries, except every fourth century (2000 yes, 2100 no)."""
    return year % 4 == 0 and (year % 100 != 0 or year % 400 == 0)


def days_in_month(year: int, month: int) -> int:
    if month == 2:
        return 29 if is_leap_year(year) else 28
    return 30 if month in (4, 6, 9, 11) else 31


def months_later(day: date, months: int) -> date:
    """Step forward one calendar month at a time, then keep the day of the month, or the last day of
    the month reached when it is shorter (30 November + 3 = 28 or 29 February)."""
    year, month = day.year, day.month
    for _ in range(months):
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return date(year, month, min(day.day, days_in_month(year, month)))


# --- bodies, deputies and long-standing members ---------------------------------------------------

from partia_registry.domain.mandates import Mandate, MandateKind  # noqa: E402


def body(kind: BodyKind, owner: OrganisationRef) -> DecidingBody:
    """The body of that kind belonging to `owner`, e.g. body(B.BRANCH_BUREAU, tree.district)."""
    return DecidingBody(kind, owner.organisation_id)


def mandate(
    kind: MandateKind,
    *,
    started_on: date = date(2023, 3, 29),
    ended_on: date | None = None,
) -> Mandate:
    territory = "Republic of Kazakhstan" if kind is not MandateKind.MASLIKHAT else "Astana city"
    level = "city" if kind is MandateKind.MASLIKHAT else None
    return Mandate(uuid4(), kind, territory, level, started_on, ended_on)


def member_since(tree: Tree, admitted_on: date, *, card: str = "BQ-0000001-8") -> Member:
    """A member of `tree.ppo` admitted by its meeting on `admitted_on` (born in 1940, so any
    admission date from 1958 on is lawful)."""
    record = applicant(tree, born=date(1940, 1, 1), applied_on=admitted_on)
    record.admit(
        decision=decided(BodyKind.PPO_MEETING, tree.ppo.organisation_id, admitted_on),
        issue_card=lambda: card,
        ppo=tree.ppo_line,
        recorded_by="registrar",
    )
    return record


def formalised_by_own_ppo(record: Member, on: date) -> tuple[Decision, Ancestry]:
    """The bureau of the member's own PPO formalising their withdrawal on `on` (Ch. 3.7), with the
    ancestry that makes it competent: for tests about something other than the body."""
    own = OrganisationRef(record.organisation_id, K.PRIMARY_ORGANISATION)
    return decided(BodyKind.PPO_BUREAU, own.organisation_id, on), (own,)
