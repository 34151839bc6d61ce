"""BudgetedSender: one request to the venue, inside the rate budget, with a 429 absorbed.

Reads and signed actions share this loop: take the request's weight from the budget, build the
body (an action is signed only now, so queueing cannot age its nonce), post it. A 429 means the
venue did not take the request: the whole budget is held back for a backoff and the request is
built and sent again, at most `rate_limit_max_retries` times. Other transport failures are
retried `retries` times with backoff (reads: safe to repeat; actions pass 0 and decide for
themselves); a malformed reply is never retried. Each request waits in its lane of the budget:
the caller's `core.lanes.current_lane()`, else `lane` (reads: polling; actions: strategy orders).
Once the budget is closed (the core is stopping) nothing is retried.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

from perps_desktop.core.backoff import backoff_s
from perps_desktop.core.lanes import Lane, current_lane
from perps_desktop.errors import MalformedReply, RateLimited, TransportError
from perps_desktop.exchange.client_config import ClientConfig
from perps_desktop.exchange.rate_budget import RateBudget
from perps_desktop.exchange.stats import ClientCounters
from perps_desktop.exchange.transport import Transport

__all__ = ["BudgetedSender"]


class BudgetedSender:
    """Posts through the transport within the rate budget (see the module docstring)."""

    def __init__(self, transport: Transport, config: ClientConfig, budget: RateBudget,
                 counters: ClientCounters) -> None:
        self._t = transport
        self._cfg = config
        self._budget = budget
        self._counters = counters

    def _backoff_s(self, attempt: int) -> float:
        return backoff_s(attempt, base_s=self._cfg.retry_base_s, cap_s=self._cfg.retry_cap_s)

    async def post(self, path: str, build: Callable[[], dict[str, Any]], *, weight: int, label: str,
                   retries: int = 0, lane: Lane = Lane.POLL, timeout_s: float | None = None) -> Any:
        """POST `build()` to `path` once the budget has room; see the module docstring for retries."""
        attempt = limited = 0
        here = current_lane()             # (Lane.MANUAL is 0: test for None, never truthiness)
        lane = here if here is not None else lane
        while True:
            await self._budget.acquire(weight, lane)
            try:
                return await self._t.post(path, build(), label=label, timeout_s=timeout_s)
            except RateLimited:
                if limited >= self._cfg.rate_limit_max_retries or self._budget.closed:
                    raise
                self._budget.penalize(self._backoff_s(limited))
                limited += 1
                self._counters.retries += 1
            except MalformedReply:
                raise
            except TransportError:
                if attempt >= retries or self._budget.closed:
                    raise
                self._counters.retries += 1
                await asyncio.sleep(self._backoff_s(attempt))
                attempt += 1
