"""A real HTTP server on 127.0.0.1 that tests program per path.

Why real: the fetcher's limits (timeouts, trickling, size caps, redirects, conditional GET)
live in sockets and headers; a mock transport would test our assumptions about httpx, not
the behaviour a user meets.

Use through the ``http_server`` pytest fixture (tests/conftest.py). One server runs for the
whole session (a free port, a background thread); the fixture *resets* it before each test:
routes and the request log are cleared and any handler still sleeping via ``server.sleep``
is woken. So every test starts from an empty server and must add its own routes.

    def test_x(http_server):
        http_server.route("/feed.xml", body=b"<rss/>", content_type="application/rss+xml",
                          etag='"v1"')
        http_server.redirect("/old", "/feed.xml")
        http_server.route("/slow", handler=lambda h: (http_server.sleep(2), h.respond(200, b"late")))
        url = http_server.url("/feed.xml")
        ...
        assert http_server.requests[0].headers["user-agent"].startswith("briefbot/")

Static routes answer 304 to a matching If-None-Match (or, without one, to an
If-Modified-Since not older than ``last_modified``). A ``handler`` gets the live
``Handler`` (a ``BaseHTTPRequestHandler``) and writes the whole response itself; ``respond``
is a shortcut for the common case. Unknown paths answer 404. The server speaks HTTP/1.1;
a handler that sends no Content-Length must send ``Connection: close`` (``respond`` and
``stream`` do this right).
"""

from __future__ import annotations

import email.utils
import ssl
import threading
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Self

__all__ = ["Handler", "LoggedRequest", "Route", "TestHTTPServer", "http_date"]


@dataclass(frozen=True)
class LoggedRequest:
    """One request as the server saw it; header names are lower-case."""

    method: str
    path: str
    headers: dict[str, str]


@dataclass
class Route:
    status: int = 200
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)
    etag: str | None = None
    last_modified: str | None = None
    handler: Callable[[Handler], Any] | None = None


