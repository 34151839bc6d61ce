"""The venue's IP rate limit as a local budget: request weights per sliding minute, in lanes.

Hyperliquid allows 1200 weight per minute per IP (allMids 2, openOrders 20, an order batch
1 + n/40 ...). `acquire(weight, lane)` returns at once while the last minute's total leaves
room, and otherwise queues. The queue is ordered by lane (`core.lanes.Lane`: the trader's
actions, then protective orders, then strategy orders, then polling) and first come first
served within a lane, so an action never waits behind a poll. A share of the budget
(`reserve_share`) is kept for the first two lanes at all times: strategy orders and polls stop
at `limit * (1 - reserve_share)`, so a flood of polls leaves room for a Close.

A request of an urgent lane that waits for something a queued request holds (the trader's
Close for the execution lock) `promote`s the queued requests to its own lane.
After a 429 the venue's view and ours disagree: `penalize(seconds)` holds every caller back that
long. `close()` (the core is stopping) ends every wait at once: whatever was queued fails with
`RateLimited`, and later requests go only if they fit now, so a stop never waits for budget.
"""

from __future__ import annotations

import asyncio
import heapq
import itertools
from collections import deque
from dataclasses import dataclass

from perps_desktop.core.clock import SYSTEM_CLOCK, Clock
from perps_desktop.core.lanes import Lane, current_lane
from perps_desktop.errors import RateLimited
from perps_desktop.exchange.stats import LatencyHistogram, LatencySnapshot

__all__ = ["BudgetWait", "RateBudget"]


@dataclass(frozen=True, slots=True, kw_only=True)
class BudgetWait:
    """The request that has waited longest in the most urgent lane (for "rate-limited: order queued 3 s")."""

    lane: Lane
    waited_s: float
    queued: int                          # requests waiting, all lanes


@dataclass(slots=True, order=True)
class _Waiter:
    lane: int
    seq: int
    weight: int
    since: float
    fut: asyncio.Future[None]


