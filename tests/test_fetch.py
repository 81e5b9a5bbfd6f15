"""The fetcher against a real HTTP server on 127.0.0.1 (and local sources)."""

from __future__ import annotations

import gzip
import shutil
import ssl
import subprocess
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpcore
import pytest
from hypothesis import given
from hypothesis import strategies as st

from briefbot.errors import FetchError
from briefbot.ingest import fetch as fetch_module
from briefbot.ingest.fetch import Fetcher, is_public_address, parse_retry_after
from briefbot.ingest.local import read_local
from httpserver import Handler, TestHTTPServer, http_date

RSS = b'<?xml version="1.0"?><rss version="2.0"><channel><title>T</title></channel></rss>'


@pytest.fixture
def fetcher() -> Iterator[Fetcher]:
    """A fetcher that may talk to the test server (127.0.0.1) and nothing else private."""
    with Fetcher(timeout=2.0, max_bytes=100_000, allow_hosts=["127.0.0.1"]) as f:
        yield f


def fetch_error(fetcher: Fetcher, url: str, **kwargs: str) -> FetchError:
    with pytest.raises(FetchError) as info:
        fetcher.fetch(url, **kwargs)
    return info.value


# --------------------------------------------------------------------------- basics


def test_plain_fetch_sends_a_real_user_agent(http_server: TestHTTPServer, fetcher: Fetcher) -> None:
    http_server.route("/feed.xml", RSS, content_type="application/rss+xml; charset=utf-8")
    result = fetcher.fetch(http_server.url("/feed.xml"))
    assert result.status == 200 and result.body == RSS and not result.not_modified
    assert result.content_type == "application/rss+xml; charset=utf-8"
    assert result.url == http_server.url("/feed.xml")
    (seen,) = http_server.requests
    assert seen.headers["user-agent"].startswith("briefbot/0.1")
    assert "application/rss+xml" in seen.headers["accept"]


def test_second_conditional_fetch_is_304_without_body(http_server: TestHTTPServer, fetcher: Fetcher) -> None:
    modified = http_date(time.time() - 3600)
    http_server.route("/feed.xml", RSS, etag='"v1"', last_modified=modified)
    first = fetcher.fetch(http_server.url("/feed.xml"))
    assert first.etag == '"v1"' and first.last_modified == modified

    second = fetcher.fetch(http_server.url("/feed.xml"), etag=first.etag, last_modified=first.last_modified)
    assert second.not_modified and second.status == 304 and second.body == b""
    sent = http_server.requests[-1].headers
    assert sent["if-none-match"] == '"v1"' and sent["if-modified-since"] == modified


def test_last_modified_alone_gives_304(http_server: TestHTTPServer, fetcher: Fetcher) -> None:
    modified = http_date(time.time() - 3600)
    http_server.route("/feed.xml", RSS, last_modified=modified)
    assert fetcher.fetch(http_server.url("/feed.xml"), last_modified=modified).not_modified


def test_changed_etag_gives_the_new_body(http_server: TestHTTPServer, fetcher: Fetcher) -> None:
    http_server.route("/feed.xml", RSS, etag='"v2"')
    result = fetcher.fetch(http_server.url("/feed.xml"), etag='"v1"')
    assert not result.not_modified and result.body == RSS and result.etag == '"v2"'


def test_gzip_body_is_decoded(http_server: TestHTTPServer, fetcher: Fetcher) -> None:
    http_server.route("/feed.xml", gzip.compress(RSS), headers={"Content-Encoding": "gzip"})
    assert fetcher.fetch(http_server.url("/feed.xml")).body == RSS


# --------------------------------------------------------------------------- HTTP errors


def test_429_with_delta_retry_after(http_server: TestHTTPServer, fetcher: Fetcher) -> None:
    http_server.route("/feed.xml", b"slow down", status=429, headers={"Retry-After": "120"})
    err = fetch_error(fetcher, http_server.url("/feed.xml"))
    assert (err.kind, err.status, err.retry_after) == ("http", 429, 120.0)
    assert "429" in str(err) and err.hint


def test_503_with_http_date_retry_after(http_server: TestHTTPServer, fetcher: Fetcher) -> None:
    http_server.route("/feed.xml", status=503, headers={"Retry-After": http_date(time.time() + 300)})
    err = fetch_error(fetcher, http_server.url("/feed.xml"))
    assert err.kind == "http" and err.status == 503
    assert err.retry_after is not None and 290 <= err.retry_after <= 301


