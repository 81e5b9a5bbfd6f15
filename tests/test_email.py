"""Email delivery against a real SMTP server on 127.0.0.1 (tests/smtpserver.py, aiosmtpd)."""

from __future__ import annotations

import shutil
import ssl
import subprocess
from datetime import UTC, datetime
from email.message import EmailMessage
from pathlib import Path

import pytest

from briefbot.deliver import DeliveryError, EmailSender, build_message
from briefbot.deliver.email import clean_header
from smtpserver import SMTPServer, free_port

SENDER = "Briefbot Café <brief@example.org>"
HTML = """<!doctype html><html><head><style>
  h1 { color: #123456; font-size: 20px }
  .quote { font-style: italic }
</style></head><body><h1>Morning</h1><p class="quote">“It is on all of us.”</p></body></html>"""
# aiosmtpd warns about AUTH without TLS; the plain-text AUTH tests mean it (loopback only).
pytestmark = pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS")

TEXT = "Morning\n\n“It is on all of us.” — Zoë Müller\n"


def plain_sender(port: int, **kw: object) -> EmailSender:
    return EmailSender("127.0.0.1", port, starttls=False, sender=SENDER, timeout=5, **kw)  # type: ignore[arg-type]


def digest(subject: str = "Morning briefing", to: list[str] | None = None) -> EmailMessage:
    return build_message(
        subject,
        TEXT,
        HTML,
        to or ["Zoë Müller <zoe@example.org>", "ops@example.org"],
        SENDER,
        "<digest-morning-20261129@briefbot>",
        list_unsubscribe="mailto:unsubscribe@example.org?subject=morning, https://brief.example.org/u/abc",
        date=datetime(2026, 11, 29, 7, 30, tzinfo=UTC),
    )


def test_mime_structure_and_inlined_css(smtp: SMTPServer) -> None:
    msg = digest()
    result = plain_sender(smtp.port).send(msg)
    assert result.accepted == ["zoe@example.org", "ops@example.org"] and result.refused == {}
    assert result.message_id == "<digest-morning-20261129@briefbot>"
    got = smtp.messages[0]
    assert got.mail_from == "brief@example.org"
    assert got.rcpt_tos == ["zoe@example.org", "ops@example.org"]
    m = got.message
    assert m.get_content_type() == "multipart/alternative"
    parts = list(m.iter_parts())
    assert [p.get_content_type() for p in parts] == ["text/plain", "text/html"]
    assert all(p.get_content_charset() == "utf-8" for p in parts)
    assert parts[0].get_content().replace("\r\n", "\n") == TEXT
    html = parts[1].get_content()
    assert "<style" not in html.lower()
    assert '<h1 style="color: #123456;font-size: 20px;">' in html
    assert "font-style: italic" in html and "“It is on all of us.”" in html


def test_headers(smtp: SMTPServer) -> None:
    plain_sender(smtp.port).send(digest())
    m = smtp.messages[0].message
    assert m["Subject"] == "Morning briefing"
    assert m["Message-ID"] == "<digest-morning-20261129@briefbot>"
    assert m["List-Unsubscribe"] == (
        "<mailto:unsubscribe@example.org?subject=morning>, <https://brief.example.org/u/abc>"
    )
    assert m["Date"] == "Sun, 29 Nov 2026 07:30:00 +0000"
    assert m["Auto-Submitted"] == "auto-generated"
    # non-ASCII display names survive the trip (RFC 2047 encoded on the wire)
    assert m["From"].addresses[0].display_name == "Briefbot Café"
    assert m["To"].addresses[0].display_name == "Zoë Müller"
    raw_headers = smtp.messages[0].data.split(b"\r\n\r\n", 1)[0]
    assert raw_headers.isascii()


def test_subject_cannot_inject_headers(smtp: SMTPServer) -> None:
    title = "Minister resigns\r\nBcc: victim@example.net\nX-Evil: 1\u2028more"
    plain_sender(smtp.port).send(digest(subject=title))
    got = smtp.messages[0]
    assert got.message["Subject"] == "Minister resigns Bcc: victim@example.net X-Evil: 1 more"
    assert got.message["Bcc"] is None and got.message["X-Evil"] is None
    assert "victim@example.net" not in got.rcpt_tos


def test_header_length_is_bounded() -> None:
    msg = build_message("word " * 500, "t", None, ["a@example.org"], SENDER, "<x@briefbot>")
    assert len(str(msg["Subject"])) <= 200 and str(msg["Subject"]).endswith("…")
    assert msg.get_content_type() == "text/plain"  # no html: a plain message
    assert clean_header("a\tb\r\n\r\nc\x00d") == "a b c d"
    with pytest.raises(ValueError):
        build_message("s", "t", None, ["not an address"], SENDER, "<x@briefbot>")
    with pytest.raises(ValueError):
        build_message("s", "t", None, ["a@example.org\r\nBcc: b@example.org"], SENDER, "<x@briefbot>")
    with pytest.raises(ValueError):
        build_message("s", "t", None, ["a@example.org Bcc: b@example.org"], SENDER, "<x@briefbot>")


