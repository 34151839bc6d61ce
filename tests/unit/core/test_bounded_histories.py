"""Every history the guards keep is bounded: 100,000 events through each, and memory stays flat."""

from __future__ import annotations

import asyncio
import gc
import tracemalloc
from collections.abc import Callable
from decimal import Decimal

import pytest

from perps_desktop.core import (
    AlertConfig,
    AlertManager,
    BreakerConfig,
    CircuitBreaker,
    HealthChecker,
    HealthConfig,
    MonitorConfig,
    PerformanceMonitor,
    RiskConfig,
    RiskManager,
)
from perps_desktop.core.caching import CacheRegistry
from perps_desktop.core.models import AccountState, Severity, Side, Signal

EVENTS = 100_000              # through every history (alerts, health, monitor)
CACHE_EVENTS = 20_000         # through the windows and caches (each bound is <= 1,000)
WARM = 5_000                  # then these with tracemalloc on, past every bound (alert keys 4,096)
TRACED = 20_000               # then these, measured
CHECKPOINTS = 10
FLAT_KIB = 64.0


def growth_kib(feed: Callable[[int], object], events: int = EVENTS) -> float:
    """Feed `events` events; trace the last WARM + TRACED of them with tracemalloc and return the
    heap growth (KiB) from the first half of the TRACED ones to the second, taking the highest
    checkpoint of each half (dicts and deques resize in cycles). The WARM events first replace
    every entry made before tracing began. A leak of 50 bytes an event shows as ~500 KiB."""
    first = events - TRACED - WARM
    for i in range(first):
        feed(i)
    tracemalloc.start()
    try:
        for i in range(first, first + WARM):
            feed(i)
        step = TRACED // CHECKPOINTS
        marks: list[float] = []
        for lo in range(first + WARM, events, step):
            for i in range(lo, lo + step):
                feed(i)
            gc.collect()
            marks.append(tracemalloc.get_traced_memory()[0] / 1024.0)
    finally:
        tracemalloc.stop()
    half = len(marks) // 2
    return max(marks[half:]) - max(marks[:half])


def test_alert_history_and_dedup_state() -> None:
    alerts = AlertManager(AlertConfig(history_size=100, default_cooldown_ms=60_000, max_keys=4096))

    def feed(i: int) -> object:                  # new keys (delivered) and repeats (folded) alternate
        return alerts.raise_alert(f"k{i}" if i % 2 else "same", "src", Severity.WARNING, "msg")

    grown = growth_kib(feed)
    assert len(alerts.history()) == 100
    assert len(alerts._last) <= 4096
    assert grown < FLAT_KIB, f"alert history grew {grown:.0f} KiB over {EVENTS} events"


def test_health_history() -> None:
    """Real rounds of 100 checks on a plain asyncio loop, yielding to it between rounds (as the
    interval sleep does) so it drops the cancelled timeout timers as it would in the app."""
    checker = HealthChecker(HealthConfig(history_size=500, parallelism=1))

    async def ok() -> None:
        return None

    for n in range(100):
        checker.add_check(f"c{n}", ok)
    loop = asyncio.new_event_loop()

    async def one_round() -> None:
        await checker.run_once()
        await asyncio.sleep(0)

    def feed(i: int) -> object:                  # one event = one result; a round every 100
        if i % 100 == 0:
            loop.run_until_complete(one_round())
        return None

    try:
        grown = growth_kib(feed)
    finally:
        loop.close()
    assert checker.rounds == EVENTS // 100
    assert len(checker.history()) == 500 and len(checker.latest()) == 100
    assert grown < FLAT_KIB, f"health history grew {grown:.0f} KiB"


def test_monitor_timings_lag_and_counters() -> None:
    mon = PerformanceMonitor(MonitorConfig(timing_window=1024, max_timings=256, max_counters=1024,
                                           lag_window=600))

    def feed(i: int) -> object:
        mon.record(f"op{i % 1000}", float(i % 97))
        mon.record("hot", 1.0)
        mon.record_lag(float(i % 13))
        mon.incr(f"c{i}")
        return None

    grown = growth_kib(feed)
    snap = mon.snapshot()
    assert len(snap.timings) == 256 and len(snap.counters) == 1024 and mon.lag_samples == 600
    assert all(len(series) <= 1024 for series in mon._timings.values())
    assert grown < FLAT_KIB, f"monitor grew {grown:.0f} KiB"


def test_breaker_window() -> None:
    breaker = CircuitBreaker("b", BreakerConfig(failure_threshold=10**9, min_calls_for_rate=10**9,
                                                window_max_events=1000))

    def feed(i: int) -> object:
        if i % 3:
            breaker.record_success(0.5)
        else:
            breaker.record_failure("x", 0.5)
        return None

    grown = growth_kib(feed, CACHE_EVENTS)
    assert len(breaker._window) == 1000
    assert grown < FLAT_KIB


def test_risk_caches_and_order_rate() -> None:
    caches = CacheRegistry()
    rm = RiskManager(RiskConfig(max_cache_entries=1000, max_orders_per_minute=60), caches=caches)
    rm.update_portfolio(AccountState(address="0x", equity=Decimal(100_000), total_notional=Decimal(0),
                                     margin_used=Decimal(0), withdrawable=Decimal(0), positions=(), time_ms=0))

    def feed(i: int) -> object:                  # every signal is new: every one is cached
        rm.record_order()
        return rm.evaluate_signal(Signal(symbol="BTC", side=Side.BUY, size=Decimal(abs(i) + 1).scaleb(-6),
                                         price=Decimal(60_000), strategy="t", reduce_only=True))

    grown = growth_kib(feed, CACHE_EVENTS)
    assert {c.name: c.size for c in caches.stats()}["risk_signal"] == 1000
    assert len(rm._orders) == 60                 # (no public view of the order-rate window: its length only)
    assert grown < FLAT_KIB


@pytest.mark.parametrize("bound", [1, 7])
def test_small_bounds_hold_too(bound: int) -> None:
    alerts = AlertManager(AlertConfig(history_size=bound, default_cooldown_ms=0, max_keys=bound))
    for i in range(1000):
        alerts.info(f"k{i}", "s", "m")
    assert len(alerts) == bound and len(alerts._last) == bound
