"""Email over SMTP (smtplib): plain, or upgraded with STARTTLS, with AUTH when configured. One
connection serves a sender's batch."""

from __future__ import annotations

import base64
import contextlib
import functools
import smtplib
import ssl
from dataclasses import dataclass
from email import policy
from email.header import Header
from email.message import EmailMessage
from email.utils import formataddr, formatdate, make_msgid, parseaddr

from partia_notifications.application.ports import Refused, Unreachable

CRLF = "\r\n"


@dataclass(frozen=True)
class Outgoing:
    """One notice as the SMTP exchange sends it: the envelope and the message's bytes."""

    envelope_from: str
    to: str
    message_id: str
    data: bytes
    options: tuple[str, ...] = ()
    """MAIL FROM options: SMTPUTF8 for an address that is not ASCII."""


def notice_message(
    sender: str, to: str, subject: str, text: str, notice_id: str, language: str
) -> Outgoing:
    """A notice as a single-part text/plain email (UTF-8, base64), with a fresh Message-ID.

    Written out directly, not through `email.message`: its policies parse, refold and re-encode
    every header, which cost this sender more than the SMTP exchange itself (decision 292). An
    address that is not ASCII still goes through `EmailMessage` and SMTPUTF8, which handle it."""
    if "\r" in to or "\n" in to:
        raise Refused("smtp: the recipient's address has a line break")
    from_header, envelope_from = _sender(sender)
    if not (to.isascii() and envelope_from.isascii()):
        return _international(sender, to, subject, text, notice_id, language)
    message_id = make_msgid(domain="partia.local")
    encoded = subject if subject.isascii() else _encoded_subject(subject, CRLF)
    headers = (
        f"From: {from_header}",
        f"To: {to}",
        f"Subject: {encoded}",
        f"Date: {formatdate()}",
        f"Message-ID: {message_id}",
        f"X-Partia-Notice: {notice_id}",
        f"Content-Language: {language}",
        "MIME-Version: 1.0",
        'Content-Type: text/plain; charset="utf-8"',
        "Content-Transfer-Encoding: base64",
    )
    body = base64.encodebytes(text.encode()).replace(b"\n", b"\r\n")
    data = (CRLF.join(headers) + CRLF + CRLF).encode("ascii") + body
    return Outgoing(envelope_from, to, message_id, data)


def _encoded_subject(subject: str, linesep: str) -> str:
    """The subject encoded whole, each space inside an encoded word (decision 301): Python's
    header folder leaves the space at a fold outside the encoded words, and readers drop it
    ("последнийдень")."""
    return Header(subject, "utf-8", header_name="Subject").encode(linesep=linesep)


@functools.cache
def _sender(sender: str) -> tuple[str, str]:
    """The From header and the envelope's sender of the configured `mail_from` (one per process)."""
    return formataddr(parseaddr(sender), charset="utf-8"), parseaddr(sender)[1]


def _international(
    sender: str, to: str, subject: str, text: str, notice_id: str, language: str
) -> Outgoing:
    message = EmailMessage()
    message["From"] = sender
    message["To"] = to
    message.set_raw("Subject", _encoded_subject(subject, "\n"))
    message["Date"] = formatdate()
    message["X-Partia-Notice"] = notice_id
    message_id = make_msgid(domain="partia.local")
    message["Message-ID"] = message_id
    message.set_content(text)
    message["Content-Language"] = language  # after set_content, which drops Content-* headers
    data = message.as_bytes(policy=policy.SMTPUTF8)
    return Outgoing(parseaddr(sender)[1], to, message_id, data, ("SMTPUTF8", "BODY=8BITMIME"))


@dataclass
class SmtpMailer:
    host: str
    port: int
    sender: str
    starttls: bool = False
    username: str | None = None
    password: str | None = None
    timeout: float = 10.0
    ca_file: str | None = None
    """Certificates trusted for STARTTLS (a party's own CA); None: the system's."""

    def __post_init__(self) -> None:
        self._connection: smtplib.SMTP | None = None

    def send(self, to: str, subject: str, text: str, *, notice_id: str, language: str) -> str:
        """The message's Message-ID once the server accepted it. `Unreachable`: try again later;
        `Refused`: the server refuses this message for good (a 5xx reply)."""
        message = notice_message(self.sender, to, subject, text, notice_id, language)
        try:
            self._open().sendmail(
                message.envelope_from, [message.to], message.data, mail_options=message.options
            )
        except smtplib.SMTPRecipientsRefused as error:
            codes = sorted({code for code, _ in error.recipients.values()})
            self._discard()
            if all(code >= 500 for code in codes):
                raise Refused(f"smtp: recipient refused ({codes})") from error
            raise Unreachable(f"smtp: recipient deferred ({codes})") from error
        except smtplib.SMTPAuthenticationError as error:
            # our credentials, not this message: every notice waits until they are put right
            self._discard()
            raise Unreachable(f"smtp: authentication refused ({error.smtp_code})") from error
        except smtplib.SMTPNotSupportedError as error:
            # the server lacks what the settings ask for (STARTTLS, AUTH): nothing is sent in the
            # clear or unauthenticated instead; every notice waits until it is put right
            self._discard()
            raise Unreachable(f"smtp: {error}") from error
        except smtplib.SMTPResponseException as error:
            self._discard()
            if error.smtp_code >= 500:
                raise Refused(f"smtp: refused ({error.smtp_code})") from error
            raise Unreachable(f"smtp: deferred ({error.smtp_code})") from error
        except ssl.SSLError as error:  # e.g. a certificate not trusted: nothing sent in the clear
            self._discard()
            why = getattr(error, "verify_message", None) or error.reason or type(error).__name__
            raise Unreachable(f"smtp: TLS failed ({why})") from error
        except (OSError, smtplib.SMTPException) as error:
            self._discard()
            raise Unreachable(f"smtp: {type(error).__name__}") from error
        return message.message_id

    def close(self) -> None:
        if self._connection is not None:
            with contextlib.suppress(OSError, smtplib.SMTPException):
                self._connection.quit()
        self._connection = None

    def _open(self) -> smtplib.SMTP:
        if self._connection is not None:
            return self._connection
        connection = smtplib.SMTP(self.host, self.port, timeout=self.timeout)
        try:
            if self.starttls:
                connection.ehlo()
                if not connection.has_extn("starttls"):
                    raise smtplib.SMTPNotSupportedError("the server does not offer STARTTLS")
                connection.starttls(context=ssl.create_default_context(cafile=self.ca_file))
            if self.username:
                connection.ehlo_or_helo_if_needed()
                if not connection.has_extn("auth"):
                    raise smtplib.SMTPNotSupportedError("the server does not offer AUTH")
                connection.login(self.username, self.password or "")
        except BaseException:
            connection.close()
            raise
        self._connection = connection
        return connection

    def _discard(self) -> None:
        if self._connection is not None:
            with contextlib.suppress(OSError):
                self._connection.close()
        self._connection = None
