"""TradingEngine's tick over an in-memory venue: its independent reads go out together."""

from __future__ import annotations

import asyncio
from decimal import Decimal
from typing import Any

from perps_desktop.core import (
    BreakerConfig,
    BreakerRegistry,
    EngineConfig,
    MomentumStrategy,
    PerformanceMonitor,
    PositionRecovery,
    RiskManager,
    TradingEngine,
)
from perps_desktop.core.clock import SYSTEM_CLOCK, Clock, ManualClock
from perps_desktop.core.models import BreakerState, Position
from tests.helpers import wait_until
from tests.unit.core.memory_venue import MemoryVenue


def engine_on(venue: MemoryVenue, clock: Clock = SYSTEM_CLOCK, **config: Any) -> TradingEngine:
    """A watch-mode engine (reads, never sends), its loops not started: the test calls `tick`."""
    breakers = BreakerRegistry(BreakerConfig(base_backoff_ms=20, max_backoff_ms=20, jitter=0.0))
    return TradingEngine(venue, strategy=MomentumStrategy(), risk=RiskManager(), breakers=breakers,
                         recovery=PositionRecovery(venue), monitor=PerformanceMonitor(),
                         config=EngineConfig(trade=False, **config), clock=clock)


def btc() -> Position:
    return Position(symbol="BTC", size=Decimal("0.1"), entry_px=Decimal(100), mark_px=Decimal(100),
                    unrealized_pnl=Decimal(0), leverage=3)


async def test_a_tick_reads_mids_account_orders_and_fills_at_once():
    venue = MemoryVenue([btc()])
    clock = ManualClock()
    engine = engine_on(venue, clock)
    await engine.reconcile()
    clock.advance(engine.config.orders_refresh_s)    # orders and fills are due this tick too
    venue.calls.clear()
    venue.max_inflight = 0
    await engine.tick()
    assert venue.calls == {"all_mids": 1, "user_state": 1, "open_orders": 1, "user_fills": 1}
    assert venue.max_inflight == 4
    assert engine.ticks == 1 and engine.mids == {"BTC": Decimal(100)} and engine.positions == (btc(),)


async def test_while_the_breaker_is_half_open_the_trial_read_goes_alone_then_the_rest_together():
    venue = MemoryVenue([btc()])
    clock = ManualClock()
    engine = engine_on(venue, clock)
    await engine.reconcile()
    info = engine.breakers.get("exchange_info")
    for _ in range(info.config.failure_threshold):
        info.record_failure("down")
    assert info.state is BreakerState.OPEN
    await wait_until(lambda: info.state is BreakerState.HALF_OPEN)      # its 20 ms backoff has passed
    clock.advance(engine.config.orders_refresh_s)
    venue.max_inflight = 0
    await engine.tick()
    assert info.state is BreakerState.CLOSED         # the trial closed it; the others were not refused
    assert venue.max_inflight == 3 and engine.ticks == 1 and not engine.paused


async def test_a_read_cancelled_under_the_loop_is_logged_and_the_loop_goes_on(caplog):
    """A shared (single-flight) read whose owner was cancelled raises CancelledError in every waiter:
    the engine's loop, not cancelled itself, logs it and keeps ticking; a real stop still ends it."""
    venue = MemoryVenue([btc()])
    engine = engine_on(venue)
    real = venue.all_mids
    hit = [0]

    async def cancelled_under_us():
        if hit[0] == 0:
            hit[0] += 1
            raise asyncio.CancelledError        # as a shared load whose first caller was cancelled
        return await real()

    async with engine:                           # reconciled, its loops running; leaving waits for them to end
        venue.all_mids = cancelled_under_us      # type: ignore[method-assign]
        await wait_until(lambda: engine.ticks >= 2, timeout=10)
    assert hit[0] == 1 and "a read was cancelled under it" in caplog.text


async def test_a_bug_in_a_tick_is_logged_once_with_its_traceback_and_the_loop_goes_on(caplog):
    venue = MemoryVenue([btc()])
    engine = engine_on(venue, interval_s=0.01)

    async def bug() -> dict[str, Decimal]:
        raise ValueError("a bug, not the venue")

    async with engine:
        venue.all_mids = bug                     # type: ignore[method-assign]
        await wait_until(lambda: engine.bugs.count >= 5, timeout=10)
    errors = [r for r in caplog.records if r.levelname == "ERROR" and "engine tick" in r.getMessage()]
    assert len(errors) == 1 and errors[0].exc_info is not None
