"""Shared fixtures: real peers on 127.0.0.1 and real databases.

``http_server`` (tests/httpserver.py), ``slack`` (tests/slackserver.py) and ``smtp``
(tests/smtpserver.py) are started once per session and reset before each test, which keeps
the suite fast while every test sees an empty server. ``db_url``/``store`` run a test on
SQLite and on the local PostgreSQL (skipped, with the reason, where none answers).
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from briefbot.store import Store

# tests/ is on sys.path (pytest's default rootdir/prepend mode)
from httpserver import TestHTTPServer
from slackserver import SlackServer
from smtpserver import SMTPServer

FIXTURES = Path(__file__).parent / "fixtures"


@pytest.fixture(scope="session")
def _http_server_session() -> Iterator[TestHTTPServer]:
    with TestHTTPServer() as server:
        yield server


@pytest.fixture
def http_server(_http_server_session: TestHTTPServer) -> Iterator[TestHTTPServer]:
    """The session's server, emptied for this test."""
    _http_server_session.reset()
    yield _http_server_session
    _http_server_session.reset()


@pytest.fixture
def feed_fixture() -> FeedFixtures:
    return FeedFixtures(FIXTURES / "feeds")


class FeedFixtures:
    """Reads files under tests/fixtures/feeds as bytes."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def __call__(self, name: str) -> bytes:
        return (self.root / name).read_bytes()


# -- databases: every store test runs on SQLite and on the PostgreSQL this machine runs --
PG_URL = os.environ.get("BRIEFBOT_TEST_PG", "postgresql+psycopg://postgres@127.0.0.1:5432/test")


def pg_reason() -> str | None:
    try:
        import psycopg  # noqa: F401
    except ImportError:
        return "psycopg is not installed (pip install 'briefbot[postgres]')"
    try:
        eng = create_engine(PG_URL, connect_args={"connect_timeout": 3})
        with eng.connect() as conn:
            conn.execute(text("select 1"))
        eng.dispose()
    except Exception as e:  # noqa: BLE001
        return f"no PostgreSQL reachable at {PG_URL} ({type(e).__name__}); set BRIEFBOT_TEST_PG to test it"
    return None


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A fresh empty database: a SQLite file, or a private schema in PostgreSQL."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'bb.db'}"
        return
    reason = pg_reason()
    if reason:
        pytest.skip(reason)
    schema = f"bbtest_{uuid.uuid4().hex[:10]}"
    admin = create_engine(PG_URL)
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    sep = "&" if "?" in PG_URL else "?"
    try:
        yield f"{PG_URL}{sep}options=-csearch_path%3D{schema}"
    finally:
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


@pytest.fixture
def store(db_url: str) -> Iterator[Store]:
    s = Store.open(db_url)
    yield s
    s.close()


# -- delivery peers: a Slack-API-compatible server and an SMTP server on 127.0.0.1 ----------
@pytest.fixture(scope="session")
def _slack_session() -> Iterator[SlackServer]:
    with SlackServer() as server:
        yield server


@pytest.fixture
def slack(_slack_session: SlackServer) -> Iterator[SlackServer]:
    """The session's Slack server (token ``xoxb-test-token-0123456789``), emptied for this test."""
    _slack_session.reset()
    yield _slack_session
    _slack_session.reset()


@pytest.fixture(scope="session")
def _smtp_session() -> Iterator[SMTPServer]:
    with SMTPServer() as server:
        yield server


@pytest.fixture
def smtp(_smtp_session: SMTPServer) -> Iterator[SMTPServer]:
    """The session's SMTP server (aiosmtpd), emptied for this test."""
    _smtp_session.reset()
    yield _smtp_session
    _smtp_session.reset()
