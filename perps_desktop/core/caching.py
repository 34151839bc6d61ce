"""The one cache type: TTL + LRU with hit/miss/eviction counters, and single-flight loading.

Every cache in the project (API responses, risk decisions, recovery data, trace reads) is a
`TTLCache` registered by name in a `CacheRegistry`, so the monitor, the metrics and the window
read one kind of stats. A TTL of 0 switches caching off (every get is a miss) — that is how the
benchmarks' "before" side is made from the same code.
"""

from __future__ import annotations

import asyncio
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Hashable, Iterator
from dataclasses import dataclass
from typing import Generic, TypeVar

__all__ = ["CacheRegistry", "CacheStats", "TTLCache"]

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")

_MISSING = object()


@dataclass(frozen=True, slots=True, kw_only=True)
class CacheStats:
    """A point-in-time view of one cache's counters."""

    name: str
    hits: int
    misses: int
    evictions: int
    expirations: int
    size: int
    maxsize: int
    ttl_s: float
    deduplicated: int

    @property
    def hit_rate(self) -> float:
        total = self.hits + self.misses
        return self.hits / total if total else 0.0


class TTLCache(Generic[K, V]):
    """A bounded LRU map whose entries expire `ttl_s` after they were stored.

    `get_or_load` adds single-flight: concurrent callers for the same missing key await one
    load. Set `single_flight=False` to let each caller load for itself (the naive baseline).
    """

    __slots__ = ("_data", "_inflight", "_now", "deduplicated", "evictions", "expirations",
                 "hits", "maxsize", "misses", "name", "single_flight", "ttl_s")

    def __init__(self, name: str, *, ttl_s: float, maxsize: int = 1024, single_flight: bool = True,
                 clock: Callable[[], float] = time.monotonic) -> None:
        if maxsize < 1:
            raise ValueError("maxsize must be >= 1")
        if ttl_s < 0:
            raise ValueError("ttl_s must be >= 0")
        self.name = name
        self.ttl_s = ttl_s
        self.maxsize = maxsize
        self.single_flight = single_flight
        self._now = clock
        self._data: OrderedDict[K, tuple[float, V]] = OrderedDict()
        self._inflight: dict[K, asyncio.Future[V]] = {}
        self.hits = self.misses = self.evictions = self.expirations = self.deduplicated = 0

    def __len__(self) -> int:
        return len(self._data)

    def __contains__(self, key: object) -> bool:
        item = self._data.get(key)  # type: ignore[call-overload]
        return item is not None and item[0] > self._now()

    def get(self, key: K, default: V | None = None) -> V | None:
        """Return the live value for key (counting a hit) or default (counting a miss)."""
        item = self._data.get(key)
        if item is not None:
            if item[0] > self._now():
                self._data.move_to_end(key)
                self.hits += 1
                return item[1]
            del self._data[key]
            self.expirations += 1
        self.misses += 1
        return default

    def set(self, key: K, value: V) -> None:
        if self.ttl_s <= 0:
            return
        data = self._data
        data[key] = (self._now() + self.ttl_s, value)
        data.move_to_end(key)
        while len(data) > self.maxsize:
            data.popitem(last=False)
            self.evictions += 1

    def invalidate(self, key: K) -> None:
        self._data.pop(key, None)

    def invalidate_where(self, predicate: Callable[[K], bool]) -> int:
        keys = [k for k in self._data if predicate(k)]
        for k in keys:
            del self._data[k]
        return len(keys)

    def clear(self) -> None:
        self._data.clear()

    def keys(self) -> Iterator[K]:
        return iter(list(self._data))

    async def get_or_load(self, key: K, loader: Callable[[], Awaitable[V]]) -> V:
        """Return the cached value, or load it once however many callers ask at the same time."""
        value = self.get(key, _MISSING)  # type: ignore[arg-type]
        if value is not _MISSING:
            return value  # type: ignore[return-value]
        if self.single_flight:
            pending = self._inflight.get(key)
            if pending is not None:
                self.deduplicated += 1
                return await asyncio.shield(pending)
            fut: asyncio.Future[V] = asyncio.get_running_loop().create_future()
            self._inflight[key] = fut
            try:
                result = await loader()
            except BaseException as exc:
                if not fut.done():
                    fut.set_exception(exc)
                    fut.exception()  # mark retrieved: waiters re-raise it, nobody else must
                raise
            else:
                self.set(key, result)
                if not fut.done():
                    fut.set_result(result)
                return result
            finally:
                if self._inflight.get(key) is fut:
                    del self._inflight[key]
        result = await loader()
        self.set(key, result)
        return result

    def stats(self) -> CacheStats:
        return CacheStats(name=self.name, hits=self.hits, misses=self.misses, evictions=self.evictions,
                          expirations=self.expirations, size=len(self._data), maxsize=self.maxsize,
                          ttl_s=self.ttl_s, deduplicated=self.deduplicated)

    def reset_stats(self) -> None:
        self.hits = self.misses = self.evictions = self.expirations = self.deduplicated = 0


class CacheRegistry:
    """Every cache by name, so one place can report all of their stats."""

    def __init__(self) -> None:
        self._caches: dict[str, TTLCache] = {}

    def create(self, name: str, *, ttl_s: float, maxsize: int = 1024, single_flight: bool = True) -> TTLCache:
        cache: TTLCache = TTLCache(name, ttl_s=ttl_s, maxsize=maxsize, single_flight=single_flight)
        self.register(cache)
        return cache

    def register(self, cache: TTLCache) -> None:
        if cache.name in self._caches and self._caches[cache.name] is not cache:
            raise ValueError(f"a cache named {cache.name!r} is already registered")
        self._caches[cache.name] = cache

    def get(self, name: str) -> TTLCache | None:
        return self._caches.get(name)

    def stats(self) -> list[CacheStats]:
        return [c.stats() for c in self._caches.values()]
