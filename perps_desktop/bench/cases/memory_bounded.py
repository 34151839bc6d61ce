"""Row memory_bounded: 100,000 events through every bounded history and cache, and memory stays flat.

The report's memory table (alert history 100, health history 500, trace/risk caches bounded)
becomes one measurement: each structure is built from settings as the app builds it, filled past
its bound, then fed 100,000 more distinct events per repetition; the traced Python heap growth
over those events (tracemalloc; see `_growth_kib`) is the sample, in KiB. A bounded
structure grows by ~0; an unbounded one by tens of MiB. `--quick` feeds 50,000 events once (tracing
every allocation is slow) and scales to 100,000. Pieces whose component has not been
built yet are listed in `extra["skipped"]`.
"""

from __future__ import annotations

import gc
import tracemalloc
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import psutil

from perps_desktop.bench.case import BenchCase, BenchContext, Measurement
from perps_desktop.core.caching import TTLCache
from perps_desktop.core.models import (
    ActionReport,
    RecoveryAction,
    RecoveryFinding,
    Severity,
)

__all__ = ["CASE"]

EVENTS = 100_000             # per repetition in a full run (3 repetitions)
QUICK_EVENTS = 50_000        # --quick: one repetition of half as many, reported per 100,000
SMOKE_EVENTS = 2_000
WARM_EVENTS = 5_000           # past every bound (alert dedup keeps 4,096 keys), so growth after is steady
CHECKPOINTS = 20
GROWTH_LIMIT_KIB = 64.0       # per 100,000 events, all structures together


@dataclass(slots=True, kw_only=True)
class _Piece:
    """One bounded structure: how to push event i into it, and how full it is."""

    name: str
    bound: int
    feed: Callable[[int], object]
    size: Callable[[], int]


def _alerts(settings: Any) -> _Piece | str:
    try:
        from perps_desktop.core import AlertConfig, AlertManager
    except ImportError as exc:
        return f"alerts: {exc}"
    cfg = AlertConfig.from_settings(settings) if settings is not None else AlertConfig()
    am = AlertManager(cfg)

    def feed(i: int) -> object:   # a new key every event: each one is delivered into the history
        return am.raise_alert(f"bench:{i}", "bench", Severity.WARNING, "memory bench")

    return _Piece(name="alert_history", bound=cfg.history_size, feed=feed, size=lambda: len(am))


def _recovery(settings: Any) -> _Piece | str:
    try:
        from perps_desktop.core import PositionRecovery, RecoveryConfig
    except ImportError:
        try:   # until the core package exports them
            from perps_desktop.core.recovery import PositionRecovery
            from perps_desktop.core.recovery_rules import RecoveryConfig
        except ImportError as exc:
            return f"recovery: {exc}"
    cfg = RecoveryConfig.from_settings(settings) if settings is not None else RecoveryConfig()
    rec = PositionRecovery(None, cfg)  # type: ignore[arg-type]  # no exchange needed: history only
    report = ActionReport(action="recovery", ok=True, message="memory bench")

    def feed(i: int) -> object:   # what PositionRecovery appends per automatic action and new finding
        f = RecoveryFinding(symbol=f"S{i}", problem="oversize", action="REDUCE", reason=f"event {i}")
        rec.history.append(RecoveryAction(finding=f, report=report, attempt=1))
        rec.finding_log.append(f)
        return f

    return _Piece(name="recovery_history", bound=2 * cfg.history_size, feed=feed,
                  size=lambda: len(rec.history) + len(rec.finding_log))


def _health(settings: Any) -> _Piece | str:
    try:
        from perps_desktop.core import HealthChecker, HealthConfig, HealthResult
    except ImportError as exc:
        return f"health_history: {exc}"
    cfg = HealthConfig.from_settings(settings) if settings is not None else HealthConfig()
    checker = HealthChecker(cfg)
    names = [f"check{i}" for i in range(50)]

    def feed(i: int) -> object:   # what run_check records for each finished check
        result = HealthResult(check=names[i % 50], ok=i % 7 != 0, latency_ms=0.1, time_ms=i)
        checker._record(result)
        return result

    return _Piece(name="health_history", bound=cfg.history_size + len(names), feed=feed,
                  size=lambda: len(checker._history) + len(checker._latest))


def _breaker(settings: Any) -> _Piece | str:
    try:
        from perps_desktop.core import BreakerConfig, CircuitBreaker
    except ImportError as exc:
        return f"breaker_window: {exc}"
    cfg = BreakerConfig.from_settings(settings) if settings is not None else BreakerConfig()
    breaker = CircuitBreaker("bench.memory", cfg)

    def feed(i: int) -> object:   # calls that succeed: all land in the failure-rate window
        breaker.record_success(0.1)
        return None

    return _Piece(name="breaker_window", bound=cfg.window_max_events, feed=feed, size=lambda: len(breaker._window))


