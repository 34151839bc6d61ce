"""Circuit breakers: stop calling a failing dependency, and find out when it is well again.

    CLOSED --(failures >= threshold, or failure rate >= limit, within the window)--> OPEN
    OPEN --(backoff elapsed, or a passing health check)--> HALF_OPEN
    HALF_OPEN --(a trial call succeeds)--> CLOSED
    HALF_OPEN --(a trial call fails)--> OPEN, with a longer backoff (base * 2^n +-20%, capped)
    after `max_recovery_attempts` failed trials: OPEN with no retry (alerted) until reset by hand
    by hand, from any state: force_open -> FORCED_OPEN, disable -> DISABLED, reset -> CLOSED

A breaker that guards requests to the venue is *fed by its requests* (`feed_requests()`): then
the verdicts come from `record_attempt`, once per HTTP attempt (each retry, each timeout), not
from what `call()` returned. A read served from a cache or pushed over the WebSocket sent no
request, so it proves nothing: a half-open trial that made no request gives its slot back and
the breaker stays half-open. A real request of its kind that answers closes the breaker from
OPEN or HALF_OPEN (the health ping is one), even after the automatic trials gave up.

`TRANSITIONS` is that diagram; every change goes through one method that checks it and tells
the listeners (the window, the metrics, the traces) with its reason and time.
"""

from __future__ import annotations

import logging
import random
import time
from collections import deque
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, TypeVar

from perps_desktop.core.backoff import backoff_s
from perps_desktop.core.clock import SYSTEM_CLOCK, Clock
from perps_desktop.core.models import BreakerSnapshot, BreakerState
from perps_desktop.errors import BreakerOpen, ExchangeRejected

if TYPE_CHECKING:
    from perps_desktop.config import Settings
    from perps_desktop.core.alerts import AlertManager

__all__ = ["BREAKER_NAMES", "TRANSITIONS", "BreakerConfig", "BreakerListener", "BreakerRegistry",
           "BreakerTransition", "CircuitBreaker"]

_log = logging.getLogger(__name__)
T = TypeVar("T")
S = BreakerState

BREAKER_NAMES = ("exchange_info", "exchange_orders", "websocket", "trace_store", "position_recovery")

TRANSITIONS: dict[BreakerState, frozenset[BreakerState]] = {
    S.CLOSED: frozenset({S.OPEN, S.FORCED_OPEN, S.DISABLED}),
    S.OPEN: frozenset({S.HALF_OPEN, S.CLOSED, S.FORCED_OPEN, S.DISABLED}),     # CLOSED: reset by hand
    S.HALF_OPEN: frozenset({S.CLOSED, S.OPEN, S.FORCED_OPEN, S.DISABLED}),
    S.FORCED_OPEN: frozenset({S.CLOSED, S.DISABLED}),
    S.DISABLED: frozenset({S.CLOSED, S.FORCED_OPEN}),
}


def _default_is_failure(exc: BaseException) -> bool:
    """The venue answering "no" is not an outage; everything else that raised is."""
    return not isinstance(exc, ExchangeRejected)


@dataclass(frozen=True, slots=True, kw_only=True)
class BreakerConfig:
    """When a breaker opens and how it backs off (ms unless stated)."""

    failure_threshold: int = 5          # CB_FAILURE_THRESHOLD: failures within the window that open it
    failure_rate: float = 0.5           # CB_FAILURE_RATE: or this share of calls failing ...
    min_calls_for_rate: int = 10        # ... once the window holds at least this many calls
    window_ms: int = 60_000             # CB_WINDOW_MS
    window_max_events: int = 1000       # the window never holds more calls than this
    base_backoff_ms: int = 1000         # CB_BASE_BACKOFF_MS
    max_backoff_ms: int = 60_000        # CB_MAX_BACKOFF_MS: no wait is longer, jitter included
    jitter: float = 0.2                 # +-20%
    max_recovery_attempts: int = 5      # CB_MAX_RECOVERY_ATTEMPTS: failed trials before giving up
    half_open_max_calls: int = 1        # CB_HALF_OPEN_MAX_CALLS: trial calls let through at once

    @classmethod
    def from_settings(cls, settings: Settings) -> BreakerConfig:
        s = settings.breakers
        return cls(failure_threshold=s.cb_failure_threshold, failure_rate=s.cb_failure_rate,
                   min_calls_for_rate=2 * s.cb_failure_threshold, window_ms=s.cb_window_ms,
                   base_backoff_ms=s.cb_base_backoff_ms, max_backoff_ms=s.cb_max_backoff_ms,
                   max_recovery_attempts=s.cb_max_recovery_attempts, half_open_max_calls=s.cb_half_open_max_calls)

    def nominal_backoff_s(self, attempt: int) -> float:
        """The un-jittered wait before trial number `attempt` (0-based)."""
        return min(self.max_backoff_ms, self.base_backoff_ms * 2.0 ** min(attempt, 62)) / 1000.0


