"""CircuitBreaker and BreakerRegistry: trip rules, backoff, half-open trials, manual states."""

from __future__ import annotations

import asyncio
import random

import pytest

from perps_desktop.config import Settings
from perps_desktop.core import (
    BREAKER_NAMES,
    AlertConfig,
    AlertManager,
    BreakerConfig,
    BreakerRegistry,
    BreakerTransition,
    CircuitBreaker,
)
from perps_desktop.core.breaker import TRANSITIONS
from perps_desktop.core.clock import ManualClock
from perps_desktop.core.models import BreakerState as S
from perps_desktop.core.models import Severity
from perps_desktop.errors import BreakerOpen, ExchangeRejected, ExchangeTimeout

CFG = BreakerConfig(failure_threshold=3, min_calls_for_rate=100, window_ms=10_000, base_backoff_ms=1000,
                    max_backoff_ms=8000, max_recovery_attempts=3, half_open_max_calls=1)


def make(cfg: BreakerConfig = CFG, alerts: AlertManager | None = None) -> tuple[CircuitBreaker, ManualClock,
                                                                                list[BreakerTransition]]:
    clock = ManualClock()
    b = CircuitBreaker("exchange_info", cfg, alerts=alerts, clock=clock, rng=random.Random(1))
    seen: list[BreakerTransition] = []
    b.add_listener(seen.append)
    return b, clock, seen


def trip(b: CircuitBreaker) -> None:
    for _ in range(b.config.failure_threshold):
        b.record_failure("boom")
    assert b.state is S.OPEN


def test_opens_after_the_failure_count_within_the_window_and_says_why() -> None:
    alerts = AlertManager()
    b, _, seen = make(alerts=alerts)
    b.record_failure("e1")
    b.record_failure(ExchangeTimeout("slow", endpoint="info"))
    assert b.state is S.CLOSED
    b.record_failure("e3")
    assert b.state is S.OPEN
    (t,) = seen
    assert (t.old, t.new, t.breaker) == (S.CLOSED, S.OPEN, "exchange_info")
    assert "3 failures" in t.reason and t.retry_in_s is not None and t.time_ms > 0
    (alert,) = alerts.history()
    assert alert.key == "breaker:exchange_info:open" and alert.source == "breaker"
    snap = b.snapshot()
    assert snap.failure_rate == 1.0 and snap.retry_in_s is not None and 0.8 <= snap.retry_in_s <= 1.2


def test_failures_older_than_the_window_do_not_count() -> None:
    b, clock, _ = make()
    b.record_failure("a")
    b.record_failure("b")
    clock.advance(11)
    b.record_failure("c")
    assert b.state is S.CLOSED
    assert b.failure_rate() == 1.0


def test_opens_on_the_failure_rate() -> None:
    b, _, _ = make(BreakerConfig(failure_threshold=100, failure_rate=0.5, min_calls_for_rate=10))
    for _ in range(5):
        b.record_success()
        b.record_failure("x")
        if b.state is S.OPEN:
            break
    assert b.state is S.OPEN
    assert b.snapshot().failures == 5


async def test_open_breaker_refuses_calls_with_the_time_to_retry() -> None:
    b, _, _ = make()
    trip(b)
    called = False

    async def fn() -> int:
        nonlocal called
        called = True
        return 1

    with pytest.raises(BreakerOpen) as info:
        await b.call(fn)
    assert not called
    assert info.value.breaker == "exchange_info" and info.value.state == "open"
    assert info.value.retry_in_s is not None and 0.8 <= info.value.retry_in_s <= 1.2
    assert b.snapshot().rejected == 1


async def test_backoff_elapsed_lets_one_trial_through_and_its_success_closes() -> None:
    b, clock, seen = make()
    trip(b)
    clock.advance(1.3)
    assert b.state is S.HALF_OPEN
    gate = asyncio.Event()

    async def trial() -> str:
        await gate.wait()
        return "ok"

    task = asyncio.ensure_future(b.call(trial))
    await asyncio.sleep(0)
    with pytest.raises(BreakerOpen):          # the single trial slot is taken
        await b.call(trial)
    gate.set()
    assert await task == "ok"
    assert b.state is S.CLOSED
    assert [(t.old, t.new) for t in seen] == [(S.CLOSED, S.OPEN), (S.OPEN, S.HALF_OPEN), (S.HALF_OPEN, S.CLOSED)]
    assert b.recovery_attempts == 0


async def test_a_failed_trial_reopens_with_a_longer_wait() -> None:
    b, clock, _ = make()
    trip(b)
    first = b.retry_in_s()
    clock.advance(2)
    assert b.state is S.HALF_OPEN

    async def bad() -> None:
        raise ExchangeTimeout("slow", endpoint="info")

    with pytest.raises(ExchangeTimeout):
        await b.call(bad)
    assert b.state is S.OPEN and b.recovery_attempts == 1
    second = b.retry_in_s()
    assert first is not None and second is not None and second > first
    assert 1.6 <= second <= 2.4


