"""Health checks run side by side, each with its own timeout, into a bounded history.

The app registers named async checks (exchange reachable, stream fresh, store writable, loop
lag); `run_once()` runs them all at once so one slow check cannot hold up the rest, and a
passing check of a component tied to a breaker counts as that breaker's successful trial call,
closing it again after an outage. `parallelism=1` runs them one after another (the benchmark's
"before" side); 0 runs them all at once.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from functools import partial
from typing import TYPE_CHECKING

from perps_desktop.core.bug_log import BugLog
from perps_desktop.core.clock import SYSTEM_CLOCK, Clock
from perps_desktop.core.gathering import gather_bounded
from perps_desktop.core.lifecycle import Background

if TYPE_CHECKING:
    from perps_desktop.config import Settings
    from perps_desktop.core.breaker import BreakerRegistry
    from perps_desktop.core.monitor import PerformanceMonitor
    from perps_desktop.core.ports import ExchangePort

__all__ = ["HealthCheck", "HealthChecker", "HealthConfig", "HealthResult", "freshness_check", "loop_lag_check",
           "ping_check"]

_log = logging.getLogger(__name__)

HealthCheck = Callable[[], Awaitable[object]]
"""Passes unless it returns False or raises; a returned str becomes the result's detail."""


@dataclass(frozen=True, slots=True, kw_only=True)
class HealthConfig:
    timeout_ms: int = 2000              # HEALTH_CHECK_TIMEOUT_MS: per check
    history_size: int = 500             # HEALTH_HISTORY_SIZE
    interval_ms: int = 2000             # HEALTH_CHECK_INTERVAL_MS: between rounds when started
    parallelism: int = 0                # 0: all at once; 1: one after another; n: at most n at once

    @classmethod
    def from_settings(cls, settings: Settings) -> HealthConfig:
        s = settings.health
        return cls(timeout_ms=s.health_check_timeout_ms, history_size=s.health_history_size,
                   interval_ms=s.health_check_interval_ms, parallelism=0 if s.health_check_parallel else 1)


@dataclass(frozen=True, slots=True, kw_only=True)
class HealthResult:
    check: str
    ok: bool
    latency_ms: float
    time_ms: int
    detail: str = ""
    breaker: str | None = None


@dataclass(frozen=True, slots=True)
class _Check:
    name: str
    fn: HealthCheck
    breaker: str | None
    timeout_s: float
    direct: bool = False


_NO_CHECK = _Check("", lambda: asyncio.sleep(0), None, 0.0)


