"""The only HTTP client for sources: conditional GET, hard limits, and a private-address guard.

Why it is this careful: a news bot fetches URLs that users paste into a config, and follows
redirects that remote servers choose. Without limits one slow or hostile server can hold a
worker forever or fill memory; without the address guard a feed URL (or a redirect) can make
the bot read services on its own network (cloud metadata at 169.254.169.254, an admin panel
on 10.0.0.1, ...).

Design:
- sync ``httpx.Client`` (the poller runs fetches from a small thread pool);
- redirects are followed by hand so that every hop is checked;
- the host is resolved and vetted *before* a request is sent, once per hop, and -- when
  briefbot builds the transport itself -- a new connection goes only to one of the addresses
  that vetting returned (handed to the connecting code on this thread, not resolved again).
  That closes the DNS-rebinding gap (a name that resolves to a public address for the check
  and to 127.0.0.1 for the connection). A connection made outside a vetted fetch resolves and
  vets at connect time. A caller that passes its own ``transport`` keeps the pre-request
  check only;
- a total deadline per fetch is enforced on every socket read, so a server that trickles a
  byte at a time (in the headers or the body) still times out;
- the body is decompressed by us, bounded, so a small gzip bomb cannot expand past
  ``max_bytes``;
- a semaphore per host keeps many sources on one site from hammering it.

Environment proxies (HTTP_PROXY, ...) are deliberately ignored: a proxy would make the
address guard meaningless.
"""

from __future__ import annotations

import email.utils
import ipaddress
import socket
import threading
import time
import typing
import zlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from types import TracebackType
from urllib.parse import urlsplit

import httpcore
import httpx

from briefbot.errors import FetchError

if typing.TYPE_CHECKING:
    from briefbot.config import NetworkConfig

__all__ = [
    "FEED_ACCEPT",
    "PAGE_ACCEPT",
    "FetchResult",
    "Fetcher",
    "fetcher_from_config",
    "is_public_address",
    "parse_retry_after",
]

FEED_ACCEPT = (
    "application/rss+xml, application/atom+xml, application/feed+json, application/rdf+xml;q=0.9, "
    "application/xml;q=0.9, text/xml;q=0.9, application/json;q=0.8, text/html;q=0.5, */*;q=0.1"
)
PAGE_ACCEPT = "text/html, application/xhtml+xml;q=0.9, */*;q=0.1"

_REDIRECT_CODES = frozenset({301, 302, 303, 307, 308})
# Where _hide_location puts a redirect's Location header (see there).
_LOCATION = "briefbot.location"
_BAD_REDIRECT_HINT = (
    "the site sends a broken redirect; use the address it should lead to, or tell the site's owner"
)
_MAX_RETRY_AFTER = 24 * 3600.0
_ALLOW_HINT = "set network.allow_private: true to allow"


@dataclass(frozen=True)
class FetchResult:
    """What one fetch returned. ``body`` is b"" when the server said 304 Not Modified."""

    url: str
    status: int
    body: bytes
    content_type: str | None
    etag: str | None
    last_modified: str | None
    not_modified: bool
    elapsed: float


# --------------------------------------------------------------------------- address guard


