"""Email over SMTP (smtplib): plain, or upgraded with STARTTLS, with AUTH when configured. One
connection serves a sender's batch."""

from __future__ import annotations

import contextlib
import smtplib
import ssl
from dataclasses import dataclass
from email.header import Header
from email.message import EmailMessage
from email.utils import make_msgid

from partia_notifications.application.ports import Refused, Unreachable


@dataclass
class SmtpMailer:
    host: str
    port: int
    sender: str
    starttls: bool = False
    username: str | None = None
    password: str | None = None
    timeout: float = 10.0

    def __post_init__(self) -> None:
        self._connection: smtplib.SMTP | None = None

    def send(self, to: str, subject: str, text: str, *, notice_id: str, language: str) -> str:
        """The message's Message-ID once the server accepted it. `Unreachable`: try again later;
        `Refused`: the server refuses this message for good (a 5xx reply)."""
        message = EmailMessage()
        message["From"] = self.sender
        message["To"] = to
        # Python's header folder leaves the space at a fold outside the encoded words, and readers
        # drop it ("последнийдень"): the subject encoded whole, each space inside a word, kept
        message.set_raw("Subject", Header(subject, "utf-8", header_name="Subject").encode())
        message["X-Partia-Notice"] = notice_id
        message_id = make_msgid(domain="partia.local")
        message["Message-ID"] = message_id
        message.set_content(text)
        message["Content-Language"] = language  # after set_content, which drops Content-* headers
        try:
            self._open().send_message(message)
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
        except smtplib.SMTPResponseException as error:
            self._discard()
            if error.smtp_code >= 500:
                raise Refused(f"smtp: refused ({error.smtp_code})") from error
            raise Unreachable(f"smtp: deferred ({error.smtp_code})") from error
        except (OSError, smtplib.SMTPException) as error:
            self._discard()
            raise Unreachable(f"smtp: {type(error).__name__}") from error
        return message_id

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
                connection.starttls(context=ssl.create_default_context())
            if self.username:
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
