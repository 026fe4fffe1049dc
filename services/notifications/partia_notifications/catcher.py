"""A local mail catcher for `make run` and the tests: a real SMTP server (aiosmtpd) that accepts
every message and keeps it, and a tiny HTTP listing of what it caught.

    python -m partia_notifications catch --smtp-port 1025 --http-port 8025 [--mbox FILE]

- `GET http://127.0.0.1:8025/messages`: every message caught since it started, as JSON (from,
  to, subject, text, its `X-Partia-Notice` and `Content-Language`), oldest first;
- `DELETE /messages` forgets them; with `--mbox` each message is also appended to that file
  (any mail reader opens it).
Development only: it keeps messages in memory and listens on localhost."""

from __future__ import annotations

import email
import email.policy
import json
import mailbox
import threading
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

from partia_kit.signals import stop_event_on_signals


@dataclass(frozen=True)
class CaughtMessage:
    mail_from: str
    rcpt_to: list[str]
    subject: str
    text: str
    notice: str | None
    language: str | None
    received_at: str


class _Keep:
    """The aiosmtpd handler: every message accepted, parsed and kept."""

    def __init__(self, mbox: Path | None) -> None:
        self.messages: list[CaughtMessage] = []
        self._lock = threading.Lock()
        self._mbox = mbox

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        raw = bytes(envelope.original_content or envelope.content)
        parsed = email.message_from_bytes(raw, policy=email.policy.default)
        body = parsed.get_body(preferencelist=("plain",))
        caught = CaughtMessage(
            mail_from=str(envelope.mail_from),
            rcpt_to=[str(r) for r in envelope.rcpt_tos],
            subject=str(parsed.get("Subject", "")),
            text=body.get_content() if body is not None else "",
            notice=parsed.get("X-Partia-Notice"),
            language=parsed.get("Content-Language"),
            received_at=datetime.now(UTC).isoformat(),
        )
        with self._lock:
            self.messages.append(caught)
            if self._mbox is not None:
                box = mailbox.mbox(self._mbox)
                try:
                    box.add(raw)
                finally:
                    box.close()
        return "250 Message accepted for delivery"


class _Only:
    """An aiosmtpd authenticator that knows one user."""

    def __init__(self, user: str, password: str) -> None:
        self._user, self._password = user.encode(), password.encode()

    def __call__(
        self, server: Any, session: Any, envelope: Any, mechanism: str, data: Any
    ) -> AuthResult:
        known = isinstance(data, LoginPassword) and (data.login, data.password) == (
            self._user,
            self._password,
        )
        return AuthResult(success=known, handled=False)


class MailCatcher:
    """The SMTP server in a thread of this process, until `stop()`."""

    def __init__(
        self,
        host: str = "127.0.0.1",
        port: int = 1025,
        mbox: Path | None = None,
        credentials: tuple[str, str] | None = None,
    ):
        """`credentials`: accept mail only after SMTP AUTH with this user and password (as a
        party's mail server would; over plain text, for tests only)."""
        self.host, self.port = host, port
        self._handler = _Keep(mbox)
        auth: dict[str, Any] = {}
        if credentials is not None:
            auth = {
                "auth_required": True,
                "auth_require_tls": False,
                "authenticator": _Only(*credentials),
            }
        # a busy machine (make run starting a dozen processes) took longer than the 5 s default
        self._controller = Controller(
            self._handler, hostname=host, port=port, ready_timeout=30, **auth
        )
        self._running = False

    def start(self) -> MailCatcher:
        self._controller.start()
        self._running = True
        return self

    def stop(self) -> None:
        """Stop listening (again: nothing)."""
        if self._running:
            self._controller.stop()
            self._running = False

    def messages(self) -> list[CaughtMessage]:
        return list(self._handler.messages)

    def clear(self) -> None:
        self._handler.messages.clear()


def _listing(catcher: MailCatcher) -> type[BaseHTTPRequestHandler]:
    class Listing(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            if self.path.rstrip("/") != "/messages":
                self.send_error(404)
                return
            self._json([asdict(m) for m in catcher.messages()])

        def do_DELETE(self) -> None:
            catcher.clear()
            self._json({"cleared": True})

        def _json(self, value: Any) -> None:
            body = json.dumps(value, ensure_ascii=False).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: Any) -> None:
            pass

    return Listing


def run_catcher(host: str, smtp_port: int, http_port: int, mbox: Path | None) -> int:
    """Until SIGTERM or Ctrl-C."""
    catcher = MailCatcher(host, smtp_port, mbox).start()
    web = ThreadingHTTPServer((host, http_port), _listing(catcher))
    stop = stop_event_on_signals()
    thread = threading.Thread(target=web.serve_forever, name="catcher-http", daemon=True)
    thread.start()
    where = f" and appended to {mbox}" if mbox else ""
    print(
        f"mail catcher: SMTP on {host}:{smtp_port}; messages at http://{host}:{http_port}/messages"
        + where,
        flush=True,
    )
    try:
        stop.wait()
    finally:
        web.shutdown()
        web.server_close()
        catcher.stop()
    return 0