class _Blocked(Exception):
    """Raised by the guard (also from inside the transport) when an address is refused."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def _getaddrinfo(host: str, port: int) -> list[str]:
    """Resolve ``host`` to its addresses; a module-level seam so tests can fake DNS."""
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    seen: list[str] = []
    for info in infos:
        addr = str(info[4][0])
        if addr not in seen:
            seen.append(addr)
    return seen


_NAT64 = ipaddress.ip_network("64:ff9b::/96")


def is_public_address(address: str) -> bool:
    """True when ``address`` (an IP literal) is a globally routable unicast address.

    ``not is_global`` already covers loopback, RFC 1918, link-local, CGNAT 100.64/10,
    unspecified, documentation and most reserved ranges; multicast is checked on its own
    because Python counts 224/4 as global. IPv6 forms that embed an IPv4 address
    (mapped, 6to4, Teredo, NAT64) are judged by the IPv4 address inside.
    """
    try:
        ip = ipaddress.ip_address(address.split("%", 1)[0])
    except ValueError:
        return False
    if isinstance(ip, ipaddress.IPv6Address):
        embedded: ipaddress.IPv4Address | None = ip.ipv4_mapped or ip.sixtofour
        if embedded is None and ip.teredo is not None:
            embedded = ip.teredo[1]
        if embedded is None and ip in _NAT64:
            embedded = ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
        if embedded is not None and not is_public_address(str(embedded)):
            return False
    return bool(
        ip.is_global
        and not ip.is_multicast
        and not ip.is_reserved
        and not ip.is_loopback
        and not ip.is_link_local
        and not ip.is_private
        and not ip.is_unspecified
    )


class _AddressGuard:
    """Decides whether a host may be contacted; shared by the pre-check and the transport."""

    def __init__(self, allow_private: bool, allow_hosts: Iterable[str]) -> None:
        self.allow_private = allow_private
        self.allow_hosts = frozenset(h.strip().strip("[]").lower() for h in allow_hosts if h.strip())

    def exempt(self, host: str) -> bool:
        return self.allow_private or host.strip("[]").lower() in self.allow_hosts

    def vet(self, host: str, port: int) -> list[str]:
        """Resolve ``host`` and return its addresses, or raise _Blocked if any is not public.

        Refusing when *any* address is private (not just the first) matters: an attacker's
        name can return one public and one private address and let the OS pick.
        """
        bare = host.strip("[]")
        try:
            addresses = _getaddrinfo(bare, port)
        except (socket.gaierror, UnicodeError) as exc:
            raise _Resolve(f"could not resolve host {bare}: {exc}") from exc
        if not addresses:
            raise _Resolve(f"could not resolve host {bare}: no addresses")
        if self.exempt(bare):
            return addresses
        for address in addresses:
            if not is_public_address(address):
                if address == bare:
                    raise _Blocked(f"{bare} is a private address")
                raise _Blocked(f"{bare} resolves to {address}, a private address")
        return addresses


class _Resolve(Exception):
    """DNS failure; reported as a network error, not as a refusal."""


# --------------------------------------------------------------------------- transport

# The deadline of the fetch running on this thread; read by _DeadlineStream so that a
# server trickling bytes (even inside the headers) cannot outlive the total timeout.
_local = threading.local()


def _remaining(timeout: float | None) -> float | None:
    deadline: float | None = getattr(_local, "deadline", None)
    if deadline is None:
        return timeout
    left = deadline - time.monotonic()
    if left <= 0:
        return 0.0
    return left if timeout is None else min(timeout, left)


class _DeadlineStream(httpcore.NetworkStream):
    """Wraps a socket stream so that each read/write gets at most the time left."""

    def __init__(self, inner: httpcore.NetworkStream) -> None:
        self._inner = inner

    def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        left = _remaining(timeout)
        if left == 0.0:
            raise httpcore.ReadTimeout("total deadline exceeded")
        return self._inner.read(max_bytes, left)

    def write(self, buffer: bytes, timeout: float | None = None) -> None:
        left = _remaining(timeout)
        if left == 0.0:
            raise httpcore.WriteTimeout("total deadline exceeded")
        self._inner.write(buffer, left)

    def close(self) -> None:
        self._inner.close()

    def start_tls(
        self,
        ssl_context: typing.Any,
        server_hostname: str | None = None,
        timeout: float | None = None,
    ) -> httpcore.NetworkStream:
        return _DeadlineStream(self._inner.start_tls(ssl_context, server_hostname, _remaining(timeout)))

    def get_extra_info(self, info: str) -> typing.Any:
        return self._inner.get_extra_info(info)


class _GuardedBackend(httpcore.NetworkBackend):
    """Connects only to addresses vetted a moment ago (closes the DNS-rebinding gap).

    TLS still verifies against the hostname: httpcore passes the origin's hostname as SNI
    and for certificate checks, independent of the address we connect to.
    """

    def __init__(self, guard: _AddressGuard) -> None:
        self._guard = guard
        self._backend = httpcore.SyncBackend()

    def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: typing.Iterable[typing.Any] | None = None,
    ) -> httpcore.NetworkStream:
        timeout = _remaining(timeout)
        if timeout == 0.0:
            raise httpcore.ConnectTimeout("total deadline exceeded")
        vetted = getattr(_local, "vetted", None)
        if vetted is not None and vetted[0] == host.strip("[]").lower() and vetted[1] == port:
            targets = vetted[2]  # resolved and vetted by this fetch's hop a moment ago: no second lookup
        else:
            try:
                targets = self._guard.vet(host, port)
            except _Resolve as exc:
                raise httpcore.ConnectError(str(exc)) from exc
        last: Exception | None = None
        for address in targets:
            try:
                stream = self._backend.connect_tcp(address, port, timeout, local_address, socket_options)
            except (httpcore.ConnectError, httpcore.ConnectTimeout) as exc:
                last = exc
                continue
            return _DeadlineStream(stream)
        assert last is not None
        raise last

    def connect_unix_socket(
        self,
        path: str,
        timeout: float | None = None,
        socket_options: typing.Iterable[typing.Any] | None = None,
    ) -> httpcore.NetworkStream:
        raise httpcore.ConnectError("unix sockets are not used for sources")

    def sleep(self, seconds: float) -> None:
        time.sleep(seconds)


class _GuardedTransport(httpx.HTTPTransport):
    """httpx's own transport with our network backend plugged into its connection pool.

    httpx does not expose ``network_backend``, so the pool is rebuilt with the same settings;
    ``_pool`` has been the attribute name since httpx 0.18 and httpx is pinned below 1.0.
    """

    def __init__(self, guard: _AddressGuard, limits: httpx.Limits) -> None:
        super().__init__(trust_env=False, limits=limits)
        self._pool.close()
        self._pool = httpcore.ConnectionPool(
            ssl_context=httpx.create_ssl_context(trust_env=False),
            max_connections=limits.max_connections,
            max_keepalive_connections=limits.max_keepalive_connections,
            keepalive_expiry=limits.keepalive_expiry,
            http1=True,
            http2=False,
            network_backend=_GuardedBackend(guard),
        )


# --------------------------------------------------------------------------- helpers


def parse_retry_after(value: str | None, *, now: datetime | None = None) -> float | None:
    """Seconds to wait from a Retry-After header (delta-seconds or HTTP-date), capped at 24 h."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return min(float(value), _MAX_RETRY_AFTER)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when is None:
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    now = now or datetime.now(UTC)
    return min(max((when - now).total_seconds(), 0.0), _MAX_RETRY_AFTER)