class Handler(BaseHTTPRequestHandler):
    """Serves routes from ``self.server.app`` (the owning TestHTTPServer)."""

    protocol_version = "HTTP/1.1"
    server: _Server

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet: the request log is kept in memory for assertions instead."""

    def do_GET(self) -> None:
        self._serve()

    def do_HEAD(self) -> None:
        self._serve()

    def do_POST(self) -> None:
        self._serve()

    @property
    def app(self) -> TestHTTPServer:
        return self.server.app

    def respond(
        self,
        status: int = 200,
        body: bytes = b"",
        headers: Mapping[str, str] | None = None,
    ) -> None:
        """Send a complete response with a Content-Length."""
        self.send_response(status)
        names = {k.lower() for k in (headers or {})}
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        if "content-length" not in names and status != 304 and status >= 200:
            self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if body and self.command != "HEAD" and status != 304:
            self.wfile.write(body)
            self.wfile.flush()

    def stream(
        self,
        chunks: Iterable[bytes],
        *,
        status: int = 200,
        headers: Mapping[str, str] | None = None,
        delay: float = 0.0,
    ) -> None:
        """Send a body of unknown length (no Content-Length, closed at the end), chunk by chunk.

        Stops quietly when the client goes away or the server is reset.
        """
        self.send_response(status)
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.send_header("Connection", "close")
        self.end_headers()
        self.close_connection = True
        cancelled = self.app._cancel
        try:
            for chunk in chunks:
                self.wfile.write(chunk)
                self.wfile.flush()
                if delay and cancelled.wait(delay):
                    return
        except (BrokenPipeError, ConnectionResetError):
            return

    def _serve(self) -> None:
        app = self.app
        headers = {k.lower(): v for k, v in self.headers.items()}
        app._log(LoggedRequest(self.command, self.path, headers))
        route = app._routes.get(self.path) or app._routes.get(self.path.split("?", 1)[0])
        if route is None:
            self.respond(404, b"not found", {"Content-Type": "text/plain"})
            return
        if route.handler is not None:
            try:
                route.handler(self)
            except (BrokenPipeError, ConnectionResetError):
                self.close_connection = True
            return
        out = dict(route.headers)
        if route.etag:
            out["ETag"] = route.etag
        if route.last_modified:
            out["Last-Modified"] = route.last_modified
        if _not_modified(route, headers):
            self.respond(304, b"", out)
            return
        self.respond(route.status, route.body, out)


def _not_modified(route: Route, headers: Mapping[str, str]) -> bool:
    inm = headers.get("if-none-match")
    if inm is not None:
        if not route.etag:
            return False
        tags = {t.strip().removeprefix("W/") for t in inm.split(",")}
        return "*" in tags or route.etag.removeprefix("W/") in tags
    ims = headers.get("if-modified-since")
    if ims and route.last_modified:
        try:
            since = email.utils.parsedate_to_datetime(ims)
            modified = email.utils.parsedate_to_datetime(route.last_modified)
        except (TypeError, ValueError):
            return False
        return modified <= since
    return False


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False
    app: TestHTTPServer

    def handle_error(self, request: Any, client_address: Any) -> None:
        """Clients hanging up mid-response are expected here (timeouts, size caps)."""


class TestHTTPServer:
    """A programmable threaded HTTP server on 127.0.0.1 with a free port."""

    __test__ = False  # not a pytest test class

    def __init__(self, host: str = "127.0.0.1", ssl_context: ssl.SSLContext | None = None) -> None:
        self._server = _Server((host, 0), Handler)
        if ssl_context is not None:  # HTTPS: url() then needs scheme="https"
            self._server.socket = ssl_context.wrap_socket(self._server.socket, server_side=True)
        self.scheme = "https" if ssl_context is not None else "http"
        self._server.app = self
        self.host = host
        self.port: int = self._server.server_address[1]
        self._routes: dict[str, Route] = {}
        self._requests: list[LoggedRequest] = []
        self._lock = threading.Lock()
        self._cancel = threading.Event()
        self._thread: threading.Thread | None = None

    # -- lifecycle

    def start(self) -> Self:
        self._thread = threading.Thread(target=self._server.serve_forever, name="test-http", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._cancel.set()
        self._server.shutdown()
        self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def reset(self) -> None:
        """Forget routes and requests; wake handlers sleeping from an earlier test."""
        with self._lock:
            self._cancel.set()
            self._cancel = threading.Event()
            self._routes = {}
            self._requests = []

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -- programming

    def url(self, path: str = "/", host: str | None = None) -> str:
        """Absolute URL for ``path``; ``host`` swaps the host part (e.g. "localhost")."""
        return f"{self.scheme}://{host or self.host}:{self.port}{path}"

    def route(
        self,
        path: str,
        body: bytes | str = b"",
        *,
        status: int = 200,
        headers: Mapping[str, str] | None = None,
        content_type: str | None = None,
        etag: str | None = None,
        last_modified: str | None = None,
        handler: Callable[[Handler], Any] | None = None,
    ) -> None:
        """Serve ``path`` (with or without a query string: exact match first)."""
        data = body.encode("utf-8") if isinstance(body, str) else body
        hdrs = dict(headers or {})
        if content_type:
            hdrs["Content-Type"] = content_type
        with self._lock:
            self._routes[path] = Route(status, data, hdrs, etag, last_modified, handler)

    def redirect(self, path: str, to: str, status: int = 302) -> None:
        """``path`` answers ``status`` with ``Location: to`` (relative or absolute)."""
        self.route(path, status=status, headers={"Location": to})

    def sleep(self, seconds: float) -> bool:
        """Sleep inside a handler; returns early (True) when the server is reset or stopped."""
        return self._cancel.wait(seconds)

    # -- inspection

    @property
    def requests(self) -> list[LoggedRequest]:
        with self._lock:
            return list(self._requests)

    def requests_for(self, path: str) -> list[LoggedRequest]:
        return [r for r in self.requests if r.path == path or r.path.split("?", 1)[0] == path]

    def _log(self, request: LoggedRequest) -> None:
        with self._lock:
            self._requests.append(request)


def http_date(ts: float | None = None) -> str:
    """An RFC 7231 date for Last-Modified / Retry-After headers."""
    return email.utils.formatdate(time.time() if ts is None else ts, usegmt=True)
