"""Property tests of the breaker's state machine (hypothesis): whatever happens, in any order,
no transition leaves the diagram, every wait is within its bounds, a half-open success closes
and a half-open failure re-opens with a longer wait."""

from __future__ import annotations

import random

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, precondition, rule

from perps_desktop.core import BreakerConfig, BreakerTransition, CircuitBreaker
from perps_desktop.core.breaker import TRANSITIONS
from perps_desktop.core.clock import ManualClock
from perps_desktop.core.models import BreakerState as S


class BreakerMachine(RuleBasedStateMachine):
    @initialize(half_open=st.integers(1, 3), attempts=st.integers(1, 4), threshold=st.integers(1, 4),
                seed=st.integers(0, 2**32 - 1))
    def build(self, half_open: int, attempts: int, threshold: int, seed: int) -> None:
        self.clock = ManualClock(monotonic=0.0)
        self.cfg = BreakerConfig(failure_threshold=threshold, failure_rate=0.6, min_calls_for_rate=6,
                                 window_ms=10_000, base_backoff_ms=1000, max_backoff_ms=8000,
                                 max_recovery_attempts=attempts, half_open_max_calls=half_open)
        self.b = CircuitBreaker("p", self.cfg, clock=self.clock, rng=random.Random(seed))
        self.seen: list[BreakerTransition] = []
        self.b.add_listener(self.seen.append)
        self.admitted = 0          # trial slots we took in HALF_OPEN and have not answered
        self.last_wait: float | None = None

    # --- events ---------------------------------------------------------------------------

    @rule(dt=st.floats(0, 30, allow_nan=False))
    def time_passes(self, dt: float) -> None:
        self.clock.advance(dt)

    @precondition(lambda self: self.b._state is S.OPEN and self.b.next_retry_at is not None)
    @rule(extra=st.floats(0, 0.5, allow_nan=False))
    def backoff_elapses(self, extra: float) -> None:
        assert self.b.next_retry_at is not None
        self.clock.advance(max(0.0, self.b.next_retry_at + extra - self.clock.monotonic()))
        assert self.b.state is S.HALF_OPEN

    @precondition(lambda self: self.b._state is S.CLOSED)
    @rule()
    def burst_of_failures(self) -> None:
        for _ in range(self.cfg.failure_threshold):
            self.failure()
        assert self.b.state is S.OPEN

    @rule()
    def ask(self) -> None:
        before = self.b.state
        ok = self.b.allow()
        if before in (S.CLOSED, S.DISABLED):
            assert ok
        elif before in (S.OPEN, S.FORCED_OPEN):
            assert not ok
        elif ok:
            self.admitted += 1
        assert self.admitted <= self.cfg.half_open_max_calls or before is not S.HALF_OPEN

    @rule()
    def success(self) -> None:
        before = self.b.state
        self.b.record_success(1.0)
        if before is S.HALF_OPEN:
            assert self.b.state is S.CLOSED, "a success in half-open closes"
            self.last_wait = None
        else:
            assert self.b.state is before

    @rule()
    def failure(self) -> None:
        before = self.b.state
        attempts = self.b.recovery_attempts
        self.b.record_failure("boom", 1.0)
        after = self.b.state
        if before is S.HALF_OPEN:
            assert after is S.OPEN, "a failure in half-open re-opens"
            assert self.b.recovery_attempts == attempts + 1
            self._check_reopen_wait()
        elif before is S.CLOSED and after is S.OPEN:
            self._check_wait(0)
            self.last_wait = self.b.next_retry_at - self.clock.monotonic() if self.b.next_retry_at is not None else None
        elif before is not S.CLOSED:
            assert after is before

    @rule()
    def probe_ok(self) -> None:
        before = self.b.state
        self.b.probe_succeeded()
        if before in (S.OPEN, S.HALF_OPEN) and not self.b.exhausted:
            assert self.b.state is S.CLOSED
            self.last_wait = None

    @rule()
    def probe_fail(self) -> None:
        before = self.b.state
        self.b.probe_failed("hc", "down")
        if before is S.HALF_OPEN:
            assert self.b.state is S.OPEN
            self._check_reopen_wait()

    @precondition(lambda self: self.b._state is not S.FORCED_OPEN)
    @rule()
    def force_open(self) -> None:
        self.b.force_open()
        assert self.b.state is S.FORCED_OPEN and not self.b.allow()

    @precondition(lambda self: self.b._state is not S.DISABLED)
    @rule()
    def disable(self) -> None:
        self.b.disable()
        assert self.b.state is S.DISABLED and self.b.allow()

    @rule()
    def reset(self) -> None:
        self.b.reset()
        assert self.b.state is S.CLOSED and self.b.recovery_attempts == 0
        self.last_wait = None

    # --- checks ---------------------------------------------------------------------------

    def _check_wait(self, attempt: int) -> None:
        nxt = self.b.next_retry_at
        assert nxt is not None
        nominal = self.cfg.nominal_backoff_s(attempt)
        wait = nxt - self.clock.monotonic()
        assert 0.8 * nominal - 1e-9 <= wait <= min(1.2 * nominal, self.cfg.max_backoff_ms / 1000) + 1e-9

    def _check_reopen_wait(self) -> None:
        if self.b.exhausted:
            assert self.b.next_retry_at is None
            assert self.b.recovery_attempts >= self.cfg.max_recovery_attempts
            self.last_wait = None
            return
        n = self.b.recovery_attempts
        self._check_wait(n)
        assert self.b.next_retry_at is not None
        wait = self.b.next_retry_at - self.clock.monotonic()
        uncapped = self.cfg.base_backoff_ms * 2 ** n <= self.cfg.max_backoff_ms
        if self.last_wait is not None and uncapped:
            assert wait > self.last_wait, "each failed recovery waits longer"
        assert self.cfg.nominal_backoff_s(n) >= self.cfg.nominal_backoff_s(n - 1)
        self.last_wait = wait

    @invariant()
    def transitions_stay_in_the_diagram(self) -> None:
        if not hasattr(self, "b"):
            return
        for t in self.seen:
            assert t.new in TRANSITIONS[t.old], f"{t.old.name} -> {t.new.name}"
            assert t.new is not t.old
        for a, b in zip(self.seen, self.seen[1:], strict=False):
            assert a.new is b.old, "transitions chain"
        state = self.b._state
        if self.seen:
            assert self.seen[-1].new is state
        if state is S.OPEN:
            assert (self.b.next_retry_at is None) == self.b.exhausted
        else:
            assert self.b.next_retry_at is None
        if state is not S.HALF_OPEN:
            self.admitted = 0
        assert 0 <= self.b.recovery_attempts <= self.cfg.max_recovery_attempts


TestBreakerMachine = BreakerMachine.TestCase
TestBreakerMachine.settings = settings(max_examples=150, stateful_step_count=40, deadline=None,
                                       suppress_health_check=[HealthCheck.too_slow])