def _http_hint(status: int) -> str | None:
    if status in (401, 403):
        return "the site refuses briefbot; the page may need a login or the site may block bots"
    if status == 404:
        return "check the source URL; the feed may have moved"
    if status == 410:
        return "the site says the feed is gone for good; remove or replace the source"
    if status == 429:
        return "the site is rate-limiting briefbot; poll this source less often"
    if status >= 500:
        return "the site has a problem on its side; briefbot will try again later"
    return None


def _hide_location(response: httpx.Response) -> None:
    """Take a redirect's Location away from httpx (a response hook), for ``Fetcher._handle`` to read.

    httpx parses Location itself even when it does not follow redirects, and a malformed value
    (``javascript:...``, ``http://xn--/``, a broken IPv6 literal) then surfaces as whichever error
    its URL parser or the idna codec raises. Redirects are ours to follow and judge, so the header
    is moved where httpx does not look, and a bad value becomes one clear FetchError.
    """
    if response.status_code in _REDIRECT_CODES and "Location" in response.headers:
        response.extensions[_LOCATION] = response.headers["Location"]
        del response.headers["Location"]


def _decompressor(encoding: str) -> typing.Any:
    """A zlib decompressor for the Content-Encoding we asked for, or None for identity."""
    codings = [c.strip().lower() for c in encoding.split(",") if c.strip()]
    codings = [c for c in codings if c != "identity"]
    if not codings:
        return None
    if codings == ["gzip"] or codings == ["x-gzip"]:
        return zlib.decompressobj(16 + zlib.MAX_WBITS)
    if codings == ["deflate"]:
        return zlib.decompressobj(32 + zlib.MAX_WBITS)
    raise ValueError(f"unsupported Content-Encoding {encoding!r}")


