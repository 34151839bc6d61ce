"""The `exchange_orders` breaker's trial: a signed `noop`, not the trader's next order.

A half-open breaker closes only when a real request of the kind it guards is answered. For
`/info` the health ping is one; for `/exchange` nothing was, so after an outage the breaker sat
HALF_OPEN until the next real order happened to go — an order that became the trial, and a
"breakers closed" that never came while the strategy was quiet. A trader expects the core to
find out by itself, without risking an order on it: so the health round sends Hyperliquid's
`noop` action (hyperliquid-api.md §4.2: it only uses up a nonce; weight 1) —

- when the breaker is HALF_OPEN (its backoff has elapsed), through the breaker, as its trial;
- when its trials gave up (OPEN until reset), at most once per its longest backoff
  (CB_MAX_BACKOFF_MS): an answer closes it as any answered /exchange request does;

and only while `/info` answers and no order of ours is on the wire (that order is the trial
then, and a venue known to be dark would only fail the trial and lengthen the backoff).
Read-only cores have no key and send nothing: their `exchange_orders` never opens.
"""

from __future__ import annotations

from typing import Protocol

from perps_desktop.core.breaker import CircuitBreaker
from perps_desktop.core.clock import monotonic
from perps_desktop.core.freshness import Freshness
from perps_desktop.core.health import HealthCheck
from perps_desktop.core.inflight import InFlight
from perps_desktop.core.lanes import Lane, in_lane
from perps_desktop.core.models import BreakerState

__all__ = ["orders_trial_check"]


class _Noop(Protocol):
    async def noop(self, timeout_s: float | None = None) -> None: ...


def orders_trial_check(client: _Noop, breaker: CircuitBreaker, freshness: Freshness, inflight: InFlight, *,
                       timeout_s: float) -> HealthCheck:
    """The health check that tries `breaker` (exchange_orders) with a noop; see the module docstring."""
    last = [float("-inf")]
    every_s = breaker.config.max_backoff_ms / 1000.0

    async def check() -> str:
        state = breaker.state
        gave_up = state is BreakerState.OPEN and breaker.exhausted
        if state is not BreakerState.HALF_OPEN and not gave_up:
            return f"no trial needed ({state.name.lower().replace('_', '-')})"
        if freshness.silent_since_ms() is not None:
            return "no trial while /info goes unanswered"
        if inflight.active:
            return "an order on the wire is the trial"
        if gave_up and monotonic() - last[0] < every_s:
            return "trials gave up; the next noop soon"
        last[0] = monotonic()
        with in_lane(Lane.PROTECT):
            if state is BreakerState.HALF_OPEN:
                await breaker.call(client.noop, timeout_s)
            else:
                await client.noop(timeout_s)
        return f"noop answered: {breaker.name} {breaker.state.name.lower()}"
    return check
