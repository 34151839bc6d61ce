"""Client caches: registered by name, invalidated at once, in-flight loads retired by generation."""

from __future__ import annotations

import asyncio

import pytest

from perps_desktop.core.caching import CacheRegistry
from perps_desktop.exchange.api_cache import ApiCaches
from perps_desktop.exchange.client_config import ClientConfig


def test_caches_are_registered_with_the_settings_ttls():
    registry = CacheRegistry()
    ApiCaches(ClientConfig(mids_ttl_s=0.5, account_ttl_s=2.0, orders_ttl_s=1.0), registry)
    ttls = {s.name: s.ttl_s for s in registry.stats()}
    assert ttls == {"api.mids": 0.5, "api.account": 2.0, "api.orders": 1.0, "api.meta": 300.0}
    with pytest.raises(ValueError):
        ApiCaches(ClientConfig(), registry)  # the same names twice


async def test_invalidation_retires_a_load_already_in_flight():
    caches = ApiCaches(ClientConfig(), CacheRegistry())
    gate = asyncio.Event()
    calls = 0

    async def load() -> int:
        nonlocal calls
        calls += 1
        mine = calls
        if mine == 1:
            await gate.wait()
        return mine

    old = asyncio.ensure_future(caches.user(caches.account, ("state", "0xa"), load))
    await asyncio.sleep(0)
    caches.invalidate_account()  # a fill arrives while the old read is in flight
    new = await caches.user(caches.account, ("state", "0xa"), load)
    gate.set()
    assert await old == 1
    assert new == 2  # did not join the stale load
    assert await caches.user(caches.account, ("state", "0xa"), load) == 2  # cached, the stale one not stored
    assert calls == 2


async def test_naive_config_turns_caching_and_single_flight_off():
    caches = ApiCaches(ClientConfig().naive(), CacheRegistry())
    calls = 0

    async def load() -> int:
        nonlocal calls
        calls += 1
        await asyncio.sleep(0)
        return calls

    await asyncio.gather(*(caches.market(("allMids",), load) for _ in range(5)))
    assert calls == 5
