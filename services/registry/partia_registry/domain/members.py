"""A person's record in the registry: applications, admission, and how membership ended (Ch. 3).

One record per person. Its state machine is what makes "one membership at a time" true: a person
who is an applicant or a member cannot apply again, and a second application racing the first for
the same record fails on the record's version.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import date
from enum import StrEnum
from typing import Any
from uuid import UUID, uuid4, uuid5

from eventsourcing.domain import Aggregate

from partia_kit.iin import IIN
from partia_registry.domain.decisions import ApplicationDocument, DecidingBody, Decision
from partia_registry.domain.discipline import (
    Appeal,
    AppealOutcome,
    DisciplinaryCase,
    ExclusionGround,
    Sanction,
    SanctionKind,
    SanctionStatus,
)
from partia_registry.domain.mandates import Mandate, MandateKind
from partia_registry.domain.people import Declarations, Demographics, Language, PersonalData
from partia_registry.domain.policies import (
    chronology,
    competence,
    deadlines,
    eligibility,
    erasure,
    mandates,
    sanctions,
    transfers,
)
from partia_registry.domain.policies.deadlines import appeal_deadline
from partia_registry.domain.policies.structure import Ancestry
from partia_registry.domain.rules import NotFound, StateConflict


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

EXCLUSION = "exclusion"
"""The end reason recorded when a member is expelled (Ch. 3.6, 3.8)."""


class TransferReason(StrEnum):
    RESIDENCE_CHANGE = "residence_change"  # registers the member at the new place (Ch. 5.2)
    WORKPLACE = "workplace"
    OTHER = "other"


@dataclass(frozen=True, slots=True)
class PendingTransfer:
    to_organisation_id: UUID
    requested_on: date
    reason: TransferReason


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
        """Version 2 added `decision`: the body that formalised the withdrawal (Ch. 3.7). Every new
        withdrawal has one; it is None only in version 1 events, recorded on the written
        application alone before the body was required (and in version 2 events written while it
        was optional)."""

        class_version = 2

        organisation_id: UUID
        card_number: str
        application_document: ApplicationDocument
        effective_on: date
        decision: Decision | None
        recorded_by: str

        @staticmethod
        def upcast_v1_v2(state: dict[str, Any]) -> None:
            state["decision"] = None

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

    class PreferredLanguageChanged(Aggregate.Event):
        """The language the person wants to be written to changed (issue 13 item 3). The event
        holds the whole `PersonalData` as it now stands, so the preference is sealed with the
        person's key and erased with the rest (decision 266)."""

        personal: PersonalData
        recorded_by: str

        def apply(self, aggregate: Any) -> None:
            aggregate.personal = self.personal

    # --- residence and transfers (Ch. 5.2, 3.6) ---

    class ResidenceChangeReported(Aggregate.Event):
        moved_on: date
        registration_deadline: date
        recorded_by: str

        def apply(self, aggregate: Any) -> None:
            aggregate.moved_on = self.moved_on
            aggregate.residence_deadline = self.registration_deadline

    class TransferRequested(Aggregate.Event):
        to_organisation_id: UUID
        requested_on: date
        reason: str
        recorded_by: str

        def apply(self, aggregate: Any) -> None:
            aggregate.pending_transfer = PendingTransfer(
                self.to_organisation_id, self.requested_on, TransferReason(self.reason)
            )

    class Transferred(Aggregate.Event):
        from_organisation_id: UUID
        to_organisation_id: UUID
        decision: Decision
        closes_residence_clock: bool
        recorded_by: str

        def apply(self, aggregate: Any) -> None:
            aggregate.organisation_id = self.to_organisation_id
            aggregate.pending_transfer = None
            if self.closes_residence_clock:
                aggregate.moved_on = None
                aggregate.residence_deadline = None

    # --- deputies (Ch. 3.7, 9.5, 9.8) ---

    class MandateRecorded(Aggregate.Event):
        mandate: Mandate
        recorded_by: str

        def apply(self, aggregate: Any) -> None:
            aggregate.mandates[self.mandate.mandate_id] = self.mandate

    class MandateEnded(Aggregate.Event):
        mandate_id: UUID
        ended_on: date
        recorded_by: str

        def apply(self, aggregate: Any) -> None:
            mandate = aggregate.mandates[self.mandate_id]
            aggregate.mandates[self.mandate_id] = replace(mandate, ended_on=self.ended_on)

    class NationalMandateAtStake(Aggregate.Event):
        """A Kurultai (Mazhilis) deputy withdrew or was excluded: the Constitution ends the
        mandate. Recorded as its own fact so that no downstream system can miss it."""

        mandate_id: UUID
        reason: str  # "withdrawal" or "exclusion"
        effective_on: date
        recorded_by: str

    # --- discipline (Ch. 3.8, 3.6, 5.1) ---

    class DisciplinaryCaseOpened(Aggregate.Event):
        case_id: UUID
        organisation_id: UUID
        opened_on: date
        reference: str  # of the document that opened it, e.g. "Complaint No. 12"; never a narrative
        recorded_by: str

        def apply(self, aggregate: Any) -> None:
            aggregate.cases[self.case_id] = DisciplinaryCase(
                self.case_id, self.opened_on, self.reference
            )

    class DisciplinaryCaseDismissed(Aggregate.Event):
        case_id: UUID
        decision: Decision
        recorded_by: str

        def apply(self, aggregate: Any) -> None:
            aggregate.cases[self.case_id].closed_on = self.decision.decided_on

    class SanctionImposed(Aggregate.Event):
        sanction_id: UUID
        case_id: UUID | None
        kind: str
        decision: Decision
        grounds: list[str]
        other_ground: str | None
        appeal_deadline: date
        organisation_id: UUID
        card_number: str
        recorded_by: str

        def apply(self, aggregate: Any) -> None:
            kind = SanctionKind(self.kind)
            aggregate.sanctions[self.sanction_id] = Sanction(
                self.sanction_id,
                kind,
                self.decision,
                tuple(self.grounds),
                self.appeal_deadline,
                self.case_id,
            )
            if self.case_id is not None:
                case = aggregate.cases[self.case_id]
                case.closed_on, case.sanction_id = self.decision.decided_on, self.sanction_id
            if kind is SanctionKind.EXPULSION:
                aggregate._end(self.decision.decided_on, EXCLUSION)
                aggregate.ended_by_sanction = self.sanction_id

    class AppealFiled(Aggregate.Event):
        appeal_id: UUID
        sanction_id: UUID
        filed_on: date
        body: DecidingBody
        document_reference: str
        recorded_by: str

        def apply(self, aggregate: Any) -> None:
            aggregate.sanctions[self.sanction_id].appeals.append(
                Appeal(self.appeal_id, self.filed_on, self.body, self.document_reference)
            )

    class AppealDecided(Aggregate.Event):
        appeal_id: UUID
        sanction_id: UUID
        outcome: str
        replacement: str | None
        replacement_sanction_id: UUID | None
        decision: Decision
        recorded_by: str

        def apply(self, aggregate: Any) -> None:
            sanction = aggregate.sanctions[self.sanction_id]
            outcome = AppealOutcome(self.outcome)
            sanction.appeals = [
                replace(a, outcome=outcome, decision=self.decision)
                if a.appeal_id == self.appeal_id
                else a
                for a in sanction.appeals
            ]
            if outcome is AppealOutcome.ANNULLED:
                sanction.status = SanctionStatus.ANNULLED
            elif outcome is AppealOutcome.REPLACED:
                sanction.status = SanctionStatus.REPLACED
                assert self.replacement is not None
                assert self.replacement_sanction_id is not None
                replacement_id = self.replacement_sanction_id
                aggregate.sanctions[replacement_id] = Sanction(
                    replacement_id,
                    SanctionKind(self.replacement),
                    self.decision,
                    sanction.grounds,
                    appeal_deadline(self.decision.decided_on),
                )

    class MembershipRestored(Aggregate.Event):
        """An expulsion was annulled or replaced on appeal: membership continues as if it had not
        ended (same card, same admission date)."""

        sanction_id: UUID
        decision: Decision  # the appeal decision that restored it
        recorded_by: str

        def apply(self, aggregate: Any) -> None:
            aggregate.status = MemberStatus.MEMBER
            aggregate.ended_on = None
            aggregate.end_reason = None

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
        self.mandates: dict[UUID, Mandate] = {}
        self.cases: dict[UUID, DisciplinaryCase] = {}
        self.sanctions: dict[UUID, Sanction] = {}
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
        eligibility.check_may_apply_again(
            self.id,
            erased=self.erased,
            applying=self.status is MemberStatus.APPLICANT,
            member_card=self.card_number if self.status is MemberStatus.MEMBER else None,
        )
        eligibility.check_same_person(
            None if self.personal is None else self.personal.iin, personal.iin
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
        self,
        *,
        application_document: ApplicationDocument,
        effective_on: date,
        decision: Decision | None,
        ppo: Ancestry,
        recorded_by: str,
    ) -> None:
        """The member leaves on their own written application: a right that cannot be refused
        (Ch. 3.6, 5.1). A competent body formalises it (Ch. 3.7; for a deputy the Bureau of
        Ch. 9.5 or 9.8), and its decision is required: only a missing or incompetent body, or an
        effective date before the signature, is refused. `None` is accepted here only to be
        refused with the rule, clause and field."""
        self._require(MemberStatus.MEMBER, "record the withdrawal of")
        chronology.check_withdrawal_not_before_application(
            effective_on, application_document.signed_on
        )
        self._check_not_before_admission(effective_on, "effective_on")
        national, maslikhat = self._deputy_on(effective_on)
        competence.check_may_formalise_withdrawal(
            None if decision is None else decision.body,
            ppo,
            national_deputy=national,
            maslikhat_deputy=maslikhat,
        )
        if decision is not None:
            chronology.check_decision_not_before_application(
                decision.decided_on, application_document.signed_on, clause="Ch. 3.6"
            )
        self.trigger_event(
            self.Withdrew,
            organisation_id=self.organisation_id,
            card_number=self.card_number,
            application_document=application_document,
            effective_on=effective_on,
            decision=decision,
            recorded_by=recorded_by,
        )
        self._national_mandates_at_stake(WITHDRAWAL, effective_on, recorded_by)

    def terminate(
        self, *, ground: TerminationGround, decision: Decision, ppo: Ancestry, recorded_by: str
    ) -> None:
        """Membership ends on one of the non-disciplinary grounds of Ch. 3.6, by decision of a body
        competent under Ch. 3.7."""
        self._require(MemberStatus.MEMBER, "terminate the membership of")
        competence.check_may_decide_membership(decision.body, ppo, what="termination of membership")
        self._check_deputy_competence(decision, ppo)
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
        active = self.status in (MemberStatus.APPLICANT, MemberStatus.MEMBER)
        erasure.check_may_erase(
            erased=self.erased,
            appeal_pending=any(s.open_appeal for s in self.sanctions.values()),
            current_as=self.status.value if active else None,
        )
        self.trigger_event(
            self.PersonalDataErased,
            legal_basis=legal_basis,
            request_reference=request_reference,
            recorded_by=recorded_by,
        )

    def change_preferred_language(self, *, language: Language, recorded_by: str) -> bool:
        """Write to this person in `language` from now on; False when it already was theirs
        (nothing recorded). Anyone whose personal data is kept may say, member or not."""
        if self.personal is None:  # a generic state guard, like `_require`: no Charter rule
            raise StateConflict(
                "personal-data-erased",
                "Constitution Art. 21",
                "this person's personal data was erased: there is no one to write to",
            )
        if self.personal.preferred_language == language:
            return False
        self.trigger_event(
            self.PreferredLanguageChanged,
            personal=replace(self.personal, preferred_language=language),
            recorded_by=recorded_by,
        )
        return True

    # --- residence and transfers ----------------------------------------------------------------

    def report_residence_change(self, *, moved_on: date, recorded_by: str) -> None:
        """The member changed place of residence (Ch. 5.2): a six-month clock to register with the
        party at the new place starts; letting it run out is a ground for exclusion (Ch. 3.6)."""
        self._require(MemberStatus.MEMBER, "record a change of residence of")
        self._check_not_before_admission(moved_on, "moved_on")
        self.trigger_event(
            self.ResidenceChangeReported,
            moved_on=moved_on,
            registration_deadline=deadlines.residence_registration_deadline(moved_on),
            recorded_by=recorded_by,
        )

    def request_transfer(
        self, *, to_ppo: Ancestry, requested_on: date, reason: TransferReason, recorded_by: str
    ) -> None:
        """A transfer to another primary organisation is asked for (by the member or either side)."""
        self._require(MemberStatus.MEMBER, "request a transfer of")
        transfers.check_none_pending(self.pending_transfer)
        transfers.check_moves_elsewhere(self.organisation_id, to_ppo[0].organisation_id)
        self._check_not_before_admission(requested_on, "requested_on")
        self.trigger_event(
            self.TransferRequested,
            to_organisation_id=to_ppo[0].organisation_id,
            requested_on=requested_on,
            reason=reason.value,
            recorded_by=recorded_by,
        )

    def register_transfer(self, *, decision: Decision, to_ppo: Ancestry, recorded_by: str) -> None:
        """The receiving organisation registers the member and, in the same fact, the sending one
        releases them: the member is never on two rolls, nor on none. The sending side cannot block
        it; only an open disciplinary case holds it (Ch. 3.8), and then it is refused saying so."""
        self._require(MemberStatus.MEMBER, "register the transfer of")
        pending = transfers.check_requested(self.pending_transfer)
        transfers.check_registered_where_requested(
            pending.to_organisation_id, to_ppo[0].organisation_id
        )
        competence.check_may_decide_membership(decision.body, to_ppo, what="registering a transfer")
        open_cases = [c for c in self.cases.values() if c.is_open]
        transfers.check_no_open_case(open_cases[0].opened_on if open_cases else None)
        transfers.check_decided_after_request(decision.decided_on, pending.requested_on)
        self.trigger_event(
            self.Transferred,
            from_organisation_id=self.organisation_id,
            to_organisation_id=pending.to_organisation_id,
            decision=decision,
            closes_residence_clock=pending.reason is TransferReason.RESIDENCE_CHANGE,
            recorded_by=recorded_by,
        )

    # --- deputies --------------------------------------------------------------------------------

    def record_mandate(self, *, mandate: Mandate, recorded_by: str) -> None:
        """The member holds (or held) an elected mandate; it decides who may end their membership."""
        mandates.check_may_hold(self.status in (MemberStatus.MEMBER, MemberStatus.FORMER_MEMBER))
        mandates.check_period(mandate.started_on, mandate.ended_on)
        self.trigger_event(self.MandateRecorded, mandate=mandate, recorded_by=recorded_by)

    def end_mandate(self, *, mandate_id: UUID, ended_on: date, recorded_by: str) -> None:
        mandate = self.mandates.get(mandate_id)
        if mandate is None:
            raise NotFound("mandate", mandate_id)
        mandates.check_running(mandate.ended_on)
        mandates.check_period(mandate.started_on, ended_on)
        self.trigger_event(
            self.MandateEnded, mandate_id=mandate_id, ended_on=ended_on, recorded_by=recorded_by
        )

    # --- discipline ------------------------------------------------------------------------------

    def open_disciplinary_case(
        self, *, case_id: UUID, opened_on: date, reference: str, recorded_by: str
    ) -> None:
        """A disciplinary matter is before a body (Ch. 3.8); while it is open, transfers wait."""
        self._require(MemberStatus.MEMBER, "open a disciplinary case against")
        self._check_not_before_admission(opened_on, "opened_on")
        self.trigger_event(
            self.DisciplinaryCaseOpened,
            case_id=case_id,
            organisation_id=self.organisation_id,
            opened_on=opened_on,
            reference=reference,
            recorded_by=recorded_by,
        )

    def dismiss_disciplinary_case(
        self, *, case_id: UUID, decision: Decision, ppo: Ancestry, recorded_by: str
    ) -> None:
        case = self._open_case(case_id)
        competence.check_may_sanction(decision.body, ppo)
        sanctions.check_decided_after_case(decision.decided_on, case.opened_on)
        self.trigger_event(
            self.DisciplinaryCaseDismissed,
            case_id=case_id,
            decision=decision,
            recorded_by=recorded_by,
        )

    def impose_sanction(
        self,
        *,
        sanction_id: UUID,
        kind: SanctionKind,
        decision: Decision,
        grounds: Sequence[ExclusionGround],
        other_ground: str | None,
        case_id: UUID | None,
        ppo: Ancestry,
        recorded_by: str,
    ) -> None:
        """A warning, reprimand or expulsion (Ch. 3.8) by a competent body; expulsion needs one or
        more grounds of Ch. 3.6 and ends membership from the decision date."""
        self._require(MemberStatus.MEMBER, "sanction")
        competence.check_may_sanction(decision.body, ppo)
        if kind is SanctionKind.EXPULSION:
            self._check_deputy_competence(decision, ppo)
        sanctions.check_grounds(kind, grounds, other_ground)
        if ExclusionGround.RESIDENCE_CHANGE_NOT_REGISTERED in grounds:
            self._check_residence_overdue(decision.decided_on)
        self._check_not_before_admission(decision.decided_on, "decision.decided_on")
        if case_id is not None:
            self._open_case(case_id)
        self.trigger_event(
            self.SanctionImposed,
            sanction_id=sanction_id,
            case_id=case_id,
            kind=kind.value,
            decision=decision,
            grounds=[g.value for g in grounds],
            other_ground=other_ground,
            appeal_deadline=appeal_deadline(decision.decided_on),
            organisation_id=self.organisation_id,
            card_number=self.card_number,
            recorded_by=recorded_by,
        )
        if kind is SanctionKind.EXPULSION:
            self._national_mandates_at_stake(EXCLUSION, decision.decided_on, recorded_by)

    def file_appeal(
        self,
        *,
        appeal_id: UUID,
        sanction_id: UUID,
        filed_on: date,
        body: DecidingBody,
        document_reference: str,
        decider_chain: Ancestry,
        recorded_by: str,
    ) -> None:
        """Ch. 5.1: to a higher party body, within three months of the decision."""
        sanction = self._sanction(sanction_id)
        pending = sanction.open_appeal
        sanctions.check_appealable(sanction.status, None if pending is None else pending.filed_on)
        deadlines.check_appeal_in_time(sanction.decision.decided_on, filed_on)
        national, maslikhat = self._deputy_on(sanction.decision.decided_on)
        competence.check_appeal_body(
            sanction.decision.body,
            body,
            decider_chain,
            national_deputy=national,
            maslikhat_deputy=maslikhat,
        )
        self.trigger_event(
            self.AppealFiled,
            appeal_id=appeal_id,
            sanction_id=sanction_id,
            filed_on=filed_on,
            body=body,
            document_reference=document_reference,
            recorded_by=recorded_by,
        )

    def decide_appeal(
        self,
        *,
        sanction_id: UUID,
        outcome: AppealOutcome,
        replacement: SanctionKind | None,
        decision: Decision,
        recorded_by: str,
    ) -> None:
        """The body appealed to upholds, annuls or replaces the sanction with a milder one. An
        expulsion annulled or replaced restores membership as if it had not ended."""
        sanction = self._sanction(sanction_id)
        appeal = sanctions.check_appeal_pending(sanction.open_appeal)
        sanctions.check_decided_by_appeal_body(decision.body, appeal.body)
        sanctions.check_decided_after_filing(decision.decided_on, appeal.filed_on)
        sanctions.check_replacement(sanction.kind, outcome, replacement)
        # Only the expulsion that ended the current membership can bring it back; annulling an
        # older one is recorded and changes nothing else.
        restores = (
            sanction.kind is SanctionKind.EXPULSION
            and outcome is not AppealOutcome.UPHELD
            and self.ended_by_sanction == sanction_id
            and self.status is MemberStatus.FORMER_MEMBER
        )
        self.trigger_event(
            self.AppealDecided,
            appeal_id=appeal.appeal_id,
            sanction_id=sanction_id,
            outcome=outcome.value,
            replacement=None if replacement is None else replacement.value,
            replacement_sanction_id=None if replacement is None else _replacement_id(sanction_id),
            decision=decision,
            recorded_by=recorded_by,
        )
        if restores:
            self.trigger_event(
                self.MembershipRestored,
                sanction_id=sanction_id,
                decision=decision,
                recorded_by=recorded_by,
            )

    def residence_overdue_on(self, day: date) -> bool:
        return self.residence_deadline is not None and deadlines.is_overdue(
            self.residence_deadline, day
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
        # A new membership starts clean: the old one's card, dates, clock and requests stay in
        # history only.
        self.card_number: str | None = None
        self.moved_on: date | None = None
        self.residence_deadline: date | None = None
        self.pending_transfer: PendingTransfer | None = None
        self.ended_by_sanction: UUID | None = None
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
        for case in self.cases.values():  # a case cannot go on against someone who has left
            if case.is_open:
                case.closed_on = on

    def _require(self, status: MemberStatus, action: str) -> None:
        if self.status is not status:
            raise StateConflict(
                f"not-{status.value.replace('_', '-')}",
                "Ch. 3",
                f"cannot {action} this person: they are a {self.status.value.replace('_', ' ')}, "
                f"not a {status.value.replace('_', ' ')}",
            )

    def _deputy_on(self, day: date) -> tuple[bool, bool]:
        held = [m for m in self.mandates.values() if m.held_on(day)]
        national = any(m.kind.is_national_deputy for m in held)
        return national, any(m.kind is MandateKind.MASLIKHAT for m in held)

    def _check_deputy_competence(self, decision: Decision, ppo: Ancestry) -> None:
        national, maslikhat = self._deputy_on(decision.decided_on)
        if national or maslikhat:
            competence.check_may_end_deputy_membership(
                decision.body, ppo, national_deputy=national, maslikhat_deputy=maslikhat
            )

    def _national_mandates_at_stake(self, reason: str, on: date, recorded_by: str) -> None:
        for mandate in self.mandates.values():
            if mandate.kind.is_national_deputy and mandate.held_on(on):
                self.trigger_event(
                    self.NationalMandateAtStake,
                    mandate_id=mandate.mandate_id,
                    reason=reason,
                    effective_on=on,
                    recorded_by=recorded_by,
                )

    def _check_residence_overdue(self, on: date) -> None:
        """Ch. 3.6: the residence ground applies only once the six months have run out."""
        sanctions.check_residence_ground(self.residence_deadline, self.residence_overdue_on(on))

    def _open_case(self, case_id: UUID) -> DisciplinaryCase:
        case = self.cases.get(case_id)
        if case is None:
            raise NotFound("disciplinary case", case_id, field="case_id")
        if not case.is_open:
            raise StateConflict(
                "case-closed", "Ch. 3.8", f"the case was closed on {case.closed_on}"
            )
        return case

    def _sanction(self, sanction_id: UUID) -> Sanction:
        sanction = self.sanctions.get(sanction_id)
        if sanction is None:
            raise NotFound("sanction", sanction_id)
        return sanction

    def _check_not_before_application(self, decided_on: date) -> None:
        chronology.check_decision_not_before_application(decided_on, self.applied_on)

    def _check_not_before_admission(self, on: date, field: str) -> None:
        assert self.admitted_on is not None
        chronology.check_not_before_admission(on, self.admitted_on, field=field)


def _check_applicant(
    personal: PersonalData, declarations: Declarations, document: ApplicationDocument
) -> IIN:
    """Ch. 3.2-3.3 and the barred offices, as far as they can be checked from the application."""
    iin = eligibility.check_iin(personal.iin)
    eligibility.check_citizenship(declarations.citizenship)
    eligibility.check_no_other_party(declarations.member_of_another_party)
    eligibility.check_not_barred(declarations.barred_office)
    eligibility.check_age(iin.birth_date, document.signed_on, field="person.iin")
    return iin


def _replacement_id(sanction_id: UUID) -> UUID:
    """The milder sanction that replaces one on appeal gets an id derived from the original."""
    return uuid5(sanction_id, "replacement")
