"""HealthChecker: parallel checks with their own timeouts, bounded history, breaker hooks."""

from __future__ import annotations

import asyncio
import random

import pytest

from perps_desktop.config import Settings
from perps_desktop.core import (
    BreakerConfig,
    BreakerRegistry,
    HealthChecker,
    HealthConfig,
    MonitorConfig,
    PerformanceMonitor,
    freshness_check,
    loop_lag_check,
    ping_check,
)
from perps_desktop.core.clock import ManualClock
from perps_desktop.core.models import BreakerState as S
from tests.helpers import wait_until


class Gauge:
    """Counts how many checks run at the same time."""

    def __init__(self) -> None:
        self.now = 0
        self.peak = 0

    def check(self, delay: float = 0.02):
        async def run() -> str:
            self.now += 1
            self.peak = max(self.peak, self.now)
            try:
                await asyncio.sleep(delay)
            finally:
                self.now -= 1
            return "fine"
        return run


@pytest.mark.parametrize(("parallelism", "peak"), [(0, 6), (1, 1), (2, 2)])
async def test_parallelism_setting_bounds_how_many_checks_run_at_once(parallelism: int, peak: int) -> None:
    gauge = Gauge()
    hc = HealthChecker(HealthConfig(parallelism=parallelism))
    for i in range(6):
        hc.add_check(f"c{i}", gauge.check())
    results = await hc.run_once()
    assert [r.check for r in results] == [f"c{i}" for i in range(6)]
    assert all(r.ok and r.detail == "fine" for r in results)
    assert gauge.peak == peak


async def test_a_hung_check_times_out_alone_and_failures_carry_their_reason() -> None:
    hc = HealthChecker(HealthConfig(timeout_ms=5000))
    done = asyncio.Event()

    async def hung() -> None:
        await asyncio.Event().wait()

    async def quick() -> None:
        done.set()

    async def raises() -> None:
        raise ConnectionError("refused")

    async def says_no() -> bool:
        return False

    hc.add_check("hung", hung, timeout_ms=50)
    hc.add_check("quick", quick)
    hc.add_check("raises", raises)
    hc.add_check("no", says_no)
    by = {r.check: r for r in await hc.run_once()}
    assert done.is_set()
    assert not by["hung"].ok and "timed out after 50 ms" in by["hung"].detail
    assert by["quick"].ok and by["quick"].latency_ms < by["hung"].latency_ms
    assert not by["raises"].ok and "ConnectionError: refused" in by["raises"].detail
    assert not by["no"].ok
    assert not hc.healthy
    assert set(hc.latest()) == {"hung", "quick", "raises", "no"}


async def test_history_is_bounded_newest_first() -> None:
    hc = HealthChecker(HealthConfig(history_size=5))

    async def ok() -> None:
        return None

    hc.add_check("a", ok)
    hc.add_check("b", ok)
    for _ in range(10):
        await hc.run_once()
    hist = hc.history()
    assert len(hist) == 5 and hist[0].time_ms >= hist[-1].time_ms
    assert hc.rounds == 10 and hc.healthy
    hc.remove_check("b")
    assert hc.names == ("a",)


async def test_a_passing_check_closes_its_breaker_and_a_failing_one_reopens_a_half_open_breaker() -> None:
    clock = ManualClock(monotonic=0.0)
    reg = BreakerRegistry(BreakerConfig(failure_threshold=2, base_backoff_ms=1000), clock=clock,
                          rng=random.Random(3))
    up = True

    async def exchange() -> None:
        if not up:
            raise ConnectionError("down")

    hc = HealthChecker(breakers=reg)
    hc.add_check("exchange", exchange, breaker="exchange_info")
    hc.add_check("orphan", exchange, breaker="not_a_breaker")
    b = reg["exchange_info"]
    b.record_failure("x")
    b.record_failure("x")
    assert b.state is S.OPEN
    up = False
    await hc.run_once()
    assert b.state is S.OPEN                    # a failing probe while OPEN changes nothing
    clock.advance(5)
    assert b.state is S.HALF_OPEN
    await hc.run_once()
    assert b.state is S.OPEN and b.recovery_attempts == 1
    up = True
    await hc.run_once()
    assert b.state is S.CLOSED


async def test_a_direct_check_closes_a_breaker_whose_trials_gave_up_an_indirect_one_does_not() -> None:
    """A stream outage of 30 s outlasts the default five trials (1+2+4+8+16 s): the stream connected
    again is the very thing the `websocket` breaker guards, so its check closes it without a hand."""
    clock = ManualClock(monotonic=0.0)
    reg = BreakerRegistry(BreakerConfig(failure_threshold=1, base_backoff_ms=1000, max_recovery_attempts=1),
                          clock=clock, rng=random.Random(3))
    up = False

    async def stream() -> str:
        if not up:
            raise RuntimeError("the exchange stream is not connected")
        return "connected"

    hc = HealthChecker(breakers=reg)
    hc.add_check("stream", stream, breaker="websocket", direct=True)
    hc.add_check("ping", stream, breaker="exchange_info")
    for name in ("websocket", "exchange_info"):
        reg[name].record_failure("x")
        clock.advance(5)
        assert reg[name].state is S.HALF_OPEN
    await hc.run_once()                           # both trials fail: they give up
    assert all(reg[n].state is S.OPEN and reg[n].exhausted for n in ("websocket", "exchange_info"))
    up = True
    await hc.run_once()
    assert reg["websocket"].state is S.CLOSED and not reg["websocket"].exhausted
    assert reg["exchange_info"].state is S.OPEN   # a ping of another kind proves nothing once they gave up


async def test_rounds_repeat_until_closed() -> None:
    hc = HealthChecker(HealthConfig(interval_ms=10))
    calls = 0

    async def count() -> None:
        nonlocal calls
        calls += 1

    hc.add_check("c", count)
    async with hc:
        await wait_until(lambda: calls >= 3 and hc.rounds >= 3)
        assert hc.running
    assert not hc.running                         # closed: its task has ended, so no round can follow
    await hc.aclose()
    with pytest.raises(RuntimeError):
        hc.start()


def test_config_from_settings() -> None:
    cfg = HealthConfig.from_settings(Settings(health_check_parallel=False, health_history_size=9,
                                              health_check_timeout_ms=123))
    assert (cfg.parallelism, cfg.history_size, cfg.timeout_ms) == (1, 9, 123)
    assert HealthConfig.from_settings(Settings()).parallelism == 0


async def test_the_ready_made_checks() -> None:
    class Exchange:
        async def ping(self, timeout_s: float | None = None) -> float:
            return 1.25

    clock = ManualClock(wall_ms=10_000)
    last: list[int | None] = [None]
    mon = PerformanceMonitor(MonitorConfig())
    hc = HealthChecker()
    hc.add_check("exchange", ping_check(Exchange()))  # type: ignore[arg-type]
    hc.add_check("stream", freshness_check(lambda: last[0], 5000, clock=clock))
    hc.add_check("loop", loop_lag_check(mon, 100.0))
    by = {r.check: r for r in await hc.run_once()}
    assert by["exchange"].ok and by["exchange"].detail in ("1.2 ms", "1.3 ms")
    assert not by["stream"].ok and "no update" in by["stream"].detail
    assert by["loop"].ok
    last[0] = 9_000
    mon.record_lag(500.0)
    by = {r.check: r for r in await hc.run_once()}
    assert by["stream"].ok and not by["loop"].ok and "500.0" in by["loop"].detail
    last[0] = 1_000
    assert not (await hc.run_check("stream")).ok
