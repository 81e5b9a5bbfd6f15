"""Build and send briefing emails over SMTP.

Why this shape: mail clients show text/plain or text/html from one multipart/alternative
(plain first, HTML last, as RFC 2046 orders preference), many strip ``<style>`` so the CSS
is inlined, and subjects are built from article titles, which must never smuggle a header
in (``"Title\\r\\nBcc: x@y"``). Failures become ``DeliveryError`` with ``retryable`` set
from the SMTP reply class (4xx try again, 5xx give up) so the outbox knows what to do.
"""

from __future__ import annotations

import email.policy
import email.utils
import ipaddress
import re
import smtplib
import socket
import ssl as ssl_module
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.message import EmailMessage
from typing import TYPE_CHECKING

import css_inline

from . import DeliveryError

if TYPE_CHECKING:
    from pydantic import SecretStr

    from ..config import EmailConfig

__all__ = ["EmailResult", "EmailSender", "build_message", "clean_header", "inline_css"]

SUBJECT_MAX = 200
_HEADER_MAX = 900  # stays under SMTP's 998-octet line limit even unfolded
# CR, LF and everything else that could end or fold a header line, plus other controls.
_BREAKS_RE = re.compile(r"[\x00-\x1f\x7f\x85\u2028\u2029]+")

_INLINER = css_inline.CSSInliner(
    inline_style_tags=True,
    keep_style_tags=False,
    keep_link_tags=False,
    # Templates are ours; never let a <link> in them make the mailer fetch from the network.
    load_remote_stylesheets=False,
)


def clean_header(value: str, limit: int = _HEADER_MAX) -> str:
    """A header value on one line: control characters (CR, LF, TAB…) become a space,
    runs of spaces collapse, and it is cut to `limit` characters with an ellipsis."""
    flat = " ".join(_BREAKS_RE.sub(" ", value).split())
    if len(flat) > limit:
        flat = flat[: limit - 1].rstrip() + "…"
    return flat


def inline_css(html: str) -> str:
    """Move ``<style>`` rules into ``style`` attributes; no ``<style>`` or ``<link>`` is left."""
    return _INLINER.inline(html)


_NAMED_RE = re.compile(r"^\s*(?P<name>[^<>]*?)\s*<(?P<addr>[^<>]*)>\s*$")
_ADDR_RE = re.compile(r"^[^@\s<>()\[\],;:\"\\]+@[^@\s<>()\[\],;:\"\\]+$")


def _address(value: str) -> str:
    """One address header item; raises ValueError for anything but one plain address.

    Addresses come from config, so a line break in one is refused, not repaired.
    """
    if _BREAKS_RE.search(value) or len(value) > 320:
        raise ValueError(f"not an email address: {clean_header(value, 80)!r}")
    # Own parsing: email.utils.parseaddr is lenient and turns "a@x.org Bcc: b@y" into an address.
    m = _NAMED_RE.match(value)
    name, addr = (
        (m.group("name").strip().strip('"').strip(), m.group("addr").strip()) if m else ("", value.strip())
    )
    if not _ADDR_RE.match(addr):
        raise ValueError(f"not an email address: {value!r}")
    return email.utils.formataddr((name, addr)) if name else addr


def _msgid(value: str) -> str:
    v = clean_header(value, 250).replace(" ", "")
    if not v.startswith("<"):
        v = "<" + v
    if not v.endswith(">"):
        v += ">"
    if "@" not in v:
        raise ValueError(f"Message-ID needs an @: {v!r}")
    return v


def _list_unsubscribe(value: str) -> str:
    parts = [p.strip() for p in clean_header(value).split(",") if p.strip()]
    return ", ".join(p if p.startswith("<") else f"<{p}>" for p in parts)


