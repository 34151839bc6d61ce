"""Breakers fed by their requests: a verdict per HTTP attempt, and half-open trials that must send one."""

from __future__ import annotations

import asyncio
import random

import pytest

from perps_desktop.core import BreakerConfig, CircuitBreaker, Freshness
from perps_desktop.core.clock import ManualClock
from perps_desktop.core.models import BreakerState as S
from perps_desktop.errors import BreakerOpen, ExchangeRejected, ExchangeTimeout, TransportError

CFG = BreakerConfig(failure_threshold=3, min_calls_for_rate=100, window_ms=10_000, base_backoff_ms=1000,
                    max_backoff_ms=8000, max_recovery_attempts=2, half_open_max_calls=1)



def fed() -> tuple[CircuitBreaker, ManualClock, Freshness]:
    clock = ManualClock()
    b = CircuitBreaker("exchange_info", CFG, clock=clock, rng=random.Random(1))
    f = Freshness()
    f.feed("info", b)
    return b, clock, f


def timeout() -> ExchangeTimeout:
    return ExchangeTimeout("no reply after 3s", endpoint="info:clearinghouseState")


def test_each_timed_out_attempt_counts_so_a_hanging_venue_opens_the_breaker():
    b, _, f = fed()
    for _ in range(CFG.failure_threshold):        # e.g. one read and its retries, each timing out
        f.on_request("info:clearinghouseState", 3000.0, False, timeout())
    assert b.state is S.OPEN
    assert "ExchangeTimeout" in (b.last_error or "")


def test_a_refusal_is_an_answer_and_other_endpoints_do_not_count():
    b, _, f = fed()
    for _ in range(5):
        f.on_request("info:orderStatus", 5.0, False, ExchangeRejected("HTTP 422: bad", endpoint="info:orderStatus"))
        f.on_request("exchange:order", 5.0, False, TransportError("HTTP 500", endpoint="exchange:order"))
    assert b.state is S.CLOSED and b.failures == 0 and b.successes == 5


async def test_a_half_open_trial_served_without_a_request_proves_nothing():
    b, clock, f = fed()
    for _ in range(3):
        f.on_request("info:allMids", 1.0, False, TransportError("HTTP 500", endpoint="info:allMids"))
    clock.advance(10.0)
    assert b.state is S.HALF_OPEN

    async def cached() -> int:          # a value from the cache / the WebSocket: no request
        return 1

    assert await b.call(cached) == 1
    assert b.state is S.HALF_OPEN                      # not closed by a value nobody asked the venue for
    assert b.allow()                                    # and the trial slot was given back


async def test_a_half_open_trial_whose_real_request_fails_opens_it_again():
    b, clock, f = fed()
    for _ in range(3):
        f.on_request("info:allMids", 1.0, False, timeout())
    clock.advance(10.0)
    assert b.state is S.HALF_OPEN

    async def real_but_failing() -> int:
        f.on_request("info:clearinghouseState", 2.0, False, timeout())
        raise timeout()

    with pytest.raises(ExchangeTimeout):
        await b.call(real_but_failing)
    assert b.state is S.OPEN and b.recovery_attempts == 1      # open again, with a longer backoff


async def test_a_real_request_answered_closes_it_even_after_the_trials_gave_up():
    b, clock, f = fed()
    for _ in range(3):
        f.on_request("info:allMids", 1.0, False, timeout())
    for _ in range(CFG.max_recovery_attempts):
        clock.advance(100.0)
        assert b.state is S.HALF_OPEN
        f.on_request("info:allMids", 1.0, False, timeout())
    assert b.state is S.OPEN and b.exhausted
    with pytest.raises(BreakerOpen):
        await b.call(asyncio.sleep, 0)
    f.on_request("info:allMids", 1.0, True)             # e.g. the health ping: the venue is back
    assert b.state is S.CLOSED and not b.exhausted


def test_a_failed_probe_counts_against_a_closed_breaker():
    b = CircuitBreaker("websocket", CFG, clock=ManualClock())
    for _ in range(CFG.failure_threshold):
        b.probe_failed("health check stream", "not connected")
    assert b.state is S.OPEN


def test_freshness_says_unreachable_once_failing_or_silent_and_reports_data_age():
    clock = ManualClock(wall_ms=1_000_000)
    f = Freshness(failing_after_s=2.0, silent_after_s=6.0, stale_after_s=10.0, clock=clock)
    f.touch("account", "orders")
    f.on_request("info:allMids", 1.0, True)
    assert f.snapshot().connected and f.snapshot().data_age_s == 0.0
    clock.advance(5)                                     # silent, but not long enough
    assert f.snapshot().rest_ok
    f.on_request("info:allMids", 1.0, False, timeout())
    snap = f.snapshot()
    assert not snap.rest_ok and snap.unreachable_s == 5.0 and snap.data_age_s == 5.0 and not snap.stale
    clock.advance(6)
    snap = f.snapshot()
    assert snap.stale and snap.data_age_s == 11.0 and snap.account_as_of_ms == 1_000_000
    f.on_request("info:clearinghouseState", 1.0, True)
    f.touch("account", "orders")
    assert f.snapshot().rest_ok and not f.snapshot().stale
    clock.advance(7)                                     # a venue that hangs: nothing fails, nothing answers
    assert not f.snapshot().rest_ok


def test_a_failure_after_seconds_without_any_answer_opens_the_breaker_at_once():
    clock = ManualClock(wall_ms=1_000_000)
    b = CircuitBreaker("exchange_info", CFG, clock=clock, rng=random.Random(1))
    f = Freshness(trip_after_s=4.0, clock=clock)
    f.feed("info", b)
    f.on_request("info:allMids", 1.0, True)
    clock.advance(3)
    f.on_request("info:allMids", 1600.0, False, timeout())      # silent 3 s: one failure, still closed
    assert b.state is S.CLOSED
    clock.advance(1.5)
    f.on_request("info:allMids", 1600.0, False, timeout())      # silent 4.5 s: a hang, open now
    assert b.state is S.OPEN
