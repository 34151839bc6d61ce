"""The venue's IP rate limit as a local budget: request weights per sliding minute, queued not exceeded.

Hyperliquid allows 1200 weight per minute per IP (allMids 2, openOrders 20, an order batch
1 + n/40 ...). `acquire(weight)` returns at once while the last minute's total leaves room,
and otherwise waits, first come first served, until enough old weight has aged out. After a
429 the venue's view and ours disagree: `penalize(seconds)` holds every caller back that long.
"""

from __future__ import annotations

import asyncio
import time
from collections import deque
from collections.abc import Callable

__all__ = ["RateBudget"]


class RateBudget:
    """A sliding-window weight budget; `waits` / `waited_s` count how often and how long callers queued."""

    __slots__ = ("_clock", "_hold_until", "_lock", "_spent", "_used", "limit", "waited_s", "waits", "window_s")

    def __init__(self, limit: int, *, window_s: float = 60.0, clock: Callable[[], float] = time.monotonic) -> None:
        if limit < 1:
            raise ValueError("limit must be >= 1")
        self.limit = limit
        self.window_s = window_s
        self._clock = clock
        self._spent: deque[tuple[float, int]] = deque()
        self._used = 0
        self._hold_until = 0.0
        self._lock = asyncio.Lock()
        self.waits = 0
        self.waited_s = 0.0

    @property
    def used(self) -> int:
        """Weight spent within the last window."""
        self._expire(self._clock())
        return self._used

    def _expire(self, now: float) -> None:
        spent = self._spent
        cutoff = now - self.window_s
        while spent and spent[0][0] <= cutoff:
            self._used -= spent.popleft()[1]

    def _delay(self, weight: int, now: float) -> float:
        """Seconds until `weight` fits (0 when it fits now)."""
        self._expire(now)
        delay = max(0.0, self._hold_until - now)
        room = self.limit - self._used
        if weight > room:
            need = weight - room
            for t, w in self._spent:
                need -= w
                if need <= 0:
                    delay = max(delay, t + self.window_s - now)
                    break
        return delay

    def _take(self, weight: int, now: float) -> None:
        self._spent.append((now, weight))
        self._used += weight

    async def acquire(self, weight: int) -> None:
        """Spend `weight` (clamped to the limit), waiting in line if the budget is used up."""
        weight = min(max(weight, 0), self.limit)
        now = self._clock()
        if not self._lock.locked() and self._delay(weight, now) == 0.0:
            self._take(weight, now)
            return
        started = now
        self.waits += 1
        async with self._lock:  # one waiter at a time keeps the queue first come first served
            while (delay := self._delay(weight, self._clock())) > 0.0:
                await asyncio.sleep(delay)
            now = self._clock()
            self._take(weight, now)
        self.waited_s += now - started

    def charge(self, weight: int) -> None:
        """Count weight the venue adds after the fact (e.g. per returned item) without waiting."""
        if weight > 0:
            self._take(weight, self._clock())

    def penalize(self, seconds: float) -> None:
        """Hold every caller back for `seconds` (after the venue answered 429)."""
        self._hold_until = max(self._hold_until, self._clock() + seconds)
