"""Prometheus metrics on 127.0.0.1:PORT (`--metrics-port`), read from the app's snapshots.

A private `CollectorRegistry` holds one custom collector that builds every metric from the
newest `CoreSnapshot` (and the client's request counters and round-trip histograms: requests
actually sent, never cache hits) at scrape time: no global registry,
no second copy of any counter. The page is served by aiohttp on the app's own loop, so the
collector reads the core's state on the thread that owns it. Names are DESIGN.md's.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator, Mapping
from typing import Protocol

from aiohttp import web
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, HistogramMetricFamily, Metric
from prometheus_client.registry import Collector

from perps_desktop.app.serving import serve, stop_serving
from perps_desktop.app.snapshot import CoreSnapshot
from perps_desktop.exchange import LatencySnapshot

__all__ = ["CoreCollector", "MetricsServer", "MetricsSource", "build_registry"]

log = logging.getLogger(__name__)


class MetricsSource(Protocol):
    def snapshot(self) -> CoreSnapshot: ...

    def api_requests(self) -> Mapping[str, int]:
        """Requests sent by label "endpoint:type" (e.g. "info:allMids")."""
        ...

    def api_latency(self) -> Mapping[str, LatencySnapshot]:
        """Round-trip histograms of those requests, by the same labels."""
        ...


class CoreCollector(Collector):
    """Every perps_* metric, from one snapshot per scrape. With `bot`, every sample also carries a
    `bot` label naming this core, so one Prometheus scrapes a fleet (resources/grafana-fleet.json)."""

    def __init__(self, source: MetricsSource, bot: str | None = None) -> None:
        self._source = source
        self._bot = bot

    def collect(self) -> Iterator[Metric]:
        if not self._bot:
            yield from self._collect()
            return
        for metric in self._collect():
            metric.samples = [s._replace(labels={**s.labels, "bot": self._bot}) for s in metric.samples]
            yield metric

    def _collect(self) -> Iterator[Metric]:
        snap = self._source.snapshot()
        g = GaugeMetricFamily("perps_breaker_state", "Circuit breaker state: 0 closed, 1 half-open, 2 open, "
                              "3 forced open, 4 disabled", labels=["breaker"])
        for b in snap.breakers:
            g.add_metric([b.name], int(b.state))
        yield g
        hits = CounterMetricFamily("perps_cache_hits", "Cache hits", labels=["cache"])
        misses = CounterMetricFamily("perps_cache_misses", "Cache misses", labels=["cache"])
        evictions = CounterMetricFamily("perps_cache_evictions", "Cache LRU evictions", labels=["cache"])
        for c in snap.caches:
            hits.add_metric([c.name], c.hits)
            misses.add_metric([c.name], c.misses)
            evictions.add_metric([c.name], c.evictions)
        yield from (hits, misses, evictions)
        api = CounterMetricFamily("perps_api_requests", "Exchange API requests sent", labels=["endpoint", "type"])
        for label, n in sorted(self._source.api_requests().items()):
            endpoint, _, kind = label.partition(":")
            api.add_metric([endpoint, kind], n)
        yield api
        seconds = HistogramMetricFamily("perps_api_request_seconds", "Exchange API round trips (sent to reply "
                                        "or failure)", labels=["endpoint", "type"])
        failures = CounterMetricFamily("perps_api_request_failures", "Exchange API requests that failed (timeout, "
                                       "HTTP error, 429, bad reply)", labels=["endpoint", "type"])
        for label, h in sorted(self._source.api_latency().items()):
            endpoint, _, kind = label.partition(":")
            seconds.add_metric([endpoint, kind], [(_le(bound), n) for bound, n in h.buckets], h.sum_s)
            failures.add_metric([endpoint, kind], h.failed)
        yield from (seconds, failures)
        t = snap.traces
        yield CounterMetricFamily("perps_traces_recorded", "Traces handed to the trace store", value=t.recorded)
        yield CounterMetricFamily("perps_traces_flushed", "Traces committed to SQLite", value=t.flushed)
        yield CounterMetricFamily("perps_traces_dropped", "Traces refused or lost", value=t.dropped)
        yield GaugeMetricFamily("perps_traces_queued", "Traces waiting for the writer", value=t.queued)
        risk = CounterMetricFamily("perps_risk_decisions", "Risk decisions by outcome", labels=["decision"])
        for decision, n in sorted((snap.risk.decisions if snap.risk else {}).items()):
            risk.add_metric([decision], n)
        yield risk
        lag = snap.monitor.loop_lag_ms_p99 / 1000.0 if snap.monitor else 0.0
        yield GaugeMetricFamily("perps_loop_lag_seconds", "Event-loop lag, p99 of the last minute's samples",
                                value=lag)
        if snap.account is not None:
            yield GaugeMetricFamily("perps_equity_usd", "Account value", value=float(snap.account.equity))
        yield GaugeMetricFamily("perps_positions_open", "Open positions", value=len(snap.positions))
        yield GaugeMetricFamily("perps_orders_open", "Open orders", value=len(snap.orders))
        yield GaugeMetricFamily("perps_trading_paused", "1 while no order goes out: a breaker forces a pause "
                                "(exchange_info or exchange_orders open) or the engine waits for the venue",
                                value=int(bool(snap.pause_reason)))
        yield GaugeMetricFamily("perps_connected", "1 while the venue answers REST requests and the stream is "
                                "connected", value=int(snap.connected))
        if snap.budget is not None:
            budget = snap.budget
            used = GaugeMetricFamily("perps_rate_budget_used", "Request weight spent in the last 60 s (the venue "
                                     "allows RATE_LIMIT_WEIGHT_PER_MIN per IP)", labels=["scope"])
            used.add_metric(["ip"], budget.used)
            yield used
            waits = HistogramMetricFamily("perps_rate_budget_wait_seconds", "Time requests waited for the rate "
                                          "budget, by lane (manual, protect, strategy, poll)", labels=["lane"])
            for lane, h in budget.wait_seconds:
                waits.add_metric([lane], [(_le(bound), n) for bound, n in h.buckets], h.sum_s)
            yield waits
        if snap.freshness is not None:
            yield GaugeMetricFamily("perps_data_age_seconds", "Age of the oldest piece of account state "
                                    "(account, open orders) the venue confirmed", value=snap.freshness.data_age_s)


def _le(bound: float) -> str:
    return "+Inf" if bound == float("inf") else repr(bound)


def build_registry(source: MetricsSource, bot: str | None = None) -> CollectorRegistry:
    registry = CollectorRegistry(auto_describe=False)
    registry.register(CoreCollector(source, bot))
    return registry


class MetricsServer:
    """`GET /metrics` (and `/`) on host:port; port 0 picks a free one (see `.port` after start)."""

    def __init__(self, source: MetricsSource, port: int, host: str = "127.0.0.1",
                 registry_factory: Callable[..., CollectorRegistry] = build_registry, *,
                 bot: str | None = None) -> None:
        self.registry = registry_factory(source, bot) if bot else registry_factory(source)
        self.host = host
        self.port = port
        self.scrapes = 0
        self._runner: web.AppRunner | None = None
        self._closed = False

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}/metrics"

    async def _handle(self, request: web.Request) -> web.Response:
        self.scrapes += 1
        body = generate_latest(self.registry)
        return web.Response(body=body, headers={"Content-Type": CONTENT_TYPE_LATEST})

    async def start(self) -> None:
        if self._runner is not None or self._closed:
            raise RuntimeError("MetricsServer starts once")
        app = web.Application()
        app.router.add_get("/metrics", self._handle)
        app.router.add_get("/", self._handle)
        self._runner, self.port = await serve(app, self.host, self.port)
        log.info("metrics: %s", self.url)

    async def aclose(self) -> None:
        """Stop serving; idempotent."""
        self._closed = True
        runner, self._runner = self._runner, None
        await stop_serving(runner)

    async def __aenter__(self) -> MetricsServer:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()