def build_message(
    subject: str,
    text: str,
    html: str | None,
    to: list[str],
    sender: str,
    message_id: str,
    list_unsubscribe: str | None = None,
    date: datetime | None = None,
    *,
    inline: bool = True,
) -> EmailMessage:
    """A UTF-8 multipart/alternative message (text/plain, then text/html with inlined CSS).

    `message_id` should be stable for one briefing (``<digest-morning-20261129@briefbot>``)
    so a retried send is recognisably the same message. Header values are stripped of
    CR/LF and cut to a safe length; non-ASCII is encoded by the email package. Without
    `html` the message is plain text only.
    """
    if not to:
        raise ValueError("a message needs at least one recipient")
    msg = EmailMessage(policy=email.policy.SMTP)
    msg["Subject"] = clean_header(subject, SUBJECT_MAX) or "(no subject)"
    msg["From"] = _address(sender)
    msg["To"] = ", ".join(_address(a) for a in to)
    when = date or datetime.now(UTC)
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    msg["Date"] = email.utils.format_datetime(when)
    msg["Message-ID"] = _msgid(message_id)
    if list_unsubscribe:
        msg["List-Unsubscribe"] = _list_unsubscribe(list_unsubscribe)
    # RFC 3834: out-of-office responders should not answer a bot.
    msg["Auto-Submitted"] = "auto-generated"
    msg.set_content(text, subtype="plain", charset="utf-8")
    if html is not None:
        msg.add_alternative(inline_css(html) if inline else html, subtype="html", charset="utf-8")
    return msg


@dataclass
class EmailResult:
    """Accepted and refused recipients of one sent message (the server may refuse some)."""

    message_id: str
    accepted: list[str] = field(default_factory=list)
    refused: dict[str, str] = field(default_factory=dict)


def _plain(value: str | SecretStr | None) -> str | None:
    if value is None:
        return None
    if isinstance(value, str):
        return value or None
    return value.get_secret_value() or None


def _is_loopback(host: str) -> bool:
    if host.lower() in ("localhost", "localhost.localdomain"):
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