@dataclass(frozen=True, slots=True, kw_only=True)
class BreakerTransition:
    """Published on every state change (BreakerTripped, BreakerReset ... in one event type)."""

    breaker: str
    old: BreakerState
    new: BreakerState
    reason: str
    time_ms: int
    recovery_attempts: int = 0
    retry_in_s: float | None = None


BreakerListener = Callable[[BreakerTransition], None]


class CircuitBreaker:
    """One dependency's breaker. Wrap calls with `await breaker.call(fn)`, or use `allow()` and
    `record_success()` / `record_failure()` by hand. Not thread-safe: use it from the loop."""

    def __init__(self, name: str, config: BreakerConfig | None = None, *, alerts: AlertManager | None = None,
                 clock: Clock = SYSTEM_CLOCK,
                 rng: random.Random | None = None,
                 is_failure: Callable[[BaseException], bool] = _default_is_failure) -> None:
        self.name = name
        self.config = config or BreakerConfig()
        self._alerts = alerts
        self._now = clock.monotonic
        self._now_ms = clock.wall_ms
        self._rng = rng
        self.is_failure = is_failure
        self._listeners: list[BreakerListener] = []
        self._state = S.CLOSED
        self._window: deque[tuple[float, bool]] = deque()
        self._window_failures = 0
        self._trials = 0
        self.recovery_attempts = 0
        self.exhausted = False
        self.next_retry_at: float | None = None
        self.calls = self.successes = self.failures = self.rejected = self.consecutive_failures = 0
        self._total_ms = 0.0
        self._timed = 0
        self.last_error: str | None = None
        self.last_change_ms = self._now_ms()
        self.fed = False                    # verdicts come from record_attempt (see the module docstring)

    # --- state ------------------------------------------------------------------------------

    @property
    def state(self) -> BreakerState:
        """The current state; an OPEN breaker whose backoff has elapsed becomes HALF_OPEN here."""
        if self._state is S.OPEN and self.next_retry_at is not None and self._now() >= self.next_retry_at:
            self._go(S.HALF_OPEN, f"backoff elapsed (recovery attempt {self.recovery_attempts + 1})")
        return self._state

    def add_listener(self, listener: BreakerListener) -> None:
        self._listeners.append(listener)

    def _go(self, new: BreakerState, reason: str) -> None:
        old = self._state
        if new is old:
            return
        if new not in TRANSITIONS[old]:
            raise RuntimeError(f"breaker {self.name}: {old.name} -> {new.name} is not in the diagram")
        self._state = new
        self._trials = 0
        if new is not S.OPEN:
            self.next_retry_at = None
        self.last_change_ms = self._now_ms()
        event = BreakerTransition(breaker=self.name, old=old, new=new, reason=reason, time_ms=self.last_change_ms,
                                  recovery_attempts=self.recovery_attempts, retry_in_s=self.retry_in_s())
        _log.info("breaker %s: %s -> %s (%s)", self.name, old.name, new.name, reason)
        for listener in tuple(self._listeners):
            try:
                listener(event)
            except Exception:
                _log.exception("breaker listener %r failed", listener)

    def retry_in_s(self) -> float | None:
        if self._state is not S.OPEN or self.next_retry_at is None:
            return None
        return max(0.0, self.next_retry_at - self._now())

    def backoff_for(self, attempt: int) -> float:
        """Seconds to stay OPEN before trial `attempt`: the one backoff function, capped."""
        cfg = self.config
        wait = backoff_s(attempt, base_s=cfg.base_backoff_ms / 1000.0, cap_s=cfg.max_backoff_ms / 1000.0,
                         jitter=cfg.jitter, rng=self._rng)
        return min(wait, cfg.max_backoff_ms / 1000.0)

    def _open(self, reason: str) -> None:
        """Enter OPEN for recovery attempt `recovery_attempts`, or give up if they are used up."""
        if self.recovery_attempts >= self.config.max_recovery_attempts:
            self.exhausted = True
            self.next_retry_at = None
            self._go(S.OPEN, f"{reason}; {self.recovery_attempts} recoveries failed, staying open until reset")
            if self._alerts is not None:
                self._alerts.critical(f"breaker:{self.name}:exhausted", "breaker",
                                      f"breaker {self.name} gave up after {self.recovery_attempts} failed "
                                      f"recoveries ({reason}); reset it by hand")
            return
        wait = self.backoff_for(self.recovery_attempts)
        self.next_retry_at = self._now() + wait
        self._go(S.OPEN, f"{reason}; retry in {wait:.1f}s")
        if self._alerts is not None:
            self._alerts.warning(f"breaker:{self.name}:open", "breaker", f"breaker {self.name} opened: {reason}")

    def _close(self, reason: str) -> None:
        self.recovery_attempts = 0
        self.exhausted = False
        self._window.clear()
        self._window_failures = 0
        self.consecutive_failures = 0
        self._go(S.CLOSED, reason)

    # --- admission and outcomes -------------------------------------------------------------

    def allow(self) -> bool:
        """May a call go through now? In HALF_OPEN this takes one of the trial slots."""
        state = self.state
        if state is S.CLOSED or state is S.DISABLED:
            return True
        if state is S.HALF_OPEN and self._trials < self.config.half_open_max_calls:
            self._trials += 1
            return True
        self.rejected += 1
        return False

    def _refuse(self) -> BreakerOpen:
        return BreakerOpen(self.name, self._state.name.lower().replace("_", "-"), self.retry_in_s())

    def _metrics(self, ok: bool, elapsed_ms: float | None, error: str | None) -> None:
        self.calls += 1
        if elapsed_ms is not None:
            self._total_ms += elapsed_ms
            self._timed += 1
        if ok:
            self.successes += 1
            self.consecutive_failures = 0
        else:
            self.failures += 1
            self.consecutive_failures += 1
            self.last_error = error

    def _window_add(self, ok: bool) -> None:
        now = self._now()
        win = self._window
        win.append((now, ok))
        if not ok:
            self._window_failures += 1
        horizon = now - self.config.window_ms / 1000.0
        while win and (win[0][0] < horizon or len(win) > self.config.window_max_events):
            if not win.popleft()[1]:
                self._window_failures -= 1

    def failure_rate(self) -> float:
        """Share of the calls in the window that failed."""
        return self._window_failures / len(self._window) if self._window else 0.0

    def record_success(self, elapsed_ms: float | None = None, *, admitted: BreakerState | None = None) -> None:
        """Count a call that worked; in HALF_OPEN a trial's success closes the breaker."""
        self._metrics(True, elapsed_ms, None)
        state = self._state
        if state is S.HALF_OPEN and admitted in (None, S.HALF_OPEN):
            self._close("trial call succeeded")
        elif state is S.CLOSED:
            self._window_add(True)

    def record_failure(self, error: BaseException | str | None = None, elapsed_ms: float | None = None, *,
                       admitted: BreakerState | None = None) -> None:
        """Count a call that failed; may open the breaker (CLOSED) or re-open it (HALF_OPEN)."""
        text = None if error is None else (error if isinstance(error, str) else f"{type(error).__name__}: {error}")
        self._metrics(False, elapsed_ms, text)
        state = self._state
        if state is S.HALF_OPEN and admitted in (None, S.HALF_OPEN):
            self.recovery_attempts += 1
            self._open(f"trial call failed: {text or 'error'}")
        elif state is S.CLOSED:
            self._window_add(False)
            calls, fails, cfg = len(self._window), self._window_failures, self.config
            if fails >= cfg.failure_threshold:
                self._open(f"{fails} failures within {cfg.window_ms / 1000:g}s (last: {text or 'error'})")
            elif calls >= cfg.min_calls_for_rate and fails / calls >= cfg.failure_rate:
                self._open(f"failure rate {fails / calls:.0%} >= {cfg.failure_rate:.0%} over {calls} calls")

    def feed_requests(self) -> None:
        """From now on the verdicts are the requests' own (`record_attempt`), not `call()`'s."""
        self.fed = True

    def record_attempt(self, elapsed_ms: float | None = None, error: BaseException | None = None, *,
                       what: str = "a request") -> None:
        """One real request this breaker guards ended: a failure (a timeout is one) counts like any
        other; an answer (even a refusal: the venue is there) is a success, and closes an OPEN or
        HALF_OPEN breaker."""
        if error is not None and self.is_failure(error):
            self.record_failure(error, elapsed_ms)
            return
        self._metrics(True, elapsed_ms, None)
        state = self.state
        if state is S.OPEN:
            self._go(S.HALF_OPEN, f"{what} was answered: trying again")
        if self._state is S.HALF_OPEN:
            self._close(f"{what} was answered")
        elif self._state is S.CLOSED:
            self._window_add(True)

    async def call(self, fn: Callable[..., Awaitable[T]], *args: object, **kwargs: object) -> T:
        """Run `await fn(*args, **kwargs)` through the breaker; raises BreakerOpen when refusing."""
        if not self.allow():
            raise self._refuse()
        admitted = self._state
        if self.fed:
            try:
                return await fn(*args, **kwargs)
            finally:     # a trial that sent no request (a cache hit) or was cancelled has no verdict
                if admitted is S.HALF_OPEN and self._state is S.HALF_OPEN:
                    self._trials = max(0, self._trials - 1)
        t0 = time.perf_counter()
        try:
            result = await fn(*args, **kwargs)
        except Exception as exc:
            elapsed = (time.perf_counter() - t0) * 1000.0
            if self.is_failure(exc):
                self.record_failure(exc, elapsed, admitted=admitted)
            else:
                self.record_success(elapsed, admitted=admitted)
            raise
        except BaseException:   # cancelled: no verdict; give the trial slot back
            if admitted is S.HALF_OPEN and self._state is S.HALF_OPEN:
                self._trials = max(0, self._trials - 1)
            raise
        self.record_success((time.perf_counter() - t0) * 1000.0, admitted=admitted)
        return result

    # --- health checks and the trader's hand ------------------------------------------------

    def probe_succeeded(self, check: str = "health check") -> None:
        """A health check of this breaker's component passed: count it as a successful trial."""
        if self.exhausted:
            return
        if self.state is S.OPEN:
            self._go(S.HALF_OPEN, f"{check} passed: trying again")
        if self._state is S.HALF_OPEN:
            self._close(f"{check} passed")

    def probe_failed(self, check: str = "health check", detail: str = "") -> None:
        """A health check failed: a HALF_OPEN breaker re-opens; a CLOSED one counts a failure."""
        state = self.state
        if state is S.HALF_OPEN:
            self.recovery_attempts += 1
            self._open(f"{check} failed: {detail or 'error'}")
        elif state is S.CLOSED:
            self.record_failure(f"{check} failed: {detail or 'error'}")

    def trip(self, reason: str) -> None:
        """Open a CLOSED breaker now (the venue has stopped answering altogether, however few
        requests that took); in other states nothing changes."""
        if self.state is S.CLOSED:
            self._open(reason)

    def force_open(self, reason: str = "forced open by hand") -> None:
        self._go(S.FORCED_OPEN, reason)

    def disable(self, reason: str = "disabled by hand") -> None:
        self._go(S.DISABLED, reason)

    def reset(self, reason: str = "reset by hand") -> None:
        """Back to CLOSED from any state, with the counters of the current outage cleared."""
        self._close(reason)

    # --- reading ----------------------------------------------------------------------------

    @property
    def avg_response_ms(self) -> float:
        return self._total_ms / self._timed if self._timed else 0.0

    def snapshot(self) -> BreakerSnapshot:
        state = self.state
        return BreakerSnapshot(name=self.name, state=state, failures=self.failures, successes=self.successes,
                               consecutive_failures=self.consecutive_failures,
                               recovery_attempts=self.recovery_attempts, next_retry_at=self.next_retry_at,
                               last_error=self.last_error, last_change_ms=self.last_change_ms, calls=self.calls,
                               rejected=self.rejected, avg_response_ms=self.avg_response_ms,
                               failure_rate=self.failure_rate(), retry_in_s=self.retry_in_s())


