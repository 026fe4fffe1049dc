"""What the registry knows about a person, split by what may be erased (DOMAIN §8)."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from partia_kit.iin import IIN
from partia_registry.domain.policies.eligibility import BarredOffice


class Language(StrEnum):
    """A language the party writes to its members in (issue 13 item 3)."""

    KAZAKH = "kk"
    RUSSIAN = "ru"
    ENGLISH = "en"


@dataclass(frozen=True, slots=True)
class PersonalData:
    """Names, IIN, address and contacts: personal data (Constitution Art. 21).

    Stored sealed with a key of the person's own; destroying the key erases it everywhere at once,
    without editing a stored event. `preferred_language` came later (decision 266): None when the
    person did not say, as in every event recorded before it existed, which then load with None.
    """

    iin: str
    surname: str
    given_name: str
    patronymic: str | None
    address: str
    phone: str | None
    email: str | None
    preferred_language: Language | None = None

    @property
    def full_name(self) -> str:
        return " ".join(part for part in (self.surname, self.given_name, self.patronymic) if part)


@dataclass(frozen=True, slots=True)
class Demographics:
    """Sex and year of birth, taken from the IIN and kept after erasure so that the composition
    report (Ch. 4.3, list quotas Ch. 7.8) stays correct. Neither identifies a person."""

    sex: str
    birth_year: int

    @classmethod
    def of(cls, iin: IIN) -> Demographics:
        return cls(sex=iin.sex.value, birth_year=iin.birth_date.year)


@dataclass(frozen=True, slots=True)
class Declarations:
    """What the applicant declares, since an IIN does not prove citizenship or party affiliation."""

    citizenship: str
    member_of_another_party: bool
    barred_office: BarredOffice | None
