"""Ingestion benchmark: our poll against a plain sequential feedparser loop, same feeds, same run.

Serves N feeds of M items each from HTTP servers on loopback addresses (127.0.0.1,
127.0.0.2, …: feeds on several hosts, as in real life, so the per-host cap applies as
it would), then times:

  baseline  a sequential ``feedparser.parse(url)`` over every URL (fetch + parse)
  first     our first poll: concurrent fetch, parse, extract, store in a fresh SQLite file
  second    our second poll: conditional GET, every feed answers 304

and prints medians of --repeats runs and the ratios. ``--latency-ms`` adds a server-side
delay per response, to show how both behave against feeds that are not on this machine.

    python bench/ingest.py [--feeds 500] [--items 20] [--hosts 10] [--repeats 3] [--latency-ms 0]
"""
from __future__ import annotations

import argparse
import hashlib
import statistics
import sys
import tempfile
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import feedparser  # noqa: E402

from briefbot.config import Config  # noqa: E402
from briefbot.ingest.poll import Poller  # noqa: E402
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
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.bodies = 0
        self.not_modified = 0

    def reset(self) -> None:
        with self.lock:
            self.bodies = self.not_modified = 0


def serve(host: str, feeds: dict[str, bytes], stats: Stats, latency: float) -> ThreadingHTTPServer:
    etags = {path: '"' + hashlib.sha1(body).hexdigest()[:16] + '"' for path, body in feeds.items()}

    class H(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        # Without TCP_NODELAY the body waits for the ACK of the separately written headers, and
        # a keep-alive client's delayed ACK stalls every response ~40 ms (web servers set it).
        disable_nagle_algorithm = True

        def log_message(self, *a: object) -> None:
            pass

        def do_GET(self) -> None:
            if latency:
                time.sleep(latency)
            body = feeds.get(self.path)
            if body is None:
                self.send_response(404)
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            if self.headers.get("If-None-Match") == etags[self.path]:
                with stats.lock:
                    stats.not_modified += 1
                self.send_response(304)
                self.send_header("ETag", etags[self.path])
                self.end_headers()
                return
            with stats.lock:
                stats.bodies += 1
            self.send_response(200)
            self.send_header("Content-Type", "application/rss+xml")
            self.send_header("ETag", etags[self.path])
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

    server = ThreadingHTTPServer((host, 0), H)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--feeds", type=int, default=500)
    ap.add_argument("--items", type=int, default=20)
    ap.add_argument("--hosts", type=int, default=10)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--latency-ms", type=float, default=0.0)
    args = ap.parse_args()

    stats = Stats()
    hosts = [f"127.0.0.{i + 1}" for i in range(args.hosts)]
    urls: list[str] = []
    servers = []
    for h_i, host in enumerate(hosts):
        mine = {f"/feed/{n}.xml": make_feed(n, args.items) for n in range(args.feeds) if n % len(hosts) == h_i}
        srv = serve(host, mine, stats, args.latency_ms / 1000)
        servers.append(srv)
        urls += [f"http://{host}:{srv.server_address[1]}{p}" for p in mine]
    total_bytes = sum(len(make_feed(0, args.items)) for _ in range(1)) * len(urls)
    print(f"{len(urls)} feeds x {args.items} items on {len(hosts)} loopback hosts "
          f"(~{total_bytes / 1e6:.1f} MB), latency {args.latency_ms:g} ms per response")

    cfg = Config.model_validate({
        "network": {"allow_private": False, "allow_hosts": hosts, "timeout": "60s"},
        "sources": [{"name": f"feed-{i}", "url": u, "interval": "15m"} for i, u in enumerate(urls)],
    })

    base_t, first_t, second_t = [], [], []
    for rep in range(args.repeats):
        t = time.perf_counter()
        n_entries = 0
        for u in urls:
            n_entries += len(feedparser.parse(u).entries)
        base_t.append(time.perf_counter() - t)
        assert n_entries == len(urls) * args.items, n_entries

        with tempfile.TemporaryDirectory() as tmp:
            store = Store.open(f"sqlite:///{Path(tmp) / 'bench.db'}")
            with Poller(cfg, store) as poller:
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
                bodies, not_mod = stats.bodies, stats.not_modified
            store.close()
        print(f"  run {rep + 1}: baseline {base_t[-1]:.2f}s  first {first_t[-1]:.2f}s ({new} new, {failed} failed)"
              f"  second {second_t[-1]:.2f}s ({not_mod} x 304, {bodies} bodies)")
        if new != len(urls) * args.items or failed:
            print("  ERROR: the first poll did not store every item", file=sys.stderr)
            return 1
        if sum(1 for s in r2.sources if s.status == "not_modified") != len(urls):
            print("  ERROR: the second poll was not all 304s", file=sys.stderr)
            return 1

    b, f, s = (statistics.median(x) for x in (base_t, first_t, second_t))
    print(f"median of {args.repeats}: sequential feedparser loop {b:.2f}s | our first poll {f:.2f}s "
          f"| our second poll {s:.2f}s")
    print(f"ratio first poll vs loop: {b / f:.1f}x faster (target >= 10x); "
          f"second poll vs loop: {b / s:.1f}x; feed bodies downloaded on the second poll: {bodies}")
    for srv in servers:
        srv.shutdown()
    return 0


if __name__ == "__main__":
    sys.exit(main())
