"""The sender: claims the notices due, asks the registry whom to write to and in which language,
renders, sends, and records what happened, each notice in the same transaction that holds it.

What a second sender cannot do: take a notice this one holds (`FOR UPDATE SKIP LOCKED`). What a
crash can do: a sender killed after the mail server accepted a message and before its batch
committed leaves those notices queued, and they go again (SMTP has no transaction to join; the
window is one batch, `send_batch`, and each message carries `X-Partia-Notice` so a receiving
system can drop the copy)."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Mapping
from concurrent.futures import Executor, Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any
from uuid import UUID

from partia_notifications.application.ports import (
    BodyAddress,
    BodyAddresses,
    Claim,
    Contacts,
    Deliveries,
    DigestClaim,
    Due,
    Erased,
    Mailer,
    Organisation,
    Organisations,
    Refused,
    Unknown,
    Unreachable,
)
from partia_notifications.application.wording import worded
from partia_notifications.domain import rendering
from partia_notifications.domain.backoff import gives_up, retry_delay
from partia_notifications.domain.notice import parse_recipient
from partia_notifications.domain.policies.preferences import withheld_by_choice
from partia_notifications.domain.policies.quiet_hours import QuietHours, held_until

log = logging.getLogger(__name__)

Render = Callable[[str, str, Mapping[str, Any]], Any]
"""`partia_notifications.domain.rendering.render`: (template, language, context) -> subject, text."""


@dataclass(frozen=True)
class Retries:
    first: float
    cap: float
    max_attempts: int


@dataclass
class Sender:
    deliveries: Deliveries
    contacts: Contacts
    mailer: Mailer
    render: Render
    retries: Retries
    organisations: Organisations
    batch: int = 20
    quiet: QuietHours | None = None
    """Reminders and information due inside them wait for their end (decision 300)."""
    addresses: BodyAddresses | None = None
    """Where a party body's notices go (`body:` recipients); None: nowhere (failed, logged)."""
    digest_hour: int = 9
    """The hour (Asia/Almaty) from which each body's daily digest goes."""
    clock: Callable[[], datetime] = field(default=lambda: datetime.now(UTC))
    """Now, for quiet hours and the digest's hour (injected in tests)."""

    def send_due(self) -> int:
        """One batch of the notices due now; how many were claimed.

        While the mail server answers for one notice, the next is prepared (its contact asked
        for, rendered): the mailer runs in a thread of its own, one message after the other on
        one connection, and each outcome is recorded here in the batch's order (decision 292)."""
        try:
            with (
                self.deliveries.claim(self.batch) as claim,
                ThreadPoolExecutor(1, thread_name_prefix="smtp") as smtp,
            ):
                names = _BatchNames(self.organisations)
                sending = [self._prepare(claim, due, names, smtp) for due in claim.due]
                for started in sending:
                    if started is not None:
                        self._record(claim, *started)
                return len(claim.due)
        finally:
            self.mailer.close()

    def run(self, stop: threading.Event, idle: float = 0.5) -> None:
        """Until `stop`: send what is due, and wait `idle` seconds when nothing is."""
        while not stop.is_set():
            try:
                claimed = self.send_due() + self.send_digests()
            except Exception:  # the database is away: keep the process, try again shortly
                log.exception("sending failed; trying again")
                claimed = 0
            if claimed == 0:
                stop.wait(idle)

    def _prepare(
        self, claim: Claim, due: Due, names: Organisations, smtp: Executor
    ) -> tuple[Due, str, Future[str]] | None:
        """The notice handed to the mailer (its language and the mailer's answer to come), or
        None when its outcome is recorded already (held, withheld, failed, to be tried later)."""
        until = held_until(due.category, self.clock(), self.quiet)
        if until is not None:  # a reminder due at night: the morning, not an attempt
            claim.hold(due.notice_id, until, "quiet-hours")
            return None
        try:
            if parse_recipient(due.recipient) is not None:
                addressed = self._to_body(claim, due, names)
            else:
                addressed = self._to_member(claim, due, names)
        except Exception as error:
            self._not_sent(claim, due, error)
            return None
        if addressed is None:
            return None
        email, language, notice = addressed
        # every message of the batch through the one mailer thread: one connection, in order
        sent = smtp.submit(
            self.mailer.send,
            email,
            notice.subject,
            notice.text,
            notice_id=str(due.notice_id),
            language=language,
        )
        return due, language, sent

    def _to_member(
        self, claim: Claim, due: Due, names: Organisations
    ) -> tuple[str, str, Any] | None:
        """The person's address and language (asked of the registry now) and the notice rendered
        for them; None when it is not to be sent (recorded)."""
        if due.member_id is None:
            claim.failed(due.notice_id, "no-recipient")
            return None
        if withheld_by_choice(due.category, due.opted_out):
            claim.withheld(due.notice_id, f"opted-out:{due.category}")
            return None
        answer = self.contacts.contact(due.member_id)
        if isinstance(answer, Erased):
            claim.withheld(due.notice_id, "personal-data-erased")
            return None
        if isinstance(answer, Unknown):
            claim.failed(due.notice_id, "member-unknown-to-registry")
            return None
        if not answer.email:
            claim.withheld(due.notice_id, "no-email-on-file")
            return None
        notice = self._rendered(due, answer.language, self.render, names, name=answer.full_name)
        return answer.email, answer.language, notice

    def _record(self, claim: Claim, due: Due, language: str, sent: Future[str]) -> None:
        try:
            message_id = sent.result()
        except Exception as error:
            self._not_sent(claim, due, error)
            return
        claim.sent(due.notice_id, language, message_id)

    def _not_sent(self, claim: Claim, due: Due, error: Exception) -> None:
        if isinstance(error, Unreachable):
            self._later(claim, due, str(error))
        elif isinstance(error, Refused):
            claim.failed(due.notice_id, str(error))
        else:  # a surprise must not hold up the rest of the batch forever
            log.error("notice %s", due.notice_id, exc_info=error)
            self._later(claim, due, f"unexpected: {type(error).__name__}")

    def _rendered(
        self,
        due: Due,
        language: str,
        render: Render,
        names: Organisations | None = None,
        **extra: Any,
    ) -> Any:
        # organisations named in the reader's language; one not heard of yet: Unreachable, later
        context = worded(due.context, language, names or self.organisations)
        try:
            return render(due.template, language, {**context, **extra})
        except Exception as error:  # a template that cannot render this notice: no retry mends it
            raise Refused(f"template {due.template}/{language}: {error!r}") from error

    # --- notices to party bodies (decision 303) -------------------------------------------

    def _address(self, recipient: str) -> BodyAddress | None:
        body = parse_recipient(recipient)
        if body is None or self.addresses is None:
            return None
        return self.addresses.address(*body)

    def _to_body(self, claim: Claim, due: Due, names: Organisations) -> tuple[str, str, Any] | None:
        """The body's configured office address and language, and the notice rendered for it;
        none configured: failed `no-address-configured` (an operator sets it and resends)."""
        address = self._address(due.recipient)
        if address is None:
            claim.failed(due.notice_id, "no-address-configured")
            return None
        notice = self._rendered(due, address.language, self.render, names)
        return address.email, address.language, notice

    def send_digests(self) -> int:
        """From `digest_hour` in Almaty: each body's routine items due by now, one message per
        body per day (decision 308); items due after today's digest wait for tomorrow's. How
        many items were claimed."""
        moment = self.clock()
        local = moment.astimezone(rendering.ALMATY)
        if local.hour < self.digest_hour:
            return 0
        try:
            with self.deliveries.claim_digests(local.date(), moment, self.batch) as claim:
                for recipient, items in claim.groups().items():
                    self._digest(claim, recipient, items, local.date())
                return len(claim.due)
        finally:
            self.mailer.close()

    def _digest(self, claim: DigestClaim, recipient: str, items: list[Due], day: date) -> None:
        address = self._address(recipient)
        if address is None:
            for item in items:
                claim.failed(item.notice_id, "no-address-configured")
            return
        rendered, included = [], []
        try:
            for item in items:
                try:
                    rendered.append(self._rendered(item, address.language, rendering.render_item))
                    included.append(item)
                except Refused as error:  # one item that cannot render: the rest still go
                    claim.failed(item.notice_id, str(error))
            if not included:
                return
            digest = rendering.render("digest", address.language, {"day": day, "items": rendered})
            message_id = self.mailer.send(
                address.email, digest.subject, digest.text,
                notice_id=str(included[0].notice_id), language=address.language,
            )  # fmt: skip
        except Exception as error:  # the mail server or the registry away: all wait
            reason = str(error) if isinstance(error, Unreachable) else repr(error)
            for item in included or items:
                self._later(claim, item, reason)
            return
        claim.digested(recipient, day, message_id, len(included))
        for item in included:
            claim.sent(item.notice_id, address.language, message_id)

    def _later(self, claim: Claim, due: Due, reason: str) -> None:
        attempts = due.attempts + 1
        if gives_up(attempts, self.retries.max_attempts):
            log.warning("notice %s failed for good after %d attempts: %s", due.notice_id,
                        attempts, reason)  # fmt: skip
            claim.failed(due.notice_id, reason)
            return
        delay = retry_delay(attempts, self.retries.first, self.retries.cap)
        log.info("notice %s: %s; again in %.0f s", due.notice_id, reason, delay)
        claim.retry(due.notice_id, reason, delay)


class _BatchNames:
    """The organisation directory, each organisation asked for once per batch: a batch's notices
    mostly name the same few (one decision, one PPO), and a rename reaches the next batch."""

    def __init__(self, directory: Organisations) -> None:
        self._directory = directory
        self._chains: dict[UUID, list[Organisation]] = {}

    def chain(self, organisation_id: UUID) -> list[Organisation]:
        found = self._chains.get(organisation_id)
        if found is None:
            found = self._directory.chain(organisation_id)
            if found:  # one not heard of yet may arrive before the next notice asks
                self._chains[organisation_id] = found
        return found
