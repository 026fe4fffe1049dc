"""The SMTP mailer against real aiosmtpd servers: what a mail reader sees of a notice, STARTTLS
with a certificate made here (and refused for one not trusted), AUTH after it, and what the
delivery log records when the server refuses our credentials or lacks what the settings ask for."""

from __future__ import annotations

import datetime
import email.policy
import ipaddress
import mailbox
import ssl
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from email import message_from_bytes
from pathlib import Path
from typing import Any

import psycopg
import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from partia_kit.messages import IncomingEvent
from partia_kit.testing import free_port
from partia_notifications.adapters.events import SANCTION, handlers
from partia_notifications.adapters.organisations import handlers as organisation_handlers
from partia_notifications.adapters.smtp import SmtpMailer
from partia_notifications.application.ports import Contact, Erased
from partia_notifications.catcher import MailCatcher
from partia_notifications.composition import Notifications
from tests.notifications.support import PPO, Contacts, deliveries, sanction_data, sender

USER, PASSWORD = "partia", "s3cret"


# --- a certificate authority and a server certificate, made for the test --------------------


@dataclass(frozen=True)
class Certificates:
    ca_file: Path
    """The CA's certificate: what the mailer is told to trust."""
    server: ssl.SSLContext
    """The server's TLS context: its certificate (for 127.0.0.1) signed by that CA."""


def _name(common_name: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])