def test_auth_login() -> None:
    with SMTPServer(auth={"bot": "pa55-w0rd"}) as smtp:
        plain_sender(smtp.port, username="bot", password="pa55-w0rd").send(digest())
        assert smtp.messages[0].login == "bot"

        with pytest.raises(DeliveryError) as ei:
            plain_sender(smtp.port, username="bot", password="wrong-secret").send(digest())
        err = ei.value
        assert not err.retryable and err.status == 535
        assert "email.password" in (err.hint or "")
        assert "wrong-secret" not in str(err) and "wrong-secret" not in repr(err)

        with pytest.raises(DeliveryError) as ei:  # the server requires AUTH
            plain_sender(smtp.port).send(digest())
        assert not ei.value.retryable and ei.value.status == 530


def test_no_password_over_plaintext_to_remote_host() -> None:
    sender = EmailSender("smtp.example.org", 25, starttls=False, username="u", password="p", sender=SENDER)
    with pytest.raises(DeliveryError) as ei:
        sender.send(digest())
    assert ei.value.code == "insecure_auth" and "starttls" in (ei.value.hint or "")


def test_temporary_failure_is_retryable(smtp: SMTPServer) -> None:
    smtp.fail_next(451)
    with pytest.raises(DeliveryError) as ei:
        plain_sender(smtp.port).send(digest())
    assert ei.value.retryable and ei.value.status == 451
    plain_sender(smtp.port).send(digest())
    assert len(smtp.messages) == 1


def test_permanent_failure_is_not_retryable(smtp: SMTPServer) -> None:
    smtp.fail_next(550)
    with pytest.raises(DeliveryError) as ei:
        plain_sender(smtp.port).send(digest())
    assert not ei.value.retryable and ei.value.status == 550 and ei.value.code == "550"


def test_some_recipients_refused(smtp: SMTPServer) -> None:
    smtp.refuse_rcpt["ops@example.org"] = "550 5.1.1 No such user"
    result = plain_sender(smtp.port).send(digest())
    assert result.accepted == ["zoe@example.org"]
    assert result.refused["ops@example.org"].startswith("550")
    smtp.refuse_rcpt["zoe@example.org"] = "450 4.2.1 Mailbox busy"
    smtp.refuse_rcpt["ops@example.org"] = "450 4.2.1 Mailbox busy"
    with pytest.raises(DeliveryError) as ei:
        plain_sender(smtp.port).send(digest())
    assert ei.value.retryable


def test_starttls_not_offered_is_a_config_problem(smtp: SMTPServer) -> None:
    sender = EmailSender("127.0.0.1", smtp.port, starttls=True, sender=SENDER, timeout=5)
    with pytest.raises(DeliveryError) as ei:
        sender.send(digest())
    assert not ei.value.retryable and "starttls" in (ei.value.hint or "")
    assert smtp.messages == []


def test_connection_refused_is_retryable() -> None:
    with pytest.raises(DeliveryError) as ei:
        plain_sender(free_port()).send(digest())
    assert ei.value.retryable and ei.value.code == "connection_error"


@pytest.fixture(scope="module")
def cert(tmp_path_factory: pytest.TempPathFactory) -> tuple[str, str]:
    if shutil.which("openssl") is None:
        pytest.skip("openssl is needed to make a test certificate")
    d: Path = tmp_path_factory.mktemp("tls")
    cert, key = d / "cert.pem", d / "key.pem"
    subprocess.run(
        [
            "openssl",
            "req",
            "-x509",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:prime256v1",
            "-nodes",
            "-keyout",
            str(key),
            "-out",
            str(cert),
            "-days",
            "2",
            "-subj",
            "/CN=localhost",
            "-addext",
            "subjectAltName=IP:127.0.0.1,DNS:localhost",
        ],
        check=True,
        capture_output=True,
        timeout=30,
    )
    return str(cert), str(key)


def test_starttls_then_login(cert: tuple[str, str]) -> None:
    with SMTPServer(auth={"bot": "s3cret"}, tls=cert) as smtp:
        ctx = ssl.create_default_context(cafile=cert[0])
        sender = EmailSender(
            "127.0.0.1",
            smtp.port,
            starttls=True,
            username="bot",
            password="s3cret",
            sender=SENDER,
            timeout=5,
            ssl_context=ctx,
        )
        sender.send(digest())
        assert smtp.messages[0].tls and smtp.messages[0].login == "bot"

        untrusted = EmailSender(
            "127.0.0.1", smtp.port, starttls=True, username="bot", password="s3cret", sender=SENDER, timeout=5
        )
        with pytest.raises(DeliveryError) as ei:
            untrusted.send(digest())
        assert not ei.value.retryable and ei.value.code == "tls_verify"
