"""Deputies: members who hold or held an elected mandate (Ch. 3.7, 7, 9.5, 9.8)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from uuid import UUID


class MandateKind(StrEnum):
    KURULTAI = "kurultai"  # the unicameral parliament of the draft Constitution
    MAZHILIS = "mazhilis"
    SENATE = "senate"
    MASLIKHAT = "maslikhat"

    @property
    def is_national_deputy(self) -> bool:
        """A Kurultai (Mazhilis) deputy loses the mandate on leaving the party that nominated them
        (Constitution, the article on deputies' mandates, para. 4(4))."""
        return self in (MandateKind.KURULTAI, MandateKind.MAZHILIS)


@dataclass(frozen=True, slots=True)
class Mandate:
    mandate_id: UUID
    kind: MandateKind
    territory: str  # e.g. "Republic of Kazakhstan", "Almaty city", "Yesil district of Astana"
    level: str | None  # for maslikhats: "regional", "city", "district"
    started_on: date
    ended_on: date | None = None

    def held_on(self, day: date) -> bool:
        return self.started_on <= day and (self.ended_on is None or day <= self.ended_on)
