"""Ingestion benchmark: our poll against a plain sequential feedparser loop, same feeds, same run.

Serves N feeds of M items each from HTTP servers on loopback addresses (127.0.0.1,
127.0.0.2, …: feeds on several hosts, as in real life, so the per-host cap applies as
it would), then times:

  baseline  a sequential ``feedparser.parse(url)`` over every URL (fetch + parse)
  first     our first poll: concurrent fetch, parse, extract, store in a fresh SQLite file
  second    our second poll: conditional GET, every feed answers 304

and prints medians of --repeats runs and the ratios, once per latency in ``--latencies``
(a server-side delay per response; default 0 and 100 ms, the latter to show how both behave
against feeds that are not on this machine; ``--latency-ms N`` runs one latency only).

The servers run in a separate process (started and stopped here): in the poller's own process
their request handling would compete with both the baseline and the poll for the same GIL,
while real feeds are served by other machines.

Then (``--only sizes`` runs just this part) it polls ONE feed of 1,000, 2,000 and 4,000 items,
full content and summary-only (every item's article page fetched from the same server), with
the poller's per-poll caps lifted, and prints each poll's time and the ratio between sizes
(linear: 2x the items, about 2x the time); then, with the caps as shipped, how many items the
first poll of the 4,000-item feed stored (at most the cap) and how many polls stored them all.

    python bench/ingest.py [--feeds 500] [--items 20] [--hosts 10] [--repeats 3] [--latencies 0,100]
                           [--only polls|sizes]
"""

from __future__ import annotations

import argparse
import hashlib
import multiprocessing
import statistics
import sys
import tempfile
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import feedparser  # noqa: E402

from briefbot.app import App  # noqa: E402
from briefbot.config import Config  # noqa: E402
from briefbot.store import Store  # noqa: E402

PARA = (
    "The port authority said on Tuesday that the dredging of the northern basin would start "
    "in spring, after a year of talks with shipping lines and the city council. "
)


def make_feed(n: int, items: int) -> bytes:
    body = []
    for i in range(items):
        text = f"<p>{PARA * 6}</p><p>Feed {n}, item {i}. {PARA * 3}</p>"
        body.append(
            f"<item><title>Harbour item {n}-{i}</title><link>https://feed{n}.example/story/{i}?utm_source=rss</link>"
            f"<guid isPermaLink='false'>f{n}-i{i}</guid><pubDate>Sat, 28 Nov 2026 09:{i:02d}:00 GMT</pubDate>"
            f"<description>Teaser for item {i}.</description>"
            f"<content:encoded><![CDATA[{text}]]></content:encoded></item>"
        )
    return (
        "<?xml version='1.0' encoding='utf-8'?><rss version='2.0' "
        "xmlns:content='http://purl.org/rss/1.0/modules/content/'><channel>"
        f"<title>Feed {n}</title><link>https://feed{n}.example/</link><description>bench</description>"
        + "".join(body)
        + "</channel></rss>"
    ).encode()


class Stats:
    """Counters shared with the server process."""

    def __init__(self, ctx: Any) -> None:
        self.bodies = ctx.Value("i", 0)
        self.not_modified = ctx.Value("i", 0)
        self.latency = ctx.Value("d", 0.0)  # seconds of server-side delay per response

    def reset(self) -> None:
        for v in (self.bodies, self.not_modified):
            with v.get_lock():
                v.value = 0

    @staticmethod
    def bump(counter: Any) -> None:
        with counter.get_lock():
            counter.value += 1