class HealthChecker(Background):
    """Named async checks; `run_once()` runs a round, `start()` runs rounds every interval."""

    def __init__(self, config: HealthConfig | None = None, *, breakers: BreakerRegistry | None = None,
                 clock: Clock = SYSTEM_CLOCK) -> None:
        super().__init__()
        self.config = config or HealthConfig()
        self._breakers = breakers
        self._now_ms = clock.wall_ms
        self._checks: dict[str, _Check] = {}
        self._history: deque[HealthResult] = deque(maxlen=self.config.history_size)
        self._latest: dict[str, HealthResult] = {}
        self.rounds = 0
        self.bugs = BugLog(_log)            # a bug in a round's hooks: logged once per kind, rounds go on

    def add_check(self, name: str, fn: HealthCheck, *, breaker: str | None = None,
                  timeout_ms: int | None = None, direct: bool = False) -> None:
        """Register `fn` as check `name`; its verdict also drives breaker `breaker` if given. `direct`:
        the check is the very thing the breaker guards (the stream is connected, the store writes), so
        a pass closes the breaker even after its automatic trials gave up, as an answered request
        closes the venue's breakers; an indirect pass is only a trial, ignored once they gave up."""
        timeout = (timeout_ms if timeout_ms is not None else self.config.timeout_ms) / 1000.0
        self._checks[name] = _Check(name, fn, breaker, timeout, direct)

    def remove_check(self, name: str) -> None:
        self._checks.pop(name, None)
        self._latest.pop(name, None)

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(self._checks)

    # --- running ----------------------------------------------------------------------------

    async def _one(self, check: _Check) -> HealthResult:
        t0 = time.perf_counter()
        ok, detail = True, ""
        try:
            async with asyncio.timeout(check.timeout_s):
                value = await check.fn()
            if value is False:
                ok, detail = False, "check returned False"
            elif isinstance(value, str):
                detail = value
        except TimeoutError:
            ok, detail = False, f"timed out after {check.timeout_s * 1000:.0f} ms"
        except Exception as exc:
            ok, detail = False, f"{type(exc).__name__}: {exc}"
        result = HealthResult(check=check.name, ok=ok, latency_ms=(time.perf_counter() - t0) * 1000.0,
                              time_ms=self._now_ms(), detail=detail, breaker=check.breaker)
        self._record(result)
        return result

    def _record(self, result: HealthResult) -> None:
        self._history.append(result)
        self._latest[result.check] = result
        if result.breaker is not None and self._breakers is not None and result.breaker in self._breakers:
            breaker = self._breakers[result.breaker]
            if result.ok and self._checks.get(result.check, _NO_CHECK).direct:
                breaker.record_attempt(result.latency_ms, what=f"health check {result.check}")
            elif result.ok:
                breaker.probe_succeeded(f"health check {result.check}")
            else:
                breaker.probe_failed(f"health check {result.check}", result.detail)

    async def run_check(self, name: str) -> HealthResult:
        return await self._one(self._checks[name])

    async def run_once(self) -> tuple[HealthResult, ...]:
        """Run every check once (as `parallelism` allows); results in registration order."""
        results = await gather_bounded([partial(self._one, c) for c in self._checks.values()],
                                       self.config.parallelism)
        self.rounds += 1
        return tuple(results)

    async def _run(self) -> None:
        """The rounds, every `interval_ms` until `aclose()`."""
        while not self._closed:
            try:
                await self.run_once()
            except Exception as exc:    # a check's own errors are results; this is a bug in a hook
                self.bugs.report("health round", exc)
            await asyncio.sleep(self.config.interval_ms / 1000.0)

    def start(self) -> None:
        """Run a round now and then every `interval_ms` until `aclose()`."""
        self._spawn()

    async def __aenter__(self) -> HealthChecker:
        self.start()
        return self

    # --- reading ----------------------------------------------------------------------------

    def history(self) -> tuple[HealthResult, ...]:
        """The last `history_size` results, newest first."""
        return tuple(reversed(self._history))

    def latest(self) -> dict[str, HealthResult]:
        return dict(self._latest)

    @property
    def healthy(self) -> bool:
        """Every check's latest result passed (True before the first round)."""
        return all(r.ok for r in self._latest.values())


# --- checks the app wires ------------------------------------------------------------------

def ping_check(exchange: ExchangePort, timeout_s: float | None = None) -> HealthCheck:
    """Exchange reachable: one uncached round trip. Give it a `timeout_s` under the check's own, so a
    venue that hangs ends the request itself (a failed attempt the breakers count), not the check."""
    async def check() -> str:
        return f"{await exchange.ping(timeout_s):.1f} ms"
    return check


def freshness_check(last_update_ms: Callable[[], int | None], max_age_ms: int,
                    clock: Clock = SYSTEM_CLOCK) -> HealthCheck:
    """Stream fresh: the last message arrived within `max_age_ms`."""
    async def check() -> str:
        last = last_update_ms()
        if last is None:
            raise RuntimeError("no update yet")
        age = clock.wall_ms() - last
        if age > max_age_ms:
            raise RuntimeError(f"last update {age} ms ago (limit {max_age_ms} ms)")
        return f"last update {age} ms ago"
    return check


def loop_lag_check(monitor: PerformanceMonitor, max_lag_ms: float) -> HealthCheck:
    """Loop responsive: the p99 of the recent lag samples is under `max_lag_ms`."""
    async def check() -> str:
        p99 = monitor.lag_ms(99)
        if p99 > max_lag_ms:
            raise RuntimeError(f"loop lag p99 {p99:.1f} ms (limit {max_lag_ms:g} ms)")
        return f"loop lag p99 {p99:.1f} ms"
    return check