def test_404_is_an_http_error_without_retry_after(http_server: TestHTTPServer, fetcher: Fetcher) -> None:
    err = fetch_error(fetcher, http_server.url("/nothing-here"))
    assert (err.kind, err.status, err.retry_after) == ("http", 404, None)


def test_parse_retry_after() -> None:
    now = datetime(2026, 11, 1, 12, 0, tzinfo=UTC)
    assert parse_retry_after("30") == 30.0
    assert parse_retry_after("Sun, 01 Nov 2026 12:05:00 GMT", now=now) == 300.0
    assert parse_retry_after("Sun, 01 Nov 2026 11:00:00 GMT", now=now) == 0.0  # in the past
    assert parse_retry_after("99999999") == 24 * 3600.0
    assert (
        parse_retry_after((now + timedelta(days=9)).strftime("%a, %d %b %Y %H:%M:%S GMT"), now=now) == 86400.0
    )
    assert parse_retry_after("soon") is None
    assert parse_retry_after(None) is None


# --------------------------------------------------------------------------- timeouts and sizes


def test_server_slower_than_timeout(http_server: TestHTTPServer) -> None:
    def slow(h: Handler) -> None:
        http_server.sleep(3)
        h.respond(200, RSS)

    http_server.route("/slow", handler=slow)
    with Fetcher(timeout=0.5, allow_hosts=["127.0.0.1"]) as f:
        started = time.monotonic()
        err = fetch_error(f, http_server.url("/slow"))
    assert err.kind == "timeout" and "timed out" in str(err)
    assert time.monotonic() - started < 1.5


def test_trickling_body_hits_the_total_deadline(http_server: TestHTTPServer) -> None:
    """Each byte arrives well within the read timeout; only a total deadline stops this."""
    http_server.route("/trickle", handler=lambda h: h.stream((b"<" for _ in range(10_000)), delay=0.05))
    with Fetcher(timeout=0.6, allow_hosts=["127.0.0.1"]) as f:
        started = time.monotonic()
        err = fetch_error(f, http_server.url("/trickle"))
    assert err.kind == "timeout"
    assert time.monotonic() - started < 1.5


def test_trickling_headers_hit_the_total_deadline(http_server: TestHTTPServer) -> None:
    def trickle_headers(h: Handler) -> None:
        h.wfile.write(b"HTTP/1.1 200 OK\r\n")
        for _ in range(10_000):
            h.wfile.write(b"X-Pad: a\r\n")
            h.wfile.flush()
            if http_server.sleep(0.05):
                return

    http_server.route("/slow-headers", handler=trickle_headers)
    with Fetcher(timeout=0.6, allow_hosts=["127.0.0.1"]) as f:
        started = time.monotonic()
        err = fetch_error(f, http_server.url("/slow-headers"))
    assert err.kind == "timeout"
    assert time.monotonic() - started < 1.5


def test_declared_oversized_body_is_refused_before_download(http_server: TestHTTPServer) -> None:
    http_server.route("/big", b"x" * 5000)
    with Fetcher(max_bytes=1000, allow_hosts=["127.0.0.1"]) as f:
        err = fetch_error(f, http_server.url("/big"))
    assert err.kind == "too_large" and "5,000" in str(err)


def test_oversized_body_without_content_length(http_server: TestHTTPServer) -> None:
    http_server.route("/big", handler=lambda h: h.stream(b"x" * 500 for _ in range(100)))
    with Fetcher(max_bytes=1000, allow_hosts=["127.0.0.1"]) as f:
        err = fetch_error(f, http_server.url("/big"))
    assert err.kind == "too_large"


def test_gzip_bomb_is_stopped_at_the_limit(http_server: TestHTTPServer) -> None:
    bomb = gzip.compress(b"\0" * 5_000_000)
    assert len(bomb) < 10_000
    http_server.route("/bomb", bomb, headers={"Content-Encoding": "gzip"})
    with Fetcher(max_bytes=100_000, allow_hosts=["127.0.0.1"]) as f:
        err = fetch_error(f, http_server.url("/bomb"))
    assert err.kind == "too_large" and "decompresses" in str(err)


def test_body_at_exactly_the_limit_is_fine(http_server: TestHTTPServer) -> None:
    http_server.route("/edge", handler=lambda h: h.stream([b"y" * 600, b"y" * 400]))
    with Fetcher(max_bytes=1000, allow_hosts=["127.0.0.1"]) as f:
        assert len(f.fetch(http_server.url("/edge")).body) == 1000


# --------------------------------------------------------------------------- redirects and the address guard