def serve(host: str, feeds: dict[str, bytes], stats: Stats) -> ThreadingHTTPServer:
    etags = {path: '"' + hashlib.sha1(body).hexdigest()[:16] + '"' for path, body in feeds.items()}

    class H(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        # Without TCP_NODELAY the body waits for the ACK of the separately written headers, and
        # a keep-alive client's delayed ACK stalls every response ~40 ms (web servers set it).
        disable_nagle_algorithm = True

        def log_message(self, *a: object) -> None:
            pass

        def do_GET(self) -> None:
            latency = stats.latency.value
            if latency:
                time.sleep(latency)
            body = feeds.get(self.path)
            if body is None:
                self.send_response(404)
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            if self.headers.get("If-None-Match") == etags[self.path]:
                stats.bump(stats.not_modified)
                self.send_response(304)
                self.send_header("ETag", etags[self.path])
                self.end_headers()
                return
            stats.bump(stats.bodies)
            self.send_response(200)
            self.send_header("Content-Type", "application/rss+xml")
            self.send_header("ETag", etags[self.path])
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

    server = ThreadingHTTPServer((host, 0), H)
    server.daemon_threads = True
    server.request_queue_size = 1024  # a poll opens many connections at once
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def server_process(hosts: list[str], n_feeds: int, items: int, stats: Stats, conn: Any) -> None:
    """Runs in its own process: real feeds are served by other machines, not by the poller's GIL."""
    servers = []
    urls: list[str] = []
    for h_i, host in enumerate(hosts):
        mine = {f"/feed/{n}.xml": make_feed(n, items) for n in range(n_feeds) if n % len(hosts) == h_i}
        srv = serve(host, mine, stats)
        servers.append(srv)
        urls += [f"http://{host}:{srv.server_address[1]}{p}" for p in mine]
    conn.send(urls)
    conn.recv()  # wait for "stop"
    for srv in servers:
        srv.shutdown()
        srv.server_close()


def run(urls: list[str], hosts: list[str], args: argparse.Namespace, stats: Stats, latency_ms: float) -> bool:
    """All repeats at one latency; prints them and the medians; False when a check failed."""
    stats.latency.value = latency_ms / 1000
    total_bytes = len(make_feed(0, args.items)) * len(urls)
    print(
        f"{len(urls)} feeds x {args.items} items on {len(hosts)} loopback hosts "
        f"(~{total_bytes / 1e6:.1f} MB, served by another process), latency {latency_ms:g} ms per response"
    )

    cfg = Config.model_validate(
        {
            "network": {"allow_private": False, "allow_hosts": hosts, "timeout": "60s"},
            "sources": [{"name": f"feed-{i}", "url": u, "interval": "15m"} for i, u in enumerate(urls)],
        }
    )

    base_t, first_t, second_t = [], [], []
    bodies = 0
    for rep in range(args.repeats):
        t = time.perf_counter()
        n_entries = 0
        for u in urls:
            n_entries += len(feedparser.parse(u).entries)
        base_t.append(time.perf_counter() - t)
        assert n_entries == len(urls) * args.items, n_entries

        with tempfile.TemporaryDirectory() as tmp:
            store = Store.open(f"sqlite:///{Path(tmp) / 'bench.db'}")
            with App(cfg, store=store) as app:
                poller = app.poller
                stats.reset()
                t = time.perf_counter()
                r1 = poller.poll()
                first_t.append(time.perf_counter() - t)
                new = r1.totals()["new"]
                failed = len(r1.failed)
                stats.reset()
                t = time.perf_counter()
                r2 = poller.poll()
                second_t.append(time.perf_counter() - t)
                bodies, not_mod = stats.bodies.value, stats.not_modified.value
            stored = store.count_articles()
            store.close()
        print(
            f"  run {rep + 1}: baseline {base_t[-1]:.2f}s  first {first_t[-1]:.2f}s ({new} new, {failed} failed)"
            f"  second {second_t[-1]:.2f}s ({not_mod} x 304, {bodies} bodies)"
        )
        if new != len(urls) * args.items or failed or stored != new:
            print("  ERROR: the first poll did not store every item", file=sys.stderr)
            return False
        if sum(1 for s in r2.sources if s.status == "not_modified") != len(urls) or bodies:
            print("  ERROR: the second poll was not all 304s", file=sys.stderr)
            return False

    b, f, s = (statistics.median(x) for x in (base_t, first_t, second_t))
    print(
        f"median of {args.repeats}: sequential feedparser loop {b:.2f}s | our first poll {f:.2f}s "
        f"| our second poll {s:.2f}s"
    )
    print(
        f"ratio first poll vs loop: {b / f:.1f}x faster (target >= 10x); "
        f"second poll vs loop: {b / s:.1f}x; feed bodies downloaded on the second poll: {bodies}"
    )
    return True


# --------------------------------------------------------------------------- sizes: one big feed

SIZES = (1000, 2000, 4000)
SIZE_WORDS = (
    "harbour council ferry dredging basin quay tariff ballot levy timber pier lighthouse "
    "trawler warden budget tender permit survey canal bridge"
).split()


def size_feed(n: int, summary_only: bool, base: str) -> bytes:
    """One RSS 2.0 feed of ``n`` items: full content, or one-line teasers linking to pages on ``base``."""
    items = []
    for i in range(n):
        word = SIZE_WORDS[i % len(SIZE_WORDS)]
        if summary_only:
            body = f"<description>Teaser {i}: the {word} question again.</description>"
            link = f"{base}/page/{i}"
        else:
            text = f"<p>{PARA * 5}</p><p>Item {i} on the {word}. {PARA * 2}</p>"
            body = (
                f"<description>Teaser {i}.</description><content:encoded><![CDATA[{text}]]></content:encoded>"
            )
            link = f"https://sizes.example/story/{i}"
        items.append(
            f"<item><title>The {word} item {i}</title><link>{link}</link><guid isPermaLink='false'>s{i}</guid>"
            f"<pubDate>Sat, 28 Nov 2026 09:00:00 GMT</pubDate>{body}</item>"
        )
    return (
        "<?xml version='1.0' encoding='utf-8'?><rss version='2.0' "
        "xmlns:content='http://purl.org/rss/1.0/modules/content/'><channel>"
        "<title>Sizes</title><link>https://sizes.example/</link><description>bench</description>"
        + "".join(items)
        + "</channel></rss>"
    ).encode()


def size_page(i: int) -> bytes:
    """A fictional article page, with enough text that it counts as the full article."""
    word = SIZE_WORDS[i % len(SIZE_WORDS)]
    return (
        f"<html><head><title>The {word} item {i}</title></head><body><nav>Home | Port | Council</nav>"
        f"<article><h1>The {word} item {i}</h1><p>{PARA * 3}</p><p>Page {i} on the {word}. {PARA * 2}</p>"
        "</article><footer>Bench Gazette</footer></body></html>"
    ).encode()


def sizes_server(conn: Any) -> None:
    """Runs in its own process: serves /full/N.xml, /summary/N.xml and /page/I."""
    feeds: dict[str, bytes] = {}

    class H(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        disable_nagle_algorithm = True

        def log_message(self, *a: object) -> None:
            pass

        def do_GET(self) -> None:
            if self.path.startswith("/page/"):
                body: bytes | None = size_page(int(self.path.rsplit("/", 1)[1]))
                ctype = "text/html; charset=utf-8"
            else:
                body, ctype = feeds.get(self.path), "application/rss+xml"
            if body is None:
                self.send_response(404)
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            etag = '"' + hashlib.sha1(body).hexdigest()[:16] + '"'
            if self.headers.get("If-None-Match") == etag:
                self.send_response(304)
                self.send_header("ETag", etag)
                self.end_headers()
                return
            self.send_response(200)
            self.send_header("Content-Type", ctype)
            self.send_header("ETag", etag)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

    server = ThreadingHTTPServer(("127.0.0.1", 0), H)
    server.daemon_threads = True
    base = f"http://127.0.0.1:{server.server_address[1]}"
    for n in SIZES:
        feeds[f"/full/{n}.xml"] = size_feed(n, False, base)
        feeds[f"/summary/{n}.xml"] = size_feed(n, True, base)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    conn.send(base)
    conn.recv()  # wait for "stop"
    server.shutdown()
    server.server_close()


def _limits(unbounded: bool) -> dict[str, Any]:
    """The poller's per-poll caps and deadline: lifted to time one poll of a whole feed, or as shipped."""
    from briefbot.ingest import poll

    names = ("ITEMS_PER_POLL", "PAGES_PER_POLL", "SOURCE_DEADLINE")
    saved = {n: getattr(poll, n) for n in names if hasattr(poll, n)}
    if unbounded:
        for n in saved:
            setattr(poll, n, 10**9 if n != "SOURCE_DEADLINE" else poll.timedelta(days=1))
    return saved


def _poll_once(base: str, path: str, store: Store) -> tuple[float, Any]:
    """(wall seconds, report) of one forced poll of one feed."""
    cfg = Config.model_validate(
        {
            "network": {"allow_hosts": ["127.0.0.1"], "timeout": "60s", "max_bytes": "50MB", "per_host": 4},
            "sources": [{"name": "big", "url": base + path, "interval": "15m"}],
        }
    )
    with App(cfg, store=store) as app:
        poller = app.poller
        t = time.perf_counter()
        report = poller.poll(force=True)
        return time.perf_counter() - t, report


def _timed_poll(base: str, path: str) -> tuple[float, float, int, int, bool]:
    """One poll of one feed into a fresh SQLite file, caps lifted:
    (wall seconds, CPU seconds of this process, stored, full text, failed)."""
    from briefbot.ingest import poll

    saved = _limits(unbounded=True)
    try:
        with tempfile.TemporaryDirectory() as tmp:
            store = Store.open(f"sqlite:///{Path(tmp) / 'sizes.db'}")
            cpu = time.process_time()
            secs, report = _poll_once(base, path, store)
            cpu = time.process_time() - cpu
            stored, full = store.count_articles(), sum(a.text_full for a in store.articles())
            store.close()
    finally:
        for name, value in saved.items():
            setattr(poll, name, value)
    return secs, cpu, stored, full, bool(report.failed)


def run_sizes(repeats: int = 3) -> bool:
    """One feed of 1,000, 2,000 and 4,000 items: one poll's time (caps lifted) must grow linearly,
    and with the shipped caps the first poll stores at most the cap and later polls the rest."""
    from briefbot.ingest import poll

    ctx = multiprocessing.get_context("spawn")
    here, there = ctx.Pipe()
    proc = ctx.Process(target=sizes_server, args=(there,), daemon=True)
    proc.start()
    ok = True
    try:
        base: str = here.recv()
        _timed_poll(base, f"/summary/{SIZES[0]}.xml")  # warm up: imports, trafilatura's first page
        print(
            f"one feed, one poll, caps lifted (fresh SQLite each time; median of {repeats}; "
            "CPU = the poller's own process, which a busy machine disturbs less than wall time)"
        )
        for kind in ("full", "summary"):
            times: dict[int, tuple[float, float]] = {}
            for n in SIZES:
                runs = [_timed_poll(base, f"/{kind}/{n}.xml") for _ in range(repeats)]
                secs = statistics.median(r[0] for r in runs)
                cpu = statistics.median(r[1] for r in runs)
                _, _, stored, full, failed = runs[-1]
                times[n] = (secs, cpu)
                ratio = ""
                if n // 2 in times:
                    half = times[n // 2]
                    ratio = f"  2x items: x{secs / half[0]:.2f} wall, x{cpu / half[1]:.2f} CPU"
                print(
                    f"  {kind:7} {n:5} items: {secs:6.2f}s wall ({1000 * secs / n:.2f} ms/item), "
                    f"{cpu:6.2f}s CPU  stored {stored}, full text {full}{ratio}"
                )
                if stored != n or full != n or failed:
                    print(f"  ERROR: {kind} {n}: not every item stored with its full text", file=sys.stderr)
                    ok = False
        cap = getattr(poll, "ITEMS_PER_POLL", None)
        pages = getattr(poll, "PAGES_PER_POLL", None)
        print(f"shipped caps: {cap} items per feed per poll, {pages} page fetches per source per poll")
        for kind in ("full", "summary"):
            n = SIZES[-1]
            with tempfile.TemporaryDirectory() as tmp:
                store = Store.open(f"sqlite:///{Path(tmp) / 'cap.db'}")
                secs, report = _poll_once(base, f"/{kind}/{n}.xml", store)
                first_secs = secs
                first = store.count_articles()
                first_full = sum(a.text_full for a in store.articles())
                polls, total = 1, secs
                all_stored = polls if first == n else 0
                longest = secs
                while polls < 200 and sum(a.text_full for a in store.articles()) < n:
                    secs, report = _poll_once(base, f"/{kind}/{n}.xml", store)
                    polls, total, longest = polls + 1, total + secs, max(longest, secs)
                    if not all_stored and store.count_articles() == n:
                        all_stored = polls
                stored, full = store.count_articles(), sum(a.text_full for a in store.articles())
                status = report.sources[0].status
                store.close()
            print(
                f"  {kind:7} {n} items: first poll {first_secs:.2f}s stored {first} ({first_full} with full text); "
                f"all {stored} stored after {all_stored} polls, all {full} with full text after {polls} "
                f"({total:.1f}s in all, longest poll {longest:.2f}s); last status {status}"
            )
            if cap is not None and (first > cap or stored != n or full != n):
                print("  ERROR: the cap did not hold or items were lost", file=sys.stderr)
                ok = False
    finally:
        here.send("stop")
        proc.join(10)
        if proc.is_alive():
            proc.terminate()
    return ok


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--feeds", type=int, default=500)
    ap.add_argument("--items", type=int, default=20)
    ap.add_argument("--hosts", type=int, default=10)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument(
        "--latencies",
        default="0,100",
        help="comma-separated server-side delays per response in ms, each run in turn (default 0,100)",
    )
    ap.add_argument("--latency-ms", type=float, default=None, help="a single latency; overrides --latencies")
    ap.add_argument(
        "--only",
        choices=("polls", "sizes"),
        default=None,
        help="polls: only the many-feeds comparison; sizes: only the one-big-feed scaling and cap check",
    )
    args = ap.parse_args()
    if args.only == "sizes":
        return 0 if run_sizes(args.repeats) else 1
    latencies = (
        [args.latency_ms]
        if args.latency_ms is not None
        else [float(x) for x in args.latencies.split(",") if x.strip()]
    )

    ctx = multiprocessing.get_context("spawn")
    stats = Stats(ctx)
    hosts = [f"127.0.0.{i + 1}" for i in range(args.hosts)]
    here, there = ctx.Pipe()
    proc = ctx.Process(target=server_process, args=(hosts, args.feeds, args.items, stats, there), daemon=True)
    proc.start()
    try:
        urls: list[str] = here.recv()
        for i, latency_ms in enumerate(latencies):
            if i:
                print()
            if not run(urls, hosts, args, stats, latency_ms):
                return 1
    finally:
        here.send("stop")
        proc.join(10)
        if proc.is_alive():
            proc.terminate()
    if args.only is None:
        print()
        return 0 if run_sizes(args.repeats) else 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
