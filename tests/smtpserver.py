"""A real SMTP server (aiosmtpd) on 127.0.0.1, for tests.

Why real: the sender's behaviour lives in the SMTP dialogue (EHLO, STARTTLS, AUTH, reply
codes) and in the bytes on the wire (MIME structure, header encoding); smtplib against a
real server tests what a mail relay will see.

    with SMTPServer(auth={"bot": "s3cret"}) as smtp:
        EmailSender("127.0.0.1", smtp.port, starttls=False, username="bot", password="s3cret",
                    sender="Briefbot <bot@example.com>").send(msg)
        smtp.messages[0].message["Subject"]
        smtp.fail_next(451)        # next DATA: 451 (temporary); 550 for permanent

aiosmtpd refuses port 0, so a free port is found by binding a socket first.
``tls=(certfile, keyfile)`` offers STARTTLS with that certificate.
"""

from __future__ import annotations

import email
import email.policy
import socket
import ssl
import threading
from collections import deque
from dataclasses import dataclass
from email.message import EmailMessage
from typing import Any, Self

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

__all__ = ["Received", "SMTPServer", "free_port"]

_REPLIES = {
    421: "421 4.3.2 Service not available, closing channel",
    450: "450 4.2.1 Mailbox busy, try again later",
    451: "451 4.3.0 Temporary local problem, try again later",
    452: "452 4.3.1 Insufficient system storage",
    550: "550 5.7.1 Message rejected as spam",
    552: "552 5.3.4 Message too big",
    554: "554 5.6.0 Transaction failed",
}


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass(frozen=True)
class Received:
    """One accepted message: the envelope and the parsed message."""

    mail_from: str
    rcpt_tos: list[str]
    data: bytes
    message: EmailMessage
    login: str | None
    tls: bool


class _Handler:
    def __init__(self, server: SMTPServer) -> None:
        self.server = server

    async def handle_RCPT(
        self, server: Any, session: Any, envelope: Any, address: str, rcpt_options: list[str]
    ) -> str:
        if address in self.server.refuse_rcpt:
            return self.server.refuse_rcpt[address]
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        with self.server.lock:
            reply = self.server.failures.popleft() if self.server.failures else None
        if reply is not None:
            return reply
        data: bytes = envelope.original_content or envelope.content
        msg = email.message_from_bytes(data, policy=email.policy.default)
        login = session.auth_data if isinstance(session.auth_data, str) else None
        with self.server.lock:
            self.server.messages.append(
                Received(
                    envelope.mail_from,
                    list(envelope.rcpt_tos),
                    data,
                    msg,
                    login,
                    session.ssl is not None,
                )
            )
        return "250 2.0.0 OK queued"


class SMTPServer:
    """aiosmtpd on 127.0.0.1 in a background thread; see the module docstring."""

    def __init__(self, auth: dict[str, str] | None = None, tls: tuple[str, str] | None = None) -> None:
        self.auth = auth
        self.lock = threading.Lock()
        self.messages: list[Received] = []
        self.failures: deque[str] = deque()
        self.refuse_rcpt: dict[str, str] = {}
        self.host = "127.0.0.1"
        self.port = 0
        self._tls = tls
        self._controller: Controller | None = None

    def _authenticate(
        self, server: Any, session: Any, envelope: Any, mechanism: str, auth_data: Any
    ) -> AuthResult:
        if not isinstance(auth_data, LoginPassword) or self.auth is None:
            return AuthResult(success=False, handled=False)
        user, password = auth_data.login.decode(), auth_data.password.decode()
        ok = self.auth.get(user) == password
        return AuthResult(success=ok, handled=False, auth_data=user if ok else None)

    def start(self) -> Self:
        kwargs: dict[str, Any] = {}
        if self.auth is not None:
            kwargs.update(
                authenticator=self._authenticate, auth_required=True, auth_require_tls=self._tls is not None
            )
        if self._tls is not None:
            ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
            ctx.load_cert_chain(*self._tls)
            kwargs.update(tls_context=ctx, require_starttls=True)
        # A port can be taken between our probe and aiosmtpd's bind; try a few.
        for attempt in range(5):
            self.port = free_port()
            controller = Controller(
                _Handler(self), hostname=self.host, port=self.port, ready_timeout=5, **kwargs
            )
            try:
                controller.start()
            except OSError:
                if attempt == 4:
                    raise
                continue
            self._controller = controller
            break
        return self

    def stop(self) -> None:
        if self._controller is not None:
            self._controller.stop()
            self._controller = None

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def reset(self) -> None:
        with self.lock:
            self.messages.clear()
            self.failures.clear()
            self.refuse_rcpt.clear()

    def fail_next(self, code: int = 451, times: int = 1) -> None:
        """Answer DATA of the next `times` messages with `code` (451 temporary, 550 permanent)."""
        reply = _REPLIES.get(code, f"{code} {'4' if code < 500 else '5'}.0.0 Refused by test")
        with self.lock:
            self.failures.extend([reply] * times)
