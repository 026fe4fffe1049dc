"""From the shared API shapes (contracts) to the registry's own domain values."""

from __future__ import annotations

from partia_contracts.registry import api
from partia_contracts.registry import v1 as contract
from partia_registry.domain.decisions import (
    ApplicationDocument,
    BodyKind,
    DecidingBody,
    Decision,
    DocumentForm,
)
from partia_registry.domain.organisations import OrganisationNames
from partia_registry.domain.people import Declarations, Language, PersonalData
from partia_registry.domain.policies.eligibility import BarredOffice


def body(b: contract.DecidingBody) -> DecidingBody:
    return DecidingBody(BodyKind(b.kind.value), b.organisation_id)


def decision(d: contract.Decision) -> Decision:
    return Decision(
        body=body(d.body),
        decided_on=d.decided_on,
        reference=d.reference,
    )


def document(d: contract.ApplicationDocument) -> ApplicationDocument:
    return ApplicationDocument(
        form=DocumentForm(d.form), reference=d.reference, signed_on=d.signed_on
    )


def names(n: contract.OrganisationNames) -> OrganisationNames:
    return OrganisationNames(kk=n.kk, ru=n.ru, en=n.en)


def person(p: api.Person) -> PersonalData:
    return PersonalData(
        iin=p.iin,
        surname=p.surname,
        given_name=p.given_name,
        patronymic=p.patronymic,
        address=p.address,
        phone=p.phone,
        email=p.email,
        preferred_language=None if p.preferred_language is None else Language(p.preferred_language),
    )


def declarations(d: api.Declarations) -> Declarations:
    return Declarations(
        citizenship=d.citizenship,
        member_of_another_party=d.member_of_another_party,
        barred_office=None if d.barred_office is None else BarredOffice(d.barred_office.value),
    )
