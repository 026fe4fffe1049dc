"""Who may be a member (Ch. 3.2, 3.3; Constitution Art. 26(2), 45(2), 49(3))."""

from __future__ import annotations

from datetime import date
from enum import StrEnum
from uuid import UUID

from partia_kit.iin import IIN, InvalidIIN, age_on
from partia_registry.domain.rules import RuleViolation, StateConflict

MINIMUM_AGE = 18
"""Ch. 3.2: a citizen who has reached the age of 18."""

CITIZENSHIP = "KZ"
"""Ch. 3.2: a citizen of the Republic of Kazakhstan."""


class BarredOffice(StrEnum):
    """Offices whose holders may not be members of a political party."""

    JUDGE = "judge"  # Art. 26(2): chairs and judges of the Constitutional, Supreme and other courts
    CENTRAL_ELECTION_COMMISSION = "central_election_commission"  # Art. 26(2)
    SUPREME_AUDIT_CHAMBER = "supreme_audit_chamber"  # Art. 26(2)
    LAW_ENFORCEMENT = "law_enforcement"  # Art. 26(2)
    SPECIAL_STATE_BODY = "special_state_body"  # Art. 26(2)
    MILITARY = "military"  # Art. 26(2)
    PRESIDENT = "president"  # Art. 45(2)
    VICE_PRESIDENT = "vice_president"  # Art. 49(3)


_BARRED_CLAUSE = {
    BarredOffice.PRESIDENT: "Constitution Art. 45(2)",
    BarredOffice.VICE_PRESIDENT: "Constitution Art. 49(3)",
}


def check_iin(text: str) -> IIN:
    """DOMAIN §9: an applicant is identified by a valid IIN (its check digit and birth date)."""
    try:
        return IIN.parse(text)
    except InvalidIIN as invalid:
        raise RuleViolation(
            "iin-invalid",
            "DOMAIN §9",
            f"the IIN is not valid: {invalid.reason}",
            field="person.iin",
        ) from None


def check_may_apply_again(
    member_id: UUID, *, erased: bool, applying: bool, member_card: str | None
) -> None:
    """Ch. 3.1: one person, one record, one membership. A record whose personal data was erased
    (Constitution Art. 21) takes no new application (a new one starts a new record); a pending
    application or a current membership takes no second one."""
    if erased:
        raise StateConflict(
            "record-erased",
            "Constitution Art. 21",
            "this record's personal data was erased; a new application starts a new record",
        )
    if applying:
        raise StateConflict(
            "application-pending",
            "Ch. 3.1",
            f"this person already has an application pending (member {member_id})",
            field="person.iin",
        )
    if member_card is not None:
        raise StateConflict(
            "already-a-member",
            "Ch. 3.1",
            f"this person is already a member (card {member_card}, member {member_id})",
            field="person.iin",
        )


def check_same_person(on_record: str | None, applying: str) -> None:
    """Ch. 3.1: a new application on an existing record is by the person the record is about."""
    if on_record is not None and applying != on_record:
        raise RuleViolation(
            "different-person",
            "Ch. 3.1",
            "a new application on this record must be by the same person (same IIN)",
            field="person.iin",
        )


def check_age(birth_date: date, on: date, *, field: str) -> None:
    """Ch. 3.2: 18 or over on the date that counts (the application's or the decision's)."""
    age = age_on(birth_date, on)
    if age < MINIMUM_AGE:
        turns_18 = _eighteenth_birthday(birth_date)
        raise RuleViolation(
            "minimum-age",
            "Ch. 3.2",
            f"the applicant is {age} on {on.isoformat()} (born {birth_date.isoformat()} per the IIN); "
            f"members must be 18 or over, which the applicant reaches on {turns_18.isoformat()}",
            field=field,
        )


def check_citizenship(citizenship: str) -> None:
    """Ch. 3.2: only citizens of Kazakhstan (an IIN alone does not prove it: foreigners get IINs)."""
    if citizenship != CITIZENSHIP:
        raise RuleViolation(
            "citizenship",
            "Ch. 3.2",
            f"only citizens of Kazakhstan may be members; declared citizenship is {citizenship!r}",
            field="declarations.citizenship",
        )


def check_no_other_party(member_of_another_party: bool) -> None:
    """Ch. 3.3: membership is incompatible with membership of another party."""
    if member_of_another_party:
        raise RuleViolation(
            "member-of-another-party",
            "Ch. 3.3",
            "membership is incompatible with membership of another party; leave it first",
            field="declarations.member_of_another_party",
        )


def check_not_barred(barred_office: BarredOffice | None) -> None:
    """Constitution Art. 26(2), 45(2) and the Vice-President article: holders may not be members."""
    if barred_office is not None:
        raise RuleViolation(
            "barred-office",
            _BARRED_CLAUSE.get(barred_office, "Constitution Art. 26(2)"),
            f"a person holding the office '{barred_office.value}' may not be a member of a political "
            "party",
            field="declarations.barred_office",
        )


def _eighteenth_birthday(birth_date: date) -> date:
    try:
        return birth_date.replace(year=birth_date.year + MINIMUM_AGE)
    except ValueError:  # born on 29 February
        return date(birth_date.year + MINIMUM_AGE, 3, 1)
