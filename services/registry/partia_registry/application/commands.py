"""What users ask the registry to do. Each command is an imperative, decided by one handler."""

from __future__ import annotations

import dataclasses
import typing
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from typing import Any
from uuid import UUID

from partia_kit.batches import CommandBase
from partia_registry.domain.decisions import ApplicationDocument, DecidingBody, Decision
from partia_registry.domain.discipline import AppealOutcome, ExclusionGround, SanctionKind
from partia_registry.domain.mandates import MandateKind
from partia_registry.domain.members import TerminationGround, TransferReason
from partia_registry.domain.organisations import OrganisationKind, OrganisationNames
from partia_registry.domain.people import Declarations, Language, PersonalData

_RECORD_FIELDS = ("member_id", "organisation_id", "parent_id", "to_parent_id", "to_organisation_id")


@dataclass(frozen=True, kw_only=True)
class Command(CommandBase):
    """The actor, key and scope are the kit's (`partia_kit.batches.CommandBase`); scope checks in
    `application.scope`."""

    def named_records(self) -> tuple[UUID, ...]:
        """The records this command names, so a batch can load them all at once."""
        return tuple(getattr(self, name) for name in _RECORD_FIELDS if hasattr(self, name))

    def business_dates(self) -> Iterator[tuple[str, date]]:
        """Every business date the command carries, with its field's dotted name as the request
        spells it (`decision.decided_on`, `application_document.signed_on`, `effective_on`)."""
        for path in _date_paths(type(self)):
            value: Any = self
            for name in path:
                value = getattr(value, name)
                if value is None:  # an optional value object or date left out
                    break
            else:
                yield ".".join(path), value


_DATE_PATHS: dict[type[Any], tuple[tuple[str, ...], ...]] = {}


def _date_paths(cls: type[Any]) -> tuple[tuple[str, ...], ...]:
    """Where a class's dates sit, read once from its type hints: its own date fields, and those
    of the value objects (dataclasses) it holds, e.g. ("decision", "decided_on")."""
    known = _DATE_PATHS.get(cls)
    if known is not None:
        return known
    paths: list[tuple[str, ...]] = []
    for name, hint in typing.get_type_hints(cls).items():
        for kind in typing.get_args(hint) or (hint,):
            if kind is date:
                paths.append((name,))
            elif isinstance(kind, type) and dataclasses.is_dataclass(kind):
                paths.extend((name, *inner) for inner in _date_paths(kind))
    _DATE_PATHS[cls] = tuple(paths)
    return _DATE_PATHS[cls]


@dataclass(frozen=True, kw_only=True)
class CreateOrganisation(Command):
    kind: OrganisationKind
    parent_id: UUID
    names: OrganisationNames
    decision: Decision
    code: str | None = None


@dataclass(frozen=True, kw_only=True)
class RenameOrganisation(Command):
    organisation_id: UUID
    names: OrganisationNames
    decision: Decision


@dataclass(frozen=True, kw_only=True)
class MoveOrganisation(Command):
    organisation_id: UUID
    to_parent_id: UUID
    decision: Decision


@dataclass(frozen=True, kw_only=True)
class DissolveOrganisation(Command):
    organisation_id: UUID
    decision: Decision


@dataclass(frozen=True, kw_only=True)
class SubmitApplication(Command):
    organisation_id: UUID
    person: PersonalData
    declarations: Declarations
    application_document: ApplicationDocument


@dataclass(frozen=True, kw_only=True)
class AdmitMember(Command):
    member_id: UUID
    decision: Decision


@dataclass(frozen=True, kw_only=True)
class RejectApplication(Command):
    member_id: UUID
    decision: Decision
    reason: str


@dataclass(frozen=True, kw_only=True)
class WithdrawMember(Command):
    member_id: UUID
    application_document: ApplicationDocument
    effective_on: date
    decision: Decision  # the body that formalised it (Ch. 3.7): required for every withdrawal


@dataclass(frozen=True, kw_only=True)
class TerminateMembership(Command):
    member_id: UUID
    ground: TerminationGround
    decision: Decision


@dataclass(frozen=True, kw_only=True)
class ErasePersonalData(Command):
    member_id: UUID
    legal_basis: str
    request_reference: str


@dataclass(frozen=True, kw_only=True)
class ChangePreferredLanguage(Command):
    member_id: UUID
    language: Language


# --- transfers (Ch. 5.2) ----------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class ReportResidenceChange(Command):
    member_id: UUID
    moved_on: date


@dataclass(frozen=True, kw_only=True)
class RequestTransfer(Command):
    member_id: UUID
    to_organisation_id: UUID
    requested_on: date
    reason: TransferReason


@dataclass(frozen=True, kw_only=True)
class RegisterTransfer(Command):
    member_id: UUID
    decision: Decision


# --- deputies -----------------------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class RecordMandate(Command):
    member_id: UUID
    kind: MandateKind
    territory: str
    level: str | None
    started_on: date
    ended_on: date | None = None


@dataclass(frozen=True, kw_only=True)
class EndMandate(Command):
    member_id: UUID
    mandate_id: UUID
    ended_on: date


# --- discipline (Ch. 3.8, 5.1) ------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class OpenDisciplinaryCase(Command):
    member_id: UUID
    opened_on: date
    reference: str


@dataclass(frozen=True, kw_only=True)
class DismissDisciplinaryCase(Command):
    member_id: UUID
    case_id: UUID
    decision: Decision


@dataclass(frozen=True, kw_only=True)
class ImposeSanction(Command):
    member_id: UUID
    kind: SanctionKind
    decision: Decision
    grounds: tuple[ExclusionGround, ...] = ()
    other_ground: str | None = None
    case_id: UUID | None = None


@dataclass(frozen=True, kw_only=True)
class FileAppeal(Command):
    member_id: UUID
    sanction_id: UUID
    filed_on: date
    body: DecidingBody
    document_reference: str


@dataclass(frozen=True, kw_only=True)
class DecideAppeal(Command):
    member_id: UUID
    sanction_id: UUID
    outcome: AppealOutcome
    decision: Decision
    replacement: SanctionKind | None = None