def test_after_the_last_failed_recovery_it_stays_open_and_alerts() -> None:
    alerts = AlertManager(AlertConfig(breaker_cooldown_ms=0))
    b, clock, _ = make(alerts=alerts)
    trip(b)
    for _ in range(CFG.max_recovery_attempts):
        clock.advance(20)
        assert b.state is S.HALF_OPEN
        assert b.allow()
        b.record_failure("still down")
    assert b.exhausted and b.next_retry_at is None
    clock.advance(3600)
    assert b.state is S.OPEN and not b.allow()
    b.probe_succeeded()                        # a health check does not undo "gave up"
    assert b.state is S.OPEN
    assert any(a.severity is Severity.CRITICAL and a.key == "breaker:exchange_info:exhausted"
               for a in alerts.history())
    b.reset()
    assert b.state is S.CLOSED and not b.exhausted and b.allow()


def test_manual_states() -> None:
    b, _, seen = make()
    b.force_open("maintenance")
    assert b.state is S.FORCED_OPEN and not b.allow()
    b.disable()
    assert b.state is S.DISABLED
    for _ in range(50):
        assert b.allow()
        b.record_failure("ignored")
    assert b.state is S.DISABLED
    b.reset("back")
    assert b.state is S.CLOSED
    assert [t.new for t in seen] == [S.FORCED_OPEN, S.DISABLED, S.CLOSED]
    assert seen[0].reason == "maintenance"
    assert all(t.new in TRANSITIONS[t.old] for t in seen)


async def test_a_venue_refusal_is_not_an_outage_and_metrics_are_kept() -> None:
    b, _, _ = make()

    async def refused() -> None:
        raise ExchangeRejected("insufficient margin")

    for _ in range(10):
        with pytest.raises(ExchangeRejected):
            await b.call(refused)

    async def fine() -> int:
        return 2

    assert await b.call(fine) == 2
    snap = b.snapshot()
    assert snap.state is S.CLOSED and snap.calls == 11 and snap.failures == 0 and snap.avg_response_ms >= 0


async def test_a_cancelled_trial_gives_its_slot_back() -> None:
    b, clock, _ = make()
    trip(b)
    clock.advance(2)

    async def hang() -> None:
        await asyncio.Event().wait()

    task = asyncio.ensure_future(b.call(hang))
    await asyncio.sleep(0)
    assert not b.allow()
    b.rejected -= 1
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert b.state is S.HALF_OPEN and b.allow()


def test_probes_close_an_open_breaker_and_a_failed_probe_in_half_open_reopens() -> None:
    b, clock, seen = make()
    trip(b)
    b.probe_succeeded("health check exchange")
    assert b.state is S.CLOSED
    assert [(t.old, t.new) for t in seen][-2:] == [(S.OPEN, S.HALF_OPEN), (S.HALF_OPEN, S.CLOSED)]
    trip(b)
    b.probe_failed("hc", "down")               # OPEN: a failing probe changes nothing
    assert b.state is S.OPEN and b.recovery_attempts == 0
    clock.advance(2)
    assert b.state is S.HALF_OPEN
    b.probe_failed("hc", "down")
    assert b.state is S.OPEN and b.recovery_attempts == 1


def test_a_success_from_before_the_trip_does_not_close_a_half_open_breaker() -> None:
    b, clock, _ = make()
    trip(b)
    clock.advance(2)
    assert b.state is S.HALF_OPEN
    b.record_success(admitted=S.CLOSED)
    assert b.state is S.HALF_OPEN


def test_backoff_is_within_bounds_and_capped() -> None:
    b, _, _ = make()
    for attempt in range(12):
        nominal = CFG.nominal_backoff_s(attempt)
        for _ in range(50):
            wait = b.backoff_for(attempt)
            assert 0.8 * nominal <= wait <= min(1.2 * nominal, CFG.max_backoff_ms / 1000)


def test_config_from_settings() -> None:
    cfg = BreakerConfig.from_settings(Settings(cb_base_backoff_ms=10, cb_max_backoff_ms=50, cb_failure_threshold=2,
                                               cb_max_recovery_attempts=4, cb_half_open_max_calls=2))
    assert (cfg.base_backoff_ms, cfg.max_backoff_ms, cfg.failure_threshold) == (10, 50, 2)
    assert (cfg.max_recovery_attempts, cfg.half_open_max_calls, cfg.min_calls_for_rate) == (4, 2, 4)


def test_registry_names_listeners_and_manual_actions() -> None:
    reg = BreakerRegistry(CFG)
    assert tuple(b.name for b in reg) == BREAKER_NAMES
    assert set(BREAKER_NAMES) == {"exchange_info", "exchange_orders", "websocket", "trace_store",
                                  "position_recovery"}
    seen: list[BreakerTransition] = []
    reg.add_listener(seen.append)
    extra = reg.get("custom")
    assert "custom" in reg and len(reg) == 6 and reg.get("custom") is extra
    reg.force_open("websocket")
    extra.force_open()
    reg.disable("trace_store")
    reg.reset("websocket")
    assert [(t.breaker, t.new) for t in seen] == [("websocket", S.FORCED_OPEN), ("custom", S.FORCED_OPEN),
                                                  ("trace_store", S.DISABLED), ("websocket", S.CLOSED)]
    states = {s.name: s.state for s in reg.snapshots()}
    assert states["trace_store"] is S.DISABLED and states["custom"] is S.FORCED_OPEN
    with pytest.raises(KeyError):
        reg["nope"]
