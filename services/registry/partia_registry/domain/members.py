"""A person's record in the registry: applications, admission, and how membership ended (Ch. 3).

One record per person. Its state machine is what makes "one membership at a time" true: a person
who is an applicant or a member cannot apply again, and a second application racing the first for
the same record fails on the record's version.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from enum import StrEnum
from typing import Any
from uuid import UUID, uuid4

from eventsourcing.domain import Aggregate

from partia_registry.domain.decisions import ApplicationDocument, Decision
from partia_registry.domain.iin import IIN, InvalidIIN
from partia_registry.domain.people import Declarations, Demographics, PersonalData
from partia_registry.domain.policies import competence, eligibility
from partia_registry.domain.policies.structure import Ancestry
from partia_registry.domain.rules import RuleViolation, StateConflict


class MemberStatus(StrEnum):
    APPLICANT = "applicant"
    MEMBER = "member"
    REJECTED = "rejected"
    FORMER_MEMBER = "former_member"


class TerminationGround(StrEnum):
    """The ways membership ends without a disciplinary decision (Ch. 3.6)."""

    LOSS_OF_CITIZENSHIP = "loss_of_citizenship"
    PERMANENT_RESIDENCE_ABROAD = "permanent_residence_abroad"
    ENTERED_MILITARY_SERVICE = "entered_military_service"
    ENTERED_SPECIAL_STATE_BODY = "entered_special_state_body"
    ENTERED_LAW_ENFORCEMENT = "entered_law_enforcement"
    APPOINTED_JUDGE = "appointed_judge"
    JOINED_ANOTHER_PARTY = "joined_another_party"
    DEATH = "death"
    DECLARED_DEAD = "declared_dead"
    DECLARED_INCAPACITATED = "declared_incapacitated"


WITHDRAWAL = "withdrawal"
"""The end reason recorded when a member leaves on their own application (Ch. 3.6, 5.1)."""


class Member(Aggregate):
    """A person's registry record: the "registration card" of Ch. 4.1-4.2."""

    class ApplicationSubmitted(Aggregate.Created):
        organisation_id: UUID
        personal: PersonalData
        demographics: Demographics
        declarations: Declarations
        application_document: ApplicationDocument
        recorded_by: str

    class NewApplicationSubmitted(Aggregate.Event):
        organisation_id: UUID
        personal: PersonalData
        demographics: Demographics
        declarations: Declarations
        application_document: ApplicationDocument
        recorded_by: str

        def apply(self, aggregate: Any) -> None:
            aggregate._open_application(
                self.organisation_id, self.personal, self.demographics, self.application_document
            )

    class ApplicationRejected(Aggregate.Event):
        organisation_id: UUID
        decision: Decision
        reason: str
        recorded_by: str

        def apply(self, aggregate: Any) -> None:
            aggregate.status = MemberStatus.REJECTED

    class Admitted(Aggregate.Event):
        organisation_id: UUID
        card_number: str
        decision: Decision
        recorded_by: str

        def apply(self, aggregate: Any) -> None:
            aggregate.status = MemberStatus.MEMBER
            aggregate.organisation_id = self.organisation_id
            aggregate.card_number = self.card_number
            aggregate.admitted_on = self.decision.decided_on
            aggregate.ended_on = None
            aggregate.end_reason = None

    class Withdrew(Aggregate.Event):
        organisation_id: UUID
        card_number: str
        application_document: ApplicationDocument
        effective_on: date
        recorded_by: str

        def apply(self, aggregate: Any) -> None:
            aggregate._end(self.effective_on, WITHDRAWAL)

    class MembershipTerminated(Aggregate.Event):
        organisation_id: UUID
        card_number: str
        ground: str
        decision: Decision
        recorded_by: str

        def apply(self, aggregate: Any) -> None:
            aggregate._end(self.decision.decided_on, self.ground)

    class PersonalDataErased(Aggregate.Event):
        legal_basis: str
        request_reference: str
        recorded_by: str

        def apply(self, aggregate: Any) -> None:
            aggregate.personal = None
            aggregate.erased = True

    def __init__(
        self,
        organisation_id: UUID,
        personal: PersonalData,
        demographics: Demographics,
        declarations: Declarations,
        application_document: ApplicationDocument,
        recorded_by: str,
    ) -> None:
        self.erased = False
        self._open_application(organisation_id, personal, demographics, application_document)

    @staticmethod
    def create_id(**_: Any) -> UUID:
        return uuid4()

    # --- commands -------------------------------------------------------------------------------

    @classmethod
    def apply_for_membership(
        cls,
        *,
        ppo: Ancestry,
        personal: PersonalData,
        declarations: Declarations,
        application_document: ApplicationDocument,
        recorded_by: str,
    ) -> Member:
        """A person's first written application (Ch. 3.4)."""
        iin = _check_applicant(personal, declarations, application_document)
        return cls._create(
            cls.ApplicationSubmitted,
            organisation_id=ppo[0].organisation_id,
            personal=personal,
            demographics=Demographics.of(iin),
            declarations=declarations,
            application_document=application_document,
            recorded_by=recorded_by,
        )

    def apply_again(
        self,
        *,
        ppo: Ancestry,
        personal: PersonalData,
        declarations: Declarations,
        application_document: ApplicationDocument,
        recorded_by: str,
    ) -> None:
        """A new application by someone whose earlier one was rejected or whose membership ended."""
        if self.erased:
            raise StateConflict(
                "record-erased",
                "Constitution Art. 21",
                "this record's personal data was erased; a new application starts a new record",
            )
        if self.status is MemberStatus.APPLICANT:
            raise StateConflict(
                "application-pending",
                "Ch. 3.1",
                f"this person already has an application pending (member {self.id})",
                field="person.iin",
            )
        if self.status is MemberStatus.MEMBER:
            raise StateConflict(
                "already-a-member",
                "Ch. 3.1",
                f"this person is already a member (card {self.card_number}, member {self.id})",
                field="person.iin",
            )
        if self.personal is not None and personal.iin != self.personal.iin:
            raise RuleViolation(
                "different-person",
                "Ch. 3.1",
                "a new application on this record must be by the same person (same IIN)",
                field="person.iin",
            )
        iin = _check_applicant(personal, declarations, application_document)
        self.trigger_event(
            self.NewApplicationSubmitted,
            organisation_id=ppo[0].organisation_id,
            personal=personal,
            demographics=Demographics.of(iin),
            declarations=declarations,
            application_document=application_document,
            recorded_by=recorded_by,
        )

    def check_may_admit(self, *, decision: Decision, ppo: Ancestry) -> None:
        """Everything admission requires, checked before a card number is drawn (Ch. 3.2, 3.4)."""
        self._require(MemberStatus.APPLICANT, "admit")
        competence.check_may_decide_membership(decision.body, ppo, what="admission")
        self._check_not_before_application(decision.decided_on)
        assert self.personal is not None  # an applicant's data cannot have been erased
        eligibility.check_age(
            IIN.parse(self.personal.iin).birth_date,
            decision.decided_on,
            field="decision.decided_on",
        )

    def admit(
        self, *, decision: Decision, issue_card: Callable[[], str], ppo: Ancestry, recorded_by: str
    ) -> None:
        """Admission by a competent body on the written application (Ch. 3.4), confirmed by a
        numbered membership card (Ch. 3.5). The card is issued only once every check has passed,
        so refusals never use up card numbers."""
        self.check_may_admit(decision=decision, ppo=ppo)
        self.trigger_event(
            self.Admitted,
            organisation_id=self.organisation_id,
            card_number=issue_card(),
            decision=decision,
            recorded_by=recorded_by,
        )

    def reject_application(
        self, *, decision: Decision, reason: str, ppo: Ancestry, recorded_by: str
    ) -> None:
        """A competent body refuses admission (Ch. 3.4)."""
        self._require(MemberStatus.APPLICANT, "reject the application of")
        competence.check_may_decide_membership(decision.body, ppo, what="an application")
        self._check_not_before_application(decision.decided_on)
        self.trigger_event(
            self.ApplicationRejected,
            organisation_id=self.organisation_id,
            decision=decision,
            reason=reason,
            recorded_by=recorded_by,
        )

    def withdraw(
        self, *, application_document: ApplicationDocument, effective_on: date, recorded_by: str
    ) -> None:
        """The member leaves on their own written application: a right that cannot be refused
        (Ch. 3.6, 5.1), so no body decides it."""
        self._require(MemberStatus.MEMBER, "record the withdrawal of")
        self._check_not_before_admission(effective_on, "effective_on")
        self.trigger_event(
            self.Withdrew,
            organisation_id=self.organisation_id,
            card_number=self.card_number,
            application_document=application_document,
            effective_on=effective_on,
            recorded_by=recorded_by,
        )

    def terminate(
        self, *, ground: TerminationGround, decision: Decision, ppo: Ancestry, recorded_by: str
    ) -> None:
        """Membership ends on one of the non-disciplinary grounds of Ch. 3.6, by decision of a body
        competent under Ch. 3.7."""
        self._require(MemberStatus.MEMBER, "terminate the membership of")
        competence.check_may_decide_membership(decision.body, ppo, what="termination of membership")
        self._check_not_before_admission(decision.decided_on, "decision.decided_on")
        self.trigger_event(
            self.MembershipTerminated,
            organisation_id=self.organisation_id,
            card_number=self.card_number,
            ground=ground.value,
            decision=decision,
            recorded_by=recorded_by,
        )

    def erase_personal_data(
        self, *, legal_basis: str, request_reference: str, recorded_by: str
    ) -> None:
        """Erase names, IIN, address and contacts (DOMAIN §8) of someone who is neither a member nor
        an applicant; the facts (dates, organisations, reasons) stay."""
        if self.erased:
            raise StateConflict(
                "already-erased",
                "Constitution Art. 21",
                "this person's personal data has already been erased",
            )
        if self.status in (MemberStatus.APPLICANT, MemberStatus.MEMBER):
            raise StateConflict(
                "erasure-while-active",
                "Ch. 4.4",
                f"the person is a current {self.status.value}; the party must keep the data of its "
                "current members and applicants accurate, so end the membership or decide the "
                "application first",
            )
        self.trigger_event(
            self.PersonalDataErased,
            legal_basis=legal_basis,
            request_reference=request_reference,
            recorded_by=recorded_by,
        )

    # --- state ----------------------------------------------------------------------------------

    def _open_application(
        self,
        organisation_id: UUID,
        personal: PersonalData,
        demographics: Demographics,
        document: ApplicationDocument,
    ) -> None:
        self.status = MemberStatus.APPLICANT
        self.card_number: str | None = (
            None  # a new membership gets a new card; the old one stays in history
        )
        self.admitted_on: date | None = None
        self.ended_on: date | None = None
        self.end_reason: str | None = None
        self.organisation_id = organisation_id
        self.personal: PersonalData | None = personal
        self.demographics = demographics
        self.applied_on = document.signed_on

    def _end(self, on: date, reason: str) -> None:
        self.status = MemberStatus.FORMER_MEMBER
        self.ended_on = on
        self.end_reason = reason

    def _require(self, status: MemberStatus, action: str) -> None:
        if self.status is not status:
            raise StateConflict(
                f"not-{status.value.replace('_', '-')}",
                "Ch. 3",
                f"cannot {action} this person: they are a {self.status.value.replace('_', ' ')}, "
                f"not a {status.value.replace('_', ' ')}",
            )

    def _check_not_before_application(self, decided_on: date) -> None:
        if decided_on < self.applied_on:
            raise RuleViolation(
                "decision-before-application",
                "Ch. 3.4",
                f"the decision ({decided_on}) cannot precede the written application "
                f"({self.applied_on}) it decides",
                field="decision.decided_on",
            )

    def _check_not_before_admission(self, on: date, field: str) -> None:
        assert self.admitted_on is not None
        if on < self.admitted_on:
            raise RuleViolation(
                "end-before-admission",
                "Ch. 3.6",
                f"membership cannot end ({on}) before it began ({self.admitted_on})",
                field=field,
            )


def _check_applicant(
    personal: PersonalData, declarations: Declarations, document: ApplicationDocument
) -> IIN:
    """Ch. 3.2-3.3 and the barred offices, as far as they can be checked from the application."""
    try:
        iin = IIN.parse(personal.iin)
    except InvalidIIN as invalid:
        raise RuleViolation(
            "iin-invalid",
            "DOMAIN §9",
            f"the IIN is not valid: {invalid.reason}",
            field="person.iin",
        ) from None
    eligibility.check_citizenship(declarations.citizenship)
    eligibility.check_no_other_party(declarations.member_of_another_party)
    eligibility.check_not_barred(declarations.barred_office)
    eligibility.check_age(iin.birth_date, document.signed_on, field="person.iin")
    return iin
