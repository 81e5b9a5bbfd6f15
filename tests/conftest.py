"""Shared fixtures. ``http_server``: a real HTTP server on 127.0.0.1, see tests/httpserver.py.

The server is started once per session and reset before each test (routes and request log
cleared), which keeps the suite fast while every test sees an empty server.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
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