class BreakerRegistry:
    """The named breakers (`BREAKER_NAMES` by default); listeners hear every breaker's changes."""

    def __init__(self, config: BreakerConfig | None = None, *, alerts: AlertManager | None = None,
                 names: tuple[str, ...] = BREAKER_NAMES, clock: Clock = SYSTEM_CLOCK,
                 rng: random.Random | None = None) -> None:
        self.config = config or BreakerConfig()
        self._alerts = alerts
        self._clock = clock
        self._rng = rng
        self._listeners: list[BreakerListener] = []
        self._breakers: dict[str, CircuitBreaker] = {}
        for name in names:
            self.get(name)

    def get(self, name: str, config: BreakerConfig | None = None) -> CircuitBreaker:
        """The breaker called `name`, made on first use (with `config` or the registry's)."""
        breaker = self._breakers.get(name)
        if breaker is None:
            breaker = CircuitBreaker(name, config or self.config, alerts=self._alerts, clock=self._clock,
                                     rng=self._rng)
            for listener in self._listeners:
                breaker.add_listener(listener)
            self._breakers[name] = breaker
        return breaker

    def __getitem__(self, name: str) -> CircuitBreaker:
        return self._breakers[name]

    def __contains__(self, name: object) -> bool:
        return name in self._breakers

    def __iter__(self) -> Iterator[CircuitBreaker]:
        return iter(tuple(self._breakers.values()))

    def __len__(self) -> int:
        return len(self._breakers)

    def add_listener(self, listener: BreakerListener) -> None:
        """Hear every transition of every breaker, present and future."""
        self._listeners.append(listener)
        for breaker in self._breakers.values():
            breaker.add_listener(listener)

    def snapshots(self) -> tuple[BreakerSnapshot, ...]:
        return tuple(b.snapshot() for b in self._breakers.values())

    def reset(self, name: str, reason: str = "reset by hand") -> None:
        self[name].reset(reason)

    def force_open(self, name: str, reason: str = "forced open by hand") -> None:
        self[name].force_open(reason)

    def disable(self, name: str, reason: str = "disabled by hand") -> None:
        self[name].disable(reason)
