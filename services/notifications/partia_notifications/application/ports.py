"""What the sender needs from outside, as it sees it: the registry's answer about a person, and a
mail server."""

from __future__ import annotations

from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Protocol
from uuid import UUID


@dataclass(frozen=True)
class Contact:
    """For one message only; never stored."""

    full_name: str
    email: str | None
    language: str


@dataclass(frozen=True)
class Erased:
    """The person's data was erased (410): nothing goes to them."""


@dataclass(frozen=True)
class Unknown:
    """The registry knows no such member (404)."""


class Unreachable(Exception):
    """Cannot deliver now (the registry or the mail server is down): try again later."""


class Refused(Exception):
    """Will never be delivered as it is (the mail server refuses it for good)."""


class Contacts(Protocol):
    def contact(self, member_id: UUID) -> Contact | Erased | Unknown: ...


@dataclass(frozen=True)
class BodyAddress:
    """Where a party body's notices go (an office mailbox, configured), and in which language."""

    email: str
    language: str


class BodyAddresses(Protocol):
    def address(self, organisation_id: str, role: str) -> BodyAddress | None:
        """None: no address configured for that organisation and role."""
        ...


class Mailer(Protocol):
    def send(self, to: str, subject: str, text: str, *, notice_id: str, language: str) -> str: ...

    def close(self) -> None: ...


@dataclass(frozen=True)
class Due:
    """A queued notice a sender holds (locked) while it delivers it."""

    notice_id: UUID
    event_id: str
    template: str
    member_id: UUID | None
    context: dict[str, Any]
    attempts: int
    category: str = "decision"
    opted_out: tuple[str, ...] = ()
    """The categories the member chose not to receive (their preferences, read with the claim)."""
    recipient: str = ""
    """As the log names it: `member:<id>`, or `body:<organisation id>:<role>` (`notice.py`)."""


class Claim(Protocol):
    """The notices one sender holds, and what it records of each (with them, in one commit)."""

    due: list[Due]

    def sent(self, notice_id: UUID, language: str, message_id: str) -> None: ...

    def retry(self, notice_id: UUID, reason: str, delay: float) -> None: ...

    def failed(self, notice_id: UUID, reason: str) -> None: ...

    def withheld(self, notice_id: UUID, reason: str) -> None: ...

    def hold(self, notice_id: UUID, until: datetime, reason: str) -> None:
        """Not now (quiet hours): queued for `until`, no attempt counted."""
        ...


class DigestClaim(Claim, Protocol):
    """A body's routine items of one day, held while its digest is sent."""

    def groups(self) -> dict[str, list[Due]]: ...

    def digested(self, recipient: str, day: date, message_id: str, items: int) -> None: ...


class Deliveries(Protocol):
    def claim(self, limit: int) -> AbstractContextManager[Claim]: ...

    def claim_digests(
        self, day: date, moment: datetime, limit: int
    ) -> AbstractContextManager[DigestClaim]: ...


@dataclass(frozen=True)
class Organisation:
    """An organisation as the registry's organisation events told this service."""

    organisation_id: UUID
    kind: str
    names: dict[str, str]


class Organisations(Protocol):
    def chain(self, organisation_id: UUID) -> list[Organisation]:
        """The organisation, its parent, ... up to the party; [] for one not heard of yet."""
        ...
