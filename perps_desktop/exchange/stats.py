"""The client's counters and the frozen snapshot of them that the monitor and metrics read.

Request labels are the simulator's and the metric's: "info:allMids", "exchange:order", ...
(`perps_api_requests_total{endpoint="info",type="allMids"}`). Every round trip's duration goes
into its label's `LatencyHistogram` (cumulative, for `perps_api_request_seconds`); the
percentiles over recent round trips are the `PerformanceMonitor`'s, fed by the client's observer.
"""

from __future__ import annotations

from bisect import bisect_left
from collections import Counter
from dataclasses import dataclass, field

from perps_desktop.core.caching import CacheStats

__all__ = ["LATENCY_BUCKETS_S", "ClientCounters", "ClientStats", "LatencyHistogram", "LatencySnapshot"]

# upper bounds (s) of the latency buckets; a last, unbounded bucket (+Inf) follows
LATENCY_BUCKETS_S: tuple[float, ...] = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)


@dataclass(frozen=True, slots=True, kw_only=True)
class LatencySnapshot:
    """One endpoint's round trips so far: Prometheus histogram figures."""

    count: int
    failed: int                         # round trips that ended in an error (timeout, 5xx, 429, bad reply ...)
    sum_s: float
    buckets: tuple[tuple[float, int], ...]  # (upper bound s, cumulative count), ending (inf, count)


@dataclass(slots=True)
class LatencyHistogram:
    """Round-trip durations of one endpoint, counted into `LATENCY_BUCKETS_S` (one bisect per round trip)."""

    counts: list[int] = field(default_factory=lambda: [0] * (len(LATENCY_BUCKETS_S) + 1))
    sum_s: float = 0.0
    count: int = 0
    failed: int = 0

    def observe(self, seconds: float, ok: bool = True) -> None:
        self.counts[bisect_left(LATENCY_BUCKETS_S, seconds)] += 1
        self.sum_s += seconds
        self.count += 1
        if not ok:
            self.failed += 1

    def snapshot(self) -> LatencySnapshot:
        running = 0
        buckets = []
        for bound, n in zip((*LATENCY_BUCKETS_S, float("inf")), self.counts, strict=True):
            running += n
            buckets.append((bound, running))
        return LatencySnapshot(count=self.count, failed=self.failed, sum_s=self.sum_s, buckets=tuple(buckets))


@dataclass(slots=True)
class ClientCounters:
    """Mutable counters, bumped in place by the client's parts (one loop, no locks needed)."""

    requests: Counter[str] = field(default_factory=Counter)
    errors: Counter[str] = field(default_factory=Counter)       # by error class name
    retries: int = 0                    # info retries, 429 retries, resends after an ambiguous action
    status_checks: int = 0              # orderStatus asked after an ambiguous (timed-out) action
    resends_avoided: int = 0            # orders found placed by those checks (not sent again)
    reconnects: int = 0                 # WebSocket connections made again after a drop
    gap_fills: int = 0                  # fills found by the REST refresh / snapshot after a reconnect
    order_batches: int = 0              # order actions sent
    orders_sent: int = 0                # orders inside them
    latency: dict[str, LatencyHistogram] = field(default_factory=dict)  # by request label
    skipped_rows: Counter[str] = field(default_factory=Counter)  # malformed rows left out, by request label

    def observe(self, label: str, seconds: float, ok: bool) -> None:
        """One round trip of `label` took `seconds` (Transport calls this once per request sent)."""
        hist = self.latency.get(label)
        if hist is None:
            hist = self.latency[label] = LatencyHistogram()
        hist.observe(seconds, ok)


@dataclass(frozen=True, slots=True, kw_only=True)
class ClientStats:
    requests: dict[str, int]
    errors: dict[str, int]
    caches: tuple[CacheStats, ...]
    cache_hits: int
    cache_misses: int
    deduplicated: int                   # callers served by another caller's in-flight request
    orders_coalesced: int               # orders that rode in a bulk action with others
    order_batches: int
    retries: int
    status_checks: int
    resends_avoided: int
    reconnects: int
    gap_fills: int
    rate_budget_waits: int
    rate_budget_wait_s: float
    rate_budget_used: int
    invalidations: int                  # times the account + order caches were dropped
    latency: dict[str, LatencySnapshot] = field(default_factory=dict)  # round trips by request label

    @property
    def total_requests(self) -> int:
        return sum(self.requests.values())