def _ttl_cache(settings: Any) -> _Piece:
    size = settings.risk.max_risk_cache_entries if settings is not None else 1000
    cache: TTLCache[int, tuple[int, float]] = TTLCache("bench.memory", ttl_s=60.0, maxsize=size)

    def feed(i: int) -> object:
        cache.set(i, (i, i * 0.5))
        return cache.get(i)

    return _Piece(name="ttl_cache", bound=size, feed=feed, size=lambda: len(cache))


def _monitor(settings: Any) -> _Piece | str:
    try:
        from perps_desktop.core import MonitorConfig, PerformanceMonitor
    except ImportError as exc:
        return f"monitor: {exc}"
    cfg = MonitorConfig.from_settings(settings) if settings is not None else MonitorConfig()
    mon = PerformanceMonitor(cfg)

    def feed(i: int) -> object:   # timings under ever new names, counters too: both are capped
        mon.record(f"op{i % 10_000}", float(i % 97))
        mon.incr(f"c{i}")
        return None

    def size() -> int:
        return sum(len(d) for d in mon._timings.values()) + len(mon._counters)

    bound = cfg.max_timings * cfg.timing_window + cfg.max_counters
    return _Piece(name="monitor_series", bound=bound, feed=feed, size=size)


_BUILDERS: tuple[Callable[[Any], _Piece | str], ...] = (_alerts, _health, _breaker, _recovery, _ttl_cache, _monitor)


def _traced_kib() -> float:
    gc.collect(0)
    return tracemalloc.get_traced_memory()[0] / 1024.0


def _growth_kib(piece: _Piece, start: int, events: int) -> float:
    """Heap growth over `events` events: the upper envelope of the second half minus the first's.

    Dicts and deques resize in cycles, so one before/after pair can land on either side of a
    resize; comparing the highest checkpoints of each half sees only lasting growth.
    """
    step = max(1, events // CHECKPOINTS)
    feed = piece.feed
    marks: list[float] = []
    for lo in range(start, start + events, step):
        for i in range(lo, min(lo + step, start + events)):
            feed(i)
        marks.append(_traced_kib())
    half = len(marks) // 2
    return (max(marks[half:]) - max(marks[:half] or marks)) * 2.0


async def run(ctx: BenchContext) -> Measurement:
    events = SMOKE_EVENTS if ctx.smoke else QUICK_EVENTS if ctx.quick else EVENTS
    reps = 1 if (ctx.smoke or ctx.quick) else 3
    built = [b(ctx.settings) for b in _BUILDERS]
    pieces = [p for p in built if isinstance(p, _Piece)]
    skipped = [p for p in built if isinstance(p, str)]
    rss0 = psutil.Process().memory_info().rss
    was_tracing = tracemalloc.is_tracing()
    if not was_tracing:
        tracemalloc.start()
    try:
        for p in pieces:
            for i in range(WARM_EVENTS):
                p.feed(-1 - i)
        samples: list[float] = []
        per_piece: dict[str, list[float]] = {p.name: [] for p in pieces}
        start = 0
        for _ in range(reps):
            total = 0.0
            for p in pieces:
                grown = _growth_kib(p, start, events)
                per_piece[p.name].append(round(grown, 2))
                total += grown
            samples.append(total * (EVENTS / events))   # reported per 100,000 events
            start += events
    finally:
        if not was_tracing:
            tracemalloc.stop()
    rss_mib = (psutil.Process().memory_info().rss - rss0) / 2**20
    sizes = {p.name: {"len": p.size(), "bound": p.bound, "bounded": p.size() <= p.bound,
                      "growth_kib": per_piece[p.name]} for p in pieces}
    return Measurement(after=samples, before=None, extra={
        "events_per_repetition": events, "repetitions": reps, "pieces": sizes, "skipped": skipped,
        "all_bounded": all(s["bounded"] for s in sizes.values()), "rss_growth_mib": round(rss_mib, 2),
    })


CASE = BenchCase(
    name="memory_bounded",
    title="Bounded histories and caches, 100,000 events",
    run=run,
    unit="KiB",
    target_after=GROWTH_LIMIT_KIB,
    plain="How much memory grows over 100,000 events: near zero means every history and cache is bounded.",
    target_text=f"growth <= {GROWTH_LIMIT_KIB:g} KiB/100k",
    timeout_s=300.0,
)
