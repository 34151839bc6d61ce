"""Freshness: how old each piece of the venue's state is, and whether the venue answers at all.

The window and the metrics must not show a dark venue's last numbers as if they were live. Two
facts are kept here, on the loop, with no I/O:

- when each piece of state (account, orders, fills, mids, stream) was last confirmed by the venue
  (`touch`), so the age of the oldest piece of account state can be shown and exported;
- whether REST requests are answered: every HTTP attempt ends in `on_request` (this class is the
  client's `RequestObserver`), which also feeds the breakers that guard those requests (one
  verdict per attempt, retries and timeouts included) before passing the sample on to the monitor.

The venue counts as reachable while an answer (even a refusal or a 429: someone is there) came
within `silent_after_s`, or within `failing_after_s` once an attempt has failed since the last
answer. An attempt that fails when nothing has been answered for `trip_after_s` opens its
breaker at once: a venue that hangs fails one request per timeout, too few to reach the failure
threshold as fast as a venue that answers errors. The WebSocket's side is asked of
`stream_connected`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from perps_desktop.core.clock import SYSTEM_CLOCK, Clock
from perps_desktop.errors import ExchangeRejected, RateLimited

if TYPE_CHECKING:
    from perps_desktop.core.breaker import CircuitBreaker
    from perps_desktop.core.ports import RequestObserver

__all__ = ["ACCOUNT_PIECES", "Freshness", "FreshnessSnapshot"]

ACCOUNT_PIECES = ("account", "orders")
"""The account state whose oldest piece is `perps_data_age_seconds`."""


@dataclass(frozen=True, slots=True, kw_only=True)
class FreshnessSnapshot:
    """What the window shows about data age and the connection (one value per snapshot)."""

    time_ms: int
    as_of_ms: dict[str, int] = field(default_factory=dict)     # piece -> when the venue last confirmed it
    rest_ok: bool = True
    stream_ok: bool = True
    silent_since_ms: int | None = None          # last answer, while the venue is unreachable
    last_error: str | None = None
    data_age_s: float = 0.0                     # the oldest piece of account state
    stale: bool = False                         # data_age_s past the threshold: grey the numbers

    @property
    def connected(self) -> bool:
        return self.rest_ok and self.stream_ok

    @property
    def unreachable_s(self) -> float:
        """How long the venue has not answered (0 while it answers)."""
        return 0.0 if self.silent_since_ms is None else max(0.0, (self.time_ms - self.silent_since_ms) / 1000.0)

    @property
    def account_as_of_ms(self) -> int | None:
        """When the oldest piece of account state was confirmed (None: not yet)."""
        stamps = [self.as_of_ms.get(p) for p in ACCOUNT_PIECES]
        return None if any(s is None for s in stamps) else min(s for s in stamps if s is not None)


class Freshness:
    """See the module docstring. `feed(prefix, breaker)` binds the breaker of an endpoint family."""

    def __init__(self, *, silent_after_s: float = 6.0, failing_after_s: float = 2.0, stale_after_s: float = 10.0,
                 trip_after_s: float = 4.0,
                 next_observer: RequestObserver | None = None, stream_connected: Callable[[], bool] | None = None,
                 clock: Clock = SYSTEM_CLOCK) -> None:
        self.silent_after_s = silent_after_s
        self.failing_after_s = failing_after_s
        self.stale_after_s = stale_after_s
        self.trip_after_s = trip_after_s
        self._next = next_observer
        self.stream_connected = stream_connected
        self._now_ms = clock.wall_ms
        self.started_ms = clock.wall_ms()
        self._as_of: dict[str, int] = {}
        self._breakers: dict[str, CircuitBreaker] = {}
        self.last_answer_ms: int | None = None
        self.failed_since_answer = False
        self.last_error: str | None = None

    def feed(self, prefix: str, breaker: CircuitBreaker) -> None:
        """Requests labelled `prefix:*` ("info", "exchange") decide `breaker`'s verdicts from now on."""
        breaker.feed_requests()
        self._breakers[prefix] = breaker

    def touch(self, *pieces: str) -> None:
        """These pieces of state were just confirmed by the venue."""
        now = self._now_ms()
        for piece in pieces:
            self._as_of[piece] = now

    # --- RequestObserver -------------------------------------------------------------------------
    def on_request(self, endpoint: str, ms: float, ok: bool, error: BaseException | None = None) -> None:
        """One HTTP attempt ended (see `core.ports.RequestObserver`)."""
        answered = ok or isinstance(error, (ExchangeRejected, RateLimited))
        if answered:
            self.last_answer_ms = self._now_ms()
            self.failed_since_answer = False
        else:
            self.failed_since_answer = True
            self.last_error = f"{type(error).__name__}: {error}" if error is not None else f"{endpoint} failed"
        prefix = endpoint.partition(":")[0]
        breaker = self._breakers.get(prefix)
        if breaker is not None:
            breaker.record_attempt(ms, None if ok else error, what=f"request {endpoint}")
            silent_s = (self._now_ms() - (self.last_answer_ms or self.started_ms)) / 1000.0
            if not answered and silent_s >= self.trip_after_s:     # a venue that hangs fails few requests
                breaker.trip(f"no request answered for {silent_s:.0f} s (last: {self.last_error})")
        if self._next is not None:
            self._next.on_request(endpoint, ms, ok, error)

    # --- reading ---------------------------------------------------------------------------------
    def silent_since_ms(self, now_ms: int | None = None) -> int | None:
        """The last answer (or the start) when the venue counts as unreachable now, else None."""
        now = self._now_ms() if now_ms is None else now_ms
        since = self.last_answer_ms if self.last_answer_ms is not None else self.started_ms
        limit = self.failing_after_s if self.failed_since_answer else self.silent_after_s
        return since if now - since >= limit * 1000.0 else None

    def snapshot(self) -> FreshnessSnapshot:
        now = self._now_ms()
        silent = self.silent_since_ms(now)
        stamps = [self._as_of.get(p) for p in ACCOUNT_PIECES]
        oldest = self.started_ms if any(s is None for s in stamps) else min(s for s in stamps if s is not None)
        age = max(0.0, (now - oldest) / 1000.0)
        return FreshnessSnapshot(time_ms=now, as_of_ms=dict(self._as_of), rest_ok=silent is None,
                                 stream_ok=self.stream_connected() if self.stream_connected is not None else True,
                                 silent_since_ms=silent, last_error=self.last_error, data_age_s=age,
                                 stale=age >= self.stale_after_s)