def make_certificates(directory: Path) -> Certificates:
    now = datetime.datetime.now(datetime.UTC)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_public = ca_key.public_key()
    ca = (
        x509.CertificateBuilder()
        .subject_name(_name("Partia test CA"))
        .issuer_name(_name("Partia test CA"))
        .public_key(ca_public)
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                key_cert_sign=True,
                crl_sign=True,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(ca_public), critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    key = ec.generate_private_key(ec.SECP256R1())
    leaf = (
        x509.CertificateBuilder()
        .subject_name(_name("127.0.0.1"))
        .issuer_name(ca.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName(
                [x509.IPAddress(ipaddress.ip_address("127.0.0.1")), x509.DNSName("localhost")]
            ),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.ExtendedKeyUsage([x509.OID_SERVER_AUTH]), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_public), critical=False
        )
        .sign(ca_key, hashes.SHA256())
    )
    ca_file, cert_file, key_file = (directory / n for n in ("ca.pem", "server.pem", "key.pem"))
    ca_file.write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    cert_file.write_bytes(leaf.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    server = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    server.load_cert_chain(cert_file, key_file)
    return Certificates(ca_file, server)


# --- a mail server that insists on STARTTLS, then AUTH -----------------------------------------


class Kept:
    """What the server accepted: each message's raw bytes, and who authenticated."""

    def __init__(self) -> None:
        self.messages: list[bytes] = []
        self.logins: list[str] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        self.messages.append(bytes(envelope.original_content or envelope.content))
        return "250 Message accepted for delivery"

    def authenticator(
        self, server: Any, session: Any, envelope: Any, mechanism: str, data: Any
    ) -> AuthResult:
        known = isinstance(data, LoginPassword) and (data.login, data.password) == (
            USER.encode(),
            PASSWORD.encode(),
        )
        if known:
            self.logins.append(USER)
        return AuthResult(success=known, handled=False)


@dataclass
class TlsServer:
    port: int
    kept: Kept


@pytest.fixture
def certificates(tmp_path: Path) -> Certificates:
    return make_certificates(tmp_path)


@pytest.fixture
def tls_server(certificates: Certificates) -> Iterator[TlsServer]:
    """STARTTLS required before anything else; AUTH required before mail (over TLS only)."""
    kept = Kept()
    port = free_port()
    controller = Controller(
        kept,
        hostname="127.0.0.1",
        port=port,
        tls_context=certificates.server,
        require_starttls=True,
        auth_required=True,
        auth_require_tls=True,
        authenticator=kept.authenticator,
        ready_timeout=30,
    )
    controller.start()
    try:
        yield TlsServer(port, kept)
    finally:
        controller.stop()


def mailer(port: int, **options: Any) -> SmtpMailer:
    return SmtpMailer("127.0.0.1", port, "Partia <notices@partia.local>", timeout=5, **options)


def test_with_starttls_and_auth_configured_the_notice_goes_encrypted_and_authenticated(
    tls_server: TlsServer, certificates: Certificates
) -> None:
    sending = mailer(
        tls_server.port,
        starttls=True,
        username=USER,
        password=PASSWORD,
        ca_file=str(certificates.ca_file),
    )
    message_id = sending.send(
        "member@example.kz", "Тексеру", "Сәлем!\n", notice_id="n-1", language="kk"
    )
    sending.close()
    [raw] = tls_server.kept.messages
    assert tls_server.kept.logins == [USER]
    assert message_id.encode() in raw
    assert b"X-Partia-Notice: n-1" in raw


def test_a_mail_server_whose_certificate_is_not_trusted_gets_nothing_and_the_reason_says_tls(
    tls_server: TlsServer,
) -> None:
    """Without the party's CA the certificate made here is not trusted: the mailer does not fall
    back to sending in the clear."""
    sending = mailer(tls_server.port, starttls=True, username=USER, password=PASSWORD)
    with pytest.raises(Exception, match="smtp: TLS failed") as refused:
        sending.send("member@example.kz", "Тексеру", "Сәлем!\n", notice_id="n-2", language="kk")
    assert type(refused.value).__name__ == "Unreachable"
    assert tls_server.kept.messages == []


def test_without_starttls_configured_a_server_requiring_it_refuses_and_nothing_is_sent(
    tls_server: TlsServer,
) -> None:
    sending = mailer(tls_server.port, username=USER, password=PASSWORD)
    with pytest.raises(Exception, match="smtp: "):
        sending.send("member@example.kz", "Тексеру", "Сәлем!\n", notice_id="n-3", language="kk")
    assert tls_server.kept.messages == []


# --- through the sender: what the delivery log records --------------------------------------


def queue_sanction(notifications: Notifications, member: uuid.UUID) -> None:
    """An expulsion's notice queued by the members' consumer's own handler."""
    data = sanction_data(member)
    event = IncomingEvent(
        "partia.registry.members.v1", 0, 0, None, data["event_id"], f"{SANCTION}.v1",
        "/partia/registry", str(member), {}, data,
    )  # fmt: skip
    with notifications.pool.connection() as conn, conn.transaction():
        handlers(notifications.settings.database_schema)[event.type](conn, event)


def test_a_notice_reaches_a_starttls_and_auth_server_through_the_sender_and_is_logged_sent(
    notifications: Notifications, tls_server: TlsServer, certificates: Certificates
) -> None:
    member = uuid.uuid4()
    queue_sanction(notifications, member)
    mail = sender(notifications, Contacts({member: Contact("Test", "tls@example.kz", "en")}))
    mail.mailer = mailer(
        tls_server.port,
        starttls=True,
        username=USER,
        password=PASSWORD,
        ca_file=str(certificates.ca_file),
    )
    assert mail.send_due() == 1
    [raw] = tls_server.kept.messages
    [logged] = deliveries(notifications)
    assert (logged["status"], logged["last_error"]) == ("sent", None)
    assert logged["message_id"].encode() in raw


def test_a_server_refusing_our_credentials_leaves_a_failure_with_the_reason_in_the_delivery_log(
    notifications: Notifications, tls_server: TlsServer, certificates: Certificates
) -> None:
    """The credentials are ours, not the notice's: it is tried again, and once the attempts are
    spent it is marked failed with the server's refusal as the reason (an operator may resend)."""
    member = uuid.uuid4()
    queue_sanction(notifications, member)
    mail = sender(
        notifications, Contacts({member: Contact("Test", "a@example.kz", "en")}), max_attempts=2
    )
    mail.mailer = mailer(
        tls_server.port,
        starttls=True,
        username=USER,
        password="wrong",
        ca_file=str(certificates.ca_file),
    )
    mail.send_due()
    [waiting] = deliveries(notifications)
    assert (waiting["status"], waiting["attempts"]) == ("queued", 1)
    assert waiting["last_error"] == "smtp: authentication refused (535)"
    mail.send_due()  # the retry's delay is 0 here: due at once
    [failed] = deliveries(notifications)
    assert (failed["status"], failed["attempts"]) == ("failed", 2)
    assert failed["last_error"] == "smtp: authentication refused (535)"
    assert tls_server.kept.messages == []


def test_a_server_offering_no_auth_when_credentials_are_configured_is_named_in_the_log(
    notifications: Notifications,
) -> None:
    """Credentials configured, a server that offers no AUTH: nothing is sent unauthenticated."""
    member = uuid.uuid4()
    queue_sanction(notifications, member)
    port = notifications.settings.smtp_port
    plain = MailCatcher("127.0.0.1", port).start()
    try:
        mail = sender(notifications, Contacts({member: Contact("T", "b@example.kz", "en")}))
        mail.mailer = mailer(port, username=USER, password=PASSWORD)
        mail.send_due()
        assert plain.messages() == []
    finally:
        plain.stop()
    [waiting] = deliveries(notifications)
    assert waiting["last_error"] == "smtp: the server does not offer AUTH"


# --- what a mail reader sees ----------------------------------------------------------------


def test_a_mail_reader_sees_the_notice_as_rendered_subject_sender_text_and_headers(
    tmp_path: Path,
) -> None:
    """A long Kazakh subject (folded over lines in transit), a sender named in Kazakh, a text with
    a line that starts with a dot (SMTP's end-of-data marker): all arrive as written."""
    box = tmp_path / "caught.mbox"
    port = free_port()
    catcher = MailCatcher("127.0.0.1", port, mbox=box).start()
    subject = "Сізге партиялық жаза қолданылды: шығару туралы шешім және шағымдану мерзімі " * 2
    text = "Құрметті мүше!\n\n.\n.бір нүкте\nСоңғы күн: 2026\u202fж. 28 ақпан\n"
    try:
        sending = SmtpMailer("127.0.0.1", port, "«Байтақ» партиясы <notices@baytaq.kz>", timeout=5)
        message_id = sending.send(
            "member@example.kz", subject.strip(), text, notice_id="n-9", language="kk"
        )
        sending.close()
        [caught] = catcher.messages()
    finally:
        catcher.stop()
    assert caught.subject == subject.strip()
    assert caught.text == text
    assert (caught.notice, caught.language) == ("n-9", "kk")
    assert (caught.mail_from, caught.rcpt_to) == ("notices@baytaq.kz", ["member@example.kz"])
    [stored] = mailbox.mbox(box)
    parsed = message_from_bytes(stored.as_bytes(), policy=email.policy.default)
    assert str(parsed["From"]) == "«Байтақ» партиясы <notices@baytaq.kz>"
    assert parsed["Message-ID"] == message_id
    assert parsed["Date"] is not None


def test_an_organisation_renamed_between_two_batches_is_named_anew_in_the_second(
    notifications: Notifications, catcher: MailCatcher
) -> None:
    """The sender reads each organisation once per batch; a rename reaches the next batch."""
    first, second = uuid.uuid4(), uuid.uuid4()
    contacts = Contacts({m: Contact("T", f"{m}@example.kz", "en") for m in (first, second)})
    mail = sender(notifications, contacts)
    queue_sanction(notifications, first)
    assert mail.send_due() == 1
    renamed = organisation_handlers(notifications.settings.database_schema)[
        "partia.registry.organisation.renamed.v1"
    ]
    data = {"organisation_id": PPO, "names": {"kk": "№8 БПҰ", "ru": "ППО №8", "en": "PPO No. 8"},
            "position": 99}  # fmt: skip
    event = IncomingEvent(
        "t", 0, 0, None, str(uuid.uuid4()), "partia.registry.organisation.renamed.v1",
        "/partia/registry", None, {}, data,
    )  # fmt: skip
    with psycopg.connect(str(notifications.settings.database_url)) as conn:
        renamed(conn, event)
    queue_sanction(notifications, second)
    assert mail.send_due() == 1
    by_recipient = {m.rcpt_to[0]: m.text for m in catcher.messages()}
    assert "PPO No. 7" in by_recipient[f"{first}@example.kz"]
    assert "PPO No. 8" in by_recipient[f"{second}@example.kz"]
    assert "PPO No. 7" not in by_recipient[f"{second}@example.kz"]


def test_in_one_batch_each_sent_notice_is_logged_with_its_own_language_and_message_id(
    notifications: Notifications, catcher: MailCatcher
) -> None:
    """The batch's sent notices are recorded together at its end (decision 292): each row still
    gets its own language, Message-ID and one attempt, beside a withheld and a failed one."""
    kk, ru, erased, unknown, en = (uuid.uuid4() for _ in range(5))
    for member in (kk, ru, erased, unknown, en):
        queue_sanction(notifications, member)
    contacts = Contacts(
        {
            kk: Contact("A", "kk@example.kz", "kk"),
            ru: Contact("B", "ru@example.kz", "ru"),
            erased: Erased(),
            en: Contact("C", "en@example.kz", "en"),
        }
    )
    assert sender(notifications, contacts).send_due() == 5
    logged = {row["member_id"]: row for row in deliveries(notifications)}
    caught = {m.rcpt_to[0]: m for m in catcher.messages()}
    assert sorted(caught) == ["en@example.kz", "kk@example.kz", "ru@example.kz"]
    for member, language in ((kk, "kk"), (ru, "ru"), (en, "en")):
        row = logged[member]
        assert (row["status"], row["attempts"], row["language"]) == ("sent", 1, language)
        assert caught[f"{language}@example.kz"].language == language
        assert caught[f"{language}@example.kz"].notice == str(row["notice_id"])
        assert row["sent_at"] is not None
    assert (logged[erased]["status"], logged[erased]["last_error"]) == (
        "withheld",
        "personal-data-erased",
    )
    assert (logged[unknown]["status"], logged[unknown]["last_error"]) == (
        "failed",
        "member-unknown-to-registry",
    )
    message_ids = {logged[m]["message_id"] for m in (kk, ru, en)}
    assert len(message_ids) == 3


class RefusesOne(Kept):
    """Accepts every recipient but one, which it refuses for good (550)."""

    def __init__(self, refused: str) -> None:
        super().__init__()
        self.refused = refused

    async def handle_RCPT(  # noqa: N802
        self, server: Any, session: Any, envelope: Any, address: str, options: list[str]
    ) -> str:
        if address == self.refused:
            return "550 5.1.1 No such mailbox"
        envelope.rcpt_tos.append(address)
        return "250 OK"


def test_a_recipient_the_server_refuses_fails_alone_and_the_rest_of_the_batch_is_sent(
    notifications: Notifications,
) -> None:
    """The mailer works on one notice while the next is prepared (decision 292): a refusal in the
    middle of a batch is recorded against its own notice, and the notices after it go."""
    members = [uuid.uuid4() for _ in range(5)]
    for member in members:
        queue_sanction(notifications, member)
    refused = f"{members[2]}@example.kz"
    server = RefusesOne(refused)
    port = notifications.settings.smtp_port
    controller = Controller(server, hostname="127.0.0.1", port=port, ready_timeout=30)
    controller.start()
    try:
        contacts = Contacts({m: Contact("T", f"{m}@example.kz", "en") for m in members})
        assert sender(notifications, contacts).send_due() == 5
    finally:
        controller.stop()
    logged = {row["member_id"]: row for row in deliveries(notifications)}
    assert (logged[members[2]]["status"], logged[members[2]]["last_error"]) == (
        "failed",
        "smtp: recipient refused ([550])",
    )
    assert [logged[m]["status"] for m in members if m != members[2]] == ["sent"] * 4
    assert len(server.messages) == 4