class RateBudget:
    """A sliding-window weight budget in lanes; `waits` / `waited_s` count how often and how long callers queued."""

    __slots__ = ("_clock", "_closed", "_hold_until", "_seq", "_spent", "_timer", "_used", "_waiters", "limit",
                 "reserve_share", "wait_hist", "waited_s", "waits", "window_s")

    def __init__(self, limit: int, *, window_s: float = 60.0, reserve_share: float = 0.25,
                 clock: Clock = SYSTEM_CLOCK) -> None:
        if limit < 1:
            raise ValueError("limit must be >= 1")
        if not 0.0 <= reserve_share < 1.0:
            raise ValueError("reserve_share must be in [0, 1)")
        self.limit = limit
        self.window_s = window_s
        self.reserve_share = reserve_share
        self._clock = clock.monotonic
        self._spent: deque[tuple[float, int]] = deque()
        self._used = 0
        self._hold_until = 0.0
        self._waiters: list[_Waiter] = []
        self._seq = itertools.count()
        self._timer: asyncio.TimerHandle | None = None
        self._closed = False
        self.waits = 0
        self.waited_s = 0.0
        self.wait_hist: dict[Lane, LatencyHistogram] = {lane: LatencyHistogram() for lane in Lane}

    # --- reading -------------------------------------------------------------------------------

    @property
    def used(self) -> int:
        """Weight spent within the last window."""
        self._expire(self._clock())
        return self._used

    @property
    def closed(self) -> bool:
        return self._closed

    def cap(self, lane: Lane) -> int:
        """The most weight `lane` may have spent in the window: the whole limit for actions and stops,
        the limit less the reserved share for strategy orders and polls."""
        if lane <= Lane.PROTECT:
            return self.limit
        return max(1, int(self.limit * (1.0 - self.reserve_share)))

    def pressure(self) -> float:
        """Used weight as a share of what polls may spend (1.0: polls wait)."""
        return self.used / self.cap(Lane.POLL)

    def waiting(self) -> BudgetWait | None:
        """The most urgent request queued now, or None when nothing waits."""
        live = [w for w in self._waiters if not w.fut.done()]
        if not live:
            return None
        head = min(live)
        return BudgetWait(lane=Lane(head.lane), waited_s=self._clock() - head.since, queued=len(live))

    def wait_snapshots(self) -> dict[Lane, LatencySnapshot]:
        """Waits so far by lane (every acquire counts, a zero wait in the first bucket)."""
        return {lane: h.snapshot() for lane, h in self.wait_hist.items()}

    # --- spending ------------------------------------------------------------------------------

    def _expire(self, now: float) -> None:
        spent = self._spent
        cutoff = now - self.window_s
        while spent and spent[0][0] <= cutoff:
            self._used -= spent.popleft()[1]

    def _delay(self, weight: int, lane: Lane, now: float) -> float:
        """Seconds until `weight` fits under `lane`'s cap (0 when it fits now)."""
        self._expire(now)
        delay = max(0.0, self._hold_until - now)
        room = self.cap(lane) - self._used
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

    def _ahead(self, lane: Lane) -> bool:
        """True when a request of the same or a more urgent lane is already queued."""
        return any(w.lane <= lane and not w.fut.done() for w in self._waiters)

    async def acquire(self, weight: int, lane: Lane | None = None) -> float:
        """Spend `weight` (clamped to the lane's cap) in `lane` (default: the caller's `current_lane()`, else
        POLL), queueing while the budget is used up; returns the seconds waited."""
        if lane is None:
            here = current_lane()         # (Lane.MANUAL is 0: test for None, never truthiness)
            lane = here if here is not None else Lane.POLL
        weight = min(max(weight, 0), self.cap(lane))
        now = self._clock()
        if not self._ahead(lane) and self._delay(weight, lane, now) == 0.0:
            self._take(weight, now)
            self.wait_hist[lane].observe(0.0)
            return 0.0
        if self._closed:
            raise RateLimited(f"the core is stopping; a {lane.noun} does not wait for budget", endpoint="budget")
        waiter = _Waiter(lane=int(lane), seq=next(self._seq), weight=weight, since=now,
                         fut=asyncio.get_running_loop().create_future())
        heapq.heappush(self._waiters, waiter)
        self.waits += 1
        self._dispatch()
        try:
            await waiter.fut
        finally:
            waited = self._clock() - now
            self.waited_s += waited
            self.wait_hist[lane].observe(waited)
            if not waiter.fut.done():       # cancelled while queued: leave the line
                waiter.fut.cancel()
            self._dispatch()
        return waited

    def _dispatch(self) -> None:
        """Serve queued requests in lane order while they fit; otherwise wake when the head's weight has aged out."""
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        waiters = self._waiters
        while waiters:
            head = waiters[0]
            if head.fut.done():
                heapq.heappop(waiters)
                continue
            now = self._clock()
            delay = self._delay(head.weight, Lane(head.lane), now)
            if delay > 0.0:
                self._timer = asyncio.get_running_loop().call_later(delay, self._dispatch)
                return
            heapq.heappop(waiters)
            self._take(head.weight, now)
            head.fut.set_result(None)

    def promote(self, lane: Lane) -> int:
        """Let every request queued in a later lane go as `lane` (a request of `lane` waits for what they
        hold: the trader's Close for the execution lock a queued strategy order holds); returns how many."""
        moved = 0
        for w in self._waiters:
            if w.lane > lane and not w.fut.done():
                w.lane = int(lane)
                moved += 1
        if moved:
            heapq.heapify(self._waiters)
            self._dispatch()
        return moved

    def charge(self, weight: int) -> None:
        """Count weight the venue adds after the fact (e.g. per returned item) without waiting."""
        if weight > 0:
            self._take(weight, self._clock())

    def penalize(self, seconds: float) -> None:
        """Hold every caller back for `seconds` (after the venue answered 429)."""
        self._hold_until = max(self._hold_until, self._clock() + seconds)

    def close(self) -> None:
        """The core is stopping: fail every queued request now; from here on nothing waits. Idempotent."""
        self._closed = True
        self._hold_until = 0.0
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        waiters, self._waiters = self._waiters, []
        for w in waiters:
            if not w.fut.done():
                w.fut.set_exception(RateLimited(f"the core is stopping; a queued {Lane(w.lane).noun} was dropped",
                                                endpoint="budget"))
