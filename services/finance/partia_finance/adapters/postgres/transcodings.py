"""The finance service's value objects inside events, each under a stable name
(`partia_kit.postgres.transcodings`): never rename one, stored events carry it."""

from __future__ import annotations

from typing import Any

from eventsourcing.persistence import JSONTranscoder

from partia_finance.domain.donors import (
    AnonymousDonor,
    DonorPersonalData,
    ForeignEntityDonor,
    OrganisationDeclarations,
    OrganisationDonor,
    PersonDeclarations,
    PersonDonor,
)
from partia_finance.domain.dues_account import DuesDeclaration
from partia_finance.domain.evidence import Document, Evidence
from partia_finance.domain.funds import Purpose
from partia_finance.domain.money import Amount
from partia_finance.domain.policies.caps import CapApplied
from partia_finance.domain.policies.permissibility import RuleCheck
from partia_kit.postgres.transcodings import register_value_objects

VALUE_OBJECTS: dict[str, type[Any]] = {
    "amount": Amount,
    "purpose": Purpose,
    "person_donor": PersonDonor,
    "organisation_donor": OrganisationDonor,
    "foreign_entity_donor": ForeignEntityDonor,
    "anonymous_donor": AnonymousDonor,
    "person_declarations": PersonDeclarations,
    "organisation_declarations": OrganisationDeclarations,
    "donor_personal_data": DonorPersonalData,
    "document": Document,
    "evidence": Evidence,
    "rule_check": RuleCheck,
    "cap_applied": CapApplied,
    "dues_declaration": DuesDeclaration,
}


def register_finance_transcodings(transcoder: JSONTranscoder) -> None:
    register_value_objects(transcoder, VALUE_OBJECTS)