# --------------------------------------------------------------------------- fetcher


class Fetcher:
    """Fetches source URLs with every limit applied. Thread-safe; share one per process."""

    def __init__(
        self,
        *,
        timeout: float = 20.0,
        max_bytes: int = 10_000_000,
        max_redirects: int = 5,
        user_agent: str = "briefbot/0.1 (+https://github.com/briefbot/briefbot)",
        allow_private: bool = False,
        allow_hosts: Sequence[str] = (),
        per_host: int = 2,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        if per_host < 1:
            raise ValueError("per_host must be at least 1")
        self.timeout = timeout
        self.max_bytes = max_bytes
        self.max_redirects = max_redirects
        self.user_agent = user_agent
        self.per_host = per_host
        self._guard = _AddressGuard(allow_private, allow_hosts)
        # Every open connection may stay alive: a poll fetches each host's feeds back to back over
        # the per-host slots, and a kept-alive connection is one TCP (and TLS) handshake saved.
        limits = httpx.Limits(max_connections=100, max_keepalive_connections=100, keepalive_expiry=30.0)
        if transport is None:
            transport = _GuardedTransport(self._guard, limits)
        self._client = httpx.Client(
            transport=transport,
            follow_redirects=False,
            trust_env=False,
            timeout=httpx.Timeout(timeout),
            headers={"User-Agent": user_agent, "Accept-Encoding": "gzip, deflate"},
            event_hooks={"response": [_hide_location]},
        )
        self._slots: dict[str, threading.BoundedSemaphore] = {}
        self._slots_lock = threading.Lock()

    # -- lifecycle

    def close(self) -> None:
        self._client.close()

    def __enter__(self) -> typing.Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    # -- public

    def fetch(
        self,
        url: str,
        *,
        etag: str | None = None,
        last_modified: str | None = None,
        accept: str = FEED_ACCEPT,
        timeout: float | None = None,
    ) -> FetchResult:
        """GET ``url`` following redirects by hand; raise FetchError on anything but success.

        ``etag``/``last_modified`` are the validators from the previous FetchResult; when the
        server agrees nothing changed the result has ``not_modified=True`` and no body.
        ``timeout`` shortens the total limit for this fetch (a caller with a deadline of its own).
        """
        started = time.monotonic()
        deadline = started + (self.timeout if timeout is None else max(min(timeout, self.timeout), 0.001))
        current = url
        visited: list[str] = []
        for _hop in range(self.max_redirects + 1):
            target, addresses = self._check(current, original=url, previous=visited[-1] if visited else None)
            visited.append(str(target))
            headers = {"Accept": accept}
            if etag:
                headers["If-None-Match"] = etag
            if last_modified:
                headers["If-Modified-Since"] = last_modified
            waited = time.monotonic()
            with self._slot(target.host):
                deadline += time.monotonic() - waited  # waiting for a slot is not the server's fault
                result_or_next = self._one_hop(
                    target, headers, deadline, started, original=url, addresses=addresses
                )
            if isinstance(result_or_next, FetchResult):
                return result_or_next
            current = str(result_or_next)
            if current in visited:
                raise FetchError(
                    f"redirect loop fetching {url}: " + " -> ".join([*visited, current]),
                    "the site is misconfigured; try the final address in a browser",
                    kind="redirects",
                    url=url,
                )
        raise FetchError(
            f"too many redirects fetching {url} (more than {self.max_redirects})",
            "use the address the redirects end at, if there is one",
            kind="redirects",
            url=url,
        )

    # -- internals

    def _check(self, url: str, *, original: str, previous: str | None) -> tuple[httpx.URL, list[str]]:
        """Parse ``url`` and apply scheme and address rules before any byte is sent.

        ``previous`` is the hop that redirected here, if any (named in the message). Returns the
        URL and the vetted addresses of its host (the only ones a new connection may use).
        """
        what = f"redirect from {previous} to {url} refused" if previous else f"refused to fetch {url}"
        hint = _BAD_REDIRECT_HINT if previous else None
        try:
            parsed = httpx.URL(url)
            parsed.host  # noqa: B018 - decoding an IDNA host can fail only here (xn--...)
        except (httpx.InvalidURL, TypeError, ValueError) as exc:  # UnicodeError (idna) is a ValueError
            raise FetchError(
                f"{what}: not a valid URL ({exc})",
                hint,
                kind="redirects" if previous else "blocked",
                url=original,
            ) from None
        if parsed.scheme not in ("http", "https"):
            raise FetchError(
                f"{what}: only http and https URLs can be fetched (got {parsed.scheme or 'no scheme'!r})",
                "for files on this machine use a local path source",
                kind="blocked",
                url=original,
            )
        if not parsed.host:
            raise FetchError(
                f"{what}: the URL has no host",
                hint,
                kind="redirects" if previous else "blocked",
                url=original,
            )
        host = parsed.raw_host.decode("ascii")
        try:
            addresses = self._guard.vet(host, parsed.port or (443 if parsed.scheme == "https" else 80))
        except _Blocked as exc:
            raise FetchError(f"{what}: {exc.reason}", _ALLOW_HINT, kind="blocked", url=original) from None
        except _Resolve as exc:
            raise FetchError(
                f"could not fetch {url}: {exc}",
                "check the host name and this machine's DNS",
                kind="network",
                url=original,
            ) from None
        return parsed, addresses

    def _slot(self, host: str) -> threading.BoundedSemaphore:
        with self._slots_lock:
            slot = self._slots.get(host)
            if slot is None:
                slot = self._slots[host] = threading.BoundedSemaphore(self.per_host)
            return slot

    def _one_hop(
        self,
        target: httpx.URL,
        headers: dict[str, str],
        deadline: float,
        started: float,
        *,
        original: str,
        addresses: list[str] | None = None,
    ) -> FetchResult | httpx.URL:
        """One request; returns the result, or the next URL when the answer is a redirect."""
        url = str(target)
        _local.deadline = deadline
        if addresses is not None:
            port = target.port or (443 if target.scheme == "https" else 80)
            _local.vetted = (target.raw_host.decode("ascii").strip("[]").lower(), port, addresses)
        try:
            left = max(deadline - time.monotonic(), 0.001)
            per_op = min(self.timeout, left)
            request = self._client.build_request(
                "GET",
                target,
                headers=headers,
                extensions={"timeout": {"connect": per_op, "read": per_op, "write": per_op, "pool": per_op}},
            )
            response = self._client.send(request, stream=True)
            try:
                return self._handle(response, deadline, started, original=original)
            finally:
                response.close()
        except httpx.TimeoutException as exc:
            raise FetchError(
                f"timed out fetching {url} (limit {self.timeout:g} s)",
                "the site is slow or unreachable; raise network.timeout if it is just slow",
                kind="timeout",
                url=original,
            ) from exc
        except _Blocked as exc:
            # Only reachable when DNS changed between the check and the connection.
            raise FetchError(
                f"refused to fetch {url}: {exc.reason} (at connect time)",
                _ALLOW_HINT,
                kind="blocked",
                url=original,
            ) from None
        except httpx.TransportError as exc:
            raise FetchError(
                f"could not fetch {url}: {exc or type(exc).__name__}",
                "check the address and that the site is up",
                kind="network",
                url=original,
            ) from exc
        finally:
            _local.deadline = None
            _local.vetted = None

    def _handle(
        self, response: httpx.Response, deadline: float, started: float, *, original: str
    ) -> FetchResult | httpx.URL:
        status = response.status_code
        url = str(response.url)
        location = response.extensions.get(_LOCATION, response.headers.get("Location"))
        if status in _REDIRECT_CODES and isinstance(location, str) and location.strip():
            location = location.strip()
            try:
                target = response.url.join(location)
                host = target.host  # decoding an IDNA host (xn--...) can fail only here
                parts = urlsplit(location)
                # "http://", "//" and "http://:80/" name an empty host; joining would quietly keep ours
                if parts.scheme:
                    authority = location[len(parts.scheme) + 1 :].startswith("//")
                else:
                    authority = location.startswith("//")
                if authority and not parts.hostname:
                    host = ""
                if target.scheme not in ("http", "https"):
                    return target  # refused as what it is (file:, javascript:) by the next hop's check
            except (httpx.InvalidURL, TypeError, ValueError) as exc:  # UnicodeError (idna) is a ValueError
                raise FetchError(
                    f"{url} redirected to an invalid address {location[:300]!r} ({exc})",
                    _BAD_REDIRECT_HINT,
                    kind="redirects",
                    url=original,
                ) from None
            if not host:
                raise FetchError(
                    f"{url} redirected to an address without a host: {location[:300]!r}",
                    _BAD_REDIRECT_HINT,
                    kind="redirects",
                    url=original,
                )
            return target
        etag = response.headers.get("ETag")
        last_modified = response.headers.get("Last-Modified")
        content_type = response.headers.get("Content-Type")
        if status == 304:
            return FetchResult(
                url=url,
                status=304,
                body=b"",
                content_type=content_type,
                etag=etag,
                last_modified=last_modified,
                not_modified=True,
                elapsed=time.monotonic() - started,
            )
        if not 200 <= status < 300:
            retry_after = None
            if status in (429, 503):
                retry_after = parse_retry_after(response.headers.get("Retry-After"))
            reason = response.reason_phrase or ""
            raise FetchError(
                f"{url} answered HTTP {status}{' ' + reason if reason else ''}",
                _http_hint(status),
                kind="http",
                status=status,
                retry_after=retry_after,
                url=original,
            )
        body = self._read_body(response, deadline, original=original)
        return FetchResult(
            url=url,
            status=status,
            body=body,
            content_type=content_type,
            etag=etag,
            last_modified=last_modified,
            not_modified=False,
            elapsed=time.monotonic() - started,
        )

    def _too_large(self, url: str, original: str, detail: str) -> FetchError:
        return FetchError(
            f"{url} is too large: {detail} (limit {self.max_bytes:,} bytes)",
            "raise network.max_bytes if this source is legitimately that big",
            kind="too_large",
            url=original,
        )

    def _read_body(self, response: httpx.Response, deadline: float, *, original: str) -> bytes:
        """Read at most ``max_bytes`` (after decompression) before ``deadline``."""
        url = str(response.url)
        declared = response.headers.get("Content-Length")
        if declared and declared.strip().isdigit() and int(declared) > self.max_bytes:
            raise self._too_large(url, original, f"it declares {int(declared):,} bytes")
        try:
            decoder = _decompressor(response.headers.get("Content-Encoding", ""))
        except ValueError as exc:
            raise FetchError(f"could not fetch {url}: {exc}", kind="network", url=original) from None
        out = bytearray()
        try:
            for chunk in response.iter_raw():
                if time.monotonic() > deadline:
                    raise httpx.ReadTimeout("total deadline exceeded")
                if decoder is not None:
                    # max_length bounds the expansion of each chunk: a gzip bomb stops here.
                    data = decoder.decompress(chunk, self.max_bytes + 1 - len(out))
                    if decoder.unconsumed_tail:
                        raise self._too_large(url, original, "it decompresses to more than the limit")
                else:
                    data = chunk
                out += data
                if len(out) > self.max_bytes:
                    raise self._too_large(url, original, "more bytes than the limit arrived")
            if decoder is not None:
                out += decoder.flush()
                if len(out) > self.max_bytes:
                    raise self._too_large(url, original, "it decompresses to more than the limit")
        except zlib.error as exc:
            raise FetchError(
                f"could not decompress the body of {url}: {exc}", kind="network", url=original
            ) from None
        return bytes(out)


def fetcher_from_config(network: NetworkConfig) -> Fetcher:
    """The Fetcher for the config's ``network`` rules: limits, user agent, private-address guard.

    Every fetch of a configured briefbot (polls, ``briefbot analyze URL``) gets its fetcher
    here, so a new network setting is honoured everywhere once it is passed on in this one place.
    """
    return Fetcher(
        timeout=network.timeout.total_seconds(),
        max_bytes=network.max_bytes,
        max_redirects=network.max_redirects,
        user_agent=network.user_agent,
        allow_private=network.allow_private,
        allow_hosts=network.allow_hosts,
        per_host=network.per_host,
    )
