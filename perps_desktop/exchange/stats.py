"""The client's counters and the frozen snapshot of them that the monitor and metrics read.

Request labels are the simulator's and the metric's: "info:allMids", "exchange:order", ...
(`perps_api_requests_total{endpoint="info",type="allMids"}`).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from perps_desktop.core.caching import CacheStats

__all__ = ["ClientCounters", "ClientStats"]


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

    @property
    def total_requests(self) -> int:
        return sum(self.requests.values())
