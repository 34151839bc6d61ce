"""PerformanceMonitor: timings, counters, cache stats, loop lag and memory, as one snapshot.

The window and `headless` show `snapshot()`; nothing here does I/O except reading this process's
RSS through psutil. Every series is bounded (a window of samples per timing, a capped number of
names), so the monitor's own memory stays flat however long the bot runs.

Loop lag is measured as timer drift: a callback is scheduled with `call_later(interval)` and,
when it runs, the time past its due moment is the lag (how long something held the loop).
"""

from __future__ import annotations

import asyncio
import time
from collections import OrderedDict, deque
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING

import psutil

from perps_desktop.core.clock import SYSTEM_CLOCK, Clock
from perps_desktop.core.models import MonitorSnapshot, TimingStats
from perps_desktop.core.percentile import percentile

if TYPE_CHECKING:
    from perps_desktop.config import Settings
    from perps_desktop.core.caching import CacheRegistry

__all__ = ["MonitorConfig", "PerformanceMonitor"]

CounterSource = Callable[[], Mapping[str, int]]


@dataclass(frozen=True, slots=True, kw_only=True)
class MonitorConfig:
    """How often the loop is sampled and how much of every series is kept."""

    loop_lag_sample_ms: int = 100               # LOOP_LAG_SAMPLE_MS
    lag_window: int = 600                       # lag samples kept (60 s at 100 ms)
    timing_window: int = 1024                   # samples kept per timing name
    max_timings: int = 256                      # timing names kept (least recently used dropped)
    max_counters: int = 1024                    # counter names kept (least recently used dropped)

    @classmethod
    def from_settings(cls, settings: Settings) -> MonitorConfig:
        return cls(loop_lag_sample_ms=settings.engine.loop_lag_sample_ms)


class PerformanceMonitor:
    """Collects timings and counters from the core and samples the loop; `snapshot()` reads all.

    Use as an async context manager (or `start()` / `aclose()`) to sample loop lag; timings,
    counters and snapshots work without it.
    """

    def __init__(self, config: MonitorConfig | None = None, *, caches: CacheRegistry | None = None,
                 clock: Clock = SYSTEM_CLOCK) -> None:
        self.config = config or MonitorConfig()
        self._caches = caches
        self._now_ms = clock.wall_ms
        self._timings: OrderedDict[str, deque[float]] = OrderedDict()
        self._timing_counts: dict[str, int] = {}
        self._counters: OrderedDict[str, int] = OrderedDict()
        self._sources: list[CounterSource] = []
        self._lag: deque[float] = deque(maxlen=self.config.lag_window)
        self._loop: asyncio.AbstractEventLoop | None = None
        self._handle: asyncio.TimerHandle | None = None
        self._due = 0.0
        self._process: psutil.Process | None = None
        self._closed = False

    # --- timings and counters ---------------------------------------------------------------

    def record(self, name: str, ms: float) -> None:
        """Add one duration sample (ms) to the timing `name`."""
        series = self._timings.get(name)
        if series is None:
            series = self._timings[name] = deque(maxlen=self.config.timing_window)
            while len(self._timings) > self.config.max_timings:
                old, _ = self._timings.popitem(last=False)
                self._timing_counts.pop(old, None)
        else:
            self._timings.move_to_end(name)
        series.append(ms)
        self._timing_counts[name] = self._timing_counts.get(name, 0) + 1

    @contextmanager
    def timer(self, name: str) -> Iterator[None]:
        """`with monitor.timer("risk.evaluate"): ...` records the block's duration (also in async code)."""
        t0 = time.perf_counter()
        try:
            yield
        finally:
            self.record(name, (time.perf_counter() - t0) * 1000.0)

    def on_request(self, endpoint: str, ms: float, ok: bool, error: BaseException | None = None) -> None:
        """`core.ports.RequestObserver`: one exchange round trip ("info:allMids", "exchange:order")
        becomes a sample of the timing named after its endpoint; a failed one is also counted
        under "api_failures.<endpoint>"."""
        self.record(endpoint, ms)
        if not ok:
            self.incr("api_failures." + endpoint)

    def incr(self, name: str, n: int = 1) -> None:
        counters = self._counters
        if name in counters:
            counters[name] += n
            counters.move_to_end(name)
            return
        counters[name] = n
        while len(counters) > self.config.max_counters:
            counters.popitem(last=False)

    def add_counter_source(self, source: CounterSource) -> None:
        """Merge `source()` (e.g. `AlertManager.counters`) into every snapshot's counters."""
        self._sources.append(source)

    # --- loop lag ---------------------------------------------------------------------------

    def start(self, loop: asyncio.AbstractEventLoop | None = None) -> None:
        """Begin sampling the running loop's lag every `loop_lag_sample_ms`."""
        if self._closed:
            raise RuntimeError("PerformanceMonitor is closed")
        if self._handle is not None:
            return
        self._loop = loop or asyncio.get_running_loop()
        self._schedule()

    def _schedule(self) -> None:
        assert self._loop is not None
        interval = self.config.loop_lag_sample_ms / 1000.0
        self._due = self._loop.time() + interval
        self._handle = self._loop.call_later(interval, self._tick)

    def _tick(self) -> None:
        assert self._loop is not None
        self.record_lag(max(0.0, (self._loop.time() - self._due) * 1000.0))
        if not self._closed:
            self._schedule()

    def record_lag(self, ms: float) -> None:
        """Add one loop-lag sample (ms); the sampler calls this, tests may too."""
        self._lag.append(ms)

    @property
    def running(self) -> bool:
        return self._handle is not None and not self._closed

    async def aclose(self) -> None:
        """Stop sampling; idempotent."""
        self._closed = True
        if self._handle is not None:
            self._handle.cancel()
            self._handle = None

    async def __aenter__(self) -> PerformanceMonitor:
        self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    # --- reading ----------------------------------------------------------------------------

    def rss_bytes(self) -> int:
        if self._process is None:
            self._process = psutil.Process()
        try:
            return int(self._process.memory_info().rss)
        except psutil.Error:
            return 0

    @property
    def lag_samples(self) -> int:
        """How many loop-lag samples are held (at most `lag_window`)."""
        return len(self._lag)

    def lag_ms(self, q: float) -> float:
        """Percentile `q` (0..100) of the recent loop-lag samples, in ms."""
        return percentile(sorted(self._lag), q)

    def timing(self, name: str) -> TimingStats | None:
        series = self._timings.get(name)
        if series is None:
            return None
        values = sorted(series)
        return TimingStats(name=name, count=self._timing_counts.get(name, len(values)),
                           p50_ms=percentile(values, 50), p95_ms=percentile(values, 95),
                           p99_ms=percentile(values, 99), max_ms=values[-1] if values else 0.0)

    def counters(self) -> dict[str, int]:
        out = dict(self._counters)
        for source in self._sources:
            out.update(source())
        return out

    def snapshot(self) -> MonitorSnapshot:
        """Everything at once: lag percentiles, RSS, every timing, counter and cache."""
        lag = sorted(self._lag)
        timings = tuple(t for name in sorted(self._timings) if (t := self.timing(name)) is not None)
        caches = tuple(self._caches.stats()) if self._caches is not None else ()
        return MonitorSnapshot(
            time_ms=self._now_ms(), loop_lag_ms_p50=percentile(lag, 50), loop_lag_ms_p99=percentile(lag, 99),
            loop_lag_ms_last=self._lag[-1] if self._lag else 0.0, rss_bytes=self.rss_bytes(),
            timings=timings, counters=self.counters(), caches=caches)

