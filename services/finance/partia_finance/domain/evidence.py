"""What a decision rests on: the documents, each by reference and SHA-256 digest, so that an
auditor can check later that the document relied on is the one kept (Ch. 12.1, 12.3)."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum

from partia_kit.rules import RuleViolation

_SHA256_HEX = re.compile(r"[0-9a-f]{64}")


class DocumentKind(StrEnum):
    DECLARATION = "declaration"  # the donor's declaration of citizenship, participation, grants
    PAYMENT = "payment"  # the bank's payment document


@dataclass(frozen=True, slots=True)
class Document:
    """One document kept by the party: its reference (number, file name) and the SHA-256 of its
    bytes, as 64 lowercase hex digits."""

    kind: DocumentKind
    reference: str
    sha256: str

    def __post_init__(self) -> None:
        if not self.reference.strip():
            raise RuleViolation(
                "document-reference",
                "Ch. 12.1",
                "a document is named by its reference (number or file name)",
                field="evidence.reference",
            )
        if not _SHA256_HEX.fullmatch(self.sha256):
            raise RuleViolation(
                "document-digest",
                "Ch. 12.1",
                "a document's digest is its SHA-256 as 64 lowercase hexadecimal digits",
                field="evidence.sha256",
            )


@dataclass(frozen=True, slots=True)
class Evidence:
    """The documents a donation has so far, in the order they arrived."""

    documents: tuple[Document, ...] = ()

    def __post_init__(self) -> None:
        # Stored JSON gives lists back; a value object stays a tuple, so it stays comparable.
        object.__setattr__(self, "documents", tuple(self.documents))

    def adding(self, documents: Iterable[Document]) -> Evidence:
        known = set(self.documents)
        return Evidence(self.documents + tuple(d for d in documents if d not in known))

    def of_kind(self, kind: DocumentKind) -> tuple[Document, ...]:
        return tuple(d for d in self.documents if d.kind is kind)

    def has(self, kind: DocumentKind) -> bool:
        return bool(self.of_kind(kind))