def test_relative_redirect_is_followed(http_server: TestHTTPServer, fetcher: Fetcher) -> None:
    http_server.redirect("/old", "/new/feed.xml", status=301)
    http_server.route("/new/feed.xml", RSS)
    result = fetcher.fetch(http_server.url("/old"))
    assert result.body == RSS and result.url == http_server.url("/new/feed.xml")


@pytest.mark.parametrize("host", ["127.0.0.2", "localhost"])
def test_redirect_to_a_private_address_is_refused(
    http_server: TestHTTPServer, fetcher: Fetcher, host: str
) -> None:
    http_server.route("/secret", b"internal")
    http_server.redirect("/feed.xml", http_server.url("/secret", host=host))
    err = fetch_error(fetcher, http_server.url("/feed.xml"))
    assert err.kind == "blocked"
    assert str(err).startswith(f"redirect from {http_server.url('/feed.xml')} to http://{host}:")
    assert "private address" in str(err) and "allow_private" in str(err)
    assert [r.path for r in http_server.requests] == ["/feed.xml"]


def test_private_address_is_refused_before_any_request(http_server: TestHTTPServer) -> None:
    http_server.route("/feed.xml", RSS)
    with Fetcher() as f:
        err = fetch_error(f, http_server.url("/feed.xml"))
    assert err.kind == "blocked"
    assert str(err) == (
        f"refused to fetch {http_server.url('/feed.xml')}: 127.0.0.1 is a private address"
        " (hint: set network.allow_private: true to allow)"
    )
    assert http_server.requests == []


@pytest.mark.parametrize(
    "url",
    [
        "http://10.0.0.5/feed",
        "http://169.254.169.254/latest/meta-data/",
        "http://100.64.1.1/",
        "http://[::1]/",
        "http://[::ffff:192.168.0.1]/",
        "http://0.0.0.0/",
        "http://2130706433/",  # 127.0.0.1 written as a number
    ],
)
def test_private_literals_are_refused(url: str) -> None:
    with Fetcher(timeout=0.5) as f:
        err = fetch_error(f, url)
    assert err.kind == "blocked" and "private address" in err.message


def test_message_names_the_private_address() -> None:
    with Fetcher() as f:
        err = fetch_error(f, "http://10.0.0.5/feed")
    assert err.message == "refused to fetch http://10.0.0.5/feed: 10.0.0.5 is a private address"


def test_allow_private_lets_everything_through(http_server: TestHTTPServer) -> None:
    http_server.route("/feed.xml", RSS)
    with Fetcher(allow_private=True) as f:
        assert f.fetch(http_server.url("/feed.xml", host="localhost")).body == RSS


