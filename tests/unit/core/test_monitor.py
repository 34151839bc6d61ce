"""PerformanceMonitor: timings, counters, cache stats, loop lag by timer drift, RSS."""

from __future__ import annotations

import asyncio
import time

import pytest

from perps_desktop.config import Settings
from perps_desktop.core import MonitorConfig, PerformanceMonitor
from perps_desktop.core.caching import CacheRegistry
from perps_desktop.core.ports import RequestObserver
from tests.helpers import wait_until


def test_timings_give_p50_p95_p99_and_count_all_samples() -> None:
    mon = PerformanceMonitor(MonitorConfig(timing_window=100))
    for i in range(1, 201):
        mon.record("op", float(i))
    t = mon.timing("op")
    assert t is not None
    assert t.count == 200                     # every sample counted ...
    assert t.p50_ms == 150.5                  # ... percentiles over the last window (101..200)
    assert t.p99_ms == pytest.approx(199.01) and t.max_ms == 200.0
    assert mon.timing("missing") is None


def test_request_round_trips_become_timings_by_endpoint_and_failures_count() -> None:
    mon = PerformanceMonitor()
    observer: RequestObserver = mon         # the client's hook: the monitor is one as it is
    for ms in (10.0, 20.0, 30.0):
        observer.on_request("info:allMids", ms, True)
    observer.on_request("exchange:order", 400.0, False)
    snap = mon.snapshot()
    by_name = {t.name: t for t in snap.timings}
    assert by_name["info:allMids"].count == 3 and by_name["info:allMids"].p50_ms == 20.0
    assert by_name["exchange:order"].max_ms == 400.0   # a failure's wait is latency too ...
    assert snap.counters == {"api_failures.exchange:order": 1}   # ... and counted apart


def test_timer_context_records_a_duration() -> None:
    mon = PerformanceMonitor()
    with mon.timer("block"):
        time.sleep(0.002)
    t = mon.timing("block")
    assert t is not None and t.count == 1 and t.p50_ms >= 1.5


def test_counters_sources_and_cache_stats_appear_in_the_snapshot() -> None:
    caches = CacheRegistry()
    cache = caches.create("api_mids", ttl_s=1.0)
    cache.set("k", 1)
    cache.get("k")
    cache.get("nope")
    mon = PerformanceMonitor(caches=caches)
    mon.incr("orders")
    mon.incr("orders", 2)
    mon.add_counter_source(lambda: {"alerts_delivered": 4})
    snap = mon.snapshot()
    assert snap.counters == {"orders": 3, "alerts_delivered": 4}
    (stats,) = snap.caches
    assert (stats.name, stats.hits, stats.misses) == ("api_mids", 1, 1)
    assert snap.rss_bytes > 10 * 2**20


def test_names_are_bounded() -> None:
    mon = PerformanceMonitor(MonitorConfig(max_timings=3, max_counters=3))
    for i in range(10):
        mon.record(f"t{i}", 1.0)
        mon.incr(f"c{i}")
    snap = mon.snapshot()
    assert [t.name for t in snap.timings] == ["t7", "t8", "t9"]
    assert sorted(snap.counters) == ["c7", "c8", "c9"]


def test_config_from_settings() -> None:
    assert MonitorConfig.from_settings(Settings(loop_lag_sample_ms=250)).loop_lag_sample_ms == 250


async def test_loop_lag_is_sampled_as_timer_drift() -> None:
    mon = PerformanceMonitor(MonitorConfig(loop_lag_sample_ms=10))
    async with mon:
        assert mon.running
        await wait_until(lambda: mon.lag_samples >= 3)
        await asyncio.sleep(0)          # let the sampler arm its next timer, then hold the loop
        before = mon.lag_samples
        end = time.perf_counter() + 0.08
        while time.perf_counter() < end:
            pass
        # the timer due ~10 ms into the 80 ms hold runs after it: >= 70 ms late, however loaded the machine
        await wait_until(lambda: mon.lag_samples > before)
        assert mon.lag_ms(100) >= 60.0 and mon.snapshot().loop_lag_ms_p99 >= 60.0
    assert not mon.running
    await mon.aclose()                  # idempotent
    with pytest.raises(RuntimeError):
        mon.start()
