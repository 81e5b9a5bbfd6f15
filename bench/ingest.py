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

    python bench/ingest.py [--feeds 500] [--items 20] [--hosts 10] [--repeats 3] [--latencies 0,100]
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
    args = ap.parse_args()
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
    return 0


if __name__ == "__main__":
    sys.exit(main())
