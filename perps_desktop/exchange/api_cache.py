"""The client's response caches, all `core.caching.TTLCache`s registered in the app's `CacheRegistry`.

    <prefix>.mids     allMids, l2Book, candles        MIDS_CACHE_TTL_MS (500 ms)
    <prefix>.account  clearinghouseState, userFills   ACCOUNT_CACHE_TTL_MS (2 s)
    <prefix>.orders   openOrders, orderStatus         ORDERS_CACHE_TTL_MS (1 s)
    <prefix>.meta     meta                            5 min

An own order, cancel or fill calls `invalidate_account()`: both account-side caches are
dropped at once, and `TTLCache.clear` retires their loads in flight, so a load that started
before the change can neither be joined nor store its result.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Hashable
from typing import Any, TypeVar

from perps_desktop.core.caching import CacheRegistry, CacheStats, TTLCache
from perps_desktop.exchange.client_config import ClientConfig

__all__ = ["ApiCaches"]

V = TypeVar("V")


class ApiCaches:
    def __init__(self, config: ClientConfig, registry: CacheRegistry) -> None:
        p, n, sf = config.cache_prefix, config.cache_max_entries, config.single_flight
        self.mids: TTLCache[Hashable, Any] = registry.create(f"{p}.mids", ttl_s=config.mids_ttl_s, maxsize=n,
                                                             single_flight=sf)
        self.account: TTLCache[Hashable, Any] = registry.create(f"{p}.account", ttl_s=config.account_ttl_s,
                                                                maxsize=n, single_flight=sf)
        self.orders: TTLCache[Hashable, Any] = registry.create(f"{p}.orders", ttl_s=config.orders_ttl_s,
                                                               maxsize=n, single_flight=sf)
        self.meta: TTLCache[Hashable, Any] = registry.create(f"{p}.meta", ttl_s=config.meta_ttl_s, maxsize=8,
                                                             single_flight=sf)
        self.invalidations = 0

    @property
    def all(self) -> tuple[TTLCache[Hashable, Any], ...]:
        return (self.mids, self.account, self.orders, self.meta)

    async def market(self, key: Hashable, loader: Callable[[], Awaitable[V]]) -> V:
        return await self.mids.get_or_load(key, loader)  # type: ignore[no-any-return]

    async def user(self, cache: TTLCache[Hashable, Any], key: tuple[Hashable, ...],
                   loader: Callable[[], Awaitable[V]]) -> V:
        """Account-side read; `invalidate_account` also retires the ones in flight."""
        return await cache.get_or_load(key, loader)  # type: ignore[no-any-return]

    def invalidate_account(self) -> None:
        """Drop every account-side entry now (own order, cancel, fill, reconnect)."""
        self.invalidations += 1
        self.account.clear()
        self.orders.clear()

    def clear(self) -> None:
        """Everything cold (the benchmark's "cold caches")."""
        self.invalidate_account()
        self.mids.clear()
        self.meta.clear()

    def stats(self) -> tuple[CacheStats, ...]:
        return tuple(c.stats() for c in self.all)