class EmailSender:
    """Sends ``EmailMessage`` objects through one SMTP server, one connection per send.

    `ssl`: implicit TLS (port 465); otherwise `starttls` upgrades a plain connection
    (port 587). Credentials are only sent over TLS, or to a loopback relay.
    """

    def __init__(
        self,
        host: str,
        port: int = 587,
        starttls: bool = True,
        ssl: bool = False,
        username: str | SecretStr | None = None,
        password: str | SecretStr | None = None,
        *,
        sender: str,
        timeout: float = 30,
        ssl_context: ssl_module.SSLContext | None = None,
    ) -> None:
        self.host = host
        self.port = port
        self.starttls = starttls
        self.ssl = ssl
        self._username = _plain(username)
        self._password = _plain(password)
        self.sender = sender
        self.timeout = timeout
        self._ssl_context = ssl_context

    @classmethod
    def from_config(cls, cfg: EmailConfig) -> EmailSender:
        return cls(
            cfg.smtp_host,
            cfg.smtp_port,
            starttls=cfg.starttls,
            ssl=cfg.ssl,
            username=cfg.username,
            password=cfg.password,
            sender=cfg.sender,
            timeout=cfg.timeout.total_seconds(),
        )

    def __repr__(self) -> str:
        return f"EmailSender(host={self.host!r}, port={self.port}, starttls={self.starttls}, ssl={self.ssl})"

    def build(
        self,
        subject: str,
        text: str,
        html: str | None,
        to: list[str],
        message_id: str,
        list_unsubscribe: str | None = None,
        date: datetime | None = None,
    ) -> EmailMessage:
        """``build_message`` with this sender's From address."""
        return build_message(subject, text, html, to, self.sender, message_id, list_unsubscribe, date)

    def send(self, msg: EmailMessage) -> EmailResult:
        """Deliver `msg` to its To/Cc/Bcc recipients; Bcc is not transmitted in the headers."""
        envelope_from = email.utils.parseaddr(self.sender)[1] or self.sender
        recipients = [
            a
            for _, a in email.utils.getaddresses(
                [str(v) for h in ("To", "Cc", "Bcc") for v in msg.get_all(h, [])]
            )
            if a
        ]
        if not recipients:
            raise DeliveryError("the email has no recipients", retryable=False, code="no_recipients")
        message_id = str(msg.get("Message-ID", ""))
        tls = self.ssl or self.starttls
        if self._username and not tls and not _is_loopback(self.host):
            raise DeliveryError(
                f"refusing to send the SMTP password to {self.host} without TLS",
                hint="set email.starttls: true (port 587) or email.ssl: true (port 465)",
                retryable=False,
                code="insecure_auth",
            )
        try:
            with self._connect() as smtp:
                if self.starttls and not self.ssl:
                    smtp.starttls(context=self._context())
                    smtp.ehlo()
                if self._username:
                    smtp.login(self._username, self._password or "")
                refused = smtp.send_message(msg, from_addr=envelope_from, to_addrs=recipients)
        except Exception as e:  # noqa: BLE001 - every failure is classified below
            raise self._error(e) from None
        bad = {k: f"{code} {_text(reply)}" for k, (code, reply) in refused.items()}
        return EmailResult(
            message_id=message_id, accepted=[r for r in recipients if r not in bad], refused=bad
        )

    def _context(self) -> ssl_module.SSLContext:
        return self._ssl_context or ssl_module.create_default_context()

    def _connect(self) -> smtplib.SMTP:
        if self.ssl:
            return smtplib.SMTP_SSL(self.host, self.port, timeout=self.timeout, context=self._context())
        return smtplib.SMTP(self.host, self.port, timeout=self.timeout)

    # -- errors --------------------------------------------------------------------------

    def _scrub(self, text: str) -> str:
        for secret in (self._password,):
            if secret:
                text = text.replace(secret, "***")
        return text[:500]

    def _error(self, e: Exception) -> DeliveryError:
        server = f"{self.host}:{self.port}"
        if isinstance(e, smtplib.SMTPAuthenticationError):
            return DeliveryError(
                self._scrub(f"SMTP login to {server} failed: {e.smtp_code} {_text(e.smtp_error)}"),
                hint="check email.username and email.password in config.yaml",
                retryable=False,
                code=str(e.smtp_code),
                status=e.smtp_code,
            )
        if isinstance(e, smtplib.SMTPNotSupportedError):
            return DeliveryError(
                self._scrub(f"{server} does not support what was asked: {e}"),
                hint="check email.starttls / email.ssl and the port (587 for STARTTLS, 465 for SSL), "
                "and that the server offers AUTH",
                retryable=False,
                code="not_supported",
            )
        if isinstance(e, smtplib.SMTPRecipientsRefused):
            codes = {a: c for a, (c, _) in e.recipients.items()}
            detail = "; ".join(f"{a}: {c} {_text(r)}" for a, (c, r) in e.recipients.items())
            retryable = bool(codes) and all(400 <= c < 500 for c in codes.values())
            return DeliveryError(
                self._scrub(f"{server} refused every recipient: {detail}"),
                hint=None if retryable else "check the email: destinations in config.yaml",
                retryable=retryable,
                code=str(max(codes.values(), default=0)),
                status=max(codes.values(), default=None),
            )
        if isinstance(e, smtplib.SMTPResponseException):
            code = e.smtp_code
            retryable = 400 <= code < 500 or code == -1
            what = "sender" if isinstance(e, smtplib.SMTPSenderRefused) else "message"
            return DeliveryError(
                self._scrub(f"{server} refused the {what}: {code} {_text(e.smtp_error)}"),
                hint="a temporary refusal; the message will be retried"
                if retryable
                else "the server refused it permanently: check email.sender and the recipients",
                retryable=retryable,
                code=str(code),
                status=code,
            )
        if isinstance(e, ssl_module.SSLCertVerificationError):
            return DeliveryError(
                self._scrub(f"TLS certificate of {server} not trusted: {e.verify_message}"),
                hint="check email.smtp_host (it must match the certificate's name)",
                retryable=False,
                code="tls_verify",
            )
        if isinstance(e, (smtplib.SMTPException, OSError, EOFError)):
            kind = "timed out" if isinstance(e, (socket.timeout, TimeoutError)) else "connection failed"
            return DeliveryError(
                self._scrub(f"SMTP {kind} to {server}: {type(e).__name__}: {e}"),
                hint="check email.smtp_host, email.smtp_port and the network; the message will be retried",
                retryable=True,
                code="connection_error",
            )
        return DeliveryError(
            self._scrub(f"sending mail via {server} failed: {type(e).__name__}: {e}"),
            retryable=False,
            code="error",
        )


def _text(reply: bytes | str) -> str:
    if isinstance(reply, bytes):
        reply = reply.decode("utf-8", "replace")
    return " ".join(reply.split())
