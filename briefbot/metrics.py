"""Prometheus metrics: what the cycle did, how the outbox stands, how long things took.

One registry per App, so tests and several Apps in one process never mix their numbers.
`briefbot serve` answers GET /metrics with it; `briefbot run --metrics-port N` serves it on
127.0.0.1:N. The outbox depth is read from the database at each scrape, so every instance
sharing a database reports the same queue.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily

if TYPE_CHECKING:
    from .store import Store

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
STATUSES = ("pending", "sending", "delivered", "failed")


class _OutboxDepth:
    """A collector that counts outbox rows by status when scraped."""

    def __init__(self, store: Callable[[], Store]) -> None:
        self.store = store

    def collect(self) -> Iterable[GaugeMetricFamily]:
        family = GaugeMetricFamily(
            "briefbot_outbox_messages", "Messages in the outbox by status", labels=["status"]
        )
        try:
            counts = self.store().outbox_counts()
        except Exception:  # noqa: BLE001 - a scrape must answer even when the database does not
            return [family]
        for status in STATUSES:
            family.add_metric([status], counts.get(status, 0))
        return [family]


class Metrics:
    """The counters, gauges and histograms one App updates."""

    def __init__(self, store: Callable[[], Store]) -> None:
        self.registry = CollectorRegistry()
        r = self.registry
        self.articles = Counter(
            "briefbot_articles", "Articles seen by polls, by result", ["result"], registry=r
        )
        self.sources_failing = Gauge("briefbot_sources_failing", "Sources whose last poll failed", registry=r)
        self.analysis_seconds = Histogram(
            "briefbot_analysis_seconds",
            "Time to analyse the articles of one cycle",
            registry=r,
            buckets=(0.1, 0.5, 1, 2, 5, 10, 30, 60, 120, 300),
        )
        self.analysed = Counter("briefbot_articles_analysed", "Articles analysed", registry=r)
        self.alerts_queued = Counter("briefbot_alerts_queued", "Alert messages queued", registry=r)
        self.deliveries = Counter(
            "briefbot_deliveries",
            "Delivery attempts by channel and result",
            ["channel", "result"],
            registry=r,
        )
        self.delivery_latency = Histogram(
            "briefbot_delivery_latency_seconds",
            "From queued to delivered",
            ["channel"],
            registry=r,
            buckets=(0.5, 1, 5, 15, 60, 300, 900, 3600, 21600),
        )
        self.cycle_seconds = Histogram(
            "briefbot_cycle_seconds",
            "Duration of one cycle (a fetch or a scheduler tick)",
            registry=r,
            buckets=(0.1, 0.5, 1, 2, 5, 10, 30, 60, 120, 300, 600),
        )
        self.digest_runs = Counter("briefbot_digest_runs", "Digest runs by digest", ["digest"], registry=r)
        r.register(_OutboxDepth(store))  # type: ignore[arg-type]

    def render(self) -> bytes:
        """The exposition text a scrape gets."""
        return bytes(generate_latest(self.registry))


def serve_metrics(metrics: Metrics, host: str = "127.0.0.1", port: int = 0) -> tuple[Any, int]:
    """Serve /metrics on host:port in a daemon thread; returns (server, the port bound)."""
    from prometheus_client import start_http_server

    server, _thread = start_http_server(port, addr=host, registry=metrics.registry)
    return server, int(server.server_address[1])