def test_dns_rebinding_cannot_redirect_the_connection(
    http_server: TestHTTPServer, fetcher: Fetcher, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The name looks public when checked, then would point at loopback when connecting: the host is
    resolved once per hop and the connection goes to the address that was vetted, never to a
    second answer (so the rebound 127.0.0.1 is never asked for, let alone contacted)."""
    answers = iter([["93.184.215.14"], ["127.0.0.1"]])
    lookups: list[str] = []

    def resolve(host: str, port: int) -> list[str]:
        lookups.append(host)
        return next(answers)

    connected: list[str] = []

    def connect_tcp(self: object, host: str, port: int, *a: object, **k: object) -> object:
        connected.append(host)
        raise httpcore.ConnectError("unreachable in tests")

    monkeypatch.setattr(fetch_module, "_getaddrinfo", resolve)
    monkeypatch.setattr(httpcore.SyncBackend, "connect_tcp", connect_tcp)
    http_server.route("/feed.xml", RSS)
    err = fetch_error(fetcher, http_server.url("/feed.xml", host="rebind.test"))
    assert lookups == ["rebind.test"]
    assert connected == ["93.184.215.14"]
    assert err.kind == "network"
    assert http_server.requests == []


def test_connect_outside_a_vetted_fetch_is_vetted_at_connect_time(monkeypatch: pytest.MonkeyPatch) -> None:
    """A connection the pool opens with no vetted answer at hand resolves and vets by itself."""
    monkeypatch.setattr(fetch_module, "_getaddrinfo", lambda host, port: ["127.0.0.1"])
    backend = fetch_module._GuardedBackend(fetch_module._AddressGuard(False, []))
    with pytest.raises(fetch_module._Blocked, match="rebind.test resolves to 127.0.0.1"):
        backend.connect_tcp("rebind.test", 80, timeout=1.0)


def test_vetted_addresses_are_per_host(monkeypatch: pytest.MonkeyPatch) -> None:
    """A vetted answer for one host is never used to connect to another."""
    monkeypatch.setattr(fetch_module, "_getaddrinfo", lambda host, port: ["127.0.0.1"])
    backend = fetch_module._GuardedBackend(fetch_module._AddressGuard(False, []))
    fetch_module._local.vetted = ("public.test", 80, ["93.184.215.14"])
    try:
        with pytest.raises(fetch_module._Blocked):
            backend.connect_tcp("other.test", 80, timeout=1.0)
    finally:
        fetch_module._local.vetted = None


def test_connection_goes_to_the_vetted_address(
    http_server: TestHTTPServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """We connect to the address we resolved, while the Host header keeps the name."""
    monkeypatch.setattr(fetch_module, "_getaddrinfo", lambda host, port: ["127.0.0.1"])
    http_server.route("/feed.xml", RSS)
    with Fetcher(allow_hosts=["feeds.test"]) as f:
        assert f.fetch(http_server.url("/feed.xml", host="feeds.test")).body == RSS
    assert http_server.requests[0].headers["host"] == f"feeds.test:{http_server.port}"


def test_unresolvable_host_is_a_network_error(monkeypatch: pytest.MonkeyPatch) -> None:
    def fail(host: str, port: int) -> list[str]:
        raise fetch_module.socket.gaierror(-2, "Name or service not known")

    monkeypatch.setattr(fetch_module, "_getaddrinfo", fail)
    with Fetcher() as f:
        err = fetch_error(f, "https://no-such-host.test/feed")
    assert err.kind == "network" and "could not resolve host no-such-host.test" in err.message


def test_redirect_loop_is_reported(http_server: TestHTTPServer, fetcher: Fetcher) -> None:
    http_server.redirect("/a", "/b")
    http_server.redirect("/b", "/a")
    err = fetch_error(fetcher, http_server.url("/a"))
    assert err.kind == "redirects" and "loop" in err.message


def test_redirect_limit(http_server: TestHTTPServer) -> None:
    for i in range(6):
        http_server.redirect(f"/r{i}", f"/r{i + 1}")
    http_server.route("/r6", RSS)
    with Fetcher(max_redirects=5, allow_hosts=["127.0.0.1"]) as f:
        err = fetch_error(f, http_server.url("/r0"))
    assert err.kind == "redirects" and "more than 5" in err.message
    assert len(http_server.requests) == 6
    with Fetcher(max_redirects=6, allow_hosts=["127.0.0.1"]) as f:
        assert f.fetch(http_server.url("/r0")).body == RSS


@pytest.mark.parametrize(
    "location",
    [
        "http://[::1",  # a broken IPv6 literal
        "http://xn--/feed.xml",  # an A-label the idna codec refuses
        "http://256.256.256.256/feed.xml",
        "http://a\x7fb/feed.xml",  # a control character
        "http://",  # an empty host (joining would quietly keep ours)
        "//",
        "http:///feed.xml",
        "http://:80/feed.xml",
        "http://user@:80/feed.xml",
    ],
)
def test_malformed_location_is_a_clear_fetch_error(
    http_server: TestHTTPServer, fetcher: Fetcher, location: str
) -> None:
    def broken(h: Handler) -> None:
        h.wfile.write(
            b"HTTP/1.1 302 Found\r\nLocation: " + location.encode() + b"\r\nContent-Length: 0\r\n\r\n"
        )

    http_server.route("/moved", handler=broken)
    err = fetch_error(fetcher, http_server.url("/moved"))
    assert err.kind == "redirects"
    assert "redirected to" in err.message and location.strip()[:8] in err.message
    assert err.hint and "broken redirect" in err.hint


@pytest.mark.parametrize("url", ["ftp://example.com/feed.xml", "file:///etc/passwd", "javascript:alert(1)"])
def test_non_http_schemes_are_refused(url: str) -> None:
    with Fetcher() as f:
        err = fetch_error(f, url)
    assert err.kind == "blocked" and "only http and https" in err.message


def test_redirect_to_file_url_is_refused(http_server: TestHTTPServer, fetcher: Fetcher) -> None:
    http_server.redirect("/feed.xml", "file:///etc/passwd")
    err = fetch_error(fetcher, http_server.url("/feed.xml"))
    assert err.kind == "blocked" and err.message.startswith("redirect from")


@given(
    st.ip_addresses(network="10.0.0.0/8")
    | st.ip_addresses(network="192.168.0.0/16")
    | st.ip_addresses(network="127.0.0.0/8")
    | st.ip_addresses(network="fc00::/7")
    | st.ip_addresses(network="fe80::/10")
    | st.ip_addresses(network="100.64.0.0/10")
)
def test_private_ranges_are_never_public(ip: object) -> None:
    assert not is_public_address(str(ip))


def test_public_addresses_are_public() -> None:
    assert is_public_address("93.184.215.14") and is_public_address("2a00:1450:4001:80b::200e")
    assert not is_public_address("224.0.0.251")  # multicast counts as "global" in ipaddress
    assert not is_public_address("64:ff9b::a00:1")  # NAT64 of 10.0.0.1
    assert not is_public_address("not an ip")


# --------------------------------------------------------------------------- politeness


def test_per_host_concurrency_cap(http_server: TestHTTPServer) -> None:
    lock = threading.Lock()
    state = {"now": 0, "max": 0}

    def counted(h: Handler) -> None:
        with lock:
            state["now"] += 1
            state["max"] = max(state["max"], state["now"])
        http_server.sleep(0.15)
        with lock:
            state["now"] -= 1
        h.respond(200, RSS)

    http_server.route("/feed.xml", handler=counted)
    with Fetcher(per_host=2, allow_hosts=["127.0.0.1"]) as f, ThreadPoolExecutor(6) as pool:
        results = list(pool.map(lambda i: f.fetch(http_server.url(f"/feed.xml?n={i}")), range(6)))
    assert all(r.body == RSS for r in results)
    assert state["max"] == 2


# --------------------------------------------------------------------------- local sources


def test_local_folder_sorted_and_typed(tmp_path: Path) -> None:
    (tmp_path / "b.html").write_text("<html><body>page</body></html>")
    (tmp_path / "a.xml").write_bytes(RSS)
    (tmp_path / "c.txt").write_text("plain")
    (tmp_path / "d.png").write_bytes(b"\x89PNG")
    (tmp_path / ".hidden.xml").write_bytes(RSS)
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "e.xml").write_bytes(RSS)
    docs = read_local(tmp_path)
    assert [(d.path.name, d.kind) for d in docs] == [("a.xml", "feed"), ("b.html", "page"), ("c.txt", "text")]
    assert docs[0].body == RSS


def test_local_file_url_and_sniffing(tmp_path: Path) -> None:
    target = tmp_path / "export.dat"
    target.write_bytes(b"<!DOCTYPE html><html><p>hi</p></html>")
    (doc,) = read_local(target.as_uri())
    assert doc.kind == "page" and doc.path == target


def test_local_missing_path(tmp_path: Path) -> None:
    with pytest.raises(FetchError) as info:
        read_local(tmp_path / "nope.xml")
    assert info.value.kind == "not_found" and "does not exist" in info.value.message


def test_local_size_cap(tmp_path: Path) -> None:
    (tmp_path / "big.xml").write_bytes(b"x" * 2000)
    with pytest.raises(FetchError) as info:
        read_local(tmp_path, max_bytes=1000)
    assert info.value.kind == "too_large"


# --------------------------------------------------------------------------- HTTPS (guarded transport)


@pytest.fixture(scope="module")
def tls_files(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A throwaway self-signed certificate for feeds.test (needs the openssl command)."""
    if shutil.which("openssl") is None:
        pytest.skip("openssl is not installed")
    folder = tmp_path_factory.mktemp("tls")
    cert, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=feeds.test",
         "-addext", "subjectAltName=DNS:feeds.test", "-keyout", str(key), "-out", str(cert)],
        check=True, capture_output=True,
    )  # fmt: skip
    return cert, key


def test_https_connects_to_vetted_address_and_verifies_the_name(
    tls_files: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    """TLS goes to the vetted IP while SNI and certificate checks use the host name."""
    cert, key = tls_files
    server_ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    server_ctx.load_cert_chain(cert, key)
    monkeypatch.setattr(fetch_module, "_getaddrinfo", lambda host, port: ["127.0.0.1"])
    monkeypatch.setattr(
        fetch_module.httpx, "create_ssl_context", lambda **kw: ssl.create_default_context(cafile=str(cert))
    )
    with TestHTTPServer(ssl_context=server_ctx) as server:
        server.route("/feed.xml", RSS)
        with Fetcher(allow_hosts=["feeds.test", "wrong.test"], timeout=3) as f:
            assert f.fetch(server.url("/feed.xml", host="feeds.test")).body == RSS
            err = fetch_error(f, server.url("/feed.xml", host="wrong.test"))  # certificate is for feeds.test
            assert err.kind == "network"
