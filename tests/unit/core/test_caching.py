"""TTLCache: counts, expiry, LRU bounds, TTL 0 as the "off" switch, and single-flight loads that
survive a cancelled caller."""

from __future__ import annotations

import asyncio
import math

import pytest

from perps_desktop.core.caching import CacheRegistry, TTLCache
from perps_desktop.core.clock import ManualClock


def test_hits_misses_and_expiry_are_counted():
    clock = ManualClock()
    cache: TTLCache[str, int] = TTLCache("t", ttl_s=1.0, clock=clock)
    assert cache.get("a") is None
    cache.set("a", 1)
    assert cache.get("a") == 1 and "a" in cache
    clock.advance(1.0)
    assert cache.get("a") is None and "a" not in cache
    assert len(cache) == 0
    s = cache.stats()
    assert (s.hits, s.misses, s.expirations, s.evictions, s.size) == (1, 2, 1, 0, 0)
    assert s.hit_rate == pytest.approx(1 / 3)


def test_the_least_recently_used_entry_is_evicted_when_full():
    cache: TTLCache[str, int] = TTLCache("t", ttl_s=60.0, maxsize=2)
    cache.set("a", 1)
    cache.set("b", 2)
    cache.get("a")            # b is now the least recently used
    cache.set("c", 3)
    assert list(cache.keys()) == ["a", "c"]
    assert cache.stats().evictions == 1 and len(cache) == 2


def test_ttl_zero_switches_caching_off():
    cache: TTLCache[str, int] = TTLCache("t", ttl_s=0.0)
    cache.set("a", 1)
    assert cache.get("a") is None and len(cache) == 0
    assert cache.stats().misses == 1


def test_an_infinite_ttl_never_expires():
    clock = ManualClock()
    cache: TTLCache[str, int] = TTLCache("t", ttl_s=math.inf, maxsize=2, clock=clock)
    cache.set("a", 1)
    clock.advance(1e9)
    assert cache.get("a") == 1
    cache.set("b", 2)
    cache.set("c", 3)
    assert list(cache.keys()) == ["b", "c"] and cache.stats().evictions == 1


def test_invalidate_where_drops_the_picked_keys():
    cache: TTLCache[tuple[str, int], int] = TTLCache("t", ttl_s=60.0)
    for i in range(4):
        cache.set(("k", i), i)
    assert cache.invalidate_where(lambda k: k[1] % 2 == 0) == 2
    assert sorted(cache.keys()) == [("k", 1), ("k", 3)]


def test_bad_bounds_are_refused_and_names_are_unique():
    with pytest.raises(ValueError):
        TTLCache("t", ttl_s=1.0, maxsize=0)
    with pytest.raises(ValueError):
        TTLCache("t", ttl_s=-1.0)
    registry = CacheRegistry()
    made = registry.create("x", ttl_s=1.0)
    assert registry.get("x") is made
    with pytest.raises(ValueError):
        registry.create("x", ttl_s=1.0)


class Loader:
    """A load that waits for `gate`, counting its starts and whether it was cancelled."""

    def __init__(self) -> None:
        self.gate = asyncio.Event()
        self.started = asyncio.Event()
        self.calls = 0
        self.cancelled = False

    async def __call__(self) -> int:
        self.calls += 1
        self.started.set()
        try:
            await self.gate.wait()
        except asyncio.CancelledError:
            self.cancelled = True
            raise
        return 42


async def test_concurrent_callers_share_one_load():
    cache: TTLCache[str, int] = TTLCache("t", ttl_s=60.0)
    load = Loader()
    callers = [asyncio.ensure_future(cache.get_or_load("k", load)) for _ in range(5)]
    await load.started.wait()
    load.gate.set()
    assert await asyncio.gather(*callers) == [42] * 5
    assert load.calls == 1 and cache.stats().deduplicated == 4
    assert await cache.get_or_load("k", load) == 42 and load.calls == 1


async def test_a_cancelled_first_caller_does_not_cancel_the_others():
    cache: TTLCache[str, int] = TTLCache("t", ttl_s=60.0)
    load = Loader()
    first = asyncio.ensure_future(cache.get_or_load("k", load))
    await load.started.wait()
    others = [asyncio.ensure_future(cache.get_or_load("k", load)) for _ in range(3)]
    await asyncio.sleep(0)
    first.cancel()
    with pytest.raises(asyncio.CancelledError):
        await first
    load.gate.set()
    assert await asyncio.gather(*others) == [42] * 3
    assert load.calls == 1 and not load.cancelled
    assert cache.get("k") == 42     # the load stored its value for the next caller


async def test_when_every_caller_is_cancelled_the_load_is_cancelled_too():
    cache: TTLCache[str, int] = TTLCache("t", ttl_s=60.0)
    load = Loader()
    callers = [asyncio.ensure_future(cache.get_or_load("k", load)) for _ in range(2)]
    await load.started.wait()
    for c in callers:
        c.cancel()
    for c in callers:
        with pytest.raises(asyncio.CancelledError):
            await c
    await asyncio.sleep(0)
    assert load.cancelled and "k" not in cache
    load.gate.set()
    assert await cache.get_or_load("k", load) == 42 and load.calls == 2   # a fresh load, not the dead one


async def test_a_failed_load_reaches_every_caller_and_is_not_cached():
    cache: TTLCache[str, int] = TTLCache("t", ttl_s=60.0)
    gate = asyncio.Event()
    calls = 0

    async def fails() -> int:
        nonlocal calls
        calls += 1
        await gate.wait()
        raise ValueError("venue down")

    callers = [asyncio.ensure_future(cache.get_or_load("k", fails)) for _ in range(3)]
    await asyncio.sleep(0)
    gate.set()
    results = await asyncio.gather(*callers, return_exceptions=True)
    assert [type(r) for r in results] == [ValueError] * 3 and calls == 1
    assert "k" not in cache
    with pytest.raises(ValueError):
        await cache.get_or_load("k", fails)
    assert calls == 2


async def test_invalidation_retires_a_load_in_flight():
    cache: TTLCache[str, int] = TTLCache("t", ttl_s=60.0)
    load = Loader()
    old = asyncio.ensure_future(cache.get_or_load("k", load))
    await load.started.wait()
    cache.invalidate("k")           # the data changed while the read was on its way

    async def fresh() -> int:
        return 7

    assert await cache.get_or_load("k", fresh) == 7     # did not join the retired load
    load.gate.set()
    assert await old == 42                              # its own caller still gets it
    assert cache.get("k") == 7                          # but it did not overwrite the fresh value


async def test_without_single_flight_each_caller_loads():
    cache: TTLCache[str, int] = TTLCache("t", ttl_s=0.0, single_flight=False)
    calls = 0

    async def load() -> int:
        nonlocal calls
        calls += 1
        await asyncio.sleep(0)
        return calls

    await asyncio.gather(*(cache.get_or_load("k", load) for _ in range(4)))
    assert calls == 4 and cache.stats().deduplicated == 0
