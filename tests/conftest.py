"""Shared fixtures. ``http_server``: a real HTTP server on 127.0.0.1, see tests/httpserver.py.

The server is started once per session and reset before each test (routes and request log
cleared), which keeps the suite fast while every test sees an empty server.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from briefbot.store import Store
from httpserver import TestHTTPServer  # tests/ is on sys.path (pytest's default rootdir/prepend mode)

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
